import * as tf from '@tensorflow/tfjs';

/**
 * The machinery every faster `cpu` kernel of this package shares: registering a replacement in
 * place of tfjs's kernel while keeping the original (for inputs the replacement does not handle,
 * and for comparisons), taking it out again, and finding the original.
 */

/** What a kernel function receives. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** What a kernel function returns: one tensor, or several (`SplitV`, `Unpack`, ...). */
export type KernelResult = tf.TensorInfo | tf.TensorInfo[];

/**
 * A replacement's implementation: `original` is the kernel it replaced (tfjs's own), to which it
 * hands the inputs it does not handle with {@link delegate}.
 */
export type ReplacementImplementation = (
  args: KernelArgs,
  original: tf.KernelFunc | undefined,
) => KernelResult;

/** A `cpu` kernel this package replaces, and the function that replaces it. */
export interface KernelReplacement {
  /** The tfjs kernel name, e.g. `tf.Add`. */
  readonly kernelName: string;
  /** The replacing implementation. */
  readonly implementation: ReplacementImplementation;
}

/** What the kernels use of the CPU backend: synchronous reads and tensor creation. */
export interface SyncBackend {
  readSync(dataId: tf.DataId): tf.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo;
}

/** Marks a kernel function as a replacement, whichever copy of the package made it. */
const REPLACEMENT = Symbol.for('@slr/backend/cpu-kernel-replacement');
/** The kernel function a replacement took the place of, on the replacement itself. */
const REPLACED = Symbol.for('@slr/backend/cpu-kernel-replacement/replaced');

interface ReplacementKernelFunc {
  (args: KernelArgs): KernelResult;
  [REPLACEMENT]: true;
  [REPLACED]: tf.KernelFunc | undefined;
}

const REAL_DTYPES: ReadonlySet<tf.DataType> = new Set<tf.DataType>(['float32', 'int32', 'bool']);

/** Whether every tensor holds real numbers (not complex64, not strings). */
export function realInputs(...tensors: tf.TensorInfo[]): boolean {
  return tensors.every((t) => REAL_DTYPES.has(t.dtype));
}

/** The values of `t` on the CPU backend. */
export function read(backend: SyncBackend, t: tf.TensorInfo): ArrayLike<number> {
  return backend.readSync(t.dataId) as ArrayLike<number>;
}

/** Runs the kernel a replacement replaced, for inputs the replacement does not handle. */
export function delegate(
  original: tf.KernelFunc | undefined,
  kernelName: string,
  args: KernelArgs,
): KernelResult {
  if (original == null) {
    throw new Error(`${kernelName}: unsupported inputs and no tfjs kernel to hand them to.`);
  }
  return original(args as unknown as Parameters<tf.KernelFunc>[0]);
}

function isReplacement(
  kernelFunc: tf.KernelFunc | undefined,
): kernelFunc is tf.KernelFunc & ReplacementKernelFunc {
  return kernelFunc != null && (kernelFunc as Partial<ReplacementKernelFunc>)[REPLACEMENT] === true;
}

/**
 * Registers each replacement on tfjs's `cpu` backend in place of the kernel registered there,
 * which it keeps. Calling it again is harmless and wraps nothing twice; call it again if
 * tfjs-backend-cpu's kernels are registered after it ran, since they then replace these.
 */
export function registerReplacements(replacements: readonly KernelReplacement[]): void {
  for (const { kernelName, implementation } of replacements) {
    const current = tf.getKernel(kernelName, 'cpu');
    if (isReplacement(current?.kernelFunc)) continue;
    const original = current?.kernelFunc;
    const kernelFunc = Object.assign((args: KernelArgs) => implementation(args, original), {
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
 * Takes the replacements of these kernels out and registers again the kernels they replaced
 * (tfjs's own); a kernel that had none is left unregistered. Does nothing for a kernel that is
 * not replaced.
 */
export function unregisterReplacements(kernelNames: readonly string[]): void {
  for (const kernelName of kernelNames) {
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
 * The `cpu` kernel function tfjs had registered for `kernelName` before this package replaced
 * it, or `undefined` when `kernelName` is not replaced (or there was none). For comparisons
 * against tfjs's own kernels.
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
