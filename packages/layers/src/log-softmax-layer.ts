import * as tf from '@tensorflow/tfjs';
import { checkOptions } from '@slr/core';
import { logSoftmax } from '@slr/ctc';

/**
 * Log-softmax over the last axis as a layer: the output layer of every `@slr` model, so that
 * models emit the log-probabilities CTC expects (not raw logits). Uses `@slr/ctc`'s fused
 * kernels where the backend has them.
 *
 * @example
 * ```ts
 * const features = tf.input({ shape: [null, 512] }); // [B, T, 512]
 * const logits = tf.layers.dense({ units: 21 }).apply(features) as tf.SymbolicTensor;
 * const logProbs = new LogSoftmax().apply(logits) as tf.SymbolicTensor; // [B, T, 21]
 * ```
 */
export class LogSoftmax extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrLogSoftmax';

  constructor(config: tf.serialization.ConfigDict = {}) {
    super(checkOptions('LogSoftmax', config, 'config'));
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => logSoftmax(Array.isArray(inputs) ? inputs[0] : inputs));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(LogSoftmax);
