/**
 * `@slr/interop/node`: what of `@slr/interop` needs Node.js — reading PyTorch weights from a
 * file by its path, and writing a safetensors file atomically. Reading and writing bytes
 * (`readTorchWeights`, `readSafetensors`, `writeSafetensors`, …) is in the main entry and works
 * in browsers too.
 *
 * @module @slr/interop/node
 */
export * from './files';
