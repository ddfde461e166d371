/**
 * Checkpoints on disk: a `checkpoint-<step>/` folder per checkpoint (the model, the optimizer's
 * weights, the training state) and `latest.json` naming the newest, each written atomically.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, saveModel } from '@slr/layers/node';
import {
  createFolder,
  FileSystemError,
  syncFolder,
  temporaryPathBeside,
  writeFileAtomic,
} from '@slr/core/node';
import { describeValue } from '@slr/core';
import type { OptimizerConfig } from '../optimizer-config';
import type { TrainOptions } from '../train-options';
import type { EpochRecord, TrainingState } from '../training-state';
import { readAccumulatedPowers, writeAccumulatedPowers } from './optimizer-state';

/**
 * What a checkpoint records of the run that saved it (its `run.json`), so that a resume can
 * tell a change it can honour (logged) from one it cannot (an error).
 */
export interface CheckpointRun {
  /** Samples per step. */
  batchSize: number;
  /** The run's seed (the batch order). */
  seed: number;
  /** Whether the batches were shuffled. */
  shuffle: boolean;
  /** Batches in one epoch (the size of the training data in batches). */
  batchesPerEpoch: number;
  /** Classes of the model's output (glosses + blank). */
  numClasses: number;
  /** The glosses of the run's `vocabulary` (ids 1, 2, …), when it had one. */
  vocabulary?: string[];
  /** The optimizer's configuration, its defaults filled in. */
  optimizer: OptimizerConfig;
  /** Epochs of the run. */
  epochs: number;
  /** The run's learning-rate schedule, when it had one. */
  schedule?: TrainOptions['schedule'];
  /** The run's `evalEvery`, when set. */
  evalEvery?: number;
  /** The run's `evalBeamWidth`, when set. */
  evalBeamWidth?: number;
  /** The run's `clipNorm`, when set. */
  clipNorm?: number;
  /** The run's `labelSmoothing`, when set. */
  labelSmoothing?: number;
  /** The run's `dropout`, when set. */
  dropout?: number;
  /** The run's `augment`, when set. */
  augment?: TrainOptions['augment'];
  /** The run's `earlyStop`, when set. */
  earlyStop?: TrainOptions['earlyStop'];
  /** The names of the run's callbacks, in order (`'(unnamed)'` for those without one). */
  callbacks?: string[];
}

/**
 * Adam's accumulated powers as the optimizer held them (`accBeta1` = β₁ᵗ⁺¹ after t steps, the
 * running product of its steps), with the betas they are powers of.
 */
export interface AccumulatedPowers {
  /** β₁. */
  beta1: number;
  /** β₂. */
  beta2: number;
  /** The running power of β₁. */
  accBeta1: number;
  /** The running power of β₂. */
  accBeta2: number;
}

/** A checkpoint read back by {@link loadCheckpoint}. */
export interface LoadedCheckpoint {
  /** The `checkpoint-<step>` directory read. */
  path: string;
  /** The model as saved (a fresh `tf.LayersModel`; copy its weights with `setWeights`). */
  model: tf.LayersModel;
  /** The optimizer's weights in `optimizer.getWeights()` order; pass to `optimizer.setWeights`. */
  optimizerWeights: {
    /** The weight's name. */
    name: string;
    /** Its value. */
    tensor: tf.Tensor;
  }[];
  /** The optimizer's class name when saved (`'Adam'`, `'AdamW'`, `'SlrSgd'`). */
  optimizerClass: string;
  /**
   * Adam's accumulated powers βᵗ as they were (which `setWeights` would recompute with `pow`,
   * a last bit off); {@link restoreOptimizer} restores them. Absent for optimizers without.
   */
  optimizerPowers?: AccumulatedPowers;
  /** The run that saved it; absent in checkpoints written before runs were recorded. */
  run?: CheckpointRun;
  /** The training state. */
  state: TrainingState;
}

