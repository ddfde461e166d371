/**
 * `torch.save` checkpoints, read without PyTorch and without executing their pickles: the zip
 * format of PyTorch 1.6 and later, and the legacy format (`_use_new_zipfile_serialization=False`).
 */
import { checkOptions } from '@slr/core';
import { toBytes } from './bytes';
import { failureFor, type Fail } from './errors';
import { kindOf, PickleGlobal, unpickle, type UnpickleHooks } from './pickle';
import { checkFileOption, parseSafetensors } from './safetensors';
import {
  decodeValues,
  ELEMENT_SIZES,
  isTensorData,
  type TensorData,
  type TensorDtype,
} from './tensor-data';
import { readZipDirectory, zipEntryData } from './zip';

/**
 * What a checkpoint holds, as plain values: Python's `None` → `null`, `bool`, `int` (a `number`,
 * a `bigint` from ±2^53 on), `float`, `str`, `bytes` (`Uint8Array`), `tuple` and `list` (arrays),
 * `dict` and `OrderedDict` (`Map`, in their order), `set` (`Set`), and tensors (and
 * `nn.Parameter`s) as {@link TensorData}.
 */
export type CheckpointValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | TensorData
  | CheckpointValue[]
  | Map<CheckpointValue, CheckpointValue>
  | Set<CheckpointValue>;

/** Options of {@link readTorchCheckpoint} and {@link readTorchWeights}. */
export interface ReadTorchOptions {
  /** The file's name, for error messages (and, for {@link readTorchWeights}, its extension). */
  file?: string;
}

/** The storage classes a checkpoint's tensors name, and the dtype of each. */
const STORAGE_DTYPES: Readonly<Record<string, TensorDtype>> = {
  'torch.FloatStorage': 'float32',
  'torch.DoubleStorage': 'float64',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
  'torch.LongStorage': 'int64',
  'torch.IntStorage': 'int32',
  'torch.ShortStorage': 'int16',
  'torch.CharStorage': 'int8',
  'torch.ByteStorage': 'uint8',
  'torch.BoolStorage': 'bool',
};

const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR_V2 = 'torch._utils._rebuild_tensor_v2';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const REBUILD_PARAMETER_WITH_STATE = 'torch._utils._rebuild_parameter_with_state';
/** How pickle protocol 2 writes `bytes`: `_codecs.encode(text, 'latin1')`. */
const CODECS_ENCODE = '_codecs.encode';
/** How pickle protocol 2 writes sets: `set(list)`. */
const SET_CLASSES = new Set([
  'builtins.set',
  'builtins.frozenset',
  '__builtin__.set',
  '__builtin__.frozenset',
]);

/** Every global a checkpoint's pickle may name: containers, tensors, parameters, storages. */
const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  ORDERED_DICT,
  REBUILD_TENSOR_V2,
  REBUILD_TENSOR,
  REBUILD_PARAMETER,
  REBUILD_PARAMETER_WITH_STATE,
  ...Object.keys(STORAGE_DTYPES),
  CODECS_ENCODE,
  ...SET_CLASSES,
]);

/** PyTorch's legacy format starts with this number, pickled. */
const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
/** …then this protocol version. */
const LEGACY_PROTOCOL_VERSION = 1001;

const ZIP_FORMAT = 'a PyTorch checkpoint (zip format)';
const LEGACY_FORMAT = 'a PyTorch checkpoint (legacy format)';
const ANY_FORMAT = 'a PyTorch checkpoint';

/** A storage a tensor views: its dtype, and (once read) its bytes. */
class StorageRef {
  bytes: Uint8Array | undefined;
  constructor(
    readonly key: string,
    readonly dtype: TensorDtype,
    /** Its first element in the root storage (a legacy storage view), else 0. */
    readonly elementOffset = 0,
    /** Its elements, where a legacy view limits them. */
    readonly elementLimit: number | undefined = undefined,
  ) {}
}

/** A tensor whose values come once its storage is read. */
interface PendingTensor {
  tensor: TensorData;
  storage: StorageRef;
  offset: number;
  stride: number[];
}

