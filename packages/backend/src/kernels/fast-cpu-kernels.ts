/**
 * The faster `cpu` kernels this package puts in place of tfjs's own. They change speed only,
 * never results beyond float32 rounding, and are registered explicitly: by
 * {@link registerFastCpuKernels}, which `setupBackend('cpu')` calls (and `'auto'` when it
 * settles on the CPU), never by importing a package.
 */
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
import { POOL_KERNELS, registerPoolKernels, unregisterPoolKernels } from './cpu/pool-kernels';
import {
  REDUCTION_KERNELS,
  registerReductionKernels,
  unregisterReductionKernels,
} from './cpu/reduction-kernels';
import { registerReplacements, unregisterReplacements } from './cpu/replacements';
import {
  TRANSPOSE_KERNELS,
  registerTransposeKernel,
  unregisterTransposeKernel,
} from './cpu/transpose-kernel';
import { UNARY_KERNELS, registerUnaryKernels, unregisterUnaryKernels } from './cpu/unary-kernels';
import { wasmKernelsSync } from './wasm/runtime';
import { WASM_KERNELS, wasmReplacements } from './wasm/wasm-kernels';

/**
 * The tfjs `cpu` kernels that {@link registerFastCpuKernels} replaces.
 * - On WebAssembly SIMD (once {@link loadWasmKernels} has resolved): `BatchMatMul`,
 *   `_FusedMatMul`, `Conv2D`, `FusedConv2D`, `Conv2DBackpropInput`, `Conv2DBackpropFilter`,
 *   `Conv3D`, `Conv3DBackpropInputV2`, `Conv3DBackpropFilterV2`, `DepthwiseConv2dNative`,
 *   `DepthwiseConv2dNativeBackpropInput` and `DepthwiseConv2dNativeBackpropFilter`.
 * - In JavaScript: `MaxPool`, `AvgPool`, `MaxPool3D`, `AvgPool3D` and their `…Grad` kernels; the
 *   elementwise binary ops `Add`, `Sub`, `Multiply`, `RealDiv`, `Maximum`, `Minimum`,
 *   `SquaredDifference` and `Pow`, the comparisons `Less`, `LessEqual`, `Greater`,
 *   `GreaterEqual`, `Equal`, `NotEqual` and `LogicalAnd`, `LogicalOr`; the unary ops `Relu`,
 *   `Relu6`, `Step`, `Sigmoid`, `Tanh`, `Exp`, `Log`, `Neg`, `Sqrt`, `Rsqrt`, `Elu`; the
 *   reductions `Sum`, `Mean`, `Prod`, `Max`, `Min`, `ArgMax`, `ArgMin`; `Transpose`; and
 *   `Slice`, `SplitV`, `Unpack`, `Concat`, `PadV2`, `Tile`, `Reverse`.
 *
 * @example
 * ```ts
 * registerFastCpuKernels();
 * for (const name of FAST_CPU_KERNELS) console.log(name, tf.getKernel(name, 'cpu') != null);
 * ```
 */
export const FAST_CPU_KERNELS: readonly string[] = [
  ...WASM_KERNELS,
  ...POOL_KERNELS,
  ...BINARY_KERNELS,
  ...UNARY_KERNELS,
  ...DATA_MOVEMENT_KERNELS,
  ...REDUCTION_KERNELS,
  ...TRANSPOSE_KERNELS,
];

/**
 * Puts this package's faster kernels in place of tfjs's on the `cpu` backend (the kernels in
 * {@link FAST_CPU_KERNELS}). Matrix products and convolutions (2-D, 3-D, depthwise, their
 * gradients, and the fused ones) run on a packed, cache-blocked WebAssembly SIMD GEMM, summing
 * in float32 as PyTorch does; tfjs-backend-cpu 4.22 runs them as scalar JavaScript, which made
 * most of the training time of the project's CNNs. Pooling, broadcasting arithmetic, reductions
 * and data movement walk their inputs in contiguous runs instead of through tfjs's per-element
 * index arithmetic, with tfjs's values. Inputs a replacement does not handle (complex values,
 * strings, and the cases each kernel's documentation lists) go to the kernel it replaced.
 *
 * The WebAssembly kernels are registered once {@link loadWasmKernels} has resolved, which
 * `setupBackend('cpu')` awaits; where the JavaScript engine allows a synchronous compile
 * (Node.js, workers, but not a browser's main thread) this function compiles the module itself
 * when it was not loaded yet.
 *
 * `setupBackend('cpu')` calls it (unless `fastCpuKernels: false`). Calling it again is harmless.
 * Call it again after registering tfjs-backend-cpu's kernels anew (as loading tfjs-core and the
 * CPU backend separately does), since those then replace these.
 *
 * @example
 * ```ts
 * import { loadWasmKernels, registerFastCpuKernels } from '@slr/backend';
 *
 * await loadWasmKernels();
 * registerFastCpuKernels(); // what setupBackend('cpu') does
 * await tf.setBackend('cpu');
 * ```
 */
export function registerFastCpuKernels(): void {
  const wasm = wasmKernelsSync();
  if (wasm != null) registerReplacements(wasmReplacements(wasm));
  registerPoolKernels();
  registerBinaryKernels();
  registerUnaryKernels();
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
 * const fast = tf.grad(lossOf)(filter); // the same values within float32 rounding, sooner
 * ```
 */
export function unregisterFastCpuKernels(): void {
  unregisterReplacements(WASM_KERNELS);
  unregisterPoolKernels();
  unregisterBinaryKernels();
  unregisterUnaryKernels();
  unregisterDataMovementKernels();
  unregisterReductionKernels();
  unregisterTransposeKernel();
}