/**
 * The error of a checkpoint that cannot be read or resumed from: `path` names the offending
 * file, the checkpoint of a different run, or the folder none of whose checkpoints loads.
 *
 * @example
 * ```ts
 * try {
 *   await loadCheckpoint('runs/a/checkpoint-40');
 * } catch (error) {
 *   if (error instanceof CheckpointError) console.error(error.path);
 * }
 * ```
 */
export class CheckpointError extends Error {
  /** Always `'CheckpointError'`. */
  override readonly name = 'CheckpointError';
  constructor(
    /** The file or directory at fault (see above). */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const LATEST = 'latest.json';
const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;
/** What a save that did not finish leaves: `temporaryPathBeside`'s names, and older `.tmp` ones. */
const LEFTOVER = /\.tmp-\d+-[0-9a-f]+$|\.tmp$/;

/**
 * Writes a checkpoint under `dir`: a new `checkpoint-<step>/` directory (the model via
 * `saveModel`, the optimizer's weights as `optimizer.bin` + `optimizer.json` with Adam's
 * accumulated powers, `state.json`, and the run's configuration as `run.json` when given),
 * built under a temporary name and renamed into place once complete, then `latest.json` is
 * replaced atomically (temporary file + rename) to point at it. The previous checkpoint is
 * kept (so {@link loadLatestValidCheckpoint} can fall back to it); older ones beyond `keep` are
 * deleted, and so are any of a later step (left by a run that was resumed from before them, or
 * that started afresh). Returns the new checkpoint's path.
 *
 * @example
 * ```ts
 * declare const trainer: Trainer; // a callback's second argument
 *
 * const { model, optimizer, state } = trainer;
 * await saveCheckpoint('runs/a', { model: model.model, optimizer, state });
 * // runs/a/checkpoint-120/, runs/a/latest.json → {"checkpoint":"checkpoint-120",…}
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  contents: {
    model: tf.LayersModel;
    optimizer: tf.Optimizer;
    state: TrainingState;
    keep?: number;
    run?: CheckpointRun;
  },
): Promise<string> {
  const keep = Math.max(2, contents.keep ?? 2);
  const { step } = contents.state;
  const name = `checkpoint-${step}`;
  const finalDir = join(dir, name);
  // Built under a hidden temporary name beside its final one, renamed into place once complete.
  const temporaryDir = temporaryPathBeside(finalDir);
  try {
    await createFolder(temporaryDir);
    await saveModel(contents.model, join(temporaryDir, 'model'));
    const { bytes, specs } = await encodeOptimizerWeights(contents.optimizer);
    await writeFileAtomic(join(temporaryDir, 'optimizer.bin'), bytes);
    await writeFileAtomic(
      join(temporaryDir, 'optimizer.json'),
      JSON.stringify({
        className: contents.optimizer.getClassName(),
        byteLength: bytes.byteLength,
        specs,
        accumulatedPowers: await readAccumulatedPowers(contents.optimizer),
      }),
    );
    await writeFileAtomic(
      join(temporaryDir, 'state.json'),
      stringifyKeepingNonFinite(contents.state),
    );
    if (contents.run !== undefined)
      await writeFileAtomic(join(temporaryDir, 'run.json'), JSON.stringify(contents.run));
    await rm(finalDir, { recursive: true, force: true });
    await rename(temporaryDir, finalDir);
    await syncFolder(dir);
  } catch (error) {
    await rm(temporaryDir, { recursive: true, force: true }).catch(() => undefined);
    throw inWordsFor(finalDir, error);
  }
  // The commit point: latest.json names the new checkpoint.
  await writeFileAtomic(
    join(dir, LATEST),
    JSON.stringify({ checkpoint: name, step, epoch: contents.state.epoch }),
  );
  // Prune: keep the new checkpoint and the newest `keep - 1` before it; remove those of a later
  // step (a timeline latest.json no longer names) and leftovers of crashed saves.
  const entries = await readdir(dir);
  const older = checkpointSteps(entries).filter((other) => other < step);
  const removed = [
    ...checkpointSteps(entries).filter((other) => other > step),
    ...older.slice(keep - 1),
  ];
  for (const other of removed)
    await rm(join(dir, `checkpoint-${other}`), { recursive: true, force: true });
  for (const entry of entries) {
    if (entry.startsWith('.') && LEFTOVER.test(entry))
      await rm(join(dir, entry), { recursive: true, force: true }).catch(() => undefined);
  }
  return finalDir;
}

/** The steps of the `checkpoint-<step>` entries among `entries`, newest first. */
function checkpointSteps(entries: readonly string[]): number[] {
  return entries
    .map((entry) => CHECKPOINT_DIR.exec(entry))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => b - a);
}

/**
 * The optimizer's weights as bytes and specs. `getWeights()` makes a new scalar of the
 * iteration count (the other entries are the optimizer's own variables): it is disposed here.
 */
async function encodeOptimizerWeights(
  optimizer: tf.Optimizer,
): Promise<{ bytes: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const weights = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(weights);
    return { bytes: new Uint8Array(tf.io.CompositeArrayBuffer.join(data)), specs };
  } finally {
    tf.dispose(weights.map(({ tensor }) => tensor).filter((t) => !(t instanceof tf.Variable)));
  }
}