/**
 * Reads what `torch.save` wrote, without PyTorch and without running anything: the zip format
 * (PyTorch 1.6 and later; stored entries, as `torch.save` writes them) and the legacy format
 * (`_use_new_zipfile_serialization=False`), picked by the file's first bytes. The pickle is read
 * by a safe unpickler that knows only `collections.OrderedDict`, the tensor and parameter
 * rebuilders of `torch._utils`, the storage classes (`torch.FloatStorage`, …) and what pickle
 * protocol 2 writes for bytes and sets (`_codecs.encode`, `builtins.set`), as PyTorch's own
 * `weights_only` loader allows them; any other global is refused by name, before anything is
 * built. Tensors come as {@link TensorData} (views gathered through their strides, on the CPU
 * as `map_location='cpu'`; float16, bfloat16 and float64 as float32, int64 as `BigInt64Array`).
 * Refused with a {@link TorchFormatError}: a truncated or corrupt file (zip entries are checked
 * against their CRC-32), a compressed zip entry, a TorchScript archive, a big-endian file, a
 * pickle of anything else, a float64 value beyond float32's range. An `OrderedDict`'s
 * attributes (a state dict's `_metadata`) and a parameter's `requires_grad` are dropped.
 *
 * @param bytes - the whole file
 * @param options - `file`: its name, for error messages
 * @returns the saved value: a `Map` for a state dict or a checkpoint dict; see {@link stateDictOf}
 *
 * @example
 * ```ts
 * declare const bytes: Uint8Array; // e.g. await (await fetch('i3d.pt')).arrayBuffer()
 *
 * const checkpoint = readTorchCheckpoint(bytes, { file: 'i3d.pt' });
 * const stateDict = stateDictOf(checkpoint); // the dict itself, or its 'state_dict' entry
 * console.log(stateDict?.get('conv3d_1a_7x7.conv3d.weight')?.shape); // [64, 3, 7, 7, 7]
 * ```
 */
export function readTorchCheckpoint(
  bytes: Uint8Array | ArrayBuffer,
  options: ReadTorchOptions = {},
): CheckpointValue {
  checkOptions('readTorchCheckpoint', options);
  const file = checkFileOption('readTorchCheckpoint', options.file);
  const data = toBytes('readTorchCheckpoint', bytes);
  const kind = sniff(data);
  if (kind === 'zip') return readZipCheckpoint(data, failureFor(file, ZIP_FORMAT));
  if (kind === 'pickle') return readLegacyCheckpoint(data, failureFor(file, LEGACY_FORMAT));
  return failureFor(file, ANY_FORMAT)(notACheckpoint(data, kind));
}

/** The formats {@link readTorchWeights} reads. */
export type WeightsFormat = 'safetensors' | 'torch-zip' | 'torch-legacy';

/** What {@link readTorchWeights} gives. */
export interface TorchWeights {
  /** The file's format. */
  format: WeightsFormat;
  /** The state dict: the tensors by name, in the file's order (by name for safetensors). */
  tensors: Map<string, TensorData>;
  /** All the file holds: for a checkpoint, the saved value ({@link readTorchCheckpoint}). */
  value: CheckpointValue;
  /** A safetensors file's `__metadata__`; `{}` for a checkpoint. */
  metadata: Record<string, string>;
}

/**
 * Reads a file of PyTorch weights, whichever its format: safetensors (by a `.safetensors` name
 * or by its header) through {@link readSafetensors}, a `torch.save` checkpoint (zip or legacy)
 * through {@link readTorchCheckpoint}, and finds its state dict ({@link stateDictOf}). A
 * checkpoint without one, or bytes of another kind, are refused with a {@link TorchFormatError}.
 *
 * @param bytes - the whole file
 * @param options - `file`: its name, for error messages and its extension
 *
 * @example
 * ```ts
 * declare const bytes: Uint8Array;
 *
 * const { format, tensors } = readTorchWeights(bytes, { file: 'model.pt' });
 * console.log(format, [...tensors.keys()].slice(0, 3)); // 'torch-zip' [ 'conv1.weight', … ]
 * ```
 */
