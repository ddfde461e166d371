import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkBoolean, checkNumber, checkOptions, describeValue } from '@slr/core';
import type { BaseLayerArgs } from './layer-args';
import { batchNormTraining } from './batch-norm-training';

/**
 * Options of {@link BatchNormalization3D}. Defaults follow Keras (and tfjs-layers'
 * `batchNormalization`): `momentum` 0.99, `epsilon` 1e-3, `center` and `scale` on.
 */
export interface BatchNormalization3DArgs extends BaseLayerArgs {
  /**
   * Weight of the old moving statistics in each update:
   * `moving = moving * momentum + batch * (1 - momentum)` (PyTorch's `momentum` is
   * `1 - momentum`). Default 0.99.
   */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-3. */
  epsilon?: number;
  /** Learn an offset (`beta`). Default true. */
  center?: boolean;
  /** Learn a scale (`gamma`). Default true. */
  scale?: boolean;
}

const APPLY = 'BatchNormalization3D.apply';

function onlyTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1)
      throw new ArgumentError(APPLY, 'inputs', 'be one tensor', inputs, {
        actualText: `${inputs.length} tensors`,
      });
    return inputs[0];
  }
  return inputs;
}

function onlyShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
  if (Array.isArray(inputShape[0])) {
    const shapes = inputShape as tf.Shape[];
    if (shapes.length !== 1)
      throw new ArgumentError(APPLY, 'inputs', 'be one tensor', shapes, {
        actualText: `${shapes.length} tensors`,
      });
    return shapes[0];
  }
  return inputShape as tf.Shape;
}

/**
 * Batch normalization over the last (channel) axis for inputs of any rank ≥ 2, rank 5 included
 * (`[B, T, H, W, C]`, where tfjs-layers 4.22's `batchNormalization` throws "not implemented for
 * array of rank 5" in training). A drop-in for `tf.layers.batchNormalization()` with
 * `axis: -1`, weights named as there (`gamma`, `beta`, `moving_mean`, `moving_variance`).
 *
 * Training (`training: true`) normalises with the batch's per-channel mean and (biased)
 * variance over every axis but the last, lets gradients flow through them, and updates the
 * moving statistics in the call, as tfjs-layers' `BatchNormalization` does:
 * `moving ← moving − (moving − batch) · (1 − momentum)`. Inference uses the moving statistics.
 * `y = (x − mean) / sqrt(variance + epsilon) · gamma + beta`. Training runs
 * {@link batchNormTraining} (one fused kernel each way on `cpu`); every op runs on the `[N, C]`
 * view of the input, so the layer works on every backend (tfjs-backend-webgpu 4.22 cannot
 * compile rank-5 broadcasting ops).
 *
 * @example
 * ```ts
 * const x = tf.input({ shape: [8, 28, 28, 64] });                      // [B, T, H, W, C]
 * const y = new BatchNormalization3D({ momentum: 0.99, epsilon: 1e-3 }).apply(x);
 * ```
 */
export class BatchNormalization3D extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrBatchNormalization3D';

  /** Keras momentum of the moving statistics (see {@link BatchNormalization3DArgs.momentum}). */
  readonly momentum: number;
  /** Added to the variance before the square root. */
  readonly epsilon: number;
  /** Whether the layer learns a per-channel offset (`beta`). */
  readonly center: boolean;
  /** Whether the layer learns a per-channel scale (`gamma`). */
  readonly scale: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;

  constructor(args: BatchNormalization3DArgs = {}) {
    const fn = 'BatchNormalization3D';
    checkOptions(fn, args, 'args');
    super(args);
    this.supportsMasking = true;
    this.momentum = checkNumber(fn, 'args.momentum', args.momentum ?? 0.99, { min: 0, max: 1 });
    this.epsilon = checkNumber(fn, 'args.epsilon', args.epsilon ?? 1e-3, {
      min: 0,
      minExclusive: true,
    });
    this.center = checkBoolean(fn, 'args.center', args.center ?? true);
    this.scale = checkBoolean(fn, 'args.scale', args.scale ?? true);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = onlyShape(inputShape);
    const actual = { actualText: `shape ${describeValue(shape)}` };
    if (shape.length < 2)
      throw new ArgumentError(APPLY, 'inputs', 'have rank 2 or more', shape, actual);
    const channels = shape[shape.length - 1];
    if (channels == null) {
      throw new ArgumentError(
        APPLY,
        'inputs',
        'have a known channel (last) dimension',
        shape,
        actual,
      );
    }
    this.inputSpec = [new tf.InputSpec({ ndim: shape.length, axes: { [-1]: channels } })];
    const ones = tf.initializers.ones();
    const zeros = tf.initializers.zeros();
    if (this.scale)
      this.gamma = this.addWeight('gamma', [channels], 'float32', ones, undefined, true);
    if (this.center)
      this.beta = this.addWeight('beta', [channels], 'float32', zeros, undefined, true);
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', zeros, undefined, false);
    this.movingVariance = this.addWeight(
      'moving_variance',
      [channels],
      'float32',
      ones,
      undefined,
      false,
    );
    this.built = true;
  }

  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: tf.serialization.ConfigDict = {},
  ): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs);
      if (kwargs['training'] === true) {
        const { y, mean, variance } = batchNormTraining(
          x,
          this.gamma == null ? null : (this.gamma.read() as tf.Tensor1D),
          this.beta == null ? null : (this.beta.read() as tf.Tensor1D),
          this.epsilon,
        );
        const decay = 1 - this.momentum;
        for (const [variable, value] of [
          [this.movingMean, mean],
          [this.movingVariance, variance],
        ] as const) {
          tf.tidy(() => {
            const old = variable.read();
            variable.write(tf.sub(old, tf.mul(tf.sub(old, value), decay)));
          });
        }
        return y;
      }
      const channels = x.shape[x.shape.length - 1];
      // Every op runs on the free [N, C] view: no rank-5 broadcasting (tfjs-backend-webgpu 4.22
      // cannot compile rank-5 broadcasts).
      const flat = tf.reshape(x, [-1, channels]);
      let factor = tf.rsqrt(tf.add(this.movingVariance.read(), this.epsilon));
      if (this.gamma != null) factor = tf.mul(factor, this.gamma.read());
      let y = tf.mul(tf.sub(flat, this.movingMean.read()), factor);
      if (this.beta != null) y = tf.add(y, this.beta.read());
      return tf.reshape(y, x.shape);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
    };
  }
}
tf.serialization.registerClass(BatchNormalization3D);
