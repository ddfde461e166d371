/**
 * `@slr/backend`: sets up TensorFlow.js's backend — CPU, WebGPU (Dawn in Node.js,
 * `navigator.gpu` in browsers), tfjs-node, or the best available — and says which adapter it
 * runs on, and why it chose it or why it could not.
 *
 * @packageDocumentation
 */
export { setupBackend } from './setup-backend';
export { isSoftwareAdapter, type AdapterInfoLike } from './adapter';
export { BackendSetupError, type BackendSetupErrorCode } from './errors';
export type { AdapterDescription, BackendInfo, BackendName, SetupBackendOptions } from './types';