export function readTorchWeights(
  bytes: Uint8Array | ArrayBuffer,
  options: ReadTorchOptions = {},
): TorchWeights {
  checkOptions('readTorchWeights', options);
  const file = checkFileOption('readTorchWeights', options.file);
  const data = toBytes('readTorchWeights', bytes);
  const kind = sniff(data);
  if (kind === 'safetensors' || (file !== undefined && /\.safetensors$/i.test(file))) {
    const { tensors, metadata } = parseSafetensors(data, failureFor(file, 'safetensors'));
    return {
      format: 'safetensors',
      tensors,
      value: tensors,
      metadata,
    };
  }
  if (kind !== 'zip' && kind !== 'pickle') {
    return failureFor(file, 'PyTorch weights')(notACheckpoint(data, kind));
  }
  const format = kind === 'zip' ? ZIP_FORMAT : LEGACY_FORMAT;
  const fail = failureFor(file, format);
  const value = kind === 'zip' ? readZipCheckpoint(data, fail) : readLegacyCheckpoint(data, fail);
  const tensors = stateDictOf(value);
  if (tensors === undefined) {
    return fail(
      `it holds no state dict: ${describeTop(value)}; a state dict is a dict of tensors by ` +
        `name, saved alone or as the checkpoint's 'state_dict', 'model' or 'model_state_dict' ` +
        `entry`,
    );
  }
  return { format: kind === 'zip' ? 'torch-zip' : 'torch-legacy', tensors, value, metadata: {} };
}

/** Keys under which checkpoints keep their model's state dict, tried in this order. */
const STATE_DICT_KEYS = ['state_dict', 'model', 'model_state_dict'];

/**
 * The state dict in what {@link readTorchCheckpoint} read: the value itself when it is a dict of
 * tensors by name (what `torch.save(model.state_dict(), …)` writes), else its `'state_dict'`,
 * `'model'` or `'model_state_dict'` entry when that is one (training checkpoints such as
 * `{'state_dict': …, 'epoch': 3}`); `undefined` when there is none.
 *
 * @example
 * ```ts
 * declare const bytes: Uint8Array;
 *
 * const stateDict = stateDictOf(readTorchCheckpoint(bytes));
 * if (stateDict === undefined) throw new Error('no state dict in this checkpoint');
 * for (const [name, tensor] of stateDict) console.log(name, tensor.shape);
 * ```
 */
export function stateDictOf(value: CheckpointValue): Map<string, TensorData> | undefined {
  if (isStateDict(value)) return value;
  if (value instanceof Map) {
    for (const key of STATE_DICT_KEYS) {
      const entry = value.get(key);
      if (isStateDict(entry)) return entry;
    }
  }
  return undefined;
}

function isStateDict(value: unknown): value is Map<string, TensorData> {
  if (!(value instanceof Map)) return false;
  for (const [key, entry] of value as Map<unknown, unknown>) {
    if (typeof key !== 'string' || !isTensorData(entry)) return false;
  }
  return true;
}

/** What a value that holds no state dict is, in words. */
function describeTop(value: CheckpointValue): string {
  if (!(value instanceof Map)) return `it holds ${kindOf(value)}`;
  const keys = [...value.keys()].map((key) => (typeof key === 'string' ? `'${key}'` : kindOf(key)));
  const shown =
    keys.length > 8 ? `${keys.slice(0, 8).join(', ')}, … (${keys.length} keys)` : keys.join(', ');
  return keys.length === 0 ? 'an empty dict' : `a dict of ${shown}`;
}

type Kind = 'zip' | 'pickle' | 'safetensors' | 'tar' | 'unknown';

/** What the first bytes say a file is. */
function sniff(bytes: Uint8Array): Kind {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5)) return 'zip';
  if (bytes[0] === 0x80) return 'pickle';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[6] === 0 && bytes[7] === 0)
    return 'safetensors';
  if (bytes.length >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar')
    return 'tar';
  return 'unknown';
}

