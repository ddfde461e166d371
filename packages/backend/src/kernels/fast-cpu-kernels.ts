/**
 * The faster `cpu` kernels this package puts in place of tfjs's own. They change speed only,
 * never results beyond float32 rounding, and are registered explicitly: by
 * {@link registerFastCpuKernels}, which `setupBackend('cpu')` calls (and `'auto'` when it
 * settles on the CPU), never by importing a package.
 */
import {
  CONV_BACKPROP_KERNELS,
  registerConvBackpropKernels,
  unregisterConvBackpropKernels,
} from './cpu/conv-backprop-kernels';
import { POOL_KERNELS, registerPoolKernels, unregisterPoolKernels } from './cpu/pool-kernels';
import {
  BINARY_KERNELS,
  registerBinaryKernels,
  unregisterBinaryKernels,
} from './cpu/binary-kernels';
import {
  DATA_MOVEMENT_KERNELS,
  registerDataMovementKernels,
  unregisterDataMovementKernels,
} from './cpu/data-movement-kernels';
import {
  REDUCTION_KERNELS,
  registerReductionKernels,
  unregisterReductionKernels,
} from './cpu/reduction-kernels';
import {
  TRANSPOSE_KERNELS,
  registerTransposeKernel,
  unregisterTransposeKernel,
} from './cpu/transpose-kernel';

/**
 * The tfjs `cpu` kernels that {@link registerFastCpuKernels} replaces:
 * `Conv2DBackpropFilter`, `Conv3DBackpropFilterV2` and `DepthwiseConv2dNativeBackpropFilter`;
 * `MaxPool`, `AvgPool`, `MaxPool3D`, `AvgPool3D` and their `…Grad` kernels;
 * the elementwise binary ops `Add`, `Sub`, `Multiply`, `RealDiv`, `Maximum`, `Minimum`,
 * `SquaredDifference` and `Pow` (tfjs walks their broadcasts by index arithmetic per element);
 * the reductions `Sum`, `Mean`, `Prod`, `Max`, `Min`, `ArgMax`, `ArgMin`; `Transpose`.
 *
 * @example
 * ```ts
 * registerFastCpuKernels();
 * for (const name of FAST_CPU_KERNELS) console.log(name, tf.getKernel(name, 'cpu') != null);
 * ```
 */
export const FAST_CPU_KERNELS: readonly string[] = [
  ...CONV_BACKPROP_KERNELS,
  ...POOL_KERNELS,
  ...BINARY_KERNELS,
  ...DATA_MOVEMENT_KERNELS,
  ...REDUCTION_KERNELS,
  ...TRANSPOSE_KERNELS,
];

/**
 * Puts this package's faster kernels in place of tfjs's on the `cpu` backend (the kernels in
 * {@link FAST_CPU_KERNELS}): the filter gradients of 2-D, depthwise and 3-D convolutions,
 * which tfjs-backend-cpu 4.22 computes one dot product per filter weight through
 * `TensorBuffer.get` and which made most of the training time of the project's CNNs. The
 * replacements gather input patches a block of rows at a time and multiply them in a
 * register-blocked loop, summing in float64 as tfjs does; inputs they do not handle (complex
 * values) go to the kernel they replaced. Reductions and `Transpose` walk their input in place
 * instead of through tfjs's per-element index arithmetic.
 *
 * `setupBackend('cpu')` calls it (unless `fastCpuKernels: false`). Calling it again is harmless.
 * Call it again after registering tfjs-backend-cpu's kernels anew (as loading tfjs-core and the
 * CPU backend separately does), since those then replace these.
 *
 * @example
 * ```ts
 * import { registerFastCpuKernels } from '@slr/backend';
 *
 * registerFastCpuKernels(); // what setupBackend('cpu') does
 * await tf.setBackend('cpu');
 * ```
 */
export function registerFastCpuKernels(): void {
  registerConvBackpropKernels();
  registerPoolKernels();
  registerBinaryKernels();
  registerDataMovementKernels();
  registerReductionKernels();
  registerTransposeKernel();
}

/**
 * Takes the kernels of {@link registerFastCpuKernels} out again and registers tfjs's own in
 * their place, as `setupBackend('cpu', { fastCpuKernels: false })` does: for comparisons with
 * tfjs's kernels, or to rule these out when looking for a bug. Does nothing when they are not
 * registered.
 *
 * @example
 * ```ts
 * const x = tf.randomNormal<tf.Rank.R4>([1, 8, 8, 3]);
 * const filter = tf.randomNormal<tf.Rank.R4>([3, 3, 3, 4]);
 * const lossOf = (w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'));
 * unregisterFastCpuKernels();
 * const reference = tf.grad(lossOf)(filter); // with tfjs's own kernels
 * registerFastCpuKernels();
 * const fast = tf.grad(lossOf)(filter); // the same values, sooner
 * ```
 */
export function unregisterFastCpuKernels(): void {
  unregisterConvBackpropKernels();
  unregisterPoolKernels();
  unregisterBinaryKernels();
  unregisterDataMovementKernels();
  unregisterReductionKernels();
  unregisterTransposeKernel();
}
