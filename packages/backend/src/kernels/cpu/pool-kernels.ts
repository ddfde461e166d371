import * as tf from '@tensorflow/tfjs';
import {
  type PoolGeometry,
  avgPoolBackward,
  avgPoolForward,
  maxPoolBackward,
  maxPoolForward,
} from './pool-impl';
import {
  type KernelArgs,
  type SyncBackend,
  delegate,
  read,
  registerReplacements,
  unregisterReplacements,
} from './replacements';

/**
 * Faster `cpu` kernels for 2-D and 3-D max and average pooling and their input gradients,
 * registered in place of tfjs's own by `registerFastCpuKernels()` (which `setupBackend('cpu')`
 * calls), and taken out again, tfjs's own restored, by `unregisterFastCpuKernels()`.
 *
 * tfjs-backend-cpu 4.22 pools one channel at a time through strided reads, and its gradient
 * kernels visit, for every input element, every window that could hold it through
 * `TensorBuffer.get`/`set` index arithmetic, after recomputing the max positions; the
 * `MaxPool3DGrad` kernel alone was up to a third of the I3D teacher's training step. The
 * replacements walk each window once with the channels innermost and scatter the output
 * gradient to the window's maximum (or over its elements), giving tfjs's values exactly: the
 * same element among equal maxima (the first in 2-D, the last in 3-D), NaN passed over, the same
 * float64 sums in the same order, the same divisions (the average gradients divide by the full
 * window size, as tfjs's kernels do). Inputs they do not handle (other than float32, channels
 * first, a `dy` whose shape is not the pooling's output) go to the kernel they replaced.
 */

/** Kernels replaced on the `cpu` backend. */
const REPLACED_KERNELS = [
  tf.MaxPool,
  tf.AvgPool,
  tf.MaxPool3D,
  tf.AvgPool3D,
  tf.MaxPoolGrad,
  tf.AvgPoolGrad,
  tf.MaxPool3DGrad,
  tf.AvgPool3DGrad,
] as const;

interface PoolAttrs {
  filterSize: number | number[];
  strides: number | number[];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: string;
}