function notACheckpoint(bytes: Uint8Array, kind: Kind): string {
  if (bytes.length === 0) return 'the file is empty';
  if (kind === 'tar') {
    return (
      'it is a tar archive, the format of PyTorch before 0.4, which this reader does not ' +
      'read: load it with PyTorch and save it again'
    );
  }
  if (kind === 'safetensors') return 'it is a safetensors file: read it with readSafetensors';
  const start = [...bytes.subarray(0, 8)]
    .map((byte) => byte.toString(16).padStart(2, '0'))
    .join(' ');
  return (
    `it is neither a zip archive (torch.save's format since PyTorch 1.6) nor a pickle (its ` +
    `legacy format): it starts with the bytes ${start}`
  );
}

/** The zip format: `<name>/data.pkl`, the storages in `<name>/data/<key>`. */
function readZipCheckpoint(bytes: Uint8Array, fail: Fail): CheckpointValue {
  const entries = readZipDirectory(bytes, fail);
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  if (entries.some((entry) => /^[^/]+\/(code\/|constants\.pkl$)/.test(entry.name))) {
    fail(
      "it is a TorchScript archive (torch.jit.save), which holds code: save the model's " +
        'state_dict() with torch.save and read that',
    );
  }
  const pickle = entries.find((entry) => /^[^/]+\/data\.pkl$/.test(entry.name));
  if (pickle === undefined) {
    const listed = entries
      .slice(0, 5)
      .map((entry) => `'${entry.name}'`)
      .join(', ');
    fail(
      `it is a zip archive without a data.pkl, so not one torch.save wrote (its entries: ` +
        `${listed || 'none'}${entries.length > 5 ? ', …' : ''})`,
    );
  }
  const archive = pickle.name.slice(0, -'/data.pkl'.length);
  const byteOrder = byName.get(`${archive}/byteorder`);
  if (byteOrder !== undefined) {
    const order = new TextDecoder().decode(zipEntryData(bytes, byteOrder, fail)).trim();
    if (order !== 'little') {
      fail(
        `it was written on a big-endian machine (its byteorder record says '${order}'): this ` +
          `reader reads little-endian checkpoints only`,
      );
    }
  }

  const storages = new Map<string, StorageRef>();
  const pending: PendingTensor[] = [];
  const value = unpickle(zipEntryData(bytes, pickle, fail), 0, {
    ...tensorHooks(`${archive}/data.pkl`, pending, fail),
    persistentLoad(pid) {
      const { key, dtype } = storagePid(pid, fail, 5);
      const known = storages.get(key);
      if (known !== undefined) {
        if (known.dtype !== dtype)
          fail(`storage '${key}' is named as both ${known.dtype} and ${dtype}`);
        return known;
      }
      const storage = new StorageRef(key, dtype);
      storages.set(key, storage);
      return storage;
    },
  }).value;

  for (const storage of storages.values()) {
    const entry = byName.get(`${archive}/data/${storage.key}`);
    if (entry === undefined)
      fail(`its entry '${archive}/data/${storage.key}', a storage its tensors use, is missing`);
    storage.bytes = zipEntryData(bytes, entry, fail);
    if (storage.bytes.length % ELEMENT_SIZES[storage.dtype] !== 0) {
      fail(
        `its storage '${entry.name}' holds ${storage.bytes.length} bytes, not a whole number ` +
          `of ${storage.dtype} elements`,
      );
    }
  }
  fillTensors(pending, fail);
  return checkValue(value, fail);
}

/**
 * The legacy format: pickles of the magic number, the protocol version and the system's
 * description, the main pickle, the list of storage keys, then each storage's element count
 * (8 bytes, little-endian) and bytes.
 */