/** JSON in which NaN and ±Infinity (a skipped epoch's loss, no best WER yet) stay themselves. */
function stringifyKeepingNonFinite(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

/**
 * A failure of the file system while writing the checkpoint `finalDir`, worded and naming it
 * (not the temporary folder it was being built in); other errors pass unchanged.
 */
function inWordsFor(finalDir: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return error;
  const cause = error instanceof FileSystemError ? (error.cause ?? error) : error;
  return new FileSystemError('write the checkpoint', finalDir, cause);
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CheckpointError(
      file,
      `Checkpoint file ${file} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CheckpointError(
      file,
      `Checkpoint file ${file} is corrupt (bad JSON): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads the fields of one JSON file, each check throwing a {@link CheckpointError} that names
 * the file, the field, what it must be and what it is.
 */
class FieldReader {
  constructor(private readonly file: string) {}

  fail(field: string, what: string, value: unknown): never {
    throw new CheckpointError(
      this.file,
      `Checkpoint file ${this.file} is corrupt: '${field}' must be ${what}, but it is ${describeValue(value)}.`,
    );
  }

  object(value: unknown, field: string): Fields {
    return isObject(value) ? value : this.fail(field, 'an object', value);
  }

  /** An integer from `min` to `max` (`maxName` says what `max` is). */
  integer(value: unknown, field: string, min = 0, max?: number, maxName?: string): number {
    if (
      Number.isSafeInteger(value) &&
      (value as number) >= min &&
      (value as number) <= (max ?? Infinity)
    )
      return value as number;
    const upTo = maxName === undefined ? `${max}` : `${maxName} (${max})`;
    return this.fail(
      field,
      max === undefined
        ? `an integer ≥ ${min}`
        : min === max
          ? `${min}`
          : `an integer from ${min} to ${upTo}`,
      value,
    );
  }

  /** A number; `'NaN'`, `'Infinity'` and `'-Infinity'` (how they are saved) are read back. */
  number(
    value: unknown,
    field: string,
    options: { min?: number; legacyNull?: number } = {},
  ): number {
    let n = value;
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') n = Number(value);
    else if (value === null && options.legacyNull !== undefined) n = options.legacyNull;
    if (typeof n !== 'number' || (options.min !== undefined && !(n >= options.min))) {
      return this.fail(
        field,
        options.min === undefined ? 'a number' : `a number ≥ ${options.min}`,
        value,
      );
    }
    return n;
  }

  boolean(value: unknown, field: string): boolean {
    return typeof value === 'boolean' ? value : this.fail(field, 'true or false', value);
  }

  strings(value: unknown, field: string): string[] {
    return Array.isArray(value) && value.every((entry) => typeof entry === 'string')
      ? value
      : this.fail(field, 'an array of strings', value);
  }
}

/**
 * The training state of `state.json`, checked field by field and for consistency: counts are
 * integers ≥ 0, the history holds one record per completed epoch in order, and the step is
 * the last epoch's step plus the batches of the current one.
 */
function checkState(value: unknown, file: string): TrainingState {
  const read = new FieldReader(file);
  const s = read.object(value, '(the state)');
  const step = read.integer(s.step, 'step');
  const epoch = read.integer(s.epoch, 'epoch');
  const batchInEpoch = read.integer(s.batchInEpoch, 'batchInEpoch');
  if (!Number.isSafeInteger(s.seed)) read.fail('seed', 'a safe integer', s.seed);
  const skippedSteps = read.integer(s.skippedSteps, 'skippedSteps', 0, step, "'step'");
  if (!Array.isArray(s.history)) read.fail('history', 'an array of epoch records', s.history);
  const rawHistory = s.history as unknown[];
  if (rawHistory.length !== epoch) {
    throw new CheckpointError(
      file,
      `Checkpoint file ${file} is corrupt: 'history' must hold one record per completed epoch ` +
        `(${epoch}), but it holds ${rawHistory.length}.`,
    );
  }
  let previous = { step: 0, skippedSteps: 0 };
  const history = rawHistory.map((entry, index): EpochRecord => {
    const at = `history[${index}]`;
    const r = read.object(entry, at);
    read.integer(r.epoch, `${at}.epoch`, index + 1, index + 1);
    const record: EpochRecord = {
      ...r,
      epoch: index + 1,
      step: read.integer(r.step, `${at}.step`, previous.step + 1, step, "'step'"),
      loss: read.number(r.loss, `${at}.loss`, { legacyNull: NaN }),
      lr: read.number(r.lr, `${at}.lr`, { min: 0 }),
      gradNorm: read.number(r.gradNorm, `${at}.gradNorm`, { legacyNull: NaN }),
      skippedSteps: read.integer(r.skippedSteps, `${at}.skippedSteps`, previous.skippedSteps),
      seconds: read.number(r.seconds, `${at}.seconds`, { min: 0 }),
    };
    if (record.skippedSteps > record.step)
      read.fail(
        `${at}.skippedSteps`,
        `an integer from 0 to its step (${record.step})`,
        r.skippedSteps,
      );
    for (const key of ['wer', 'beamWer'] as const)
      if (r[key] !== undefined) record[key] = read.number(r[key], `${at}.${key}`, { min: 0 });
    for (const key of ['kdLoss', 'ctcLoss'] as const)
      if (r[key] !== undefined)
        record[key] = read.number(r[key], `${at}.${key}`, { legacyNull: NaN });
    previous = record;
    return record;
  });
  if (step !== previous.step + batchInEpoch) {
    throw new CheckpointError(
      file,
      `Checkpoint file ${file} is corrupt: 'step' (${step}) must be the last epoch's step ` +
        `(${previous.step}) plus 'batchInEpoch' (${batchInEpoch}).`,
    );
  }
  if (skippedSteps < previous.skippedSteps)
    read.fail(
      'skippedSteps',
      `an integer ≥ the last epoch's (${previous.skippedSteps})`,
      skippedSteps,
    );
  const a = read.object(s.epochAccumulator, 'epochAccumulator');
  const epochAccumulator: TrainingState['epochAccumulator'] = {
    lossSum: read.number(a.lossSum, 'epochAccumulator.lossSum'),
    gradNormSum: read.number(a.gradNormSum, 'epochAccumulator.gradNormSum'),
    applied: read.integer(a.applied, 'epochAccumulator.applied', 0, batchInEpoch, "'batchInEpoch'"),
    lr: read.number(a.lr, 'epochAccumulator.lr', { min: 0 }),
    seconds: read.number(a.seconds, 'epochAccumulator.seconds', { min: 0 }),
  };
  for (const key of ['kdSum', 'ctcSum'] as const)
    if (a[key] !== undefined)
      epochAccumulator[key] = read.number(a[key], `epochAccumulator.${key}`);
  const p = read.object(s.plateau, 'plateau');
  return {
    step,
    epoch,
    batchInEpoch,
    seed: s.seed as number,
    skippedSteps,
    history,
    epochAccumulator,
    plateau: {
      // Before NaN and Infinity were kept, JSON turned Infinity (no evaluation yet) into null.
      best: read.number(p.best, 'plateau.best', { min: 0, legacyNull: Infinity }),
      epochsWithoutImprovement: read.integer(
        p.epochsWithoutImprovement,
        'plateau.epochsWithoutImprovement',
        0,
        epoch,
        "'epoch'",
      ),
    },
    finished: read.boolean(s.finished, 'finished'),
  };
}

/** The run of `run.json`: the fields a resume must match checked, the others kept as saved. */
function checkRun(value: unknown, file: string): CheckpointRun {
  const read = new FieldReader(file);
  const r = read.object(value, '(the run)');
  if (!Number.isSafeInteger(r.seed)) read.fail('seed', 'a safe integer', r.seed);
  const optimizer = read.object(r.optimizer, 'optimizer');
  if (typeof optimizer.name !== 'string') read.fail('optimizer.name', 'a string', optimizer.name);
  read.number(optimizer.learningRate, 'optimizer.learningRate');
  return {
    ...r,
    batchSize: read.integer(r.batchSize, 'batchSize', 1),
    seed: r.seed as number,
    shuffle: read.boolean(r.shuffle, 'shuffle'),
    batchesPerEpoch: read.integer(r.batchesPerEpoch, 'batchesPerEpoch', 1),
    numClasses: read.integer(r.numClasses, 'numClasses', 1),
    ...(r.vocabulary === undefined ? {} : { vocabulary: read.strings(r.vocabulary, 'vocabulary') }),
    optimizer: optimizer as unknown as OptimizerConfig,
    epochs: read.integer(r.epochs, 'epochs', 1),
    ...(r.callbacks === undefined ? {} : { callbacks: read.strings(r.callbacks, 'callbacks') }),
  };
}

/** The manifest of `optimizer.json`, checked. */
function checkOptimizerManifest(
  value: unknown,
  file: string,
): {
  className: string;
  byteLength: number;
  specs: tf.io.WeightsManifestEntry[];
  accumulatedPowers?: AccumulatedPowers;
} {
  const read = new FieldReader(file);
  const m = read.object(value, '(the manifest)');
  if (typeof m.className !== 'string') read.fail('className', 'a string', m.className);
  const byteLength = read.integer(m.byteLength, 'byteLength');
  if (!Array.isArray(m.specs)) read.fail('specs', 'an array of weight specs', m.specs);
  const specs = (m.specs as unknown[]).map((entry, index) => {
    const at = `specs[${index}]`;
    const spec = read.object(entry, at);
    if (typeof spec.name !== 'string') read.fail(`${at}.name`, 'a string', spec.name);
    if (!Array.isArray(spec.shape)) read.fail(`${at}.shape`, 'an array of sizes', spec.shape);
    (spec.shape as unknown[]).forEach((size, axis) => read.integer(size, `${at}.shape[${axis}]`));
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32')
      read.fail(`${at}.dtype`, "'float32' or 'int32'", spec.dtype);
    return spec as unknown as tf.io.WeightsManifestEntry;
  });
  let accumulatedPowers: AccumulatedPowers | undefined;
  if (m.accumulatedPowers !== undefined) {
    const p = read.object(m.accumulatedPowers, 'accumulatedPowers');
    accumulatedPowers = {
      beta1: read.number(p.beta1, 'accumulatedPowers.beta1', { min: 0 }),
      beta2: read.number(p.beta2, 'accumulatedPowers.beta2', { min: 0 }),
      accBeta1: read.number(p.accBeta1, 'accumulatedPowers.accBeta1', { min: 0 }),
      accBeta2: read.number(p.accBeta2, 'accumulatedPowers.accBeta2', { min: 0 }),
    };
  }
  return { className: m.className as string, byteLength, specs, accumulatedPowers };
}

/**
 * Reads a checkpoint: `dir` is either a `checkpoint-<step>` directory or a checkpoint root
 * holding `latest.json` (whose target is read). A missing or corrupt file (truncated weights,
 * bad JSON, a training state that cannot be: a negative step, a history that does not add up)
 * throws a {@link CheckpointError} (or the `ModelIoError` of `loadModel`) naming it; nothing
 * read is left in memory then. The caller owns the tensors returned (`model.dispose()`, and
 * those of `optimizerWeights`).
 *
 * @example
 * ```ts
 * const checkpoint = await loadCheckpoint('runs/a');
 * model.model.setWeights(checkpoint.model.getWeights());
 * await restoreOptimizer(optimizer, checkpoint);
 * checkpoint.model.dispose();
 * tf.dispose(checkpoint.optimizerWeights.map((weight) => weight.tensor));
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let checkpointDir = dir;
  const latestFile = join(dir, LATEST);
  const hasLatest = await stat(latestFile).then(
    () => true,
    () => false,
  );
  if (hasLatest) checkpointDir = join(dir, await readLatest(latestFile));
  const stateFile = join(checkpointDir, 'state.json');
  const state = checkState(await readJson(stateFile), stateFile);
  const runFile = join(checkpointDir, 'run.json');
  const hasRun = await stat(runFile).then(
    () => true,
    () => false,
  );
  const run = hasRun ? checkRun(await readJson(runFile), runFile) : undefined;
  const optimizerJson = join(checkpointDir, 'optimizer.json');
  const manifest = checkOptimizerManifest(await readJson(optimizerJson), optimizerJson);
  const { specs } = manifest;
  const binFile = join(checkpointDir, 'optimizer.bin');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(binFile);
  } catch (error) {
    throw new CheckpointError(
      binFile,
      `Checkpoint file ${binFile} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const expected = specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bytes.byteLength !== manifest.byteLength || bytes.byteLength !== expected) {
    throw new CheckpointError(
      binFile,
      `Checkpoint file ${binFile} is corrupt (truncated?): ${bytes.byteLength} bytes, expected ${expected}.`,
    );
  }
  const buffer = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  const decoded = tf.io.decodeWeights(buffer, specs);
  const optimizerWeights = specs.map((spec) => ({ name: spec.name, tensor: decoded[spec.name] }));
  let model: tf.LayersModel;
  try {
    model = await loadModel(join(checkpointDir, 'model'));
  } catch (error) {
    tf.dispose(Object.values(decoded));
    throw error;
  }
  return {
    path: checkpointDir,
    model,
    optimizerWeights,
    optimizerClass: manifest.className,
    ...(manifest.accumulatedPowers === undefined
      ? {}
      : { optimizerPowers: manifest.accumulatedPowers }),
    ...(run === undefined ? {} : { run }),
    state,
  };
}

/** The `checkpoint-<step>` entry `latest.json` names. */
async function readLatest(latestFile: string): Promise<string> {
  const latest = await readJson(latestFile);
  if (
    !isObject(latest) ||
    typeof latest.checkpoint !== 'string' ||
    !CHECKPOINT_DIR.test(latest.checkpoint)
  ) {
    throw new CheckpointError(
      latestFile,
      `Checkpoint file ${latestFile} is corrupt: no 'checkpoint' entry naming a checkpoint-<step> directory.`,
    );
  }
  return latest.checkpoint;
}

/**
 * Gives `optimizer` a checkpoint's optimizer state: its weights (`setWeights`, which takes
 * copies) and, for Adam and AdamW, the accumulated powers βᵗ exactly as they were (tfjs's
 * `setWeights` recomputes them with `pow`, which can differ in the last bit from the running
 * product training kept; restored, the next steps are those of an uninterrupted run). The
 * powers are kept only when the optimizer's betas are those of the checkpoint.
 *
 * @example
 * ```ts
 * const checkpoint = await loadCheckpoint('runs/a');
 * await restoreOptimizer(optimizer, checkpoint);
 * ```
 */
export async function restoreOptimizer(
  optimizer: tf.Optimizer,
  checkpoint: Pick<
    LoadedCheckpoint,
    'path' | 'optimizerWeights' | 'optimizerClass' | 'optimizerPowers'
  >,
): Promise<void> {
  if (optimizer.getClassName() !== checkpoint.optimizerClass) {
    throw new CheckpointError(
      checkpoint.path,
      `Cannot restore a ${optimizer.getClassName()} optimizer from ${checkpoint.path}: ` +
        `it holds the state of a ${checkpoint.optimizerClass} optimizer.`,
    );
  }
  await optimizer.setWeights(checkpoint.optimizerWeights);
  if (checkpoint.optimizerPowers !== undefined)
    writeAccumulatedPowers(optimizer, checkpoint.optimizerPowers);
}

/**
 * Loads the checkpoint `latest.json` points at, or, when that one is missing or corrupt, the
 * newest older `checkpoint-<step>` that loads; `skipped` lists the ones that failed and why.
 * Resolves to `undefined` when `dir` is missing or holds no checkpoint (a fresh start); when it
 * holds checkpoints none of which loads, throws a {@link CheckpointError} (its `path` is `dir`)
 * listing each and why, and a folder that cannot be listed is a `FileSystemError`. Tensors of
 * the checkpoints skipped are disposed.
 *
 * @example
 * ```ts
 * const found = await loadLatestValidCheckpoint('runs/a');
 * for (const skipped of found?.skipped ?? []) console.warn(skipped.error.message);
 * ```
 */
export async function loadLatestValidCheckpoint(dir: string): Promise<
  | {
      /** The checkpoint that loaded. */
      checkpoint: LoadedCheckpoint;
      /** The checkpoints tried before it that could not be loaded, in the order tried. */
      skipped: {
        /** The checkpoint directory (or `latest.json`, when that could not be read). */
        path: string;
        /** Why it could not be loaded. */
        error: Error;
      }[];
    }
  | undefined
> {
  const skipped: { path: string; error: Error }[] = [];
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new FileSystemError('list the checkpoint folder', dir, error);
  }
  // latest.json's target first (the commit point), then every other one, newest first.
  const candidates = checkpointSteps(entries).map((step) => `checkpoint-${step}`);
  if (entries.includes(LATEST)) {
    try {
      const named = await readLatest(join(dir, LATEST));
      const index = candidates.indexOf(named);
      if (index >= 0) candidates.splice(index, 1);
      candidates.unshift(named);
    } catch (error) {
      skipped.push({ path: join(dir, LATEST), error: error as Error });
    }
  }
  for (const name of candidates) {
    const candidate = join(dir, name);
    try {
      return { checkpoint: await loadCheckpoint(candidate), skipped };
    } catch (error) {
      skipped.push({ path: candidate, error: error as Error });
    }
  }
  if (skipped.length === 0) return undefined;
  throw new CheckpointError(
    dir,
    `No checkpoint in ${dir} can be loaded, so training cannot resume from it ` +
      '(to start afresh, move the folder away or use another one):\n' +
      skipped.map(({ path, error }) => `  ${path}: ${error.message}`).join('\n'),
    { cause: new AggregateError(skipped.map(({ error }) => error)) },
  );
}
