/**
 * `@slr/backend`: sets up TensorFlow.js's backend — CPU (with faster kernels of its own),
 * WebGPU on `navigator.gpu`, or the best available — and says which adapter it runs on, and
 * why it chose it or why it could not. It works in browsers and everywhere else; in Node.js,
 * `@slr/backend/node` adds WebGPU through Dawn and the `'tensorflow'` backend (tfjs-node).
 *
 * @module @slr/backend
 */
export { setupBackend } from './setup-backend';
export { isSoftwareAdapter, type AdapterInfoLike } from './adapter';
export { BackendSetupError, type BackendSetupErrorCode } from './errors';
export {
  FAST_CPU_KERNELS,
  registerFastCpuKernels,
  unregisterFastCpuKernels,
} from './kernels/fast-cpu-kernels';
export { loadWasmKernels } from './kernels/wasm/runtime';
export type { AdapterDescription, BackendInfo, BackendName, SetupBackendOptions } from './types';