function readLegacyCheckpoint(bytes: Uint8Array, fail: Fail): CheckpointValue {
  const plain: UnpickleHooks = {
    what: 'the pickle',
    allowedGlobals: new Set(),
    call: () => fail('a call, which this pickle cannot hold'),
    fail,
  };
  let magic;
  try {
    magic = unpickle(bytes, 0, { ...plain, what: 'the first pickle' });
  } catch (error) {
    const problem = (error as { problem?: string }).problem ?? String(error);
    return fail(
      `it is a pickle, but not one torch.save wrote: PyTorch's legacy format starts with a ` +
        `pickled magic number (${problem})`,
    );
  }
  if (magic.value !== LEGACY_MAGIC_NUMBER) {
    fail(
      `it is a pickle, but not one torch.save wrote: its first value is ` +
        `${kindOf(magic.value)}, not PyTorch's magic number`,
    );
  }
  const protocol = unpickle(bytes, magic.end, { ...plain, what: 'the protocol version pickle' });
  if (protocol.value !== LEGACY_PROTOCOL_VERSION) {
    fail(`its protocol version is ${kindOf(protocol.value)}, not ${LEGACY_PROTOCOL_VERSION}`);
  }
  const systemInfo = unpickle(bytes, protocol.end, {
    ...plain,
    what: 'the system information pickle',
  });
  if (systemInfo.value instanceof Map && systemInfo.value.get('little_endian') === false) {
    fail(
      'it was written on a big-endian machine (its system information says little_endian: ' +
        'False): this reader reads little-endian checkpoints only',
    );
  }

  const storages = new Map<string, StorageRef>();
  const views = new Map<string, StorageRef>();
  const pending: PendingTensor[] = [];
  const main = unpickle(bytes, systemInfo.end, {
    ...tensorHooks(`the main pickle (at byte ${systemInfo.end})`, pending, fail),
    persistentLoad(pid) {
      const { key, dtype, tuple } = storagePid(pid, fail, 6);
      let root = storages.get(key);
      if (root === undefined) {
        root = new StorageRef(key, dtype);
        storages.set(key, root);
      }
      const viewMetadata = tuple[5];
      if (viewMetadata === null || viewMetadata === undefined) return root;
      // Storage views, from PyTorch's oldest files: (view key, offset, size) in elements.
      if (
        !Array.isArray(viewMetadata) ||
        viewMetadata.length !== 3 ||
        typeof viewMetadata[0] !== 'string' ||
        !isCount(viewMetadata[1]) ||
        !isCount(viewMetadata[2])
      ) {
        return fail(
          `a storage view of '${key}' is described by ${kindOf(viewMetadata)}, not (key, offset, size)`,
        );
      }
      const [viewKey, offset, size] = viewMetadata as [string, number, number];
      let known = views.get(viewKey);
      if (known === undefined) {
        known = new StorageRef(key, dtype, offset, size);
        views.set(viewKey, known);
      }
      return known;
    },
  });
  const keys = unpickle(bytes, main.end, {
    ...plain,
    what: `the storage key pickle (at byte ${main.end})`,
  });
  if (!Array.isArray(keys.value) || !keys.value.every((key) => typeof key === 'string')) {
    fail(`its storage key pickle holds ${kindOf(keys.value)}, not a list of keys`);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const key of keys.value) {
    const storage = storages.get(key);
    if (storage === undefined)
      fail(`its storage '${key}' is not used by any tensor of the main pickle`);
    const size = ELEMENT_SIZES[storage.dtype];
    if (at + 8 > bytes.length) {
      fail(
        `the file ends at byte ${bytes.length}, before storage '${key}' (expected at byte ` +
          `${at}): the file is truncated`,
      );
    }
    const count = view.getBigInt64(at, true);
    if (count < 0n || count * BigInt(size) > BigInt(bytes.length - at - 8)) {
      fail(
        `storage '${key}' (at byte ${at}) says it holds ${count} ${storage.dtype} elements, ` +
          `but only ${bytes.length - at - 8} bytes follow: the file is truncated`,
      );
    }
    const length = Number(count) * size;
    storage.bytes = bytes.subarray(at + 8, at + 8 + length);
    at += 8 + length;
  }
  for (const storage of storages.values()) {
    if (storage.bytes === undefined)
      fail(`its storage '${storage.key}', which a tensor uses, is missing from the file`);
  }
  for (const storage of views.values()) {
    const root = storages.get(storage.key) as StorageRef;
    const size = ELEMENT_SIZES[storage.dtype];
    const end = storage.elementOffset + (storage.elementLimit ?? 0);
    if (end * size > (root.bytes as Uint8Array).length) {
      fail(
        `a view of storage '${storage.key}' reaches element ${end}, beyond its ` +
          `${(root.bytes as Uint8Array).length / size}`,
      );
    }
    storage.bytes = (root.bytes as Uint8Array).subarray(storage.elementOffset * size, end * size);
  }
  fillTensors(pending, fail);
  return checkValue(main.value, fail);
}

