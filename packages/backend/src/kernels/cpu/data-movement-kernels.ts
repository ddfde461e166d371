import * as tf from '@tensorflow/tfjs';
import { type NumericArray, copyBox, sizeOf, stridesOf, tileInto } from './data-movement-impl';
import {
  type KernelArgs,
  type KernelResult,
  type SyncBackend,
  delegate,
  read,
  realInputs,
  registerReplacements,
  unregisterReplacements,
} from './replacements';

/**
 * Faster `cpu` kernels that move data without computing: `Slice`, `SplitV`, `Unpack`, `Concat`,
 * `PadV2`, `Tile` and `Reverse`, registered in place of tfjs's own by `registerFastCpuKernels()`
 * (which `setupBackend('cpu')` calls), and taken out again by `unregisterFastCpuKernels()`.
 *
 * tfjs-backend-cpu 4.22 copies a slice that is not one contiguous block, each output of `SplitV`
 * and `Unpack` likewise, every padded, tiled and reversed element one at a time through
 * `TensorBuffer` index arithmetic; in the MobileNetV3 student's training step (the gradients of
 * its 'same' padding) these took over a tenth of the time. The replacements copy contiguous
 * runs with `TypedArray.set` and walk only the outer axes (see `data-movement-impl.ts`); `Tile`
 * repeats blocks by doubling copies; `Reverse` walks the reversed axes with negative strides (an
 * LSTM that reads time backwards reverses `[T, B, F]` along T: whole rows of B·F). The values
 * are the same to the bit (a copy computes nothing), and so are the dtypes, the shapes, and the
 * errors for invalid arguments; strings, complex values and arguments tfjs does not validate but
 * mishandles (negative begins or paddings, fractional sizes) go to tfjs's kernel.
 */

/** Kernels replaced on the `cpu` backend. */
const REPLACED_KERNELS = [
  tf.Slice,
  tf.SplitV,
  tf.Unpack,
  tf.Concat,
  tf.PadV2,
  tf.Tile,
  tf.Reverse,
] as const;

/** Whether every value is an integer ≥ 0. */
function naturals(values: readonly number[]): boolean {
  return values.every((v) => Number.isInteger(v) && v >= 0);
}

/** The values of `t` when they are a typed array (the CPU backend's own), else `null`. */
function typedValues(backend: SyncBackend, t: tf.TensorInfo): NumericArray | null {
  const values = read(backend, t);
  return ArrayBuffer.isView(values) ? (values as unknown as NumericArray) : null;
}

/**
 * Values of the slice of `x` at `begin` of `size` (validated): a view of `x`'s values where
 * the slice is one contiguous block, as tfjs's kernel returns, else a copy.
 */
function sliceValues(
  values: NumericArray,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
): NumericArray {
  const strides = stridesOf(x.shape);
  let offset = 0;
  for (let k = 0; k < begin.length; k++) offset += begin[k] * strides[k];
  const length = sizeOf(size);
  if (tf.slice_util.isSliceContinous(x.shape, begin as number[], size as number[])) {
    return values.subarray(offset, offset + length);
  }
  const out = tf.util.getArrayFromDType(x.dtype, length) as unknown as NumericArray;
  copyBox(values, offset, strides, out, 0, stridesOf(size), size);
  return out;
}

function slice(args: KernelArgs, original: tf.KernelFunc | undefined): KernelResult {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.SliceAttrs;
  const backend = args.backend as SyncBackend;
  const values = realInputs(x) && x.shape.length > 0 ? typedValues(backend, x) : null;
  if (values == null) return delegate(original, tf.Slice, args);
  const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
  tf.slice_util.assertParamsValid(x, begin, size);
  if (!naturals(begin) || !naturals(size)) return delegate(original, tf.Slice, args);
  return backend.makeTensorInfo(size, x.dtype, sliceValues(values, x, begin, size) as never);
}

/** Slices of `x` along `axis` of the given sizes, one after the other. */
function sliceAlong(
  backend: SyncBackend,
  values: NumericArray,
  x: tf.TensorInfo,
  axis: number,
  sizes: readonly number[],
  outShape: (size: number) => number[],
): tf.TensorInfo[] {
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const out = sliceValues(values, x, begin, size);
    begin[axis] += s;
    return backend.makeTensorInfo(outShape(s), x.dtype, out as never);
  });
}

