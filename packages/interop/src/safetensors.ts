/**
 * The safetensors format (Hugging Face's, `safetensors.torch.save_file` / `load_file`): an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape and byte range,
 * then the tensors' bytes, little-endian, back to back.
 */
import type * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkOptions, describeValue } from '@slr/core';
import { failureFor, type Fail } from './errors';
import {
  decodeValues,
  ELEMENT_SIZES,
  encodeValues,
  VALUE_ARRAYS,
  type TensorData,
  type TensorDtype,
} from './tensor-data';
import { toBytes } from './bytes';

/** The safetensors dtype codes of the dtypes this package handles. */
const CODES: Readonly<Record<TensorDtype, string>> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

const DTYPES_BY_CODE = new Map(
  Object.entries(CODES).map(([dtype, code]) => [code, dtype as TensorDtype]),
);

/**
 * The order of the reference writer's dtypes (its `Dtype` enum): it writes the tensors by
 * descending rank, then by name.
 */
const WRITE_RANKS: Readonly<Record<TensorDtype, number>> = {
  bool: 0,
  uint8: 1,
  int8: 2,
  int16: 5,
  float16: 7,
  bfloat16: 8,
  int32: 9,
  float32: 11,
  float64: 12,
  int64: 13,
};

/** The reference implementation's limit on the header's length. */
const MAX_HEADER_BYTES = 100_000_000;

const FORMAT = 'safetensors';

/** What {@link readSafetensors} gives: the tensors and the file's `__metadata__`. */
export interface SafetensorsContents {
  /** The tensors by name, in the order of their names (as `safe_open(...).keys()`). */
  tensors: Map<string, TensorData>;
  /** The header's `__metadata__` (string values only, as the format has them); `{}` without one. */
  metadata: Record<string, string>;
}

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /** The file's name, for error messages. */
  file?: string;
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** The header's `__metadata__`: strings by name (`{ format: 'pt' }`, as transformers writes). */
  metadata?: Record<string, string>;
}

/**
 * A tensor to write: a {@link TensorData} (written in its `dtype`), or a tfjs tensor (float32 as
 * `F32`, int32 as `I32`, bool as `BOOL`; its values are read with `dataSync`: on a backend that
 * cannot read synchronously, pass `{ dtype, shape, data: await tensor.data() }` instead).
 */
export type WritableTensor = TensorData | tf.Tensor;

/**
 * Reads a safetensors file's bytes. Every dtype but float32 is converted as
 * {@link TensorData.data} says (float16, bfloat16 and float64 to float32; int64 kept as
 * `BigInt64Array`). Checked as the reference implementation checks, and refused with a
 * {@link TorchFormatError} naming the file and the problem: a truncated file, a header that is
 * not UTF-8 JSON or longer than 100 MB, an unknown dtype, offsets that overlap, leave a gap,
 * run past the end or do not match the dtype and shape, bytes after the last tensor; also a
 * float64 value beyond float32's range.
 *
 * @param bytes - the whole file
 * @param options - `file`: its name, for error messages
 *
 * @example
 * ```ts
 * declare const bytes: Uint8Array; // e.g. await (await fetch('model.safetensors')).arrayBuffer()
 *
 * const { tensors, metadata } = readSafetensors(bytes, { file: 'model.safetensors' });
 * const weight = tensors.get('conv1.weight'); // { dtype: 'float32', shape: [64, 3, 7, 7], data: Float32Array }
 * console.log(metadata.format); // 'pt'
 * ```
 */
export function readSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  options: ReadSafetensorsOptions = {},
): SafetensorsContents {
  checkOptions('readSafetensors', options);
  const file = checkFileOption('readSafetensors', options.file);
  return parseSafetensors(toBytes('readSafetensors', bytes), failureFor(file, FORMAT));
}

