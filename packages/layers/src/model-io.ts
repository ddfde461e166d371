import * as tf from '@tensorflow/tfjs';

/**
 * The part of Node's `fs/promises` that {@link saveModel} and {@link loadModel} use. Pass your
 * own (for example Node's with one method wrapped) through the `fs` option to observe or fake
 * file-system failures; by default Node's own module is used.
 *
 * @example
 * ```ts
 * import * as fsp from 'node:fs/promises';
 *
 * const fs: ModelIoFileSystem = { ...fsp, rename: async () => { throw new Error('disk full'); } };
 * await saveModel(model, 'checkpoints/latest', { fs }); // rejects with a ModelIoError, code 'SAVE_FAILED'
 * ```
 */
export type ModelIoFileSystem = Pick<
  typeof import('node:fs/promises'),
  'readFile' | 'open' | 'rename' | 'unlink' | 'mkdir' | 'readdir' | 'stat'
>;

/**
 * What went wrong in {@link saveModel} or {@link loadModel}; see {@link ModelIoError.code}.
 *
 * @example
 * ```ts
 * const retryable: ModelIoErrorCode[] = ['WEIGHTS_MISSING', 'LOAD_FAILED'];
 * ```
 */
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
 *   if (error instanceof ModelIoError && error.code === 'NO_MODEL_JSON') startFromScratch();
 *   else throw error;
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

/**
 * Options of {@link saveModel}.
 *
 * @example
 * ```ts
 * const options: SaveModelOptions = { metadata: { epoch: 12 }, shardSizeBytes: 4 * 1024 * 1024 };
 * await saveModel(model, 'checkpoints/latest', options);
 * ```
 */
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
  /** File-system implementation; Node's `fs/promises` by default. */
  fs?: ModelIoFileSystem;
}

/**
 * What {@link saveModel} wrote.
 *
 * @example
 * ```ts
 * const info: SavedModelInfo = await saveModel(model, 'checkpoints/latest');
 * console.log(info.modelJsonPath, info.weightDataBytes);
 * ```
 */
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

/**
 * Options of {@link loadModel}.
 *
 * @example
 * ```ts
 * const options: LoadModelOptions = { strict: false };
 * const model = await loadModel('checkpoints/latest', options);
 * ```
 */
export interface LoadModelOptions {
  /**
   * Whether the weights must match the architecture exactly (tfjs's `strict`, default `true`):
   * with `false`, missing and extra weights are ignored (shapes must still match).
   */
  strict?: boolean;
  /** File-system implementation; Node's `fs/promises` by default. */
  fs?: ModelIoFileSystem;
}

type NodePath = typeof import('node:path');

const MODEL_JSON = 'model.json';
const TMP_SUFFIX = '.slr-tmp';
/** Weight files this module writes: `weights.<16 hex>.bin`, `group1-shardNofM.<16 hex>.bin`. */
const OWN_WEIGHTS_FILE = /^(?:weights|group1-shard\d+of\d+)\.[0-9a-f]{16}\.bin$/;

/**
 * Loads a Node built-in lazily, so that importing `@slr/layers` in a browser bundle does not
 * pull in (or fail on) `node:fs`: only calling {@link saveModel} / {@link loadModel} needs it.
 */
async function nodeBuiltin<T>(name: string): Promise<T> {
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ name)) as T;
}

async function nodeModules(
  fs: ModelIoFileSystem | undefined,
): Promise<{ fs: ModelIoFileSystem; path: NodePath }> {
  const path = await nodeBuiltin<NodePath>('node:path');
  return { fs: fs ?? (await nodeBuiltin<ModelIoFileSystem>('node:fs/promises')), path };
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function contentTag(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return toHex(new Uint8Array(digest)).slice(0, 16);
}

function randomTag(): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(6)));
}

/** `relative` resolved inside `dir`, or `undefined` when it is absolute or escapes `dir`. */
function insideDir(path: NodePath, dir: string, relative: string): string | undefined {
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative)) return undefined;
  const resolvedDir = path.resolve(dir);
  const resolved = path.resolve(resolvedDir, relative);
  const rel = path.relative(resolvedDir, resolved);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return path.join(dir, relative);
}

