/**
 * Saving and loading tfjs-layers models in the standard tfjs format, in Node.js without
 * tfjs-node. Every file is written by `writeFileAtomic` of `@slr/core/node`; the commit point of
 * a save is the rename of `model.json`.
 */
import * as tf from '@tensorflow/tfjs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ArgumentError, checkBoolean, checkInteger, checkOptions } from '@slr/core';
import { createFolder, FileSystemError, writeFileAtomic } from '@slr/core/node';
import { disposeOnError } from '../dispose-on-error';

/**
 * The part of Node's `fs/promises` that {@link loadModel} reads with. Pass your own (for example
 * Node's with `readFile` wrapped) through its `fs` option to observe or fake reads; by default
 * Node's own module is used.
 *
 * @example
 * ```ts
 * import * as fsp from 'node:fs/promises';
 *
 * const reads: string[] = [];
 * const fs: ModelIoFileSystem = {
 *   ...fsp,
 *   readFile: ((file: string, options?: BufferEncoding) => {
 *     reads.push(file);
 *     return fsp.readFile(file, options);
 *   }) as ModelIoFileSystem['readFile'],
 * };
 * const model = await loadModel('checkpoints/latest', { fs }); // reads: model.json, then the weights
 * ```
 */
export type ModelIoFileSystem = Pick<typeof fsp, 'readFile' | 'stat'>;

/** What went wrong in {@link saveModel} or {@link loadModel}; see {@link ModelIoError.code}. */
export type ModelIoErrorCode =
  | 'NO_DIRECTORY'
  | 'NO_MODEL_JSON'
  | 'MALFORMED_JSON'
  | 'NOT_A_LAYERS_MODEL'
  | 'WEIGHTS_MISSING'
  | 'WEIGHTS_SIZE'
  | 'ARCHITECTURE_MISMATCH'
  | 'UNKNOWN_CLASS'
  | 'LOAD_FAILED'
  | 'SAVE_FAILED';

/**
 * The error {@link saveModel} and {@link loadModel} throw: the message names the file and what
 * is wrong with it; `path` is that file, `code` the kind of failure, `cause` the underlying error
 * (from Node or from tfjs) where there is one.
 *
 * @example
 * ```ts
 * try {
 *   await loadModel('checkpoints/latest');
 * } catch (error) {
 *   if (!(error instanceof ModelIoError && error.code === 'NO_MODEL_JSON')) throw error;
 *   console.log('No checkpoint yet: training starts from scratch.');
 * }
 * ```
 */
export class ModelIoError extends Error {
  /** Always `'ModelIoError'`. */
  override readonly name = 'ModelIoError';

