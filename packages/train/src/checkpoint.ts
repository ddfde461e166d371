import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '@slr/layers/node';

type Fs = typeof import('node:fs/promises');
type NodePath = typeof import('node:path');

async function node(): Promise<{ fs: Fs; path: NodePath }> {
  const fs = (await import(
    /* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises' as string
  )) as Fs;
  const path = (await import(
    /* webpackIgnore: true */ /* @vite-ignore */ 'node:path' as string
  )) as NodePath;
  return { fs, path };
}

/**
 * One line of the training history (one per epoch), as written to `historyFile`.
 *
 * @example
 * ```ts
 * callbacks: { onEpochEnd: (r: EpochRecord) => console.log(r.epoch, r.loss, r.wer) }
 * ```
 */
export interface EpochRecord {
  /** The epoch that ended (1-based). */
  epoch: number;
  /** Optimizer steps taken so far (skipped steps included). */
  step: number;
  /** Mean training loss over the epoch's applied steps (NaN when every step was skipped). */
  loss: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Mean global gradient norm (before clipping) over the epoch's applied steps. */
  gradNorm: number;
  /** Greedy-decoding word error rate on the evaluation samples, when evaluated this epoch. */
  wer?: number;
  /** Beam-search word error rate, when evaluated with a beam. */
  beamWer?: number;
  /** Steps skipped so far because their gradients were not finite. */
  skippedSteps: number;
  /** With distillation: the mean τ²·KL term over the epoch's applied steps. */
  kdLoss?: number;
  /** With distillation: the mean CTC term over the epoch's applied steps. */
  ctcLoss?: number;
  /** Wall-clock seconds of the epoch. */
  seconds: number;
}

/**
 * Where training stands: everything besides the weights that resuming needs.
 *
 * @example
 * ```ts
 * const { state } = await loadCheckpoint('runs/a'); // state.step, state.epoch, state.history
 * ```
 */
export interface TrainingState {
  /** Optimizer steps taken (the schedule position). */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** Batches of epoch `epoch + 1` already consumed. */
  batchInEpoch: number;
  /** The run's seed; batch order of epoch `e` is drawn from `[seed, e]`, so this and the epoch are the RNG state. */
  seed: number;
  /** Steps skipped for non-finite gradients so far. */
  skippedSteps: number;
  /** Per-epoch history so far. */
  history: EpochRecord[];
  /** Running sums of the current, unfinished epoch. */
  epochAccumulator: {
    /** Sum of the losses of the epoch's applied steps. */
    lossSum: number;
    /** Sum of their global gradient norms. */
    gradNormSum: number;
    /** Steps applied so far in the epoch. */
    applied: number;
    /** Learning rate of the latest step. */
    lr: number;
    /** Seconds spent in the epoch so far. */
    seconds: number;
    /** Sum of the distillation (KD) terms of the applied steps, when distilling. */
    kdSum?: number;
    /** Sum of the CTC terms of the applied steps, when distilling. */
    ctcSum?: number;
  };
  /** Best dev WER so far and epochs since it improved (for `earlyStop.devPlateau`). */
  plateau: {
    /** Best dev WER so far (`Infinity` before the first evaluation). */
    best: number;
    /** Evaluated epochs since `best` last improved. */
    epochsWithoutImprovement: number;
  };
  /** Whether training has finished (early stop or all epochs). */
  finished: boolean;
}

/**
 * A checkpoint read back by {@link loadCheckpoint}.
 *
 * @example
 * ```ts
 * const ckpt: LoadedCheckpoint = await loadCheckpoint('runs/a/checkpoint-40');
 * ```
 */
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
 * try { await loadCheckpoint('runs/a/checkpoint-40'); }
 * catch (e) { if (e instanceof CheckpointError) console.error(e.path); }
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

async function writeDurably(fs: Fs, file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(fs: Fs, dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here (Windows): renames are still atomic.
  }
}

