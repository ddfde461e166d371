import * as tf from '@tensorflow/tfjs';
import { type UnaryOpName, type UnaryOutput, unaryOp } from './unary-impl';
import {
  type KernelArgs,
  type KernelReplacement,
  type SyncBackend,
  delegate,
  read,
  registerReplacements,
  unregisterReplacements,
} from './replacements';

/**
 * Faster `cpu` kernels for the elementwise unary operations `Relu`, `Relu6`, `Step`, `Sigmoid`,
 * `Tanh`, `Exp`, `Log`, `Neg`, `Sqrt`, `Rsqrt` and `Elu`, registered in place of tfjs's own by
 * `registerFastCpuKernels()` and taken out again by `unregisterFastCpuKernels()`.
 *
 * tfjs-backend-cpu 4.22 runs these through one shared loop calling the operation per element.
 * Each here runs a loop of its own with tfjs's expression, `Relu`, `Relu6` and `Step` of float32
 * without branches (see `unary-impl.ts`): the same values bit for bit and the same output dtype
 * (that of `x`; float32 for `Exp`). Complex and string tensors, `Neg` of bool (which tfjs
 * multiplies by a bool -1, that is 1) and a `Step` whose `alpha` is not a number go to tfjs's
 * kernel. `Abs`, `Square` and `LeakyRelu` are left to tfjs, whose kernels are already plain
 * loops.
 */

interface UnaryOperation {
  readonly kernelName: string;
  readonly op: UnaryOpName;
  /** The input dtypes handled here; others go to tfjs's kernel. */
  readonly dtypes: readonly tf.DataType[];
  /** The output dtype, when it is not that of `x`. */
  readonly outDtype?: 'float32';
  /** Whether the operation takes the numeric attribute `alpha`. */
  readonly alpha?: true;
}

const REAL: readonly tf.DataType[] = ['float32', 'int32', 'bool'];

/** Kernels replaced on the `cpu` backend. */
const OPERATIONS: readonly UnaryOperation[] = [
  { kernelName: tf.Relu, op: 'Relu', dtypes: REAL },
  { kernelName: tf.Relu6, op: 'Relu6', dtypes: REAL },
  { kernelName: tf.Step, op: 'Step', dtypes: REAL, alpha: true },
  { kernelName: tf.Sigmoid, op: 'Sigmoid', dtypes: REAL },
  { kernelName: tf.Tanh, op: 'Tanh', dtypes: REAL },
  { kernelName: tf.Exp, op: 'Exp', dtypes: REAL, outDtype: 'float32' },
  { kernelName: tf.Log, op: 'Log', dtypes: REAL },
  { kernelName: tf.Neg, op: 'Neg', dtypes: ['float32', 'int32'] },
  { kernelName: tf.Sqrt, op: 'Sqrt', dtypes: REAL },
  { kernelName: tf.Rsqrt, op: 'Rsqrt', dtypes: REAL },
  { kernelName: tf.Elu, op: 'Elu', dtypes: REAL },
];

function unaryKernel({
  kernelName,
  op,
  dtypes,
  outDtype,
  alpha,
}: UnaryOperation): KernelReplacement {
  return {
    kernelName,
    implementation(args: KernelArgs, original: tf.KernelFunc | undefined): tf.TensorInfo {
      const { x } = args.inputs as unknown as { x: tf.TensorInfo };
      const a = alpha ? args.attrs?.alpha : 0;
      if (x == null || !dtypes.includes(x.dtype) || typeof a !== 'number') {
        return delegate(original, kernelName, args) as tf.TensorInfo;
      }
      const backend = args.backend as SyncBackend;
      const dtype = (outDtype ?? x.dtype) as 'float32' | 'int32' | 'bool';
      const out: UnaryOutput = tf.util.getTypedArrayFromDType(
        dtype,
        tf.util.sizeFromShape(x.shape),
      );
      unaryOp(op, read(backend, x), out, a);
      return backend.makeTensorInfo(x.shape, dtype, out);
    },
  };
}

const REPLACEMENTS: readonly KernelReplacement[] = OPERATIONS.map(unaryKernel);

/**
 * The names of the `cpu` kernels {@link registerUnaryKernels} replaces.
 *
 * @example
 * ```ts
 * UNARY_KERNELS.includes('Relu'); // true
 * ```
 */
export const UNARY_KERNELS: readonly string[] = OPERATIONS.map((o) => o.kernelName);

/**
 * Registers the faster elementwise unary kernels ({@link UNARY_KERNELS}) on tfjs's `cpu`
 * backend, each keeping the kernel it replaces for inputs it does not handle. Calling it again is
 * harmless.
 *
 * @example
 * ```ts
 * registerUnaryKernels();
 * tf.relu(tf.tensor1d([-1, 2])); // [0, 2], in a loop of its own
 * ```
 */
export function registerUnaryKernels(): void {
  registerReplacements(REPLACEMENTS);
}

/**
 * Takes the replacements of {@link registerUnaryKernels} out and registers again the kernels
 * they replaced (tfjs's own).
 *
 * @example
 * ```ts
 * unregisterUnaryKernels();
 * tf.getKernel('Relu', 'cpu'); // tfjs's own again
 * ```
 */
export function unregisterUnaryKernels(): void {
  unregisterReplacements(UNARY_KERNELS);
}
