import * as tf from '@tensorflow/tfjs';
import { type ReduceOp, argReduce, planReduction, reduceValues } from './reduction-impl';
import {
  type KernelArgs,
  type SyncBackend,
  delegate,
  read,
  realInputs,
  registerReplacements,
  unregisterReplacements,
} from './replacements';

/**
 * Faster `cpu` kernels for reductions (`Sum`, `Mean`, `Prod`, `Max`, `Min`, `ArgMax`,
 * `ArgMin`), registered in place of tfjs's own by `registerFastCpuKernels()` (which
 * `setupBackend('cpu')` calls), and taken out again, tfjs's own restored, by
 * `unregisterFastCpuKernels()`.
 *
 * tfjs-backend-cpu 4.22 first transposes the reduced axes to the end (computing every element's
 * index through arrays), then reduces; `Mean` also casts and divides every element first. That
 * made a tenth or more of a training step of the project's CNNs (batch-norm statistics over
 * N, H and W, squeeze-excite means). These reduce in place (see `reduction-impl.ts`), into
 * float64 accumulators as tfjs's kernels do, visiting each output's inputs in row-major order of
 * the reduced axes (tfjs's order when the axes come sorted; where reduced axes are separated by
 * kept ones, partial results of the innermost reduced run are combined instead): `Sum` and
 * `Prod` give tfjs's values within float64 rounding, which float32 storage hides; `Max`, `Min`,
 * `ArgMax` and `ArgMin` give them exactly. `Mean` divides the float64 sum once, where tfjs
 * divides each element in float32 first: at least as accurate. `Max`/`Min` propagate NaN and
 * `ArgMax`/`ArgMin` take the first of equal values and pass over NaN unless it comes first, as
 * tfjs does. Inputs they do not handle (complex or string values, empty tensors, axes tfjs
 * would reject or repeat) go to tfjs's kernel.
 */

/** Kernels replaced on the `cpu` backend. */
const REPLACED_KERNELS = [tf.Sum, tf.Mean, tf.Prod, tf.Max, tf.Min, tf.ArgMax, tf.ArgMin] as const;

/**
 * The reduction axes of an `axis` attribute for a tensor of rank `rank`, non-negative and in the
 * order given (all axes when it is null), or `null` when tfjs would reject it or treat it
 * oddly (out of range, not integers, repeated).
 */
function reductionAxes(axis: unknown, rank: number): number[] | null {
  if (axis == null) return Array.from({ length: rank }, (_, i) => i);
  const list: unknown[] = Array.isArray(axis) ? axis : [axis];
  const axes: number[] = [];
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) return null;
    const normalized = a < 0 ? a + rank : a;
    if (axes.includes(normalized)) return null;
    axes.push(normalized);
  }
  return axes;
}

function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const s of shape) size *= s;
  return size;
}

function typedArrayOf(
  dtype: tf.DataType,
  values: Float64Array,
): Float32Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'int32':
      return new Int32Array(values);
    case 'bool':
      return new Uint8Array(values);
    default:
      return new Float32Array(values);
  }
}

type Reduction = ReduceOp | 'mean';

function reductionKernel(kernelName: string, reduction: Reduction, axisAttr: string) {
  return (args: KernelArgs, original: tf.KernelFunc | undefined): tf.TensorInfo => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    const axes = realInputs(x) ? reductionAxes(attrs[axisAttr], x.shape.length) : null;
    if (axes === null || sizeOf(x.shape) === 0) {
      return delegate(original, kernelName, args) as tf.TensorInfo;
    }
    const backend = args.backend as SyncBackend;
    const plan = planReduction(x.shape, axes);
    const acc = reduceValues(read(backend, x), plan, reduction === 'mean' ? 'sum' : reduction);
    if (reduction === 'mean') {
      for (let i = 0; i < acc.length; i++) acc[i] /= plan.reduceSize;
    }
    let dtype: tf.DataType = x.dtype;
    if (reduction === 'mean') dtype = 'float32';
    else if ((reduction === 'sum' || reduction === 'prod') && dtype === 'bool') dtype = 'int32';
    const shape = attrs.keepDims
      ? x.shape.map((s, d) => (axes.includes(d) ? 1 : s))
      : x.shape.filter((_, d) => !axes.includes(d));
    return backend.makeTensorInfo(shape, dtype, typedArrayOf(dtype, acc));
  };
}

function argReductionKernel(kernelName: string, op: 'max' | 'min') {
  return (args: KernelArgs, original: tf.KernelFunc | undefined): tf.TensorInfo => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    const rank = x.shape.length;
    const axes = realInputs(x) && rank > 0 ? reductionAxes(attrs.axis, rank) : null;
    if (axes === null || axes.length !== 1 || sizeOf(x.shape) === 0) {
      return delegate(original, kernelName, args) as tf.TensorInfo;
    }
    const axis = axes[0];
    const backend = args.backend as SyncBackend;
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const values = argReduce(read(backend, x), outer, x.shape[axis], inner, op);
    const shape = x.shape.filter((_, d) => d !== axis);
    return backend.makeTensorInfo(shape, 'int32', values);
  };
}

const REPLACEMENTS = [
  { kernelName: tf.Sum, implementation: reductionKernel(tf.Sum, 'sum', 'axis') },
  { kernelName: tf.Mean, implementation: reductionKernel(tf.Mean, 'mean', 'axis') },
  { kernelName: tf.Prod, implementation: reductionKernel(tf.Prod, 'prod', 'axis') },
  { kernelName: tf.Max, implementation: reductionKernel(tf.Max, 'max', 'reductionIndices') },
  { kernelName: tf.Min, implementation: reductionKernel(tf.Min, 'min', 'axis') },
  { kernelName: tf.ArgMax, implementation: argReductionKernel(tf.ArgMax, 'max') },
  { kernelName: tf.ArgMin, implementation: argReductionKernel(tf.ArgMin, 'min') },
];

/**
 * Registers the faster reduction kernels (`Sum`, `Mean`, `Prod`, `Max`, `Min`, `ArgMax`,
 * `ArgMin`) on tfjs's `cpu` backend, each keeping the kernel it replaces for inputs it does not
 * handle. Calling it again is harmless.
 *
 * @example
 * ```ts
 * registerReductionKernels();
 * tf.getKernel('Sum', 'cpu'); // the replacement
 * ```
 */
export function registerReductionKernels(): void {
  registerReplacements(REPLACEMENTS);
}

/**
 * Takes the replacements of {@link registerReductionKernels} out and registers again the kernels
 * they replaced (tfjs's own).
 *
 * @example
 * ```ts
 * unregisterReductionKernels();
 * tf.getKernel('Sum', 'cpu'); // tfjs's own again
 * ```
 */
export function unregisterReductionKernels(): void {
  unregisterReplacements(REPLACED_KERNELS);
}

/**
 * The names of the `cpu` kernels {@link registerReductionKernels} replaces.
 *
 * @example
 * ```ts
 * REDUCTION_KERNELS.includes('Sum'); // true
 * ```
 */
export const REDUCTION_KERNELS: readonly string[] = REPLACED_KERNELS;