async function writeDurably(
  fs: ModelIoFileSystem,
  file: string,
  data: Uint8Array | string,
): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes renames in `dir` durable; a no-op where directories cannot be opened (Windows). */
async function syncDir(fs: ModelIoFileSystem, dir: string): Promise<void> {
  let handle: Awaited<ReturnType<ModelIoFileSystem['open']>> | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported on this platform or file system: the renames are still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Weight-file paths (relative, as written in the manifest) referenced by `dir/model.json`. */
async function referencedWeightFiles(
  fs: ModelIoFileSystem,
  modelJsonPath: string,
): Promise<string[]> {
  try {
    const parsed = JSON.parse(await fs.readFile(modelJsonPath, 'utf8')) as {
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
 * file is written to a temporary name in `dir`, flushed to disk and renamed; `model.json` is
 * renamed last. The weight files are named after a hash of their content
 * (`weights.<hash>.bin`, or `group1-shardNofM.<hash>.bin` with `shardSizeBytes`), so new weights
 * never overwrite the ones the old `model.json` points at; once the new `model.json` is in
 * place, the replaced model's weight files (and those left by crashed saves) are deleted.
 * A crash at any point leaves either the old model or the new one, never a mix. One writer per
 * directory at a time.
 *
 * @example
 * ```ts
 * const info = await saveModel(model, 'checkpoints/latest', { metadata: { epoch: 12, vocabulary } });
 * // info.modelJsonPath === 'checkpoints/latest/model.json'
 * const restored = await loadModel('checkpoints/latest');
 * ```
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<SavedModelInfo> {
  const { fs, path } = await nodeModules(options.fs);
  const modelJsonPath = path.join(dir, MODEL_JSON);
  const { shardSizeBytes, metadata } = options;
  if (shardSizeBytes !== undefined && !(Number.isInteger(shardSizeBytes) && shardSizeBytes > 0)) {
    throw new RangeError(
      `saveModel: shardSizeBytes must be a positive integer, got ${shardSizeBytes}.`,
    );
  }
  if (metadata !== undefined && !isPlainJsonObject(metadata)) {
    throw new TypeError('saveModel: options.metadata must be a plain JSON object.');
  }

  let captured: tf.io.ModelArtifacts | undefined;
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        captured = artifacts;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
      { includeOptimizer: options.includeOptimizer ?? false },
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
    modelTopology: artifacts.modelTopology as {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: names, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) modelJson.trainingConfig = artifacts.trainingConfig;
  const userDefinedMetadata = metadata ?? artifacts.userDefinedMetadata;
  if (userDefinedMetadata != null)
    modelJson.userDefinedMetadata = userDefinedMetadata as { [key: string]: {} };

  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new ModelIoError(
      'SAVE_FAILED',
      dir,
      `saveModel: cannot create directory ${dir}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  const previous = await referencedWeightFiles(fs, modelJsonPath);
  const tmpSuffix = `.${randomTag()}${TMP_SUFFIX}`;
  const pendingTmp = new Set<string>();
  const placed: string[] = [];
  let current = modelJsonPath;
  try {
    for (let i = 0; i < shards.length; i++) {
      const finalPath = path.join(dir, names[i]);
      const tmpPath = path.join(dir, `.${names[i]}${tmpSuffix}`);
      current = finalPath;
      pendingTmp.add(tmpPath);
      await writeDurably(fs, tmpPath, shards[i]);
      await fs.rename(tmpPath, finalPath);
      pendingTmp.delete(tmpPath);
      if (!previous.includes(names[i])) placed.push(finalPath);
    }
    await syncDir(fs, dir); // weights durable under their names before model.json points at them
    current = modelJsonPath;
    const tmpPath = path.join(dir, `.${MODEL_JSON}${tmpSuffix}`);
    pendingTmp.add(tmpPath);
    await writeDurably(fs, tmpPath, JSON.stringify(modelJson));
    await fs.rename(tmpPath, modelJsonPath); // the commit point
    pendingTmp.delete(tmpPath);
    await syncDir(fs, dir);
  } catch (error) {
    // Best effort: remove what this save created; the previous model is untouched.
    await Promise.all(
      [...pendingTmp, ...placed].map((file) => fs.unlink(file).catch(() => undefined)),
    );
    throw new ModelIoError(
      'SAVE_FAILED',
      current,
      `saveModel: could not write ${current}: ${messageOf(error)} (the model previously in ${dir}, if any, is unchanged)`,
      { cause: error },
    );
  }

  // Committed. Delete the replaced model's weights and leftovers of crashed saves.
  const removedPaths: string[] = [];
  const stale = new Set<string>(previous.filter((name) => !names.includes(name)));
  try {
    for (const entry of await fs.readdir(dir)) {
      if (names.includes(entry)) continue;
      if (OWN_WEIGHTS_FILE.test(entry) || (entry.startsWith('.') && entry.endsWith(TMP_SUFFIX)))
        stale.add(entry);
    }
  } catch {
    // Listing failed: only the previous model's own files are removed.
  }
  for (const name of stale) {
    const file = insideDir(path, dir, name);
    if (file === undefined) continue;
    try {
      await fs.unlink(file);
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
        `loadModel: cannot read ${file}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    let isDirectory = false;
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
  path: NodePath,
  dir: string,
  modelJsonPath: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<ArrayBuffer> {
  const buffers: ArrayBuffer[] = [];
  for (const [g, group] of manifest.entries()) {
    let groupBytes = 0;
    const files: string[] = [];
    for (const relative of group.paths) {
      const file = insideDir(path, dir, relative);
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
            : `loadModel: cannot read weights file ${file}: ${messageOf(error)}`,
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
          `loadModel: ${which} ${groupBytes < expected ? 'is too short' : 'is too long'}: ${groupBytes} bytes, but the ` +
            `weightsManifest in ${modelJsonPath} describes ${expected} bytes (a truncated file, or weights from another save).`,
        );
      }
    }
  }
  return tf.io.CompositeArrayBuffer.join(buffers);
}

/** Compares the manifest with the weights the architecture declares; `undefined` if it cannot. */
async function describeMismatch(
  modelJson: tf.io.ModelJSON,
  specs: tf.io.WeightsManifestEntry[],
): Promise<string | undefined> {
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({
      modelTopology: modelJson.modelTopology as tf.serialization.ConfigDict,
    });
  } catch {
    return undefined;
  }
  try {
    const declared = new Map(model.weights.map((w) => [w.originalName, w.shape]));
    const problems: string[] = [];
    for (const spec of specs) {
      if (spec.group === 'optimizer') continue;
      const shape = declared.get(spec.name);
      if (shape === undefined)
        problems.push(`'${spec.name}' is in the manifest but the architecture has no such weight`);
      else if (JSON.stringify(shape) !== JSON.stringify(spec.shape)) {
        problems.push(
          `'${spec.name}' has shape [${spec.shape}] in the manifest but [${shape}] in the architecture`,
        );
      }
      declared.delete(spec.name);
    }
    for (const name of declared.keys())
      problems.push(`'${name}' is in the architecture but not in the manifest`);
    return problems.length > 0 ? problems.join('; ') : undefined;
  } finally {
    model.dispose();
  }
}

async function loadArtifacts(
  fs: ModelIoFileSystem,
  path: NodePath,
  dir: string,
  modelJsonPath: string,
): Promise<{
  modelJson: tf.io.ModelJSON;
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
        `loadModel: ${modelJsonPath} is not valid JSON (${messageOf(error)}); the file is corrupt or was not written by tfjs.`,
        { cause: error },
      );
    }
    const modelJson = validateModelJson(parsed, modelJsonPath);
    const manifest = modelJson.weightsManifest ?? [];
    const weightsFiles = manifest.flatMap((group) => group.paths.map((p) => path.join(dir, p)));
    try {
      const weightData = await readWeights(fs, path, dir, modelJsonPath, manifest);
      const artifacts = tf.io.getModelArtifactsForJSONSync(
        modelJson,
        tf.io.getWeightSpecs(manifest),
        weightData,
      );
      return { modelJson, artifacts, weightsFiles };
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
 * manifest, weights whose names or shapes do not match the architecture, or a layer class that
 * is not registered.
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
  const { fs, path } = await nodeModules(options.fs);
  const modelJsonPath = path.join(dir, MODEL_JSON);
  const { modelJson, artifacts, weightsFiles } = await loadArtifacts(fs, path, dir, modelJsonPath);
  try {
    return await tf.loadLayersModel(
      { load: async () => artifacts },
      { strict: options.strict ?? true },
    );
  } catch (error) {
    const message = messageOf(error);
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
      const details = (await describeMismatch(modelJson, artifacts.weightSpecs ?? [])) ?? message;
      const files = weightsFiles.length === 1 ? weightsFiles[0] : weightsFiles.join(', ');
      throw new ModelIoError(
        'ARCHITECTURE_MISMATCH',
        modelJsonPath,
        `loadModel: the weights in ${files} do not match the architecture in ${modelJsonPath}: ${details} (tfjs: ${message}).`,
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
