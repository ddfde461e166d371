import * as tf from '@tensorflow/tfjs';
import {
  type ConvGeometry,
  type ConvLayout,
  channelsFirstLayout,
  channelsLastLayout,
  convFilterGradient,
  depthwiseFilterGradient,
} from './conv-backprop-impl';
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
 * Faster `cpu` kernels for the filter gradients of convolutions, registered in place of tfjs's
 * own by `registerFastCpuKernels()` (which `setupBackend('cpu')` calls), and taken out again,
 * tfjs's own restored, by `unregisterFastCpuKernels()`.
 *
 * tfjs-backend-cpu 4.22 computes `Conv2DBackpropFilter`, `Conv3DBackpropFilterV2` and
 * `DepthwiseConv2dNativeBackpropFilter` with one dot product per filter weight through
 * `TensorBuffer.get` index arithmetic, which made them most of the training time of a per-frame
 * CNN such as the MobileNetV3 student. The replacements gather input patches a block of rows at
 * a time and multiply them with the output gradient in a register-blocked loop (see
 * `conv-backprop-impl.ts`), summing in float64 like the originals.
 */

/** Kernels replaced on the `cpu` backend. */
const REPLACED_KERNELS = [
  tf.Conv2DBackpropFilter,
  tf.Conv3DBackpropFilterV2,
  tf.DepthwiseConv2dNativeBackpropFilter,
] as const;

function conv2dGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inDepth: 1,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outDepth: 1,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterDepth: 1,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideDepth: 1,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationDepth: 1,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padFront: 0,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function conv2dBackpropFilter(
  args: KernelArgs,
  original: tf.KernelFunc | undefined,
): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs & {
    dilations?: [number, number] | number;
  };
  if (!realInputs(x, dy) || x.shape.length !== 4)
    return delegate(original, tf.Conv2DBackpropFilter, args) as tf.TensorInfo;
  const backend = args.backend as SyncBackend;
  const channelsFirst = attrs.dataFormat === 'NCHW';
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    channelsFirst ? 'channelsFirst' : 'channelsLast',
  );
  const layout = (h: number, w: number, c: number): ConvLayout =>
    channelsFirst ? channelsFirstLayout(h, w, c) : channelsLastLayout(1, h, w, c);
  const values = convFilterGradient(
    read(backend, x),
    layout(info.inHeight, info.inWidth, info.inChannels),
    read(backend, dy),
    layout(info.outHeight, info.outWidth, info.outChannels),
    conv2dGeometry(info),
  );
  return backend.makeTensorInfo([...info.filterShape], 'float32', values);
}

function conv3dBackpropFilter(
  args: KernelArgs,
  original: tf.KernelFunc | undefined,
): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv3DBackpropFilterV2Attrs & {
    dilations?: [number, number, number] | number;
  };
  if (!realInputs(x, dy) || x.shape.length !== 5)
    return delegate(original, tf.Conv3DBackpropFilterV2, args) as tf.TensorInfo;
  const backend = args.backend as SyncBackend;
  const info = tf.backend_util.computeConv3DInfo(
    x.shape as [number, number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
  );
  const values = convFilterGradient(
    read(backend, x),
    channelsLastLayout(info.inDepth, info.inHeight, info.inWidth, info.inChannels),
    read(backend, dy),
    channelsLastLayout(info.outDepth, info.outHeight, info.outWidth, info.outChannels),
    {
      batch: info.batchSize,
      inDepth: info.inDepth,
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      inChannels: info.inChannels,
      outDepth: info.outDepth,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      outChannels: info.outChannels,
      filterDepth: info.filterDepth,
      filterHeight: info.filterHeight,
      filterWidth: info.filterWidth,
      strideDepth: info.strideDepth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      dilationDepth: info.dilationDepth,
      dilationHeight: info.dilationHeight,
      dilationWidth: info.dilationWidth,
      padFront: info.padInfo.front,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    },
  );
  return backend.makeTensorInfo([...info.filterShape], 'float32', values);
}

function depthwiseBackpropFilter(
  args: KernelArgs,
  original: tf.KernelFunc | undefined,
): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  if (!realInputs(x, dy) || x.shape.length !== 4) {
    return delegate(original, tf.DepthwiseConv2dNativeBackpropFilter, args) as tf.TensorInfo;
  }
  const backend = args.backend as SyncBackend;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const values = depthwiseFilterGradient(read(backend, x), read(backend, dy), conv2dGeometry(info));
  return backend.makeTensorInfo([...info.filterShape], 'float32', values);
}

const REPLACEMENTS = [
  { kernelName: tf.Conv2DBackpropFilter, implementation: conv2dBackpropFilter },
  { kernelName: tf.Conv3DBackpropFilterV2, implementation: conv3dBackpropFilter },
  { kernelName: tf.DepthwiseConv2dNativeBackpropFilter, implementation: depthwiseBackpropFilter },
];

/**
 * Registers the faster filter-gradient kernels (`Conv2DBackpropFilter`, `Conv3DBackpropFilterV2`,
 * `DepthwiseConv2dNativeBackpropFilter`) on tfjs's `cpu` backend, each keeping the kernel it
 * replaces for inputs it does not handle (complex values). Calling it again is harmless.
 *
 * @example
 * ```ts
 * registerConvBackpropKernels();
 * tf.getKernel('Conv2DBackpropFilter', 'cpu'); // the replacement
 * ```
 */
export function registerConvBackpropKernels(): void {
  registerReplacements(REPLACEMENTS);
}

/**
 * Takes the replacements of {@link registerConvBackpropKernels} out and registers again the
 * kernels they replaced (tfjs's own).
 *
 * @example
 * ```ts
 * unregisterConvBackpropKernels();
 * tf.getKernel('Conv2DBackpropFilter', 'cpu'); // tfjs's own again
 * ```
 */
export function unregisterConvBackpropKernels(): void {
  unregisterReplacements(REPLACED_KERNELS);
}

export { replacedCpuKernel } from './replacements';

/**
 * The names of the `cpu` kernels {@link registerConvBackpropKernels} replaces.
 *
 * @example
 * ```ts
 * CONV_BACKPROP_KERNELS.includes('Conv2DBackpropFilter'); // true
 * ```
 */
export const CONV_BACKPROP_KERNELS: readonly string[] = REPLACED_KERNELS;
