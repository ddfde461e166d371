import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import { LOG_SOFTMAX, LOG_SOFTMAX_GRAD } from '../kernels/kernel-names';

function logSoftmax_<T extends tf.Tensor>(logits: T | tf.TensorLike): T {
  const x = logits instanceof tf.Tensor ? logits : tf.tensor(logits);
  if (x.dtype !== 'float32') throw new ArgumentError('logSoftmax', 'logits', 'be float32', x);
  if (x.rank < 1) throw new ArgumentError('logSoftmax', 'logits', 'have rank at least 1', x);
  const backend = tf.getBackend();
  if (
    tf.getKernel(LOG_SOFTMAX, backend) == null ||
    tf.getKernel(LOG_SOFTMAX_GRAD, backend) == null
  ) {
    return tf.logSoftmax(x, -1) as T;
  }
  const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const outputs = tf.engine().runKernel<tf.Tensor[]>(LOG_SOFTMAX, { x: input }, {});
    save(outputs);
    return {
      value: outputs[0],
      gradFunc: (dy: tf.Tensor, [logProbs, ...aux]: tf.Tensor[]) => {
        const inputs: tf.NamedTensorMap = { dy, logProbs };
        aux.forEach((tensor, i) => (inputs[`aux${i}`] = tensor));
        return tf.engine().runKernel<tf.Tensor>(LOG_SOFTMAX_GRAD, inputs, {});
      },
    };
  });
  return fused(x) as T;
}

/**
 * Log-softmax over the last axis: `x - log Σ exp(x)`, the output a CTC model needs. Same
 * values and gradient as `tf.logSoftmax(x, -1)`; on the `cpu` backend a fused kernel makes
 * forward and backward one pass each (one exponential per element), which matters for the
 * `[T, B, V]` output of a large-vocabulary model; on `webgpu` one dispatch each. Other
 * backends call `tf.logSoftmax`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { logSoftmax } from '@slr/ctc';
 *
 * const logProbs = logSoftmax(tf.tensor2d([[1, 2, 3]])); // [[-2.408, -1.408, -0.408]]
 * ```
 */
export const logSoftmax = tf.op({ logSoftmax_ });
