/**
 * `@slr/ctc`: a differentiable CTC loss with PyTorch's semantics for TensorFlow.js, fused
 * kernels per backend, greedy and prefix-beam decoders (offline and streaming) with an n-gram language model, edit
 * distance and word error rate.
 *
 * Importing the package registers its kernels (new kernels under `Slr…` names on the `cpu` and
 * `webgpu` backends; no kernel of tfjs is replaced), which `ctcLoss` and `logSoftmax` run where
 * they exist.
 *
 * @packageDocumentation
 */
import { registerCpuKernels } from './kernels/register-cpu';
import { registerWebGpuKernels } from './kernels/register-webgpu';

registerCpuKernels();
registerWebGpuKernels();

export * from './ops/ctc-loss';
export * from './ops/log-softmax';
export type { Lengths } from './checks';
export * from './decode/greedy';
export * from './decode/beam-search';
export * from './decode/streaming';
export type { CtcHypothesis, CtcGreedyDecodeOptions, CtcBeamSearchOptions } from './decode/types';
export * from './lm/language-model';
export * from './lm/arpa';
export * from './metrics/edit-distance';
export * from './metrics/word-error-rate';