function geometry2d(info: tf.backend_util.Conv2DInfo): PoolGeometry {
  return {
    batch: info.batchSize,
    inDepth: 1,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outDepth: 1,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterDepth: 1,
    filterHeight: info.effectiveFilterHeight,
    filterWidth: info.effectiveFilterWidth,
    strideDepth: 1,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padFront: 0,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function geometry3d(info: tf.backend_util.Conv3DInfo): PoolGeometry {
  return {
    batch: info.batchSize,
    inDepth: info.inDepth,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outDepth: info.outDepth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterDepth: info.effectiveFilterDepth,
    filterHeight: info.effectiveFilterHeight,
    filterWidth: info.effectiveFilterWidth,
    strideDepth: info.strideDepth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padFront: info.padInfo.front,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** `computePool2DInfo` as tfjs's 2-D kernels call it (dilations 1). */
function pool2dInfo(
  shape: number[],
  attrs: PoolAttrs,
  dimRoundingMode: PoolAttrs['dimRoundingMode'],
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad,
    dimRoundingMode,
  );
}

/** `computePool3DInfo` as tfjs's 3-D kernels call it (dilations 1, channels last). */
function pool3dInfo(shape: number[], attrs: PoolAttrs): tf.backend_util.Conv3DInfo {
  return tf.backend_util.computePool3DInfo(
    shape as [number, number, number, number, number],
    attrs.filterSize as number | [number, number, number],
    attrs.strides as number | [number, number, number],
    1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode,
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function attrsOf(args: KernelArgs): PoolAttrs {
  return (args.attrs ?? {}) as unknown as PoolAttrs;
}

/** A forward pooling kernel: MaxPool, AvgPool, MaxPool3D, AvgPool3D. */
function forwardKernel(kernelName: string, rank: 4 | 5, max: boolean) {
  return (args: KernelArgs, original: tf.KernelFunc | undefined): tf.TensorInfo => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    const attrs = attrsOf(args);
    const channelsLast = attrs.dataFormat == null || attrs.dataFormat === 'NDHWC';
    if (x.dtype !== 'float32' || x.shape.length !== rank || (rank === 5 && !channelsLast)) {
      return delegate(original, kernelName, args) as tf.TensorInfo;
    }
    const backend = args.backend as SyncBackend;
    let g: PoolGeometry;
    let outShape: number[];
    if (rank === 4) {
      const info = pool2dInfo(x.shape, attrs, attrs.dimRoundingMode);
      // tfjs returns its input itself for a 1×1 window that keeps the shape.
      if (
        info.filterHeight === 1 &&
        info.filterWidth === 1 &&
        sameShape(info.inShape, info.outShape)
      ) {
        return delegate(original, kernelName, args) as tf.TensorInfo;
      }
      g = geometry2d(info);
      outShape = info.outShape;
    } else {
      const info = pool3dInfo(x.shape, attrs);
      g = geometry3d(info);
      outShape = info.outShape;
    }
    const xs = read(backend, x);
    // An average over no element: tfjs's 2-D kernel divides 0 by 0, its 3-D one by 1.
    const values = max ? maxPoolForward(xs, g) : avgPoolForward(xs, g, rank === 4 ? NaN : 0);
    return backend.makeTensorInfo(outShape, 'float32', values);
  };
}

/** A gradient kernel: MaxPoolGrad, AvgPoolGrad, MaxPool3DGrad, AvgPool3DGrad. */
function gradientKernel(kernelName: string, rank: 4 | 5, max: boolean) {
  return (args: KernelArgs, original: tf.KernelFunc | undefined): tf.TensorInfo => {
    const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const attrs = attrsOf(args);
    if (
      dy.dtype !== 'float32' ||
      input.dtype !== 'float32' ||
      input.shape.length !== rank ||
      dy.shape.length !== rank
    ) {
      return delegate(original, kernelName, args) as tf.TensorInfo;
    }
    const backend = args.backend as SyncBackend;
    let g: PoolGeometry;
    let outShape: number[];
    if (rank === 4) {
      // tfjs's AvgPoolGrad kernel leaves dimRoundingMode out; its MaxPoolGrad uses it.
      const info = pool2dInfo(input.shape, attrs, max ? attrs.dimRoundingMode : undefined);
      g = geometry2d(info);
      outShape = info.outShape;
    } else {
      const info = pool3dInfo(input.shape, attrs);
      g = geometry3d(info);
      outShape = info.outShape;
    }
    if (!sameShape(dy.shape, outShape)) {
      return delegate(original, kernelName, args) as tf.TensorInfo;
    }
    const dys = read(backend, dy);
    const values = max
      ? maxPoolBackward(read(backend, input), dys, g, {
          // tfjs 4.22: `>` in maxPoolPositions (2-D), `>=` in maxPool3dPositions, which also
          // codes a window row with the filter height (see MaxPoolGradRule).
          lastMax: rank === 5,
          rowFactor: rank === 5 ? g.filterHeight : g.filterWidth,
        })
      : avgPoolBackward(dys, g, 1 / (g.filterDepth * g.filterHeight * g.filterWidth));
    return backend.makeTensorInfo([...input.shape], 'float32', values);
  };
}

const REPLACEMENTS = [
  { kernelName: tf.MaxPool, implementation: forwardKernel(tf.MaxPool, 4, true) },
  { kernelName: tf.AvgPool, implementation: forwardKernel(tf.AvgPool, 4, false) },
  { kernelName: tf.MaxPool3D, implementation: forwardKernel(tf.MaxPool3D, 5, true) },
  { kernelName: tf.AvgPool3D, implementation: forwardKernel(tf.AvgPool3D, 5, false) },
  { kernelName: tf.MaxPoolGrad, implementation: gradientKernel(tf.MaxPoolGrad, 4, true) },
  { kernelName: tf.AvgPoolGrad, implementation: gradientKernel(tf.AvgPoolGrad, 4, false) },
  { kernelName: tf.MaxPool3DGrad, implementation: gradientKernel(tf.MaxPool3DGrad, 5, true) },
  { kernelName: tf.AvgPool3DGrad, implementation: gradientKernel(tf.AvgPool3DGrad, 5, false) },
];

/**
 * Registers the faster pooling kernels (`MaxPool`, `AvgPool`, `MaxPool3D`, `AvgPool3D` and their
 * `…Grad` kernels) on tfjs's `cpu` backend, each keeping the kernel it replaces for inputs it
 * does not handle. Calling it again is harmless.
 *
 * @example
 * ```ts
 * registerPoolKernels();
 * tf.getKernel('MaxPool3DGrad', 'cpu'); // the replacement
 * ```
 */
export function registerPoolKernels(): void {
  registerReplacements(REPLACEMENTS);
}

/**
 * Takes the replacements of {@link registerPoolKernels} out and registers again the kernels
 * they replaced (tfjs's own).
 *
 * @example
 * ```ts
 * unregisterPoolKernels();
 * tf.getKernel('MaxPool3DGrad', 'cpu'); // tfjs's own again
 * ```
 */
export function unregisterPoolKernels(): void {
  unregisterReplacements(REPLACED_KERNELS);
}

/**
 * The names of the `cpu` kernels {@link registerPoolKernels} replaces.
 *
 * @example
 * ```ts
 * POOL_KERNELS.includes('MaxPool3DGrad'); // true
 * ```
 */
export const POOL_KERNELS: readonly string[] = REPLACED_KERNELS;