  constructor(
    /** The kind of failure. */
    readonly code: ModelIoErrorCode,
    /** The file (or directory) the failure is about. */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /**
   * Written to `model.json` as `userDefinedMetadata` (a plain JSON object; tfjs warns above
   * 1 MB). Read it back with `model.getUserDefinedMetadata()` after loading. Replaces metadata
   * set earlier with `model.setUserDefinedMetadata`.
   */
  metadata?: Record<string, unknown>;
  /**
   * Splits the weights into shards of at most this many bytes (`group1-shard1of3.<hash>.bin`
   * and so on), as the tfjs converter does for browsers; by default one `weights.<hash>.bin`.
   */
  shardSizeBytes?: number;
  /** Also saves the optimizer's state and training config (tfjs's `includeOptimizer`). */
  includeOptimizer?: boolean;
}

/** What {@link saveModel} wrote. */
export interface SavedModelInfo {
  /** Absolute-or-as-given path of the `model.json` written. */
  modelJsonPath: string;
  /** Paths of the weight files written, in manifest order. */
  weightsPaths: string[];
  /** Total bytes of weight data. */
  weightDataBytes: number;
  /** Weight files of the model that was replaced (or of crashed saves) that were deleted. */
  removedPaths: string[];
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * Whether the weights must match the architecture exactly (tfjs's `strict`, default `true`):
   * with `false`, missing and extra weights are ignored (shapes must still match).
   */
  strict?: boolean;
  /** What the files are read with; Node's `fs/promises` by default. */
  fs?: ModelIoFileSystem;
}

const MODEL_JSON = 'model.json';
/** Weight files this module writes: `weights.<16 hex>.bin`, `group1-shardNofM.<16 hex>.bin`. */
const OWN_WEIGHTS_FILE = /^(?:weights|group1-shard\d+of\d+)\.[0-9a-f]{16}\.bin$/;
/**
 * Temporary files a crashed save leaves behind: those of `writeFileAtomic`
 * (`.model.json.tmp-<pid>-<hex>`, `.weights.<hash>.bin.tmp-<pid>-<hex>`) and, from earlier
 * versions, `.<name>.<hex>.slr-tmp`.
 */
const LEFTOVER_TEMPORARY_FILE =
  /^\.(?:model\.json|(?:weights|group1-shard\d+of\d+)\.[0-9a-f]{16}\.bin)\.tmp-\d+-[0-9a-f]+$|^\..+\.slr-tmp$/;

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A file-system failure in words that name `file`: "Could not read 'a/model.json': permission
 * denied (EACCES)." (the message of the {@link FileSystemError} `writeFileAtomic` threw, or one
 * made from Node's error).
 */
function fileSystemFailure(operation: string, file: string, error: unknown): FileSystemError {
  return error instanceof FileSystemError ? error : new FileSystemError(operation, file, error);
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function contentTag(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return toHex(new Uint8Array(digest)).slice(0, 16);
}

/** `relative` resolved inside `dir`, or `undefined` when it is absolute or escapes `dir`. */
function insideDir(dir: string, relative: string): string | undefined {
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative)) return undefined;
  const resolvedDir = path.resolve(dir);
  const resolved = path.resolve(resolvedDir, relative);
  const rel = path.relative(resolvedDir, resolved);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return path.join(dir, relative);
}

/** Weight-file paths (relative, as written in the manifest) referenced by `dir/model.json`. */
async function referencedWeightFiles(modelJsonPath: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await fsp.readFile(modelJsonPath, 'utf8')) as {
      weightsManifest?: unknown;
    };
    if (!Array.isArray(parsed.weightsManifest)) return [];
    return parsed.weightsManifest.flatMap((group: unknown) =>
      typeof group === 'object' &&
      group !== null &&
      Array.isArray((group as { paths?: unknown }).paths)
        ? (group as { paths: unknown[] }).paths.filter((p): p is string => typeof p === 'string')
        : [],
    );
  } catch {
    return [];
  }
}

function splitShards(bytes: Uint8Array, shardSizeBytes: number | undefined): Uint8Array[] {
  if (shardSizeBytes === undefined || bytes.byteLength <= shardSizeBytes) return [bytes];
  const shards: Uint8Array[] = [];
  for (let start = 0; start < bytes.byteLength; start += shardSizeBytes) {
    shards.push(bytes.subarray(start, Math.min(start + shardSizeBytes, bytes.byteLength)));
  }
  return shards;
}

/** Refuses a `dir` that is not a non-empty string. */
function checkDir(fn: string, dir: unknown): void {
  if (typeof dir !== 'string' || dir === '')
    throw new ArgumentError(fn, 'dir', 'be a non-empty string (a folder path)', dir);
}

function isPlainJsonObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  );
}

