/**
 * Tensors as the readers give them and the writer takes them: a dtype (the one in the file), a
 * shape and the values in a typed array. Also the conversions between the dtypes of the files
 * and those typed arrays: float16 and bfloat16 (both ways, round-to-nearest-even as PyTorch),
 * float64 to float32, and little-endian bytes.
 */

/**
 * The dtypes the readers and the writer handle, by PyTorch's names (`torch.float16`, …); the
 * safetensors codes are `F32`, `F64`, `F16`, `BF16`, `I64`, `I32`, `I16`, `I8`, `U8`, `BOOL`.
 */
export type TensorDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/** The values of a {@link TensorData}: see {@link TensorData.data} for which dtype gives which. */
export type TensorValues = Float32Array | Int32Array | BigInt64Array | Uint8Array;

/**
 * A tensor read from a file, or to write to one: its dtype in the file, its shape and its
 * values, row-major (C order, as PyTorch's contiguous tensors).
 *
 * @example
 * ```ts
 * const bias: TensorData = { dtype: 'float32', shape: [3], data: new Float32Array([0.1, 0, -0.1]) };
 * const bytes = writeSafetensors({ bias });
 * ```
 */
export interface TensorData {
  /** The dtype in the file (a float16 tensor read into float32 values says `'float16'`). */
  dtype: TensorDtype;
  /** The shape; `[]` for a scalar. */
  shape: number[];
  /**
   * The values, `shape`'s product of them: a `Float32Array` for every floating dtype (float16,
   * bfloat16 and float64 converted to float32), a `BigInt64Array` for int64 (kept exact), an
   * `Int32Array` for int32, int16 and int8, a `Uint8Array` for uint8 and bool (0 or 1).
   */
  data: TensorValues;
}

/** Bytes per element of each dtype in a file. */
export const ELEMENT_SIZES: Readonly<Record<TensorDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** The typed array each dtype's values come in (see {@link TensorData.data}). */
export const VALUE_ARRAYS: Readonly<
  Record<
    TensorDtype,
    | Float32ArrayConstructor
    | Int32ArrayConstructor
    | BigInt64ArrayConstructor
    | Uint8ArrayConstructor
  >
> = {
  float32: Float32Array,
  float64: Float32Array,
  float16: Float32Array,
  bfloat16: Float32Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int32Array,
  int8: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/**
 * Whether `value` is a {@link TensorData}: a known dtype, a shape of non-negative integers, and
 * values of the kind the dtype gives (a Node.js `Buffer` counts as a `Uint8Array`), as many as the
 * shape holds.
 *
 * @example
 * ```ts
 * declare const bytes: Uint8Array;
 *
 * const checkpoint = readTorchCheckpoint(bytes);
 * if (checkpoint instanceof Map) {
 *   for (const [name, value] of checkpoint)
 *     if (isTensorData(value)) console.log(name, value.dtype, value.shape);
 * }
 * ```
 */
export function isTensorData(value: unknown): value is TensorData {
  if (typeof value !== 'object' || value === null) return false;
  const { dtype, shape, data } = value as Partial<TensorData>;
  if (typeof dtype !== 'string' || !Object.hasOwn(ELEMENT_SIZES, dtype)) return false;
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) return false;
  if (!(data instanceof VALUE_ARRAYS[dtype])) return false;
  return data.length === shape.reduce((a, b) => a * b, 1);
}

/** Whether this machine stores numbers little-endian, as every file format here does. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A copy of `bytes` (little-endian elements of `size` bytes) in a buffer of its own, in this
 * machine's byte order, for a typed array over it.
 */
function nativeCopy(bytes: Uint8Array, size: number): ArrayBuffer {
  const copy = new Uint8Array(bytes);
  if (!HOST_LITTLE_ENDIAN && size > 1) swapBytes(copy, size);
  return copy.buffer;
}

/** The little-endian bytes of a typed array's elements of `size` bytes. */
function littleEndianBytes(values: ArrayBufferView, size: number): Uint8Array {
  const bytes = new Uint8Array(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  if (!HOST_LITTLE_ENDIAN && size > 1) swapBytes(bytes, size);
  return bytes;
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let start = 0; start < bytes.length; start += size)
    bytes.subarray(start, start + size).reverse();
}

let halfTable: Float32Array | undefined;

/** The float32 value of every float16 bit pattern (built once, 256 KiB). */
function halfToFloatTable(): Float32Array {
  if (halfTable !== undefined) return halfTable;
  halfTable = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    halfTable[bits] =
      exponent === 0
        ? sign * fraction * 2 ** -24
        : exponent === 31
          ? fraction === 0
            ? sign * Infinity
            : NaN
          : sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return halfTable;
}

/**
 * The float16 bits nearest to the float32 `bits` (ties to even), as PyTorch's `.half()`: NaN
 * becomes a quiet NaN with its sign, and -1 marks a finite value that rounds beyond float16's
 * range (PyTorch makes it infinite; the writer refuses it).
 */