function splitV(args: KernelArgs, original: tf.KernelFunc | undefined): KernelResult {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.SplitVAttrs;
  const backend = args.backend as SyncBackend;
  const values = realInputs(x) && x.shape.length > 0 ? typedValues(backend, x) : null;
  if (values == null) return delegate(original, tf.SplitV, args);
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  // A copy: tfjs's kernel writes the size it infers for -1 into the caller's array.
  const requested = attrs.numOrSizeSplits;
  const sizes = tf.backend_util.prepareSplitSize(
    x,
    Array.isArray(requested) ? [...requested] : requested,
    axis,
  );
  if (!naturals(sizes)) return delegate(original, tf.SplitV, args);
  return sliceAlong(backend, values, x, axis, sizes, (s) => {
    const shape = [...x.shape];
    shape[axis] = s;
    return shape;
  });
}

function unpack(args: KernelArgs, original: tf.KernelFunc | undefined): KernelResult {
  const { value: x } = args.inputs as unknown as { value: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.UnpackAttrs;
  const backend = args.backend as SyncBackend;
  const rank = x.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
  const values =
    realInputs(x) && Number.isInteger(axis) && axis >= 0 && axis < rank
      ? typedValues(backend, x)
      : null;
  if (values == null) return delegate(original, tf.Unpack, args);
  const outShape = x.shape.filter((_, k) => k !== axis);
  const sizes = new Array<number>(x.shape[axis]).fill(1);
  return sliceAlong(backend, values, x, axis, sizes, () => [...outShape]);
}

function concat(args: KernelArgs, original: tf.KernelFunc | undefined): KernelResult {
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const attrs = (args.attrs ?? {}) as unknown as tf.ConcatAttrs;
  const backend = args.backend as SyncBackend;
  if (!Array.isArray(inputs) || inputs.length === 0 || !realInputs(...inputs)) {
    return delegate(original, tf.Concat, args);
  }
  const axis = tf.util.parseAxisParam(attrs.axis, inputs[0].shape)[0];
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const outShape = tf.backend_util.computeOutShape(shapes, axis);
  const nonEmpty = inputs.filter((t) => sizeOf(t.shape) > 0);
  // Nothing to copy, or a single tensor tfjs passes on as it is: its kernel is as fast.
  if (sizeOf(outShape) === 0 || nonEmpty.length < 2) return delegate(original, tf.Concat, args);
  const sources = nonEmpty.map((t) => typedValues(backend, t));
  if (sources.some((v) => v == null)) return delegate(original, tf.Concat, args);
  const dtype = inputs[0].dtype;
  const out = tf.util.getArrayFromDType(dtype, sizeOf(outShape)) as unknown as NumericArray;
  const outer = sizeOf(outShape.slice(0, axis));
  const outRow = sizeOf(outShape.slice(axis));
  let offset = 0;
  nonEmpty.forEach((t, i) => {
    const row = sizeOf(t.shape.slice(axis));
    copyBox(sources[i]!, 0, [row, 1], out, offset, [outRow, 1], [outer, row]);
    offset += row;
  });
  return backend.makeTensorInfo(outShape, dtype, out as never);
}

function padV2(args: KernelArgs, original: tf.KernelFunc | undefined): KernelResult {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.PadV2Attrs;
  const backend = args.backend as SyncBackend;
  const paddings = attrs.paddings;
  const rank = x.shape.length;
  const valid =
    realInputs(x) &&
    rank > 0 &&
    Array.isArray(paddings) &&
    paddings.length === rank &&
    paddings.every((p) => Array.isArray(p) && p.length === 2 && naturals(p));
  const values = valid ? typedValues(backend, x) : null;
  if (values == null) return delegate(original, tf.PadV2, args);
  const outShape = paddings.map((p, k) => p[0] + x.shape[k] + p[1]);
  const out = tf.util.getTypedArrayFromDType(
    x.dtype as tf.NumericDataType,
    sizeOf(outShape),
  ) as unknown as NumericArray;
  // As tfjs: a constant of 0 (or -0) leaves the zeros the array starts with.
  if (attrs.constantValue !== 0) out.fill(attrs.constantValue);
  const outStrides = stridesOf(outShape);
  let offset = 0;
  for (let k = 0; k < rank; k++) offset += paddings[k][0] * outStrides[k];
  copyBox(values, 0, stridesOf(x.shape), out, offset, outStrides, x.shape);
  return backend.makeTensorInfo(outShape, x.dtype, out as never);
}

function tile(args: KernelArgs, original: tf.KernelFunc | undefined): KernelResult {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.TileAttrs;
  const backend = args.backend as SyncBackend;
  const reps = attrs.reps;
  const valid =
    realInputs(x) &&
    x.shape.length > 0 &&
    Array.isArray(reps) &&
    reps.length === x.shape.length &&
    naturals(reps);
  const values = valid ? typedValues(backend, x) : null;
  if (values == null) return delegate(original, tf.Tile, args);
  const outShape = x.shape.map((s, k) => s * reps[k]);
  const out = tf.util.getArrayFromDType(x.dtype, sizeOf(outShape)) as unknown as NumericArray;
  tileInto(values, x.shape, reps, out);
  return backend.makeTensorInfo(outShape, x.dtype, out as never);
}

function reverse(args: KernelArgs, original: tf.KernelFunc | undefined): KernelResult {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.ReverseAttrs;
  const backend = args.backend as SyncBackend;
  const values = realInputs(x) && x.shape.length > 0 ? typedValues(backend, x) : null;
  if (values == null) return delegate(original, tf.Reverse, args);
  const axes = tf.util.parseAxisParam(attrs.dims, x.shape);
  const strides = stridesOf(x.shape);
  let offset = 0;
  const srcStrides = strides.map((stride, k) => {
    if (!axes.includes(k)) return stride;
    offset += (x.shape[k] - 1) * stride;
    return -stride;
  });
  const out = tf.util.getArrayFromDType(x.dtype, sizeOf(x.shape)) as unknown as NumericArray;
  if (out.length > 0) copyBox(values, offset, srcStrides, out, 0, strides, x.shape);
  return backend.makeTensorInfo([...x.shape], x.dtype, out as never);
}

const REPLACEMENTS = [
  { kernelName: tf.Slice, implementation: slice },
  { kernelName: tf.SplitV, implementation: splitV },
  { kernelName: tf.Unpack, implementation: unpack },
  { kernelName: tf.Concat, implementation: concat },
  { kernelName: tf.PadV2, implementation: padV2 },
  { kernelName: tf.Tile, implementation: tile },
  { kernelName: tf.Reverse, implementation: reverse },
];

/**
 * Registers the faster data-movement kernels (`Slice`, `SplitV`, `Unpack`, `Concat`, `PadV2`,
 * `Tile`) on tfjs's `cpu` backend, each keeping the kernel it replaces for inputs it does not
 * handle (strings, complex values). Calling it again is harmless.
 *
 * @example
 * ```ts
 * registerDataMovementKernels();
 * tf.getKernel('Slice', 'cpu'); // the replacement
 * ```
 */
export function registerDataMovementKernels(): void {
  registerReplacements(REPLACEMENTS);
}

/**
 * Takes the replacements of {@link registerDataMovementKernels} out and registers again the
 * kernels they replaced (tfjs's own).
 *
 * @example
 * ```ts
 * unregisterDataMovementKernels();
 * tf.getKernel('Slice', 'cpu'); // tfjs's own again
 * ```
 */
export function unregisterDataMovementKernels(): void {
  unregisterReplacements(REPLACED_KERNELS);
}

/**
 * The names of the `cpu` kernels {@link registerDataMovementKernels} replaces.
 *
 * @example
 * ```ts
 * DATA_MOVEMENT_KERNELS.includes('PadV2'); // true
 * ```
 */
export const DATA_MOVEMENT_KERNELS: readonly string[] = REPLACED_KERNELS;
