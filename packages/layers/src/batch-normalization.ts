import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, hasFusedBatchNorm } from './batch-norm-training';

type TfjsBatchNormalization = ReturnType<typeof tf.layers.batchNormalization>;
type BatchNormalizationArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;

/** The fields of tfjs-layers' `BatchNormalization` (private in its typings) the override reads. */
interface Internals {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** Marks the class below, so that a second copy of this module subclasses tfjs's own class. */
const REPLACEMENT = Symbol.for('@slr/layers BatchNormalization');

/** tfjs-layers' class: its constructor and the statics of a serialisable layer. */
type TfjsBatchNormalizationClass = (new (args?: BatchNormalizationArgs) => TfjsBatchNormalization) &
  Pick<typeof tf.layers.Layer, 'fromConfig'> & { className: string };

function tfjsBatchNormalization(): TfjsBatchNormalizationClass {
  let cls = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'][0] as
    | (tf.serialization.SerializableConstructor<tf.serialization.Serializable> & {
        [REPLACEMENT]?: boolean;
      })
    | undefined;
  while (cls != null && Object.prototype.hasOwnProperty.call(cls, REPLACEMENT))
    cls = Object.getPrototypeOf(cls) as typeof cls;
  return cls as unknown as TfjsBatchNormalizationClass;
}

/**
 * tfjs-layers' `BatchNormalization` (`tf.layers.batchNormalization`) with a fused training
 * pass: same arguments, configuration, weights (`gamma`, `beta`, `moving_mean`,
 * `moving_variance`, in that order) and class name, so saved models, checkpoints and weight
 * mappings are unchanged; `@slr/layers` registers it for deserialisation under tfjs's name
 * `'BatchNormalization'`, so loaded models get it too.
 *
 * In training (`training: true`) with channels last (`axis: -1`) on a backend with the fused
 * kernel (`cpu`), the batch statistics, the normalisation and their gradient are one kernel
 * each way ({@link batchNormTraining}); inputs of any rank ≥ 2 are accepted (tfjs's layer stops
 * at rank 4). The moving statistics are updated as tfjs does,
 * `moving ← moving − (moving − batch) · (1 − momentum)`, with the biased batch variance.
 * Inference, other axes and other backends run tfjs's layer unchanged.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { BatchNormalization } from '@slr/layers';
 *
 * const x = tf.input({ shape: [28, 28, 16] });
 * const y = new BatchNormalization({ epsilon: 1e-3, momentum: 0.99, name: 'conv1_bn' }).apply(x);
 * ```
 */
export class BatchNormalization extends tfjsBatchNormalization() {
  /** tfjs's class name: saved models name this layer as tfjs does. */
  static override className = 'BatchNormalization';
  /** Marks this class as the replacement, whichever copy of the package registered it. */
  static readonly [REPLACEMENT] = true;

  /**
   * Normalises `inputs`: in training (`kwargs.training`), channels last and float32, with the
   * batch's statistics through {@link batchNormTraining} (updating the moving statistics as
   * tfjs does); otherwise exactly as tfjs-layers' `BatchNormalization`.
   */
  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: tf.serialization.ConfigDict = {},
  ): tf.Tensor {
    const input = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    const training = kwargs['training'] == null ? false : kwargs['training'];
    const self = this as unknown as Internals;
    if (
      !training ||
      !(input instanceof tf.Tensor) ||
      input.dtype !== 'float32' ||
      input.rank < 2 ||
      (self.axis >= 0 ? self.axis : self.axis + input.rank) !== input.rank - 1 ||
      !hasFusedBatchNorm()
    ) {
      return super.call(inputs, kwargs) as tf.Tensor;
    }
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(
        input,
        self.scale && self.gamma != null ? (self.gamma.read() as tf.Tensor1D) : null,
        self.center && self.beta != null ? (self.beta.read() as tf.Tensor1D) : null,
        self.epsilon,
      );
      // As tfjs-layers' BatchNormalization, op for op.
      const decay = 1 - self.momentum;
      for (const [variable, value] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const old = variable.read();
          variable.write(tf.sub(old, tf.mul(tf.sub(old, value), decay)));
        });
      }
      return y;
    });
  }
}
tf.serialization.registerClass(BatchNormalization);
