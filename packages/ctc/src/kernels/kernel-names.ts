/**
 * Names and attributes of the kernels `@slr/ctc` registers. Every backend that implements
 * one registers it under the same name; ops fall back to the composite implementation
 * (plain tfjs ops) where a backend has none.
 */
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/**
 * CTC forward pass (Graves et al. 2006, eq. 5–8).
 * Inputs: `logProbs` `[T, B, V]` float32, `targets` `[B, S]` int32, `inputLengths` `[B]` int32,
 * `targetLengths` `[B]` int32. Outputs: negative log-likelihood `[B]` float32, and a backend
 * specific `state` tensor (saved α) that only the matching {@link CTC_LOSS_GRAD} kernel reads.
 */
export const CTC_LOSS = 'SlrCtcLoss';

/**
 * CTC backward pass (eq. 9–16): gradient of `gradScale[b] · nll[b]` with respect to
 * `logProbs`, `[T, B, V]`. Inputs: those of {@link CTC_LOSS} plus its outputs `nll` and
 * `state`, and `gradScale` `[B]` float32. Samples with a non-finite `nll` get a zero gradient.
 */
export const CTC_LOSS_GRAD = 'SlrCtcLossGrad';

/**
 * Log-softmax over the last axis. Input `x`; outputs `[logProbs, ...aux]`, where `aux` is what
 * the same backend's {@link LOG_SOFTMAX_GRAD} kernel wants besides `logProbs` (the `cpu`
 * kernel keeps the softmax with WebAssembly SIMD, else `exp(x - rowMax)` and
 * `1 / Σ exp(x - rowMax)` per row; `webgpu` keeps nothing).
 */
export const LOG_SOFTMAX = 'SlrLogSoftmax';

/**
 * Gradient of {@link LOG_SOFTMAX}: `dy - softmax · Σ dy` over the last axis. Inputs `dy`,
 * `logProbs`, and the forward kernel's auxiliary outputs as `aux0`, `aux1`, ….
 */
export const LOG_SOFTMAX_GRAD = 'SlrLogSoftmaxGrad';

/** Attributes of the CTC kernels. */
export interface CtcLossAttrs extends NamedAttrMap {
  /** Index of the blank label in `[0, V)`. */
  blank: number;
}

/** Inputs of {@link CTC_LOSS}. */
export interface CtcLossInputs extends NamedTensorInfoMap {
  /** `[T, B, V]` float32 log-probabilities, time-major. */
  logProbs: TensorInfo;
  /** `[B, S]` int32 labels. */
  targets: TensorInfo;
  /** `[B]` int32 frames per sample. */
  inputLengths: TensorInfo;
  /** `[B]` int32 labels per sample. */
  targetLengths: TensorInfo;
}

/** Inputs of {@link CTC_LOSS_GRAD}. */
export interface CtcLossGradInputs extends CtcLossInputs {
  /** `[B]` float32 negative log-likelihoods, the first output of {@link CTC_LOSS}. */
  nll: TensorInfo;
  /** The second output of {@link CTC_LOSS} on the same backend. */
  state: TensorInfo;
  /** `[B]` float32 factor of each sample's gradient (d reduced loss / d nll[b]). */
  gradScale: TensorInfo;
}