function tag(): string {
  return Math.random().toString(16).slice(2, 10);
}

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
 * await saveCheckpoint('runs/a', { model: sequenceModel.model, optimizer, state });
 * // runs/a/checkpoint-120/, runs/a/latest.json → {"checkpoint":"checkpoint-120",...}
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  contents: { model: tf.LayersModel; optimizer: tf.Optimizer; state: TrainingState; keep?: number },
): Promise<string> {
  const { fs, path } = await node();
  const keep = Math.max(2, contents.keep ?? 2);
  const name = `checkpoint-${contents.state.step}`;
  const finalDir = path.join(dir, name);
  const tmpDir = path.join(dir, `.${name}.${tag()}.tmp`);
  await fs.mkdir(tmpDir, { recursive: true });
  try {
    await saveModel(contents.model, path.join(tmpDir, 'model'));
    const weights = await contents.optimizer.getWeights();
    const { data, specs } = await tf.io.encodeWeights(weights);
    const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
    await writeDurably(fs, path.join(tmpDir, 'optimizer.bin'), bytes);
    await writeDurably(
      fs,
      path.join(tmpDir, 'optimizer.json'),
      JSON.stringify({
        className: contents.optimizer.getClassName(),
        byteLength: bytes.byteLength,
        specs,
      }),
    );
    await writeDurably(fs, path.join(tmpDir, 'state.json'), JSON.stringify(contents.state));
    await syncDir(fs, tmpDir);
    await fs.rm(finalDir, { recursive: true, force: true });
    await fs.rename(tmpDir, finalDir);
    await syncDir(fs, dir);
  } catch (error) {
    await fs.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  const latestTmp = path.join(dir, `.${LATEST}.${tag()}.tmp`);
  await writeDurably(
    fs,
    latestTmp,
    JSON.stringify({ checkpoint: name, step: contents.state.step, epoch: contents.state.epoch }),
  );
  await fs.rename(latestTmp, path.join(dir, LATEST)); // the commit point
  await syncDir(fs, dir);
  // Prune: keep the newest `keep` complete checkpoints; remove leftovers of crashed saves.
  const entries = await fs.readdir(dir);
  const steps = entries
    .map((entry) => CHECKPOINT_DIR.exec(entry))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const step of steps.slice(keep))
    await fs.rm(path.join(dir, `checkpoint-${step}`), { recursive: true, force: true });
  for (const entry of entries) {
    if (entry.startsWith('.') && entry.endsWith('.tmp') && path.join(dir, entry) !== tmpDir) {
      await fs.rm(path.join(dir, entry), { recursive: true, force: true }).catch(() => undefined);
    }
  }
  return finalDir;
}

async function readJson(fs: Fs, file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
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
      `Checkpoint file ${file} is corrupt: it is not a training state (step, epoch, batchInEpoch, seed, history).`,
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
 * const ckpt = await loadCheckpoint('runs/a');
 * sequenceModel.model.setWeights(ckpt.model.getWeights());
 * await optimizer.setWeights(ckpt.optimizerWeights);
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const { fs, path } = await node();
  let checkpointDir = dir;
  const latestFile = path.join(dir, LATEST);
  const hasLatest = await fs.stat(latestFile).then(
    () => true,
    () => false,
  );
  if (hasLatest) {
    const latest = (await readJson(fs, latestFile)) as { checkpoint?: unknown } | null;
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
    checkpointDir = path.join(dir, latest.checkpoint);
  }
  const stateFile = path.join(checkpointDir, 'state.json');
  const state = checkState(await readJson(fs, stateFile), stateFile);
  const optimizerJson = path.join(checkpointDir, 'optimizer.json');
  const manifest = (await readJson(fs, optimizerJson)) as {
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
  const binFile = path.join(checkpointDir, 'optimizer.bin');
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(binFile);
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
  const model = await loadModel(path.join(checkpointDir, 'model'));
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
 * if (found) for (const s of found.skipped) console.warn(s.error.message);
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
  const { fs, path } = await node();
  const skipped: { path: string; error: Error }[] = [];
  const entries = await fs.readdir(dir).catch(() => [] as string[]);
  if (entries.includes(LATEST)) {
    try {
      return { checkpoint: await loadCheckpoint(dir), skipped };
    } catch (error) {
      skipped.push({ path: path.join(dir, LATEST), error: error as Error });
    }
  }
  const candidates = entries
    .map((entry) => CHECKPOINT_DIR.exec(entry))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  for (const match of candidates) {
    const candidate = path.join(dir, match[0]);
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
