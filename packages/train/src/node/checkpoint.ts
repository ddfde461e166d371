/**
 * Checkpoints on disk: a `checkpoint-<step>/` folder per checkpoint (the model, the optimizer's
 * weights, the training state) and `latest.json` naming the newest, each written atomically.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, saveModel } from '@slr/layers/node';
import { FileSystemError, syncFolder, temporaryPathBeside, writeFileAtomic } from '@slr/core/node';
import type { TrainingState } from '../training-state';

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
  /** The training state. */
  state: TrainingState;
}

/**
 * The error of a checkpoint that cannot be read: `path` names the offending file.
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
    /** The file (or directory) that is missing or corrupt. */
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
 * `saveModel`, the optimizer's weights as `optimizer.bin` + `optimizer.json`, and `state.json`),
 * built under a temporary name and renamed into place once complete, then `latest.json` is
 * replaced atomically (temporary file + rename) to point at it. The previous checkpoint is
 * kept (so {@link loadLatestValidCheckpoint} can fall back to it); older ones beyond `keep` are
 * deleted. Returns the new checkpoint's path.
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
  contents: { model: tf.LayersModel; optimizer: tf.Optimizer; state: TrainingState; keep?: number },
): Promise<string> {
  const keep = Math.max(2, contents.keep ?? 2);
  const name = `checkpoint-${contents.state.step}`;
  const finalDir = join(dir, name);
  // Built under a hidden temporary name beside its final one, renamed into place once complete.
  const temporaryDir = temporaryPathBeside(finalDir);
  try {
    await mkdir(temporaryDir, { recursive: true });
    await saveModel(contents.model, join(temporaryDir, 'model'));
    const weights = await contents.optimizer.getWeights();
    const { data, specs } = await tf.io.encodeWeights(weights);
    const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
    await writeFileAtomic(join(temporaryDir, 'optimizer.bin'), bytes);
    await writeFileAtomic(
      join(temporaryDir, 'optimizer.json'),
      JSON.stringify({
        className: contents.optimizer.getClassName(),
        byteLength: bytes.byteLength,
        specs,
      }),
    );
    await writeFileAtomic(join(temporaryDir, 'state.json'), JSON.stringify(contents.state));
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
    JSON.stringify({ checkpoint: name, step: contents.state.step, epoch: contents.state.epoch }),
  );
  // Prune: keep the newest `keep` complete checkpoints; remove leftovers of crashed saves.
  const entries = await readdir(dir);
  const steps = entries
    .map((entry) => CHECKPOINT_DIR.exec(entry))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .sort((a, b) => b - a);
  for (const step of steps.slice(keep))
    await rm(join(dir, `checkpoint-${step}`), { recursive: true, force: true });
  for (const entry of entries) {
    if (entry.startsWith('.') && LEFTOVER.test(entry))
      await rm(join(dir, entry), { recursive: true, force: true }).catch(() => undefined);
  }
  return finalDir;
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

function checkState(value: unknown, file: string): TrainingState {
  const s = value as Partial<TrainingState> | null;
  const ok =
    typeof s === 'object' &&
    s !== null &&
    Number.isInteger(s.step) &&
    Number.isInteger(s.epoch) &&
    Number.isInteger(s.batchInEpoch) &&
    Number.isSafeInteger(s.seed) &&
    Array.isArray(s.history) &&
    typeof s.epochAccumulator === 'object' &&
    typeof s.plateau === 'object';
  if (!ok)
    throw new CheckpointError(
      file,
      `Checkpoint file ${file} is corrupt: ` +
        'it is not a training state (step, epoch, batchInEpoch, seed, history).',
    );
  const state = s as TrainingState;
  if (state.plateau.best === null) state.plateau.best = Infinity; // JSON turns Infinity into null
  return state;
}

/**
 * Reads a checkpoint: `dir` is either a `checkpoint-<step>` directory or a checkpoint root
 * holding `latest.json` (whose target is read). A missing or corrupt file (truncated weights,
 * bad JSON) throws a {@link CheckpointError} (or the `ModelIoError` of `loadModel`) naming it.
 *
 * @example
 * ```ts
 * const checkpoint = await loadCheckpoint('runs/a');
 * model.model.setWeights(checkpoint.model.getWeights());
 * await optimizer.setWeights(checkpoint.optimizerWeights);
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let checkpointDir = dir;
  const latestFile = join(dir, LATEST);
  const hasLatest = await stat(latestFile).then(
    () => true,
    () => false,
  );
  if (hasLatest) {
    const latest = (await readJson(latestFile)) as { checkpoint?: unknown } | null;
    if (
      latest === null ||
      typeof latest.checkpoint !== 'string' ||
      !CHECKPOINT_DIR.test(latest.checkpoint)
    ) {
      throw new CheckpointError(
        latestFile,
        `Checkpoint file ${latestFile} is corrupt: no 'checkpoint' entry naming a checkpoint-<step> directory.`,
      );
    }
    checkpointDir = join(dir, latest.checkpoint);
  }
  const stateFile = join(checkpointDir, 'state.json');
  const state = checkState(await readJson(stateFile), stateFile);
  const optimizerJson = join(checkpointDir, 'optimizer.json');
  const manifest = (await readJson(optimizerJson)) as {
    className?: unknown;
    byteLength?: unknown;
    specs?: unknown;
  } | null;
  if (
    manifest === null ||
    typeof manifest.className !== 'string' ||
    !Array.isArray(manifest.specs) ||
    typeof manifest.byteLength !== 'number'
  ) {
    throw new CheckpointError(
      optimizerJson,
      `Checkpoint file ${optimizerJson} is corrupt: it lacks className, byteLength or specs.`,
    );
  }
  const specs = manifest.specs as tf.io.WeightsManifestEntry[];
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
  const model = await loadModel(join(checkpointDir, 'model'));
  return {
    path: checkpointDir,
    model,
    optimizerWeights,
    optimizerClass: manifest.className,
    state,
  };
}

/**
 * Loads the checkpoint `latest.json` points at, or, when that one is missing or corrupt, the
 * newest older `checkpoint-<step>` that loads; `skipped` lists the ones that failed and why.
 * Resolves to `undefined` when `dir` holds no loadable checkpoint at all.
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
        /** The checkpoint directory. */
        path: string;
        /** Why it could not be loaded. */
        error: Error;
      }[];
    }
  | undefined
> {
  const skipped: { path: string; error: Error }[] = [];
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.includes(LATEST)) {
    try {
      return { checkpoint: await loadCheckpoint(dir), skipped };
    } catch (error) {
      skipped.push({ path: join(dir, LATEST), error: error as Error });
    }
  }
  const candidates = entries
    .map((entry) => CHECKPOINT_DIR.exec(entry))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  for (const match of candidates) {
    const candidate = join(dir, match[0]);
    if (
      skipped.some(
        (s) =>
          s.error instanceof Error &&
          'path' in s.error &&
          String((s.error as CheckpointError).path).startsWith(candidate),
      )
    )
      continue;
    try {
      return { checkpoint: await loadCheckpoint(candidate), skipped };
    } catch (error) {
      skipped.push({ path: candidate, error: error as Error });
    }
  }
  return undefined;
}
