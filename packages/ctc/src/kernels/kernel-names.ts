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
 *
 * @example
 * ```ts
 * tf.getKernel(CTC_LOSS, tf.getBackend()) != null; // true on cpu and webgpu: ctcLoss runs the fused kernels there
 * ```
 */
export const CTC_LOSS = 'SlrCtcLoss';

/**
 * CTC backward pass (eq. 9–16): gradient of `gradScale[b] · nll[b]` with respect to
 * `logProbs`, `[T, B, V]`. Inputs: those of {@link CTC_LOSS} plus its outputs `nll` and
 * `state`, and `gradScale` `[B]` float32. Samples with a non-finite `nll` get a zero gradient.
 *
 * @example
 * ```ts
 * const [nll, state] = tf.engine().runKernel(CTC_LOSS, inputs, { blank: 0 }) as tf.Tensor[];
 * const grad = tf.engine().runKernel(CTC_LOSS_GRAD, { ...inputs, nll, state, gradScale }, { blank: 0 }) as tf.Tensor;
 * ```
 */
export const CTC_LOSS_GRAD = 'SlrCtcLossGrad';

/**
 * Log-softmax over the last axis. Input `x`; outputs `[logProbs, ...aux]`, where `aux` is what
 * the same backend's {@link LOG_SOFTMAX_GRAD} kernel wants besides `logProbs` (the `cpu`
 * kernel keeps `exp(x - rowMax)` and `1 / Σ exp(x - rowMax)` per row; `webgpu` keeps nothing).
 *
 * @example
 * ```ts
 * const [logProbs, ...aux] = tf.engine().runKernel(LOG_SOFTMAX, { x }, {}) as tf.Tensor[];
 * ```
 */
export const LOG_SOFTMAX = 'SlrLogSoftmax';

/**
 * Gradient of {@link LOG_SOFTMAX}: `dy - softmax · Σ dy` over the last axis. Inputs `dy`,
 * `logProbs`, and the forward kernel's auxiliary outputs as `aux0`, `aux1`, ….
 *
 * @example
 * ```ts
 * const dx = tf.engine().runKernel(LOG_SOFTMAX_GRAD, { dy, logProbs, aux0, aux1 }, {}) as tf.Tensor;
 * ```
 */
export const LOG_SOFTMAX_GRAD = 'SlrLogSoftmaxGrad';

/**
 * Attributes of the CTC kernels.
 *
 * @example
 * ```ts
 * const attrs: CtcLossAttrs = { blank: 0 };
 * ```
 */
export interface CtcLossAttrs extends NamedAttrMap {
  /** Index of the blank label in `[0, V)`. */
  blank: number;
}

/**
 * Inputs of {@link CTC_LOSS}.
 *
 * @example
 * ```ts
 * const inputs: CtcLossInputs = {
 *   logProbs,                                              // [T, B, V] float32
 *   targets: tf.tensor2d([[3, 7], [5, 0]], [2, 2], 'int32'), // padding past targetLengths is never read
 *   inputLengths: tf.tensor1d([50, 42], 'int32'),
 *   targetLengths: tf.tensor1d([2, 1], 'int32'),
 * };
 * ```
 */
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

/**
 * Inputs of {@link CTC_LOSS_GRAD}.
 *
 * @example
 * ```ts
 * const [nll, state] = tf.engine().runKernel(CTC_LOSS, inputs, { blank: 0 }) as tf.Tensor[];
 * const gradInputs: CtcLossGradInputs = { ...inputs, nll, state, gradScale: tf.ones([2]) };
 * ```
 */
export interface CtcLossGradInputs extends CtcLossInputs {
  /** `[B]` float32 negative log-likelihoods, the first output of {@link CTC_LOSS}. */
  nll: TensorInfo;
  /** The second output of {@link CTC_LOSS} on the same backend. */
  state: TensorInfo;
  /** `[B]` float32 factor of each sample's gradient (d reduced loss / d nll[b]). */
  gradScale: TensorInfo;
}