/** {@link readSafetensors} on checked arguments: the readers of this package share it. */
export function parseSafetensors(bytes: Uint8Array, fail: Fail): SafetensorsContents {
  if (bytes.length < 8) {
    fail(
      `it is ${bytes.length} bytes long, shorter than the 8-byte header length that every safetensors file starts with`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    fail(
      `its header length is ${headerLength} bytes, more than the format's limit of ` +
        `${MAX_HEADER_BYTES} (not a safetensors file?)`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  if (dataStart > bytes.length) {
    fail(
      `its header is ${headerLength} bytes long, but only ${bytes.length - 8} bytes follow ` +
        `the header length: the file is truncated`,
    );
  }
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    return fail('its header is not valid UTF-8');
  }
  if (!headerText.startsWith('{'))
    fail("its header does not start with '{': it is not a JSON object");
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (error) {
    return fail(`its header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('its header is not a JSON object');
  }

  const metadata: Record<string, string> = {};
  const entries: {
    name: string;
    dtype: TensorDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) {
        fail('its __metadata__ is not an object of strings');
      }
      for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
        if (typeof value !== 'string')
          fail(`its __metadata__ entry '${key}' is ${describeValue(value)}, not a string`);
        metadata[key] = value;
      }
      continue;
    }
    const tensor = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof tensor !== 'object' || tensor === null || Array.isArray(tensor)) {
      fail(`the header's entry for tensor '${name}' is not an object`);
    }
    const { dtype: code, shape, data_offsets: offsets } = tensor;
    const dtype = typeof code === 'string' ? DTYPES_BY_CODE.get(code) : undefined;
    if (dtype === undefined) {
      fail(
        `tensor '${name}' has the dtype ${describeValue(code)}, which this reader does not read ` +
          `(it reads ${[...DTYPES_BY_CODE.keys()].join(', ')})`,
      );
    }
    if (
      !Array.isArray(shape) ||
      !shape.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
    ) {
      fail(
        `tensor '${name}' has the shape ${describeValue(shape)}, not a list of non-negative integers`,
      );
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      fail(
        `tensor '${name}' has the data_offsets ${describeValue(offsets)}, not [begin, end] with 0 <= begin <= end`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const needed = count * ELEMENT_SIZES[dtype];
    if (end - begin !== needed) {
      fail(
        `tensor '${name}' (${code as string}, shape [${(shape as number[]).join(', ')}]) needs ` +
          `${needed} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype, shape: shape as number[], begin, end });
  }

  // As the reference: sorted by offsets, the tensors must cover the data exactly, back to back.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: (typeof entries)[number] | undefined;
  for (const entry of byOffset) {
    if (entry.begin < covered) {
      fail(
        `tensors '${previous?.name}' and '${entry.name}' overlap (bytes [${previous?.begin}, ` +
          `${previous?.end}) and [${entry.begin}, ${entry.end}) of the data)`,
      );
    }
    if (entry.begin > covered) {
      fail(
        `bytes [${covered}, ${entry.begin}) of the data, before tensor '${entry.name}', belong to no tensor`,
      );
    }
    covered = entry.end;
    previous = entry;
  }
  const available = bytes.length - dataStart;
  if (covered > available) {
    fail(
      `its tensors need ${covered} bytes of data after the header, but the file has only ` +
        `${available} (tensor '${previous?.name}' ends at byte ${dataStart + covered} of ` +
        `${bytes.length}): the file is truncated`,
    );
  }
  if (covered < available) {
    fail(
      `the last ${available - covered} bytes of the file, after the last tensor, belong to no tensor`,
    );
  }

  const tensors = new Map<string, TensorData>();
  for (const entry of [...entries].sort((a, b) => compareCodePoints(a.name, b.name))) {
    const data = decodeValues(
      bytes.subarray(dataStart + entry.begin, dataStart + entry.end),
      entry.dtype,
      (index, value) =>
        fail(
          `tensor '${entry.name}' (F64) holds ${value} at index ${index}, beyond float32's ` +
            `range: read as float32 it would become infinite`,
        ),
    );
    tensors.set(entry.name, { dtype: entry.dtype, shape: [...entry.shape], data });
  }
  return { tensors, metadata };
}

/**
 * The bytes of a safetensors file holding `tensors` that `safetensors.torch.load_file` reads,
 * laid out as the reference writer lays them out: the header's JSON compact, `__metadata__`
 * first (its keys sorted), then the tensors by descending dtype (int64, float64, float32, int32,
 * bfloat16, float16, int16, int8, uint8, bool) and by name, the header padded with spaces to a
 * multiple of 8 bytes. A {@link TensorData} is written in its `dtype`: float32 values are
 * rounded to float16 or bfloat16 to the nearest, ties to even, as PyTorch's `.half()` and
 * `.bfloat16()`, but a finite value that would become infinite is refused with an
 * `ArgumentError`, as are an int16/int8 value out of range and a bool other than 0 or 1.
 *
 * @param tensors - the tensors by name (a `Map`, or an object such as a `tf.NamedTensorMap`)
 * @param options - `metadata`: the header's `__metadata__`
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors(
 *   {
 *     'fc.weight': tf.randomNormal([10, 4]),
 *     'fc.bias': { dtype: 'float16', shape: [10], data: new Float32Array(10) },
 *   },
 *   { metadata: { format: 'pt' } },
 * );
 * readSafetensors(bytes).tensors.get('fc.bias')?.dtype; // 'float16'
 * ```
 */
export function writeSafetensors(
  tensors: Map<string, WritableTensor> | Record<string, WritableTensor>,
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  return serializeSafetensors(
    'writeSafetensors',
    tensors,
    checkOptions('writeSafetensors', options),
  );
}

/** {@link writeSafetensors} for `fn`, which its argument errors name. */
export function serializeSafetensors(
  fn: string,
  tensors: Map<string, WritableTensor> | Record<string, WritableTensor>,
  options: WriteSafetensorsOptions,
): Uint8Array {
  const metadata = options.metadata;
  if (
    metadata !== undefined &&
    (typeof metadata !== 'object' ||
      metadata === null ||
      Array.isArray(metadata) ||
      !Object.values(metadata).every((value) => typeof value === 'string'))
  ) {
    throw new ArgumentError(fn, 'options.metadata', 'be an object of strings', metadata);
  }
  let named: [string, unknown][];
  if (tensors instanceof Map) {
    named = [...(tensors as Map<unknown, unknown>)].map(([name, value]) => {
      if (typeof name !== 'string')
        throw new ArgumentError(fn, 'tensors', 'have string keys', name);
      return [name, value];
    });
  } else if (typeof tensors === 'object' && tensors !== null && !Array.isArray(tensors)) {
    named = Object.entries(tensors);
  } else {
    throw new ArgumentError(fn, 'tensors', 'be a Map or an object of tensors by name', tensors);
  }

  const prepared = named.map(([name, value]) => {
    if (name === '__metadata__') {
      throw new ArgumentError(
        fn,
        'tensors',
        "not name a tensor '__metadata__' (the header's own entry)",
        name,
      );
    }
    const { dtype, shape, data } = toWritable(fn, `tensors.${name}`, value);
    const bytes = encodeValues(data, dtype, (index, bad) => {
      throw new ArgumentError(
        fn,
        `tensors.${name}`,
        `hold only values that ${dtype} can represent (${REPRESENTABLE[dtype]})`,
        undefined,
        { actualText: `${bad} at index ${index}` },
      );
    });
    return { name, dtype, shape, bytes };
  });
  prepared.sort(
    (a, b) => WRITE_RANKS[b.dtype] - WRITE_RANKS[a.dtype] || compareCodePoints(a.name, b.name),
  );

  const parts: string[] = [];
  if (metadata !== undefined) {
    const sorted = Object.keys(metadata).sort(compareCodePoints);
    parts.push(
      `"__metadata__":{${sorted.map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`).join(',')}}`,
    );
  }
  let offset = 0;
  for (const tensor of prepared) {
    const end = offset + tensor.bytes.length;
    parts.push(
      `${JSON.stringify(tensor.name)}:{"dtype":"${CODES[tensor.dtype]}",` +
        `"shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const tensor of prepared) {
    out.set(tensor.bytes, at);
    at += tensor.bytes.length;
  }
  return out;
}

const REPRESENTABLE: Readonly<Record<TensorDtype, string>> = {
  float32: 'any float32',
  float64: 'any float32',
  float16: 'finite values within ±65504 stay finite',
  bfloat16: 'finite values within ±3.3895e38 stay finite',
  int64: 'any int64',
  int32: 'any int32',
  int16: 'integers in [-32768, 32767]',
  int8: 'integers in [-128, 127]',
  uint8: 'integers in [0, 255]',
  bool: '0 or 1',
};

/** A tensor to write as dtype, shape and values, checked. */
function toWritable(fn: string, argument: string, value: unknown): TensorData {
  const tensor = value as Partial<tf.Tensor> | null;
  if (
    typeof tensor === 'object' &&
    tensor !== null &&
    typeof tensor.dataSync === 'function' &&
    Array.isArray(tensor.shape) &&
    typeof tensor.dtype === 'string'
  ) {
    if (tensor.isDisposed === true)
      throw new ArgumentError(fn, argument, 'be a tensor that is not disposed', value);
    const dtype = ({ float32: 'float32', int32: 'int32', bool: 'bool' } as const)[
      tensor.dtype as string
    ];
    if (dtype === undefined) {
      throw new ArgumentError(fn, argument, 'be a float32, int32 or bool tensor', value);
    }
    const data = tensor.dataSync<'float32' | 'int32' | 'bool'>();
    return { dtype, shape: [...tensor.shape], data };
  }
  const candidate = value as Partial<TensorData> | null;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new ArgumentError(fn, argument, 'be a tfjs tensor or { dtype, shape, data }', value);
  }
  const { dtype, shape, data } = candidate;
  if (typeof dtype !== 'string' || !Object.hasOwn(ELEMENT_SIZES, dtype)) {
    throw new ArgumentError(
      fn,
      `${argument}.dtype`,
      `be one of ${Object.keys(ELEMENT_SIZES).join(', ')}`,
      dtype,
    );
  }
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new ArgumentError(fn, `${argument}.shape`, 'be an array of non-negative integers', shape);
  }
  const kind = VALUE_ARRAYS[dtype];
  if (!(data instanceof kind)) {
    throw new ArgumentError(
      fn,
      `${argument}.data`,
      `be a ${kind.name} for a ${dtype} tensor`,
      data,
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new ArgumentError(
      fn,
      `${argument}.data`,
      `hold ${count} values (shape [${shape.join(', ')}])`,
      data,
    );
  }
  return { dtype, shape, data };
}

/** Checks a reader's `file` option. */
export function checkFileOption(fn: string, file: unknown): string | undefined {
  if (file !== undefined && typeof file !== 'string') {
    throw new ArgumentError(fn, 'options.file', 'be a string', file);
  }
  return file;
}

/** Orders strings by code point, as the reference (Rust's `String` order, UTF-8 bytes) does. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const left = a.charCodeAt(i);
    const right = b.charCodeAt(i);
    if (left !== right) return codePointRank(left) - codePointRank(right);
  }
  return a.length - b.length;
}

/** UTF-16 units ranked as the code points they start: a surrogate (beyond U+FFFF) above all others. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}
