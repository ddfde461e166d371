import * as tf from '@tensorflow/tfjs';
import { adapterLabel } from './adapter';
import { BackendSetupError, summaryOf } from './errors';
import { silenceNodeBanner } from './quiet';
import { switchBackend } from './switch-backend';
import { setupTensorflow, type TensorflowSetup } from './tensorflow';
import type { AdapterDescription, BackendInfo, BackendName, SetupBackendOptions } from './types';
import { probeWebGpu, releaseUnusedGpu, setupWebGpu } from './webgpu';

const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'webgpu', 'tensorflow', 'auto'];

/** Set-ups run one at a time, so that concurrent calls cannot create two devices. */
let queue: Promise<unknown> = Promise.resolve();

function serialised<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

function tensorflowReason(setup: TensorflowSetup): string {
  const source = setup.packageName != null ? ` (${setup.packageName})` : ' (already registered)';
  return [...setup.failures, `using tensorflow${source}`].join('; ');
}

function webgpuReason(adapter: AdapterDescription): string {
  return adapter.isSoftware
    ? `adapter ${adapterLabel(adapter)} is a software rasteriser running on the CPU`
    : `adapter ${adapterLabel(adapter)}`;
}

async function setupAuto(
  options: SetupBackendOptions,
): Promise<{ adapter?: AdapterDescription; reason: string }> {
  const notes: string[] = [];
  const allowSoftware = options.allowSoftwareAdapter ?? false;

  try {
    const probe = await probeWebGpu(options);
    if (probe.description.isSoftware && !allowSoftware) {
      notes.push(`webgpu adapter is a software rasteriser (${probe.softwareName})`);
      releaseUnusedGpu();
    } else {
      const adapter = await setupWebGpu({ ...options, allowSoftwareAdapter: true }, probe);
      const verdict = adapter.isSoftware
        ? `webgpu adapter ${adapterLabel(adapter)} is a software rasteriser (${probe.softwareName}), allowed by allowSoftwareAdapter`
        : `webgpu adapter ${adapterLabel(adapter)} is a hardware GPU`;
      return { adapter, reason: `${verdict}; using webgpu` };
    }
  } catch (error) {
    notes.push(`webgpu unavailable: ${summaryOf(error)}`);
    releaseUnusedGpu();
  }

  try {
    const setup = await setupTensorflow();
    return { reason: [...notes, tensorflowReason(setup)].join('; ') };
  } catch (error) {
    notes.push(
      error instanceof BackendSetupError && error.code === 'TENSORFLOW_NOT_INSTALLED'
        ? 'tensorflow not installed'
        : `tensorflow unavailable: ${summaryOf(error)}`,
    );
  }

  await switchBackend('cpu');
  return { reason: [...notes, 'using cpu'].join('; ') };
}

async function setupNamed(name: BackendName, options: SetupBackendOptions): Promise<BackendInfo> {
  if (options.quiet === true) silenceNodeBanner();
  let adapter: AdapterDescription | undefined;
  let reason: string;
  switch (name) {
    case 'cpu':
      await switchBackend('cpu');
      reason = 'cpu requested';
      break;
    case 'webgpu':
      adapter = await setupWebGpu({
        ...options,
        allowSoftwareAdapter: options.allowSoftwareAdapter ?? true,
      });
      reason = `webgpu requested; ${webgpuReason(adapter)}`;
      break;
    case 'tensorflow':
      reason = `tensorflow requested; ${tensorflowReason(await setupTensorflow())}`;
      break;
    case 'auto':
      ({ adapter, reason } = await setupAuto(options));
      break;
  }
  return adapter != null
    ? { backend: tf.getBackend(), requested: name, adapter, reason }
    : { backend: tf.getBackend(), requested: name, reason };
}

/**
 * Sets tfjs's backend up and switches to it.
 *
 * - `'cpu'`: tfjs's CPU backend.
 * - `'webgpu'`: `@tensorflow/tfjs-backend-webgpu` (an optional peer dependency, imported on
 *   demand). Browsers provide `navigator.gpu`; in Node.js, Dawn from the npm package `webgpu`
 *   (an optional peer dependency) creates it: its globals (`GPUBufferUsage`, …) are copied to
 *   `globalThis`, the GPU object is put on `navigator.gpu` (and `navigator` is created in
 *   Node.js 20, which has none), and `XDG_RUNTIME_DIR` is set to `os.tmpdir()` on Linux when it
 *   is unset (Dawn and Mesa warn without it). The adapter is requested here, reported in
 *   {@link BackendInfo.adapter}, and used by the backend. A software rasteriser is accepted
 *   unless `allowSoftwareAdapter` is false. When there is no adapter the error says why: Dawn
 *   not installed, no Vulkan loader (libvulkan1), no Vulkan driver, …
 * - `'tensorflow'`: `@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node` (optional peer
 *   dependencies, imported on demand); Node.js only.
 * - `'auto'`: a hardware WebGPU adapter, else `tensorflow`, else `cpu`; `reason` says what it
 *   found, for example "webgpu adapter is a software rasteriser (llvmpipe); tensorflow not
 *   installed; using cpu".
 *
 * Explicit names never fall back: they reject with a {@link BackendSetupError} that says what
 * to install. Calling it again is cheap and returns the same backend; the first WebGPU set-up
 * fixes the adapter and the Dawn flags for the rest of the process. The GPU object, adapter and
 * device are kept referenced for as long as the backend exists. Node.js exits normally
 * afterwards (no `process.exit()` needed).
 *
 * @param name - `'cpu'`, `'webgpu'`, `'tensorflow'` or `'auto'`
 * @param options - see {@link SetupBackendOptions}
 * @returns the backend now in use, the adapter (WebGPU), and why
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { setupBackend } from '@slr/backend';
 *
 * const info = await setupBackend('auto', { quiet: true });
 * console.log(info.backend, '-', info.reason);
 * // cpu - webgpu adapter is a software rasteriser (llvmpipe); tensorflow not installed; using cpu
 * ```
 */
export async function setupBackend(
  name: BackendName,
  options: SetupBackendOptions = {},
): Promise<BackendInfo> {
  if (typeof name !== 'string' || !BACKEND_NAMES.includes(name)) {
    const names = BACKEND_NAMES.map((candidate) => `'${candidate}'`).join(', ');
    throw new BackendSetupError(
      'INVALID_NAME',
      `Argument 'name' passed to 'setupBackend' must be one of ${names}, but got '${String(name)}'`,
      'invalid backend name',
    );
  }
  return serialised(() => setupNamed(name, options));
}
