import * as tf from '@tensorflow/tfjs';
import { transposeValues } from './transpose-impl';
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
 * A faster `cpu` kernel for `Transpose`, registered in place of tfjs's own by
 * `registerFastCpuKernels()` (which `setupBackend('cpu')` calls), and taken out again, tfjs's
 * own restored, by `unregisterFastCpuKernels()`.
 *
 * tfjs-backend-cpu 4.22 computes every element's position through index arrays it allocates per
 * element. This one merges the dimensions that stay together, then copies contiguous rows or
 * runs a cache-blocked 2-D transpose (see `transpose-impl.ts`). It moves values only, so the
 * results are tfjs's exactly. Complex and string tensors, and permutations tfjs would reject,
 * go to tfjs's kernel.
 */

const REPLACED_KERNELS = [tf.Transpose] as const;

/** Whether `perm` is a permutation of `0 .. rank - 1`. */
function isPermutation(perm: unknown, rank: number): perm is number[] {
  if (!Array.isArray(perm) || perm.length !== rank) return false;
  const seen = new Set<number>();
  for (const d of perm as unknown[]) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d >= rank || seen.has(d)) {
      return false;
    }
    seen.add(d);
  }
  return true;
}

function transpose(args: KernelArgs, original: tf.KernelFunc | undefined): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const perm = (args.attrs ?? {}).perm as unknown;
  if (!realInputs(x) || !isPermutation(perm, x.shape.length)) {
    return delegate(original, tf.Transpose, args) as tf.TensorInfo;
  }
  const backend = args.backend as SyncBackend;
  const shape = perm.map((d) => x.shape[d]);
  const size = shape.reduce((a, b) => a * b, 1);
  const out =
    x.dtype === 'int32'
      ? new Int32Array(size)
      : x.dtype === 'bool'
        ? new Uint8Array(size)
        : new Float32Array(size);
  transposeValues(read(backend, x), x.shape, perm, out);
  return backend.makeTensorInfo(shape, x.dtype, out);
}

/**
 * Registers the faster `Transpose` kernel on tfjs's `cpu` backend, keeping the kernel it
 * replaces for inputs it does not handle. Calling it again is harmless.
 *
 * @example
 * ```ts
 * registerTransposeKernel();
 * tf.getKernel('Transpose', 'cpu'); // the replacement
 * ```
 */
export function registerTransposeKernel(): void {
  registerReplacements([{ kernelName: tf.Transpose, implementation: transpose }]);
}

/**
 * Takes the replacement of {@link registerTransposeKernel} out and registers tfjs's own again.
 *
 * @example
 * ```ts
 * unregisterTransposeKernel();
 * tf.getKernel('Transpose', 'cpu'); // tfjs's own again
 * ```
 */
export function unregisterTransposeKernel(): void {
  unregisterReplacements(REPLACED_KERNELS);
}

/**
 * The names of the `cpu` kernels {@link registerTransposeKernel} replaces.
 *
 * @example
 * ```ts
 * TRANSPOSE_KERNELS.includes('Transpose'); // true
 * ```
 */
export const TRANSPOSE_KERNELS: readonly string[] = REPLACED_KERNELS;