/**
 * Saves a tfjs-layers model to `dir` in the standard tfjs format, in Node.js without
 * tfjs-node: `model.json` (`modelTopology`, `weightsManifest`, `format: 'layers-model'`,
 * `generatedBy`, `convertedBy`, and `userDefinedMetadata` from `options.metadata`) and its
 * weights, exactly what `tf.loadLayersModel` reads (from `file://` with tfjs-node, over HTTP in a
 * browser, or from memory). Creates `dir` when needed.
 *
 * The save is atomic and keeps the previous model loadable until the new one is complete: every
 * file is written by `writeFileAtomic` of `@slr/core/node` (to a temporary name in `dir`,
 * flushed to disk, renamed, the folder flushed); `model.json` is written last, and its rename
 * is the commit point. The weight files are named after a hash of their content
 * (`weights.<hash>.bin`, or `group1-shardNofM.<hash>.bin` with `shardSizeBytes`), so new weights
 * never overwrite the ones the old `model.json` points at; once the new `model.json` is in
 * place, the replaced model's weight files (and those left by crashed saves) are deleted.
 * A crash at any point leaves either the old model or the new one, never a mix. One writer per
 * directory at a time. Failures throw a {@link ModelIoError} (code `'SAVE_FAILED'`) that names
 * the file and the cause.
 *
 * @example
 * ```ts
 * const info = await saveModel(model.model, 'checkpoints/latest', { metadata: { epoch: 12 } });
 * info.modelJsonPath; // 'checkpoints/latest/model.json'
 * const restored = await loadModel('checkpoints/latest');
 * ```
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<SavedModelInfo> {
  const fn = 'saveModel';
  if (!(model instanceof tf.LayersModel))
    throw new ArgumentError(fn, 'model', 'be a tf.LayersModel', model);
  checkDir(fn, dir);
  const { shardSizeBytes, metadata, includeOptimizer } = checkOptions(fn, options);
  if (shardSizeBytes !== undefined)
    checkInteger(fn, 'options.shardSizeBytes', shardSizeBytes, { min: 1 });
  if (metadata !== undefined && !isPlainJsonObject(metadata))
    throw new ArgumentError(fn, 'options.metadata', 'be a plain JSON object', metadata);
  if (includeOptimizer !== undefined)
    checkBoolean(fn, 'options.includeOptimizer', includeOptimizer);
  const modelJsonPath = path.join(dir, MODEL_JSON);

  let captured: tf.io.ModelArtifacts | undefined;
  try {
    await model.save(
      tf.io.withSaveHandler((artifacts) => {
        captured = artifacts;
        return Promise.resolve({
          modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
        });
      }),
      { includeOptimizer: includeOptimizer ?? false },
    );
  } catch (error) {
    throw new ModelIoError(
      'SAVE_FAILED',
      modelJsonPath,
      `saveModel: could not serialise model '${model.name}' for ${modelJsonPath}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  const artifacts = captured as tf.io.ModelArtifacts;
  const weightData = new Uint8Array(
    tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)),
  );
  const tag = await contentTag(weightData);
  const shards = splitShards(weightData, shardSizeBytes);
  const names =
    shards.length === 1
      ? [`weights.${tag}.bin`]
      : shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.${tag}.bin`);

  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: names, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
  const userDefinedMetadata = metadata ?? artifacts.userDefinedMetadata;
  if (userDefinedMetadata != null)
    modelJson.userDefinedMetadata = userDefinedMetadata as tf.io.ModelJSON['userDefinedMetadata'];

  try {
    await createFolder(dir); // not fsp.mkdir: on a read-only disk it says ENOENT
  } catch (error) {
    throw new ModelIoError(
      'SAVE_FAILED',
      dir,
      `saveModel: ${fileSystemFailure('create the folder', dir, error).message}`,
      { cause: error },
    );
  }
  const previous = await referencedWeightFiles(modelJsonPath);
  const placed: string[] = [];
  let current = modelJsonPath;
  try {
    // Each weight file is durable under its final name (file and folder flushed) before
    // model.json points at it.
    for (let i = 0; i < shards.length; i++) {
      current = path.join(dir, names[i]);
      await writeFileAtomic(current, shards[i]);
      if (!previous.includes(names[i])) placed.push(current);
    }
    current = modelJsonPath;
    await writeFileAtomic(modelJsonPath, JSON.stringify(modelJson)); // the commit point
  } catch (error) {
    // Best effort: remove the weight files this save placed; the previous model is untouched
    // (writeFileAtomic has removed its own temporary file).
    await Promise.all(placed.map((file) => fsp.unlink(file).catch(() => undefined)));
    throw new ModelIoError(
      'SAVE_FAILED',
      current,
      `saveModel: ${fileSystemFailure('write', current, error).message} The model previously in ` +
        `${dir}, if any, is unchanged.`,
      { cause: error },
    );
  }

  // Committed. Delete the replaced model's weights and leftovers of crashed saves.
  const removedPaths: string[] = [];
  const stale = new Set<string>(previous.filter((name) => !names.includes(name)));
  try {
    for (const entry of await fsp.readdir(dir)) {
      if (names.includes(entry)) continue;
      if (OWN_WEIGHTS_FILE.test(entry) || LEFTOVER_TEMPORARY_FILE.test(entry)) stale.add(entry);
    }
  } catch {
    // Listing failed: only the previous model's own files are removed.
  }
  for (const name of stale) {
    const file = insideDir(dir, name);
    if (file === undefined) continue;
    try {
      await fsp.unlink(file);
      removedPaths.push(file);
    } catch {
      // Already gone, or not ours to delete: leave it.
    }
  }
  return {
    modelJsonPath,
    weightsPaths: names.map((name) => path.join(dir, name)),
    weightDataBytes: weightData.byteLength,
    removedPaths,
  };
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Bytes a manifest entry occupies, or `undefined` where that depends on the data (strings). */
function specByteLength(spec: tf.io.WeightsManifestEntry): number | undefined {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = BYTES_PER_ELEMENT[dtype];
  return bytes === undefined ? undefined : size * bytes;
}

