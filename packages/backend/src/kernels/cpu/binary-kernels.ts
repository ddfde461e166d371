import * as tf from '@tensorflow/tfjs';
import { type BinaryOpName, type BinaryOutput, broadcastBinary } from './binary-impl';
import {
  type KernelArgs,
  type KernelReplacement,
  type SyncBackend,
  delegate,
  read,
  realInputs,
  registerReplacements,
  unregisterReplacements,
} from './replacements';

/**
 * Faster `cpu` kernels for the elementwise binary operations `Add`, `Sub`, `Multiply`,
 * `RealDiv`, `Maximum`, `Minimum`, `SquaredDifference` and `Pow`, the comparisons `Less`,
 * `LessEqual`, `Greater`, `GreaterEqual`, `Equal`, `NotEqual` and the logical `LogicalAnd`,
 * `LogicalOr` (bool results, as tfjs's), registered in place of tfjs's own by
 * `registerFastCpuKernels()` (which `setupBackend('cpu')` calls), and taken out again, tfjs's
 * own restored, by `unregisterFastCpuKernels()`.
 *
 * tfjs-backend-cpu 4.22 computes every element of a broadcast through `indexToLoc` /
 * `locToIndex` and two array allocations: `tf.sub(x, tf.max(x, -1, true))` on `[150, 8, 1296]`
 * took about 280 ms. These walk the broadcast a row at a time (see `binary-impl.ts`) and compute
 * each element with the same expression as tfjs, so the values are identical: same output
 * dtype (that of `a`, as tfjs; bool for the comparisons and logical ops), NaN propagation of
 * `Maximum`/`Minimum` as `Math.max`/`Math.min`, `Pow` as `Math.pow`, a comparison with NaN
 * false. Complex and string inputs go to tfjs's kernel.
 */

/** Kernels replaced on the `cpu` backend, each with the operation it computes. */
const OPERATIONS: readonly (readonly [string, BinaryOpName])[] = [
  [tf.Add, 'Add'],
  [tf.Sub, 'Sub'],
  [tf.Multiply, 'Multiply'],
  [tf.RealDiv, 'RealDiv'],
  [tf.Maximum, 'Maximum'],
  [tf.Minimum, 'Minimum'],
  [tf.SquaredDifference, 'SquaredDifference'],
  [tf.Pow, 'Pow'],
  [tf.Less, 'Less'],
  [tf.LessEqual, 'LessEqual'],
  [tf.Greater, 'Greater'],
  [tf.GreaterEqual, 'GreaterEqual'],
  [tf.Equal, 'Equal'],
  [tf.NotEqual, 'NotEqual'],
  [tf.LogicalAnd, 'LogicalAnd'],
  [tf.LogicalOr, 'LogicalOr'],
];

/** The operations whose result is bool whatever the inputs' dtype (tfjs's comparisons and logic). */
const BOOL_RESULTS: ReadonlySet<BinaryOpName> = new Set<BinaryOpName>([
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
  'Equal',
  'NotEqual',
  'LogicalAnd',
  'LogicalOr',
]);

function binaryKernel(kernelName: string, op: BinaryOpName): KernelReplacement {
  return {
    kernelName,
    implementation(args: KernelArgs, original: tf.KernelFunc | undefined): tf.TensorInfo {
      const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a == null || b == null || !realInputs(a, b)) {
        return delegate(original, kernelName, args) as tf.TensorInfo;
      }
      const backend = args.backend as SyncBackend;
      // The same shape check and message as tfjs's kernel.
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      // tfjs's arithmetic kernels give the result the dtype of `a`, its comparisons bool.
      const dtype = (BOOL_RESULTS.has(op) ? 'bool' : a.dtype) as 'float32' | 'int32' | 'bool';
      const out: BinaryOutput = tf.util.getTypedArrayFromDType(
        dtype,
        tf.util.sizeFromShape(outShape),
      );
      broadcastBinary(op, read(backend, a), a.shape, read(backend, b), b.shape, out, outShape);
      return backend.makeTensorInfo(outShape, dtype, out);
    },
  };
}

const REPLACEMENTS: readonly KernelReplacement[] = OPERATIONS.map(([name, op]) =>
  binaryKernel(name, op),
);

/**
 * The names of the `cpu` kernels {@link registerBinaryKernels} replaces.
 *
 * @example
 * ```ts
 * BINARY_KERNELS.includes('Add'); // true
 * ```
 */
export const BINARY_KERNELS: readonly string[] = OPERATIONS.map(([name]) => name);

/**
 * Registers the faster elementwise binary kernels ({@link BINARY_KERNELS}) on tfjs's `cpu`
 * backend, each keeping the kernel it replaces for inputs it does not handle (complex or string
 * values). Calling it again is harmless.
 *
 * @example
 * ```ts
 * registerBinaryKernels();
 * tf.sub(tf.ones([2, 3]), tf.ones([2, 1])); // broadcast a row at a time
 * ```
 */
export function registerBinaryKernels(): void {
  registerReplacements(REPLACEMENTS);
}

/**
 * Takes the replacements of {@link registerBinaryKernels} out and registers again the kernels
 * they replaced (tfjs's own).
 *
 * @example
 * ```ts
 * unregisterBinaryKernels();
 * tf.getKernel('Add', 'cpu'); // tfjs's own again
 * ```
 */
export function unregisterBinaryKernels(): void {
  unregisterReplacements(BINARY_KERNELS);
}
