import * as tf from '@tensorflow/tfjs';
import { checkOptions } from '@slr/core';

/**
 * Hard-sigmoid as defined by MobileNetV3 (Howard et al. 2019) and PyTorch's `nn.Hardsigmoid`:
 * `relu6(x + 3) / 6`. Not tfjs's built-in `'hardSigmoid'` activation, which is Keras's
 * `clip(0.2 x + 0.5, 0, 1)` (a different slope).
 *
 * @example
 * ```ts
 * hardSigmoid(tf.tensor1d([-4, 0, 1.5, 4])).print(); // [0, 0.5, 0.75, 1]
 * ```
 */
export function hardSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.div<T>(tf.relu6(tf.add(x, 3)), 6));
}

/**
 * Hard-swish as defined by MobileNetV3 (Howard et al. 2019) and PyTorch's `nn.Hardswish`:
 * `x * relu6(x + 3) / 6`.
 *
 * @example
 * ```ts
 * hardSwish(tf.tensor1d([-4, 0, 1, 4])).print(); // [0, 0, 0.6667, 4]
 * ```
 */
export function hardSwish<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul<T>(x, hardSigmoid(x)));
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/**
 * Hard-swish, `x * relu6(x + 3) / 6`, as a tfjs layer (element-wise, any shape). Registered for
 * serialisation as `'SlrHardSwish'`.
 *
 * @example
 * ```ts
 * const input = tf.input({ shape: [32, 32, 3] });
 * const conv = tf.layers.conv2d({ filters: 16, kernelSize: 3, useBias: false }).apply(input);
 * const activated = new HardSwish().apply(conv) as tf.SymbolicTensor;
 * ```
 */
export class HardSwish extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrHardSwish';

  constructor(config: tf.serialization.ConfigDict = {}) {
    super(checkOptions('HardSwish', config, 'config'));
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => hardSwish(single(inputs)));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(HardSwish);

/**
 * Hard-sigmoid, `relu6(x + 3) / 6`, as a tfjs layer (element-wise, any shape): the gate of
 * MobileNetV3's squeeze-and-excite. Registered for serialisation as `'SlrHardSigmoid'`.
 *
 * @example
 * ```ts
 * const gate = new HardSigmoid().apply(tf.input({ shape: [16] })) as tf.SymbolicTensor;
 * ```
 */
export class HardSigmoid extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrHardSigmoid';

  constructor(config: tf.serialization.ConfigDict = {}) {
    super(checkOptions('HardSigmoid', config, 'config'));
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => hardSigmoid(single(inputs)));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(HardSigmoid);