/**
 * Checks that every layer of a functional topology (and of the models nested in it) is fed
 * from a layer and a call of that layer that building the model will reach: tfjs-layers 4.22
 * waits for such an input forever (`Container.fromConfig` re-queues the call in an endless
 * loop), so a corrupt `inbound_nodes` would hang `loadModel`. Replays tfjs's order of building
 * without building anything; returns what is wrong, or `undefined`.
 */
function unreachableInput(topology: Record<string, unknown>): string | undefined {
  const config = topology['config'];
  const layers = isPlainJsonObject(config) ? config['layers'] : undefined;
  if (!Array.isArray(layers)) return undefined;
  const entries = layers.filter(isPlainJsonObject);
  for (const entry of entries) {
    const nested = unreachableInput(entry);
    if (nested !== undefined) return nested;
  }
  const inboundOf = (entry: Record<string, unknown>): unknown =>
    entry['inbound_nodes'] ?? entry['inboundNodes'];
  // Sequential models have no inbound nodes; tfjs itself rejects other malformed node lists.
  if (
    entries.length !== layers.length ||
    !entries.every((entry) => Array.isArray(inboundOf(entry) ?? null)) ||
    !entries.every((entry) => (inboundOf(entry) as unknown[]).every(Array.isArray))
  )
    return undefined;
  const nameOf = (entry: Record<string, unknown>): string => String(entry['name']);
  const names = new Set(entries.map(nameOf));
  // Calls made so far of each layer: an InputLayer is called when it is created.
  const calls = new Map(
    entries.map((entry) => [nameOf(entry), entry['class_name'] === 'InputLayer' ? 1 : 0]),
  );
  const isReady = (input: unknown): boolean =>
    Array.isArray(input) &&
    typeof input[0] === 'string' &&
    names.has(input[0]) &&
    (calls.get(input[0]) as number) > Number(input[1]);
  let pending = entries.flatMap((entry) =>
    (inboundOf(entry) as unknown[][]).map((node) => ({ layer: nameOf(entry), node })),
  );
  for (let progress = true; pending.length > 0 && progress;) {
    progress = false;
    const waiting: typeof pending = [];
    for (const call of pending) {
      if (!call.node.every(isReady)) {
        waiting.push(call);
        continue;
      }
      progress = true;
      if (call.node.length > 0) calls.set(call.layer, (calls.get(call.layer) as number) + 1);
    }
    pending = waiting;
  }
  if (pending.length === 0) return undefined;
  const { layer, node } = pending[0];
  const input = node.find((candidate) => !isReady(candidate));
  if (!Array.isArray(input) || typeof input[0] !== 'string')
    return `layer '${layer}' has an input that names no layer (${JSON.stringify(input)})`;
  if (!names.has(input[0]))
    return `layer '${layer}' takes an input from '${input[0]}', which is not a layer of the model`;
  return (
    `layer '${layer}' takes an input from call ${String(input[1])} of layer '${input[0]}', ` +
    'which never happens (a cycle, or a corrupt inbound_nodes)'
  );
}

