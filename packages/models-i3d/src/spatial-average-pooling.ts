import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkOptions, describeValue } from '@slr/core';

/**
 * Averages a video feature map over its spatial axes, frame by frame: `[B, T, H, W, C]` →
 * `[B, T, C]`. Works for any `T`, `H` and `W` (unknown ones included), so a model built with
 * it accepts clips of any length and size. Computed on a rank-4 view, which every tfjs backend
 * supports.
 *
 * @example
 * ```ts
 * const features = tf.input({ shape: [null, 7, 7, 1024] });
 * const perFrame = new SpatialAveragePooling().apply(features); // [B, T, 1024]
 * ```
 */
export class SpatialAveragePooling extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrSpatialAveragePooling';

  constructor(config: tf.serialization.ConfigDict = {}) {
    super(checkOptions('SpatialAveragePooling', config, 'config'));
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (
      Array.isArray(inputShape[0]) ? (inputShape as tf.Shape[])[0] : inputShape
    ) as tf.Shape;
    if (shape.length !== 5) {
      throw new ArgumentError(
        'SpatialAveragePooling.apply',
        'inputs',
        'be [B, T, H, W, C]',
        shape,
        {
          actualText: `shape ${describeValue(shape)}`,
        },
      );
    }
    this.inputSpec = [new tf.InputSpec({ ndim: 5 })];
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [batch, frames, height, width, channels] = x.shape as number[];
      return tf.mean(tf.reshape(x, [batch, frames, height * width, channels]), 2);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = (
      Array.isArray(inputShape[0]) ? (inputShape as tf.Shape[])[0] : inputShape
    ) as tf.Shape;
    return [shape[0], shape[1], shape[4]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(SpatialAveragePooling);
