import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  checkBoolean,
  checkInteger,
  checkNumber,
  checkOptions,
  describeValue,
} from '@slr/core';
import type { BaseLayerArgs } from './layer-args';

const APPLY = 'GroupNormalization.apply';

/**
 * Options of {@link GroupNormalization}. Defaults follow Keras' `GroupNormalization`:
 * 32 groups, `epsilon` 1e-3, `center` and `scale` on.
 */
export interface GroupNormalizationArgs extends BaseLayerArgs {
  /** Number of channel groups; must divide the channel count. Default 32. */
  groups?: number;
  /** Added to the variance before the square root. Default 1e-3. */
  epsilon?: number;
  /** Learn a per-channel offset (`beta`). Default true. */
  center?: boolean;
  /** Learn a per-channel scale (`gamma`). Default true. */
  scale?: boolean;
}

/**
 * Group normalization (Wu & He, 2018) for channels-last inputs of rank 3 to 5 (`[B, L, C]`,
 * `[B, H, W, C]`, `[B, T, H, W, C]`; rank 2 works too): the channels are split into `groups`
 * contiguous groups, and each sample is normalised by the mean and variance of each group over
 * every non-batch position, then scaled and offset per channel. Independent of the batch size
 * and identical in training and inference, so it suits the tiny batches of video models.
 *
 * @example
 * ```ts
 * const x = tf.input({ shape: [8, 14, 14, 64] });
 * const y = new GroupNormalization({ groups: 8 }).apply(x);   // same shape
 * ```
 */
export class GroupNormalization extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrGroupNormalization';

  /** Number of channel groups. */
  readonly groups: number;
  /** Added to the variance before the square root. */
  readonly epsilon: number;
  /** Whether the layer learns a per-channel offset (`beta`). */
  readonly center: boolean;
  /** Whether the layer learns a per-channel scale (`gamma`). */
  readonly scale: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: GroupNormalizationArgs = {}) {
    const fn = 'GroupNormalization';
    checkOptions(fn, args, 'args');
    super(args);
    this.supportsMasking = true;
    this.groups = checkInteger(fn, 'args.groups', args.groups ?? 32, { min: 1 });
    this.epsilon = checkNumber(fn, 'args.epsilon', args.epsilon ?? 1e-3, {
      min: 0,
      minExclusive: true,
    });
    this.center = checkBoolean(fn, 'args.center', args.center ?? true);
    this.scale = checkBoolean(fn, 'args.scale', args.scale ?? true);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (
      Array.isArray(inputShape[0]) ? (inputShape as tf.Shape[])[0] : inputShape
    ) as tf.Shape;
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
    if (channels % this.groups !== 0) {
      throw new ArgumentError(
        APPLY,
        'inputs',
        `have a channel count divisible by groups (${this.groups})`,
        shape,
        { actualText: `${channels} channels` },
      );
    }
    this.inputSpec = [new tf.InputSpec({ ndim: shape.length, axes: { [-1]: channels } })];
    if (this.scale)
      this.gamma = this.addWeight(
        'gamma',
        [channels],
        'float32',
        tf.initializers.ones(),
        undefined,
        true,
      );
    if (this.center)
      this.beta = this.addWeight(
        'beta',
        [channels],
        'float32',
        tf.initializers.zeros(),
        undefined,
        true,
      );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const channels = x.shape[x.shape.length - 1];
      const perGroup = channels / this.groups;
      // Rank-4 view [B, positions, groups, channels per group]: every op stays at rank ≤ 4
      // (tfjs-backend-webgpu 4.22 cannot compile rank-5 broadcasts).
      const grouped = tf.reshape(x, [x.shape[0], -1, this.groups, perGroup]);
      const { mean, variance } = tf.moments(grouped, [1, 3], true);
      let y = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      if (this.gamma != null) y = tf.mul(y, tf.reshape(this.gamma.read(), [this.groups, perGroup]));
      if (this.beta != null) y = tf.add(y, tf.reshape(this.beta.read(), [this.groups, perGroup]));
      y = tf.reshape(y, x.shape);
      return y;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      groups: this.groups,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
    };
  }
}
tf.serialization.registerClass(GroupNormalization);