function validateModelJson(value: unknown, file: string): tf.io.ModelJSON {
  const fail = (what: string): never => {
    throw new ModelIoError(
      'NOT_A_LAYERS_MODEL',
      file,
      `loadModel: ${file} is not a tfjs layers-model model.json: ${what}.`,
    );
  };
  if (!isPlainJsonObject(value)) return fail('the top level is not a JSON object');
  if (value.format === 'graph-model') {
    return fail(
      "its format is 'graph-model' (a converted TensorFlow graph); load it with tf.loadGraphModel",
    );
  }
  if (!isPlainJsonObject(value.modelTopology))
    return fail("'modelTopology' is missing or not an object");
  const topology = isPlainJsonObject(value.modelTopology['model_config'])
    ? value.modelTopology['model_config']
    : value.modelTopology;
  const unreachable = unreachableInput(topology);
  if (unreachable !== undefined) return fail(unreachable);
  const manifest = value.weightsManifest;
  if (manifest !== undefined) {
    if (!Array.isArray(manifest)) return fail("'weightsManifest' is not an array");
    manifest.forEach((group: unknown, g) => {
      if (!isPlainJsonObject(group)) return fail(`weightsManifest[${g}] is not an object`);
      if (!Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string')) {
        return fail(`weightsManifest[${g}].paths is not an array of file names`);
      }
      if (!Array.isArray(group.weights))
        return fail(`weightsManifest[${g}].weights is not an array`);
      group.weights.forEach((spec: unknown, w) => {
        if (
          !isPlainJsonObject(spec) ||
          typeof spec.name !== 'string' ||
          typeof spec.dtype !== 'string' ||
          !Array.isArray(spec.shape) ||
          !spec.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)
        ) {
          fail(`weightsManifest[${g}].weights[${w}] lacks a name, dtype or valid shape`);
        }
      });
      return undefined;
    });
  }
  return value as unknown as tf.io.ModelJSON;
}

async function readModelJsonText(
  fs: ModelIoFileSystem,
  dir: string,
  file: string,
): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') {
      throw new ModelIoError(
        'LOAD_FAILED',
        file,
        `loadModel: ${fileSystemFailure('read', file, error).message}`,
        { cause: error },
      );
    }
    let isDirectory: boolean;
    try {
      isDirectory = (await fs.stat(dir)).isDirectory();
    } catch {
      throw new ModelIoError('NO_DIRECTORY', dir, `loadModel: directory ${dir} does not exist.`, {
        cause: error,
      });
    }
    if (!isDirectory)
      throw new ModelIoError('NO_DIRECTORY', dir, `loadModel: ${dir} is not a directory.`, {
        cause: error,
      });
    throw new ModelIoError(
      'NO_MODEL_JSON',
      file,
      `loadModel: ${dir} holds no model.json (${file} is missing; nothing was saved there, or no save has completed).`,
      { cause: error },
    );
  }
}

