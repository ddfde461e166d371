import { setupBackendOn, type SetupPlatform } from '../setup-backend';
import type { BackendInfo, BackendName, NodeSetupBackendOptions } from '../types';
import { dawnSupport } from './dawn';
import { setupTensorflow } from './tensorflow';

/**
 * Backends the `setupBackend` of `@slr/backend/node` can set up: those of `@slr/backend` and
 * `'tensorflow'` (tfjs-node).
 */
export type NodeBackendName = BackendName | 'tensorflow';

/** Node.js: Dawn for WebGPU, and tfjs-node for 'tensorflow'. */
const NODE_PLATFORM: SetupPlatform = {
  names: ['cpu', 'webgpu', 'tensorflow', 'auto'],
  dawn: dawnSupport,
  setupTensorflow,
};

/**
 * Sets tfjs's backend up in Node.js and switches to it.
 *
 * - `'cpu'`: tfjs's CPU backend, with the faster CPU kernels of this package
 *   (`registerFastCpuKernels`; `fastCpuKernels: false` keeps tfjs's own).
 * - `'webgpu'`: `@tensorflow/tfjs-backend-webgpu` (an optional peer dependency, imported on
 *   demand). Where there is no `navigator.gpu`, Dawn from the npm package `webgpu` (an optional
 *   peer dependency) creates it: its globals (`GPUBufferUsage`, …) are copied to `globalThis`,
 *   the GPU object is put on `navigator.gpu` (and `navigator` is created in Node.js 20, which
 *   has none), and `XDG_RUNTIME_DIR` is set to `os.tmpdir()` on Linux when it is unset (Dawn and
 *   Mesa warn without it). The adapter is requested here, reported in `BackendInfo.adapter`,
 *   and used by the backend. A software rasteriser is accepted unless `allowSoftwareAdapter` is
 *   false. When there is no adapter the error says why: Dawn not installed, no Vulkan loader
 *   (libvulkan1), no Vulkan driver, …
 * - `'tensorflow'`: `@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node` (optional peer
 *   dependencies, imported on demand).
 * - `'auto'`: a hardware WebGPU adapter, else `tensorflow`, else `cpu`; `reason` says what it
 *   found, for example "webgpu adapter is a software rasteriser (llvmpipe); tensorflow not
 *   installed; using cpu".
 *
 * Explicit names never fall back: they reject with a `BackendSetupError` that says what to
 * install. Arguments it cannot use reject with `@slr/core`'s `ArgumentError`. Calling it again
 * is cheap and returns the same backend; the first WebGPU set-up fixes the adapter and the Dawn
 * flags for the rest of the process. The GPU object, adapter and device are kept referenced for
 * as long as the backend exists. Node.js exits normally afterwards (no `process.exit()`
 * needed).
 *
 * @param name - `'cpu'`, `'webgpu'`, `'tensorflow'` or `'auto'`
 * @param options - see {@link NodeSetupBackendOptions}
 * @returns the backend now in use, the adapter (WebGPU), and why
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { setupBackend } from '@slr/backend/node';
 *
 * const info = await setupBackend('auto', { quiet: true });
 * console.log(info.backend, '-', info.reason);
 * // cpu - webgpu adapter is a software rasteriser (llvmpipe); tensorflow not installed; using cpu
 * ```
 */
export async function setupBackend(
  name: NodeBackendName,
  options?: NodeSetupBackendOptions,
): Promise<BackendInfo> {
  return setupBackendOn(NODE_PLATFORM, name, options);
}
