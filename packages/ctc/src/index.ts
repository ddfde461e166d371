/**
 * `@slr/ctc`: a differentiable CTC loss with PyTorch's semantics for TensorFlow.js, fused
 * kernels per backend, greedy and prefix-beam decoders with an n-gram language model, edit
 * distance and word error rate.
 *
 * @packageDocumentation
 * @mergeModuleWith <project>
 */
import { registerCpuKernels } from './kernels/register-cpu';
import { registerWebGpuKernels } from './kernels/register-webgpu';

registerCpuKernels();
registerWebGpuKernels();

export * from './ops/ctc-loss';
export * from './ops/log-softmax';
export type { Lengths } from './ops/validate-ctc-inputs';
export { registerCpuKernels } from './kernels/register-cpu';
export { registerWebGpuKernels } from './kernels/register-webgpu';
export { WEBGPU_MAX_STATES } from './kernels/webgpu/ctc-programs';
export * from './kernels/kernel-names';
export * from './decode/greedy';
export * from './decode/beam-search';
export type { CtcHypothesis, CtcGreedyDecodeOptions, CtcBeamSearchOptions } from './decode/types';
export * from './lm/language-model';
export * from './lm/arpa';
export * from './metrics/edit-distance';
export * from './metrics/word-error-rate';