/** The unpickler's hooks that build containers, tensors and parameters. */
function tensorHooks(
  what: string,
  pending: PendingTensor[],
  fail: Fail,
): Pick<UnpickleHooks, 'what' | 'allowedGlobals' | 'call' | 'fail'> {
  return {
    what,
    allowedGlobals: ALLOWED_GLOBALS,
    fail,
    call(global: PickleGlobal, args: unknown[], construct: boolean): unknown {
      const name = global.qualifiedName;
      if (name === ORDERED_DICT) {
        if (args.length === 0) return new Map();
        if (!construct && args.length === 1 && Array.isArray(args[0])) {
          const map = new Map();
          for (const pair of args[0] as unknown[]) {
            if (!Array.isArray(pair) || pair.length !== 2)
              fail(`OrderedDict is given ${kindOf(pair)}, not a (key, value) pair`);
            map.set((pair as unknown[])[0], (pair as unknown[])[1]);
          }
          return map;
        }
        return fail(`OrderedDict is called with ${args.length} arguments`);
      }
      if (!construct && (name === REBUILD_TENSOR_V2 || name === REBUILD_TENSOR)) {
        return rebuildTensor(args, pending, fail);
      }
      if (!construct && name === CODECS_ENCODE) {
        const [text, encoding] = args;
        if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
          fail(
            `${CODECS_ENCODE} is called with ${kindOf(text)} and ${kindOf(encoding)}, not as pickle writes bytes`,
          );
        }
        const bytes = Uint8Array.from(text, (char) => char.charCodeAt(0));
        if (bytes.some((byte, i) => byte !== text.charCodeAt(i)))
          fail(`${CODECS_ENCODE} is given a character beyond latin-1`);
        return bytes;
      }
      if (!construct && SET_CLASSES.has(name)) {
        if (args.length === 0) return new Set();
        if (args.length === 1 && Array.isArray(args[0])) return new Set(args[0] as unknown[]);
        return fail(`${name} is called with ${kindOf(args)}, not a list`);
      }
      if (!construct && (name === REBUILD_PARAMETER || name === REBUILD_PARAMETER_WITH_STATE)) {
        if (!isTensorData(args[0]) && !pending.some((p) => p.tensor === args[0])) {
          fail(`${REBUILD_PARAMETER} is given ${kindOf(args[0])}, not a tensor`);
        }
        return args[0]; // the parameter's data; requires_grad and hooks are the training's
      }
      return fail(
        `'${name}' is ${construct ? 'constructed' : 'called'}, which it never is in a checkpoint`,
      );
    },
  };
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, …)`: a tensor waiting for its storage. */
function rebuildTensor(args: unknown[], pending: PendingTensor[], fail: Fail): TensorData {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef))
    fail(`a tensor is rebuilt from ${kindOf(storage)}, not a storage`);
  if (!isCount(offset)) fail(`a tensor's storage offset is ${kindOf(offset)}`);
  if (!Array.isArray(size) || !size.every(isCount))
    fail(`a tensor's size is ${kindOf(size)}, not a tuple of counts`);
  if (
    !Array.isArray(stride) ||
    !stride.every(isCount) ||
    stride.length !== (size as unknown[]).length
  ) {
    fail(
      `a tensor's stride is ${kindOf(stride)}, not a tuple of ${(size as unknown[]).length} counts`,
    );
  }
  const { dtype } = storage;
  const tensor: TensorData = { dtype, shape: [...size], data: new Float32Array(0) };
  pending.push({
    tensor,
    storage: storage,
    offset: offset,
    stride: stride,
  });
  return tensor;
}

/** The most elements a tensor read here may have (a typed array's limit in common engines). */
const MAX_ELEMENTS = 2 ** 32;

