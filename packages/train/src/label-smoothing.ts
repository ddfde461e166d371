import * as tf from '@tensorflow/tfjs';
import { ctcLoss, type CtcReduction, type Lengths } from '@slr/ctc';
import { checkNumber, checkOptions } from '@slr/core';

/** Options of {@link smoothedCtcLoss}. */
export interface SmoothedCtcLossOptions {
  /** Smoothing weight ε in [0, 1]; 0 gives exactly `ctcLoss`. */
  epsilon: number;
  /** Index of the blank label. Default 0. */
  blank?: number;
  /**
   * `'none'`: `[B]` per-sample losses; `'sum'`: their sum; `'mean'` (default): CTC's mean
   * reduction plus the batch mean of the smoothing term.
   */
  reduction?: CtcReduction;
}

/**
 * CTC loss with label smoothing towards the uniform distribution:
 * `(1 − ε)·CTC + ε·KL(u ‖ p)`, with `KL(u ‖ p) = Σ_k u_k (log u_k − log p_k)`, `u_k = 1/V`,
 * averaged over each sample's valid frames (`t < inputLengths[b]`; a sample with no frame
 * contributes 0). Frames past `inputLengths` are never read: whatever they hold (NaN,
 * ±Infinity) changes neither the loss nor its gradient, which is zero there. The CTC term is
 * `ctcLoss` from `@slr/ctc` with the same reduction; the smoothing term is reduced alike: per
 * sample (`'none'`), summed (`'sum'`) or averaged over the batch (`'mean'`). Differentiable with respect to `logProbs`.
 *
 * @example
 * ```ts
 * const loss = smoothedCtcLoss(logProbs, targets, inputLengths, targetLengths, { epsilon: 0.1 });
 * ```
 */
export function smoothedCtcLoss(
  logProbs: tf.Tensor3D,
  targets: tf.Tensor2D,
  inputLengths: Lengths,
  targetLengths: Lengths,
  options: SmoothedCtcLossOptions,
): tf.Tensor {
  const checked = checkOptions('smoothedCtcLoss', options);
  const epsilon = checkNumber('smoothedCtcLoss', 'options.epsilon', checked.epsilon, {
    min: 0,
    max: 1,
  });
  const { blank = 0, reduction = 'mean' } = checked;
  if (epsilon === 0)
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, { blank, reduction });
  return tf.tidy(() => {
    const ctc = ctcLoss(logProbs, targets, inputLengths, targetLengths, { blank, reduction });
    const [frames, batch, classes] = logProbs.shape;
    const lengths =
      inputLengths instanceof tf.Tensor
        ? tf.cast(inputLengths, 'float32')
        : tf.tensor1d(Array.from(inputLengths), 'float32');
    const valid = tf.less(
      tf.reshape(tf.range(0, frames, 1, 'float32'), [frames, 1]),
      tf.reshape(lengths, [1, batch]),
    ); // [T, B]
    // Padding is selected away before any arithmetic (0·NaN would be NaN), so it is never read.
    const validLogProbs = tf.where(
      tf.reshape(valid, [frames, batch, 1]),
      logProbs,
      tf.zerosLike(logProbs),
    );
    // KL(u ‖ p) per frame: −log V − mean_k log p_k, shape [T, B].
    const kl = tf.sub(tf.neg(tf.mean(validLogProbs, 2)), Math.log(classes));
    const validKl = tf.where(valid, kl, tf.zerosLike(kl));
    const perSample = tf.div(tf.sum(validKl, 0), tf.maximum(lengths, 1)); // [B]
    const smoothing =
      reduction === 'none'
        ? perSample
        : reduction === 'sum'
          ? tf.sum(perSample)
          : tf.mean(perSample);
    return tf.add(tf.mul(ctc, 1 - epsilon), tf.mul(smoothing, epsilon));
  });
}
