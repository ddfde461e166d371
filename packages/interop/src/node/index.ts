/**
 * `@slr/interop/node`: what of `@slr/interop` needs Node.js — reading PyTorch weights from a
 * file by its path, writing a safetensors file atomically, and loading and saving a model's
 * weights by path (`loadTorchWeights`, `saveTorchWeights`). Reading and writing bytes
 * (`readTorchWeights`, `readSafetensors`, `writeSafetensors`, `loadTorchWeights` from bytes,
 * `torchWeightsBytes`, …) is in the main entry and works in browsers too.
 *
 * @module @slr/interop/node
 */
export * from './files';
export * from './torch-weights';