/** Fills each pending tensor from its storage, gathering a strided view. */
function fillTensors(pending: PendingTensor[], fail: Fail): void {
  for (const { tensor, storage, offset, stride } of pending) {
    const size = ELEMENT_SIZES[storage.dtype];
    const bytes = storage.bytes as Uint8Array;
    const storageCount = bytes.length / size;
    const what = `a ${storage.dtype} tensor of shape [${tensor.shape.join(', ')}] in storage '${storage.key}'`;
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    let last = offset;
    for (let d = 0; d < tensor.shape.length; d++) last += (tensor.shape[d] - 1) * stride[d];
    if (count > 0 && last >= storageCount) {
      fail(
        `${what} (offset ${offset}, stride [${stride.join(', ')}]) reaches element ${last} ` +
          `of a storage of ${storageCount}: the file is corrupt`,
      );
    }
    if (count > MAX_ELEMENTS) {
      const exact = tensor.shape.reduce((a, b) => a * BigInt(b), 1n);
      fail(`${what} holds ${exact} elements, more than this reader can hold (${MAX_ELEMENTS})`);
    }
    let raw: Uint8Array;
    try {
      raw = count === 0 ? new Uint8Array(0) : gather(bytes, size, offset, tensor.shape, stride);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return fail(`${what} needs ${count * size} bytes, more than can be allocated here`);
    }
    tensor.data = decodeValues(raw, storage.dtype, (index, value) =>
      fail(
        `${what} holds ${value} at index ${index}, beyond float32's range: read as float32 it would become infinite`,
      ),
    );
  }
}

/** The bytes of the elements of a (maybe strided) view, row-major. */
function gather(
  bytes: Uint8Array,
  size: number,
  offset: number,
  shape: number[],
  stride: number[],
): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  let contiguous = true;
  for (let d = shape.length - 1, expected = 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= shape[d];
  }
  if (contiguous) return bytes.subarray(offset * size, (offset + count) * size);

  const out = new Uint8Array(count * size);
  const rank = shape.length;
  const inner = shape[rank - 1];
  const innerStride = stride[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  let written = 0;
  for (;;) {
    let start = offset;
    for (let d = 0; d < rank - 1; d++) start += index[d] * stride[d];
    if (innerStride === 1) {
      out.set(bytes.subarray(start * size, (start + inner) * size), written);
      written += inner * size;
    } else {
      for (let i = 0; i < inner; i++) {
        const from = (start + i * innerStride) * size;
        for (let b = 0; b < size; b++) out[written++] = bytes[from + b];
      }
    }
    let d = rank - 2;
    while (d >= 0 && ++index[d] === shape[d]) index[d--] = 0;
    if (d < 0) return out;
  }
}

/** The storage a persistent id names: `('storage', StorageClass, key, location, numel, …)`. */
function storagePid(
  pid: unknown,
  fail: Fail,
  length: number,
): { key: string; dtype: TensorDtype; tuple: unknown[] } {
  if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
    return fail(
      `a persistent id is ${kindOf(Array.isArray(pid) ? pid[0] : pid)}, not a storage ` +
        `(${length} fields starting with 'storage')`,
    );
  }
  const [, type, key] = pid as unknown[];
  const dtype = type instanceof PickleGlobal ? STORAGE_DTYPES[type.qualifiedName] : undefined;
  if (dtype === undefined) fail(`a storage's type is ${kindOf(type)}, not a storage class`);
  if (typeof key !== 'string') fail(`a storage's key is ${kindOf(key)}, not a string`);
  return { key: key, dtype: dtype, tuple: pid };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The value as read, refused where what it holds is no plain value: a bare storage, or an
 * allowed global left uncalled (the class `OrderedDict` itself).
 */
function checkValue(value: unknown, fail: Fail): CheckpointValue {
  const seen = new Set<unknown>();
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const item = todo.pop();
    if (typeof item !== 'object' || item === null || seen.has(item)) continue;
    seen.add(item);
    if (item instanceof StorageRef)
      fail(`it holds a bare storage ('${item.key}'), not a tensor: save tensors, not storages`);
    if (item instanceof PickleGlobal)
      fail(`it holds the Python object '${item.qualifiedName}' itself, which has no value here`);
    if (item instanceof Map) for (const [key, entry] of item) todo.push(key, entry);
    else if (Array.isArray(item) || item instanceof Set) for (const entry of item) todo.push(entry);
  }
  return value as CheckpointValue;
}
