import * as tf from '@tensorflow/tfjs';
import {
  type ConvGeometry,
  type ConvLayout,
  channelsFirstLayout,
  channelsLastLayout,
  convFilterGradient,
  depthwiseFilterGradient,
} from './conv-backprop-impl';

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

/** Marks a kernel function as one of these replacements, whichever copy of the package made it. */
const REPLACEMENT = Symbol.for('@slr/backend/conv-backprop-kernel');
/** The kernel function a replacement took the place of, on the replacement itself. */
const REPLACED = Symbol.for('@slr/backend/conv-backprop-kernel/replaced');

interface ReplacementKernelFunc {
  (args: KernelArgs): tf.TensorInfo;
  [REPLACEMENT]: true;
  [REPLACED]: tf.KernelFunc | undefined;
}

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** What the kernels use of the CPU backend: synchronous reads and tensor creation. */
interface SyncBackend {
  readSync(dataId: tf.DataId): tf.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo;
}

const REAL_DTYPES: ReadonlySet<tf.DataType> = new Set<tf.DataType>(['float32', 'int32', 'bool']);

function realInputs(...tensors: tf.TensorInfo[]): boolean {
  return tensors.every((t) => REAL_DTYPES.has(t.dtype));
}

function read(backend: SyncBackend, t: tf.TensorInfo): ArrayLike<number> {
  return backend.readSync(t.dataId) as ArrayLike<number>;
}

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
  original: tf.KernelFunc | undefined,
  args: KernelArgs,
): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs & {
    dilations?: [number, number] | number;
  };
  if (!realInputs(x, dy) || x.shape.length !== 4)
    return delegate(original, tf.Conv2DBackpropFilter, args);
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
  original: tf.KernelFunc | undefined,
  args: KernelArgs,
): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv3DBackpropFilterV2Attrs & {
    dilations?: [number, number, number] | number;
  };
  if (!realInputs(x, dy) || x.shape.length !== 5)
    return delegate(original, tf.Conv3DBackpropFilterV2, args);
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
  original: tf.KernelFunc | undefined,
  args: KernelArgs,
): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  if (!realInputs(x, dy) || x.shape.length !== 4) {
    return delegate(original, tf.DepthwiseConv2dNativeBackpropFilter, args);
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

function delegate(
  original: tf.KernelFunc | undefined,
  kernelName: string,
  args: KernelArgs,
): tf.TensorInfo {
  if (original == null) {
    throw new Error(`${kernelName}: unsupported inputs and no tfjs kernel to hand them to.`);
  }
  return original(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

const IMPLEMENTATIONS: Record<
  (typeof REPLACED_KERNELS)[number],
  (original: tf.KernelFunc | undefined, args: KernelArgs) => tf.TensorInfo
> = {
  [tf.Conv2DBackpropFilter]: conv2dBackpropFilter,
  [tf.Conv3DBackpropFilterV2]: conv3dBackpropFilter,
  [tf.DepthwiseConv2dNativeBackpropFilter]: depthwiseBackpropFilter,
};

function isReplacement(
  kernelFunc: tf.KernelFunc | undefined,
): kernelFunc is tf.KernelFunc & ReplacementKernelFunc {
  return kernelFunc != null && (kernelFunc as Partial<ReplacementKernelFunc>)[REPLACEMENT] === true;
}

/**
 * Registers the faster filter-gradient kernels (`Conv2DBackpropFilter`, `Conv3DBackpropFilterV2`,
 * `DepthwiseConv2dNativeBackpropFilter`) on tfjs's `cpu` backend, each keeping the kernel it
 * replaces for inputs it does not handle (complex values). Calling it again is harmless and
 * wraps nothing twice. Call it again if tfjs-backend-cpu's kernels are registered after it ran
 * (as when tfjs-core and the backend are loaded separately), since they then replace these.
 *
 * @example
 * ```ts
 * registerConvBackpropKernels();
 * tf.getKernel('Conv2DBackpropFilter', 'cpu'); // the replacement
 * ```
 */
export function registerConvBackpropKernels(): void {
  for (const kernelName of REPLACED_KERNELS) {
    const current = tf.getKernel(kernelName, 'cpu');
    if (isReplacement(current?.kernelFunc)) continue;
    const original = current?.kernelFunc;
    const implementation = IMPLEMENTATIONS[kernelName];
    const kernelFunc = Object.assign((args: KernelArgs) => implementation(original, args), {
      [REPLACEMENT]: true as const,
      [REPLACED]: original,
    });
    if (current != null) tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel({
      kernelName,
      backendName: 'cpu',
      kernelFunc: kernelFunc,
      setupFunc: current?.setupFunc,
      disposeFunc: current?.disposeFunc,
    });
  }
}

/**
 * Takes the replacements of {@link registerConvBackpropKernels} out and registers again the
 * kernels they replaced (tfjs's own); a kernel that had none is left unregistered. Does nothing
 * for a kernel that is not replaced.
 *
 * @example
 * ```ts
 * unregisterConvBackpropKernels();
 * replacedCpuKernel('Conv2DBackpropFilter'); // undefined: tfjs's own kernel is registered
 * ```
 */
export function unregisterConvBackpropKernels(): void {
  for (const kernelName of REPLACED_KERNELS) {
    const current = tf.getKernel(kernelName, 'cpu');
    const kernelFunc = current?.kernelFunc;
    if (current == null || !isReplacement(kernelFunc)) continue;
    const original = kernelFunc[REPLACED];
    tf.unregisterKernel(kernelName, 'cpu');
    if (original != null) {
      tf.registerKernel({
        kernelName,
        backendName: 'cpu',
        kernelFunc: original,
        setupFunc: current.setupFunc,
        disposeFunc: current.disposeFunc,
      });
    }
  }
}

/**
 * The `cpu` kernel function tfjs had registered for `kernelName` before
 * {@link registerConvBackpropKernels} replaced it, or `undefined` when `kernelName` is not
 * replaced (or there was none). For comparisons against tfjs's own kernels.
 *
 * @example
 * ```ts
 * const tfjsKernel = replacedCpuKernel('Conv2DBackpropFilter');
 * ```
 */
export function replacedCpuKernel(kernelName: string): tf.KernelFunc | undefined {
  const kernelFunc = tf.getKernel(kernelName, 'cpu')?.kernelFunc;
  return isReplacement(kernelFunc) ? kernelFunc[REPLACED] : undefined;
}

/**
 * The names of the `cpu` kernels {@link registerConvBackpropKernels} replaces.
 *
 * @example
 * ```ts
 * CONV_BACKPROP_KERNELS.includes('Conv2DBackpropFilter'); // true
 * ```
 */
export const CONV_BACKPROP_KERNELS: readonly string[] = REPLACED_KERNELS;
