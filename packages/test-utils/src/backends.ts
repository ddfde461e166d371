import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, beforeAll } from 'vitest';
import { describeRequiring } from './requirements';

/**
 * Name of a test-only backend: the plain tfjs CPU backend without any `@slr` kernels, so
 * every `@slr` op takes its composite (plain tfjs ops) path there, as it would on wasm,
 * webgl or tfjs-node.
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

let webGpuSetup: (() => Promise<unknown>) | undefined;

/**
 * Registers how {@link useBackend} sets WebGPU up: `setupBackend('webgpu')` of `@slr/backend`,
 * passed in by the test set-up rather than imported here, because `@slr/backend`'s own tests use
 * this package (a dependency would make a cycle).
 *
 * @example
 * ```ts
 * import { setupBackend } from '@slr/backend/node';
 *
 * setWebGpuSetup(() => setupBackend('webgpu'));
 * ```
 */
export function setWebGpuSetup(setup: () => Promise<unknown>): void {
  webGpuSetup = setup;
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
  if (name === 'webgpu') {
    if (webGpuSetup === undefined)
      throw new Error(
        "No WebGPU set-up registered: call setWebGpuSetup(() => setupBackend('webgpu')) in the " +
          'test set-up (vitest.setup.ts does).',
      );
    await webGpuSetup();
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new Error(
      `Backend '${name}' could not be initialised (tf.getBackend() is '${tf.getBackend()}').`,
    );
  }
}

/**
 * One suite, run once per backend in {@link testBackends}, in the manner of tfjs's
 * `describeWithFlags`. The callback receives the backend's name. The webgpu suite requires a
 * WebGPU adapter (see {@link describeRequiring}).
 *
 * @example
 * ```ts
 * import { expect, it } from 'vitest';
 *
 * describeWithBackends('ctcLoss', (backend) => {
 *   it(`is finite on ${backend}`, async () => {
 *     const loss = await ctcLoss(logProbs, targets, inputLengths, targetLengths).data();
 *     expect(Number.isFinite(loss[0])).toBe(true);
 *   });
 * });
 * ```
 */
export function describeWithBackends(name: string, body: (backend: string) => void): void {
  for (const backend of testBackends()) {
    const suite = (): void => {
      beforeAll(async () => {
        await useBackend(backend);
      });
      body(backend);
    };
    if (backend === 'webgpu') describeRequiring('webgpu', `${name} [${backend}]`, suite);
    else describe(`${name} [${backend}]`, suite);
  }
}

/**
 * Runs `body` and checks that it leaves exactly `expectedNewTensors` more tensors alive than
 * before (the tensors it returns). Returns what `body` returned.
 *
 * @example
 * ```ts
 * const loss = expectNoLeaks(() => ctcLoss(logProbs, targets, inputLengths, targetLengths), 1);
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

/** What {@link readTensors} returns for a tensor, an array of tensors or a record of tensors. */
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
 * const x = tf.tensor1d([1, 2, 3]);
 * const f = (input: tf.Tensor) => tf.sum(tf.square(input));
 * const { loss, grad } = await readTensors(() => ({ loss: f(x), grad: tf.grad(f)(x) }));
 * // loss 14, grad [2, 4, 6]
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
