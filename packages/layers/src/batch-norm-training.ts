import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber, describeValue } from '@slr/core';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from './kernels/kernel-names';
import { registerLayersCpuKernels } from './kernels/register-cpu';

registerLayersCpuKernels();

/** What {@link batchNormTraining} returns. */
export interface BatchNormTrainingResult<T extends tf.Tensor = tf.Tensor> {
  /** `(x − mean) / sqrt(variance + epsilon) · gamma + beta`, the shape of `x`. */
  y: T;
  /** The batch mean of every channel, `[C]`. */
  mean: tf.Tensor1D;
  /** The biased batch variance (divided by the count) of every channel, `[C]`. */
  variance: tf.Tensor1D;
}

const FN = 'batchNormTraining';

function checkChannelVector(name: string, value: unknown, channels: number): tf.Tensor1D | null {
  if (value == null) return null;
  const tensor = value instanceof tf.Tensor ? (value as tf.Tensor) : null;
  if (tensor?.dtype !== 'float32' || tensor.rank !== 1 || tensor.shape[0] !== channels) {
    throw new ArgumentError(FN, name, `be a float32 tensor of shape [${channels}] or null`, value, {
      actualText:
        value instanceof tf.Tensor
          ? `a ${value.dtype} tensor of shape ${describeValue(value.shape)}`
          : describeValue(value),
    });
  }
  return value as tf.Tensor1D;
}

/**
 * Whether the current backend runs {@link batchNormTraining} as one fused kernel each way
 * (`cpu`, once `@slr/layers` is imported); elsewhere it runs plain tfjs ops.
 *
 * @example
 * ```ts
 * await tf.setBackend('cpu');
 * hasFusedBatchNorm(); // true
 * ```
 */
export function hasFusedBatchNorm(): boolean {
  const backend = tf.getBackend();
  return (
    tf.getKernel(BATCH_NORM_TRAINING, backend) != null &&
    tf.getKernel(BATCH_NORM_TRAINING_GRAD, backend) != null
  );
}

/**
 * Batch normalisation in training mode over every axis but the last (channels): the batch's
 * per-channel `mean` and biased `variance` (PyTorch's `BatchNorm` normalises with the biased
 * one too), and `y = (x − mean) / sqrt(variance + epsilon) · gamma + beta`. Gradients flow to
 * `x`, `gamma` and `beta`, through the statistics as well (also from `mean` and `variance` when
 * a loss uses them). `gamma` / `beta` `null` mean 1 / 0.
 *
 * On the `cpu` backend the forward pass is one kernel (`SlrBatchNormTraining`: one pass for
 * the mean, one for the variance, one to normalise, summing in float64) and so is the
 * backward pass (`SlrBatchNormTrainingGrad`: `dx`, `dgamma`, `dbeta` in two passes), in place
 * of some 20 tfjs kernels; other backends run the same maths as plain tfjs ops on the free
 * `[N, C]` view of `x`. Second-order gradients are not supported on `cpu`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { batchNormTraining } from '@slr/layers';
 *
 * const x = tf.randomNormal([2, 4, 8, 8, 3]); // [B, T, H, W, C]
 * const { y, mean, variance } = batchNormTraining(x, tf.ones([3]), tf.zeros([3]), 1e-3);
 * ```
 */
export function batchNormTraining<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D | null,
  beta: tf.Tensor1D | null,
  epsilon: number,
): BatchNormTrainingResult<T> {
  if (!(x instanceof tf.Tensor) || x.dtype !== 'float32' || x.rank < 2) {
    throw new ArgumentError(FN, 'x', 'be a float32 tensor of rank 2 or more', x, {
      actualText:
        x instanceof tf.Tensor
          ? `a ${x.dtype} tensor of shape ${describeValue(x.shape)}`
          : describeValue(x),
    });
  }
  const channels = x.shape[x.rank - 1];
  const g = checkChannelVector('gamma', gamma, channels);
  const b = checkChannelVector('beta', beta, channels);
  checkNumber(FN, 'epsilon', epsilon, { min: 0, minExclusive: true });
  return tf.tidy(() => {
    if (hasFusedBatchNorm()) {
      const [y, mean, variance] = tf
        .engine()
        .runKernel<tf.Tensor[]>(
          BATCH_NORM_TRAINING,
          { x, gamma: g ?? tf.ones([channels]), beta: b ?? tf.zeros([channels]) },
          { epsilon },
        );
      return { y: y as T, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
    }
    // The free [N, C] view: no broadcasting beyond rank 2 (tfjs-backend-webgpu 4.22 cannot
    // compile rank-5 broadcasting ops).
    const flat = tf.reshape(x, [-1, channels]);
    const { mean, variance } = tf.moments(flat, 0);
    let factor = tf.rsqrt(tf.add(variance, epsilon));
    if (g != null) factor = tf.mul(factor, g);
    let y = tf.mul(tf.sub(flat, mean), factor);
    if (b != null) y = tf.add(y, b);
    return {
      y: tf.reshape(y, x.shape) as T,
      mean: mean as tf.Tensor1D,
      variance: variance as tf.Tensor1D,
    };
  });
}
