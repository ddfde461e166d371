import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, beforeAll } from 'vitest';
import { setupBackend } from '@slr/backend/node';

/**
 * Name of a test-only backend: the plain tfjs CPU backend without any `@slr` kernels, so
 * every `@slr` op takes its composite (plain tfjs ops) path there, as it would on wasm,
 * webgl or tfjs-node.
 *
 * @example
 * ```ts
 * // SLR_TEST_BACKENDS=cpu,cpu-composite pnpm vitest run packages/ctc
 * describeWithBackends('ctcLoss', (backend) => {
 *   it('takes the composite path', () => expect(backend === COMPOSITE_TEST_BACKEND).toBe(tf.getBackend() === 'cpu-composite'));
 * });
 * ```
 */
export const COMPOSITE_TEST_BACKEND = 'cpu-composite';

/** Prefix shared by every kernel name `@slr` registers. */
const SLR_KERNEL_PREFIX = 'Slr';

/**
 * Registers {@link COMPOSITE_TEST_BACKEND}: a tfjs CPU backend carrying every tfjs CPU kernel
 * but none of `@slr`'s own. Idempotent.
 *
 * @example
 * ```ts
 * registerCompositeTestBackend();
 * await tf.setBackend('cpu-composite');
 * ```
 */
export function registerCompositeTestBackend(): void {
  if (tf.findBackendFactory(COMPOSITE_TEST_BACKEND) != null) return;
  tf.registerBackend(COMPOSITE_TEST_BACKEND, () => new MathBackendCPU(), 0);
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (kernel.kernelName.startsWith(SLR_KERNEL_PREFIX)) continue;
    tf.registerKernel({ ...kernel, backendName: COMPOSITE_TEST_BACKEND });
  }
}

/**
 * Backends a parameterised suite runs on: `SLR_TEST_BACKENDS` (comma-separated) when set,
 * otherwise `cpu` and {@link COMPOSITE_TEST_BACKEND}.
 *
 * @example
 * ```ts
 * const names = testBackends(); // ['cpu', 'cpu-composite']
 * ```
 */
export function testBackends(): string[] {
  const fromEnv = typeof process !== 'undefined' ? process.env.SLR_TEST_BACKENDS : undefined;
  if (fromEnv != null && fromEnv.trim() !== '') {
    return fromEnv
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
  }
  return ['cpu', COMPOSITE_TEST_BACKEND];
}

/**
 * Switches tfjs to `name`, registering or setting it up first when needed (the composite test
 * backend; WebGPU through Dawn in Node.js), and fails with a
 * clear message when it cannot be used.
 *
 * @example
 * ```ts
 * await useBackend('cpu');
 * ```
 */
export async function useBackend(name: string): Promise<void> {
  if (name === COMPOSITE_TEST_BACKEND) registerCompositeTestBackend();
  // WebGPU in Node needs Dawn set up first (setupBackend is idempotent).
  if (name === 'webgpu') await setupBackend('webgpu');
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new Error(
      `Backend '${name}' could not be initialised (tf.getBackend() is '${tf.getBackend()}').`,
    );
  }
}

/**
 * One suite, run once per backend in {@link testBackends}, in the manner of tfjs's
 * `describeWithFlags`. The callback receives the backend's name.
 *
 * @example
 * ```ts
 * describeWithBackends('ctcLoss', (backend) => {
 *   it('is finite', () => { ... });
 * });
 * ```
 */
export function describeWithBackends(name: string, body: (backend: string) => void): void {
  for (const backend of testBackends()) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        await useBackend(backend);
      });
      body(backend);
    });
  }
}

/**
 * Runs `body` and checks that it leaves exactly `expectedNewTensors` more tensors alive than
 * before (the tensors it returns). Returns what `body` returned.
 *
 * @example
 * ```ts
 * const loss = expectNoLeaks(() => ctcLoss(lp, targets, [5], [2]), 1);
 * ```
 */
export function expectNoLeaks<R>(body: () => R, expectedNewTensors: number): R {
  const before = tf.memory().numTensors;
  const result = body();
  const after = tf.memory().numTensors;
  if (after !== before + expectedNewTensors) {
    throw new Error(
      `Expected ${expectedNewTensors} new tensor(s) after the call, but found ${after - before} ` +
        `(${before} before, ${after} after).`,
    );
  }
  return result;
}

/**
 * What {@link readTensors} returns for a tensor, an array of tensors or a record of tensors.
 *
 * @example
 * ```ts
 * const read: ReadResult<{ loss: tf.Scalar; grad: tf.Tensor1D }> = await readTensors(() => ({ loss, grad }));
 * read.loss; // a number
 * ```
 */
export type ReadResult<T> = T extends tf.Tensor
  ? number | number[] | number[][] | number[][][] | number[][][][]
  : T extends readonly tf.Tensor[]
    ? { [K in keyof T]: ReadResult<T[K]> }
    : { [K in keyof T]: ReadResult<T[K]> };

/**
 * Runs `build` in a `tf.tidy`, reads the tensors it returns asynchronously (as every backend
 * allows, WebGPU included) and disposes them.
 *
 * @example
 * ```ts
 * const { loss, grad } = await readTensors(() => ({ loss: f(x), grad: tf.grad(f)(x) }));
 * ```
 */
export async function readTensors<
  T extends tf.Tensor | readonly tf.Tensor[] | Record<string, tf.Tensor>,
>(build: () => T): Promise<ReadResult<T>> {
  const built = tf.tidy(build as () => tf.TensorContainer) as unknown as T;
  const entries: [string, tf.Tensor][] =
    built instanceof tf.Tensor
      ? [['value', built]]
      : Object.entries(built as Record<string, tf.Tensor>);
  try {
    const values = await Promise.all(entries.map(([, tensor]) => tensor.array()));
    if (built instanceof tf.Tensor) return values[0] as ReadResult<T>;
    const result = (Array.isArray(built) ? [] : {}) as Record<string, unknown>;
    entries.forEach(([key], i) => (result[key] = values[i]));
    return result as ReadResult<T>;
  } finally {
    entries.forEach(([, tensor]) => tensor.dispose());
  }
}
