/**
 * `@slr/backend/node`: `setupBackend` for Node.js. Besides what `@slr/backend` does (the CPU
 * backend, WebGPU on `navigator.gpu`), it creates WebGPU with Dawn (the npm package `webgpu`)
 * where Node.js has none, finds out why Dawn found no adapter, and sets up the `'tensorflow'`
 * backend of tfjs-node. Everything else of `@slr/backend` is exported here too.
 *
 * @module @slr/backend/node
 */
export * from '../index';
export { setupBackend } from './setup-backend';
export type { NodeBackendName } from './setup-backend';
export type { NodeSetupBackendOptions } from '../types';