export function floatBitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 112; // rebias 127 → 15
  if (halfExponent >= 31) return -1;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign; // below half of the smallest subnormal: ±0
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++; // a carry may reach 0x7c00
  return (half & 0x7fff) >= 0x7c00 ? -1 : sign | half;
}

/**
 * The bfloat16 bits nearest to the float32 `bits` (ties to even), as PyTorch: every NaN becomes
 * 0x7fc0, and -1 marks a finite value that rounds to infinity.
 */
export function floatBitsToBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  const rounded = Math.floor(((bits >>> 0) + 0x7fff + ((bits >>> 16) & 1)) / 65536) & 0xffff;
  const finite = (bits & 0x7f800000) !== 0x7f800000;
  return finite && (rounded & 0x7f80) === 0x7f80 ? -1 : rounded;
}

/** Where a conversion finds a value it cannot make: the tensor, the element and the value. */
export type ConversionFailure = (index: number, value: number) => never;

/**
 * The values of `count` elements of `dtype` stored little-endian in `bytes` (exactly `count`
 * elements long), in the typed array {@link TensorData.data} gives for the dtype. A finite
 * float64 beyond float32's range goes to `outOfRange`.
 */
export function decodeValues(
  bytes: Uint8Array,
  dtype: TensorDtype,
  outOfRange: ConversionFailure,
): TensorValues {
  switch (dtype) {
    case 'float32':
      return new Float32Array(nativeCopy(bytes, 4));
    case 'float64': {
      const wide = new Float64Array(nativeCopy(bytes, 8));
      const out = new Float32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        out[i] = wide[i];
        if (!Number.isFinite(out[i]) && Number.isFinite(wide[i])) outOfRange(i, wide[i]);
      }
      return out;
    }
    case 'float16': {
      const halves = new Uint16Array(nativeCopy(bytes, 2));
      const table = halfToFloatTable();
      const out = new Float32Array(halves.length);
      for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
      return out;
    }
    case 'bfloat16': {
      const halves = new Uint16Array(nativeCopy(bytes, 2));
      const out = new Uint32Array(halves.length);
      for (let i = 0; i < halves.length; i++) out[i] = halves[i] << 16;
      return new Float32Array(out.buffer);
    }
    case 'int64':
      return new BigInt64Array(nativeCopy(bytes, 8));
    case 'int32':
      return new Int32Array(nativeCopy(bytes, 4));
    case 'int16':
      return Int32Array.from(new Int16Array(nativeCopy(bytes, 2)));
    case 'int8':
      return Int32Array.from(new Int8Array(nativeCopy(bytes, 1)));
    case 'uint8':
      return new Uint8Array(bytes);
    case 'bool':
      // A byte other than 0 is true, as PyTorch reads it.
      return Uint8Array.from(bytes, (byte) => (byte === 0 ? 0 : 1));
  }
}

/**
 * The little-endian bytes of `data` stored as `dtype` (`data` of the kind {@link TensorData.data}
 * gives for `dtype`, checked by the caller). A value the dtype cannot hold (a float beyond
 * float16's or bfloat16's range, an integer beyond int16's or int8's, a bool other than 0 or 1)
 * goes to `unrepresentable`.
 */
export function encodeValues(
  data: TensorValues,
  dtype: TensorDtype,
  unrepresentable: ConversionFailure,
): Uint8Array {
  switch (dtype) {
    case 'float32':
    case 'int32':
    case 'int64':
    case 'uint8':
      return littleEndianBytes(data, ELEMENT_SIZES[dtype]);
    case 'float64':
      return littleEndianBytes(Float64Array.from(data as Float32Array), 8);
    case 'float16':
    case 'bfloat16': {
      const floats = data as Float32Array;
      const bits = new Uint32Array(floats.buffer, floats.byteOffset, floats.length);
      const convert = dtype === 'float16' ? floatBitsToHalf : floatBitsToBfloat16;
      const out = new Uint16Array(floats.length);
      for (let i = 0; i < bits.length; i++) {
        const half = convert(bits[i]);
        if (half < 0) unrepresentable(i, floats[i]);
        out[i] = half;
      }
      return littleEndianBytes(out, 2);
    }
    case 'int16':
    case 'int8': {
      const ints = data as Int32Array;
      const out = dtype === 'int16' ? new Int16Array(ints.length) : new Int8Array(ints.length);
      for (let i = 0; i < ints.length; i++) {
        out[i] = ints[i];
        if (out[i] !== ints[i]) unrepresentable(i, ints[i]);
      }
      return littleEndianBytes(out, ELEMENT_SIZES[dtype]);
    }
    case 'bool': {
      const bytes = data as Uint8Array;
      for (let i = 0; i < bytes.length; i++) if (bytes[i] > 1) unrepresentable(i, bytes[i]);
      return new Uint8Array(bytes);
    }
  }
}