/** Reads every weight group, checking each group's size against its manifest. */
async function readWeights(
  fs: ModelIoFileSystem,
  dir: string,
  modelJsonPath: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<ArrayBuffer> {
  const buffers: ArrayBuffer[] = [];
  for (const [g, group] of manifest.entries()) {
    let groupBytes = 0;
    const files: string[] = [];
    for (const relative of group.paths) {
      const file = insideDir(dir, relative);
      if (file === undefined) {
        throw new ModelIoError(
          'NOT_A_LAYERS_MODEL',
          modelJsonPath,
          `loadModel: ${modelJsonPath} names weights file '${relative}', which is outside ${dir}.`,
        );
      }
      files.push(file);
      let bytes: Uint8Array;
      try {
        bytes = await fs.readFile(file);
      } catch (error) {
        const missing = errorCode(error) === 'ENOENT';
        throw new ModelIoError(
          missing ? 'WEIGHTS_MISSING' : 'LOAD_FAILED',
          file,
          missing
            ? `loadModel: weights file ${file} (named in ${modelJsonPath}) is missing.`
            : `loadModel: ${fileSystemFailure('read the weights file', file, error).message}`,
          { cause: error },
        );
      }
      buffers.push(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      );
      groupBytes += bytes.byteLength;
    }
    const lengths = group.weights.map(specByteLength);
    if (lengths.every((n): n is number => n !== undefined)) {
      const expected = lengths.reduce((a, b) => a + b, 0);
      if (groupBytes !== expected) {
        const which =
          files.length === 1
            ? `weights file ${files[0]}`
            : `weights files ${files.join(', ')} (group ${g + 1})`;
        throw new ModelIoError(
          'WEIGHTS_SIZE',
          files[files.length - 1] ?? modelJsonPath,
          `loadModel: ${which} ${groupBytes < expected ? 'is too short' : 'is too long'}: ` +
            `${groupBytes} bytes, but the weightsManifest in ${modelJsonPath} describes ` +
            `${expected} bytes (a truncated file, or weights from another save).`,
        );
      }
    }
  }
  return tf.io.CompositeArrayBuffer.join(buffers);
}

/** Compares the manifest with the weights of the architecture built from it. */
function describeMismatch(
  model: tf.LayersModel,
  specs: tf.io.WeightsManifestEntry[],
): string | undefined {
  const declared = new Map(model.weights.map((w) => [w.originalName, w.shape]));
  const problems: string[] = [];
  for (const spec of specs) {
    if (spec.group === 'optimizer') continue;
    const shape = declared.get(spec.name);
    if (shape === undefined)
      problems.push(`'${spec.name}' is in the manifest but the architecture has no such weight`);
    else if (JSON.stringify(shape) !== JSON.stringify(spec.shape)) {
      problems.push(
        `'${spec.name}' has shape ${JSON.stringify(spec.shape)} in the manifest but ` +
          `${JSON.stringify(shape)} in the architecture`,
      );
    }
    declared.delete(spec.name);
  }
  for (const name of declared.keys())
    problems.push(`'${name}' is in the architecture but not in the manifest`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * The class name under which {@link loadModel} hands a model's topology to tfjs: its
 * `fromConfig` builds the model with the class the file names, but with the fast weight
 * initialisation (zeros, overwritten by the loaded weights) that `tf.loadLayersModel` uses for
 * strict loads, keeps hold of the model so that a later failure can dispose of it, and disposes
 * of the variables of a half-built model when building fails.
 */
const LOADING_CLASS = 'SlrModelIoLoading';
/** The key of the topology's config that names the load (a number: tfjs converts strings). */
const LOAD_KEY = 'slrModelIoLoad';

/** One load in progress. */
interface PendingLoad {
  /** The class the file names (`'Functional'`, `'Sequential'`, …). */
  className: string;
  /** Whether the weights start as zeros rather than from their initialisers. */
  fastWeightInit: boolean;
  /** The model, once built. */
  model?: tf.LayersModel;
}

/** The loads in progress, by number. */
interface LoadRegistry {
  /** The number of the last load. */
  last: number;
  pending: Map<number, PendingLoad>;
}

const REGISTRY = Symbol.for('@slr/layers/node: loads in progress');

/**
 * The loads in progress, shared by every copy of this module in the process (its ESM and CJS
 * builds, say): tfjs calls the `fromConfig` of whichever copy registered the class last.
 */
function loadRegistry(): LoadRegistry {
  const holder = globalThis as typeof globalThis & { [REGISTRY]?: LoadRegistry };
  return (holder[REGISTRY] ??= { last: 0, pending: new Map() });
}

class ModelIoLoading extends tf.serialization.Serializable {
  static readonly className = LOADING_CLASS;

  static override fromConfig<T extends tf.serialization.Serializable>(
    _cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
    customObjects: tf.serialization.ConfigDict = {},
  ): T {
    const id = config[LOAD_KEY];
    delete config[LOAD_KEY];
    const load = typeof id === 'number' ? loadRegistry().pending.get(id) : undefined;
    if (load === undefined) throw new Error(`${LOADING_CLASS} is internal to loadModel.`);
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[load.className];
    // The wording of tfjs's own error, which loadModel turns into an 'UNKNOWN_CLASS' error.
    if (entry === undefined) throw new Error(`Unknown layer: ${load.className}.`);
    const [cls, fromConfig] = entry as unknown as [
      tf.serialization.SerializableConstructor<T>,
      (
        cls: tf.serialization.SerializableConstructor<T>,
        config: tf.serialization.ConfigDict,
        customObjects: tf.serialization.ConfigDict,
        fastWeightInit: boolean,
      ) => T,
    ];
    // Building is synchronous: a failure disposes of the variables of the half-built model.
    const model = disposeOnError(() => fromConfig(cls, config, customObjects, load.fastWeightInit));
    if (model instanceof tf.LayersModel) load.model = model;
    return model;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

/** Disposes of a model built by {@link loadModel} and of the optimizer it came with. */
function disposeLoaded(model: tf.LayersModel): void {
  const optimizer = model.optimizer as tf.Optimizer | undefined;
  // A model disposes of an optimizer it made from a name itself; tfjs makes the optimizer of a
  // training config from its config, which leaves it to us (disposing twice would miscount).
  const owned = (model as unknown as { isOptimizerOwned?: boolean }).isOptimizerOwned === true;
  model.dispose();
  if (!owned) optimizer?.dispose();
}

/**
 * Builds the architecture of `artifacts` (with its training config and metadata) without its
 * weights; a failure leaves no variable behind.
 */
async function buildArchitecture(
  artifacts: tf.io.ModelArtifacts,
  strict: boolean,
): Promise<tf.LayersModel> {
  let topology = artifacts.modelTopology as tf.serialization.ConfigDict;
  if (topology['model_config'] != null)
    topology = topology['model_config'] as tf.serialization.ConfigDict;
  const className = topology['class_name'];
  const config = topology['config'];
  // Registered on first use, so that importing the module changes nothing.
  if (tf.serialization.SerializationMap.getMap().classNameMap[LOADING_CLASS] === undefined)
    tf.serialization.registerClass(ModelIoLoading);
  const registry = loadRegistry();
  const id = ++registry.last;
  let load: PendingLoad | undefined;
  let modelTopology: tf.serialization.ConfigDict = topology;
  if (typeof className === 'string' && typeof config === 'object' && config !== null) {
    load = { className, fastWeightInit: strict };
    registry.pending.set(id, load);
    modelTopology = {
      ...topology,
      class_name: LOADING_CLASS,
      config: Array.isArray(config)
        ? { layers: config, [LOAD_KEY]: id }
        : { ...config, [LOAD_KEY]: id },
    };
  }
  try {
    const { weightData: _data, weightSpecs: _specs, ...rest } = artifacts;
    return await tf.loadLayersModel({ load: () => Promise.resolve({ ...rest, modelTopology }) });
  } catch (error) {
    if (load?.model !== undefined) disposeLoaded(load.model);
    throw error;
  } finally {
    registry.pending.delete(id);
  }
}

/** Loads the weights of `artifacts` into `model` as `tf.loadLayersModel` would. */
async function loadWeightsInto(
  model: tf.LayersModel,
  artifacts: tf.io.ModelArtifacts,
  strict: boolean,
): Promise<void> {
  const specs = artifacts.weightSpecs ?? [];
  const weightData = artifacts.weightData ?? new ArrayBuffer(0);
  // Decoding is synchronous: tidy disposes of what was decoded when a weight cannot be.
  const decoded = tf.tidy(() => tf.io.decodeWeights(weightData, specs));
  try {
    const modelWeights: tf.NamedTensorMap = {};
    const optimizerWeights: { name: string; tensor: tf.Tensor }[] = [];
    for (const spec of specs) {
      if (spec.group === 'optimizer')
        optimizerWeights.push({ name: spec.name, tensor: decoded[spec.name] });
      else modelWeights[spec.name] = decoded[spec.name];
    }
    model.loadWeights(modelWeights, strict);
    if (model.optimizer != null && optimizerWeights.length > 0)
      await model.optimizer.setWeights(optimizerWeights);
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

async function loadArtifacts(
  fs: ModelIoFileSystem,
  dir: string,
  modelJsonPath: string,
): Promise<{
  artifacts: tf.io.ModelArtifacts;
  weightsFiles: string[];
}> {
  for (let attempt = 0; ; attempt++) {
    const text = await readModelJsonText(fs, dir, modelJsonPath);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ModelIoError(
        'MALFORMED_JSON',
        modelJsonPath,
        `loadModel: ${modelJsonPath} is not valid JSON (${messageOf(error)}); the file is ` +
          `corrupt or was not written by tfjs.`,
        { cause: error },
      );
    }
    const modelJson = validateModelJson(parsed, modelJsonPath);
    const manifest = modelJson.weightsManifest ?? [];
    const weightsFiles = manifest.flatMap((group) => group.paths.map((p) => path.join(dir, p)));
    try {
      const weightData = await readWeights(fs, dir, modelJsonPath, manifest);
      const artifacts = tf.io.getModelArtifactsForJSONSync(
        modelJson,
        tf.io.getWeightSpecs(manifest),
        weightData,
      );
      return { artifacts, weightsFiles };
    } catch (error) {
      // A save may have replaced the model between reading model.json and its weights: retry
      // on the new model.json.
      const replaced =
        error instanceof ModelIoError &&
        (error.code === 'WEIGHTS_MISSING' || error.code === 'WEIGHTS_SIZE') &&
        attempt < 3 &&
        (await fs.readFile(modelJsonPath, 'utf8').catch(() => text)) !== text;
      if (!replaced) throw error;
    }
  }
}

/**
 * Loads a model saved by {@link saveModel} (or any tfjs layers model in a directory: a
 * `model.json` and the weight files its manifest names, such as tfjs-node's `weights.bin` or
 * the converter's shards), in Node.js without tfjs-node. Custom layers must be registered
 * first: import the package that defines them (`@slr/layers` for the `@slr` layers).
 *
 * Throws {@link ModelIoError}s that name the file and the problem: no directory or no
 * `model.json`, malformed JSON, a weights file that is missing, too short or too long for the
 * manifest, weights whose names or shapes do not match the architecture, a layer fed from a
 * layer that does not exist, or a layer class that is not registered. A failed load leaves no
 * tensor behind. Strict loads skip the weights' initialisers (the weights start as zeros until
 * the file's are loaded), as `tf.loadLayersModel` does.
 *
 * @example
 * ```ts
 * import '@slr/layers'; // registers the custom layers the model uses
 * const model = await loadModel('checkpoints/latest');
 * const { epoch } = model.getUserDefinedMetadata() as { epoch: number };
 * ```
 */
export async function loadModel(
  dir: string,
  options: LoadModelOptions = {},
): Promise<tf.LayersModel> {
  const fn = 'loadModel';
  checkDir(fn, dir);
  const { strict, fs } = checkOptions(fn, options);
  if (strict !== undefined) checkBoolean(fn, 'options.strict', strict);
  if (
    fs !== undefined &&
    (typeof fs !== 'object' ||
      fs === null ||
      typeof fs.readFile !== 'function' ||
      typeof fs.stat !== 'function')
  ) {
    throw new ArgumentError(
      fn,
      'options.fs',
      "be an object with the readFile and stat of 'node:fs/promises'",
      fs,
    );
  }
  const modelJsonPath = path.join(dir, MODEL_JSON);
  const { artifacts, weightsFiles } = await loadArtifacts(fs ?? fsp, dir, modelJsonPath);
  let model: tf.LayersModel | undefined;
  try {
    model = await buildArchitecture(artifacts, strict ?? true);
    await loadWeightsInto(model, artifacts, strict ?? true);
    return model;
  } catch (error) {
    const message = messageOf(error);
    const details =
      model === undefined ? undefined : describeMismatch(model, artifacts.weightSpecs ?? []);
    if (model !== undefined) disposeLoaded(model);
    const unknown = /^Unknown ([a-z ]+): ([^\s.]+)\./.exec(message);
    if (unknown) {
      const [, kind, className] = unknown;
      throw new ModelIoError(
        'UNKNOWN_CLASS',
        modelJsonPath,
        `loadModel: ${modelJsonPath} uses the ${kind} class '${className}', which is not registered with ` +
          `tf.serialization.registerClass: import the package that defines it (for the @slr layers, ` +
          `import '@slr/layers') before loading.`,
        { cause: error },
      );
    }
    if (
      /Shape mismatch|weights are not set|has no target variable|Duplicate weight name/.test(
        message,
      )
    ) {
      const files = weightsFiles.length === 1 ? weightsFiles[0] : weightsFiles.join(', ');
      throw new ModelIoError(
        'ARCHITECTURE_MISMATCH',
        modelJsonPath,
        `loadModel: the weights in ${files} do not match the architecture in ${modelJsonPath}: ` +
          `${details ?? message} (tfjs: ${message}).`,
        { cause: error },
      );
    }
    throw new ModelIoError(
      'LOAD_FAILED',
      modelJsonPath,
      `loadModel: cannot build the model in ${modelJsonPath}: ${message}`,
      { cause: error },
    );
  }
}
