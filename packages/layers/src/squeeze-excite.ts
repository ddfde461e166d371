import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkOptions,
  describeValue,
} from '@slr/core';
import { hardSigmoid } from './hard-swish';
import { initializerSeed } from './random-stream';

/**
 * Rounds a channel count as MobileNet does (torchvision's `_make_divisible`): to the nearest
 * multiple of `divisor`, at least `minValue` (default `divisor`), and never below 90% of `value`
 * (one more `divisor` is added when rounding went down too far).
 *
 * @example
 * ```ts
 * makeDivisible(16 * 0.75);    // 16  (12 rounds half up to 16)
 * makeDivisible(240 / 4);      // 64  (60 → 64)
 * makeDivisible(72 * 0.25);    // 24  (18 → 16 would be below 90%, so 24)
 * ```
 */
export function makeDivisible(value: number, divisor = 8, minValue: number = divisor): number {
  checkNumber('makeDivisible', 'value', value);
  checkNumber('makeDivisible', 'divisor', divisor, { min: 0, minExclusive: true });
  checkNumber('makeDivisible', 'minValue', minValue);
  let rounded = Math.max(minValue, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

/** The gate a {@link SqueezeExcite} layer multiplies its input by. */
export type SqueezeExciteGate = 'hardSigmoid' | 'sigmoid';

/** Options of a {@link SqueezeExcite} layer (also its serialised config, with the base layer's). */
export interface SqueezeExciteArgs {
  /**
   * Width of the squeezed representation. Default: as in torchvision's MobileNetV3,
   * `makeDivisible(floor(channels / 4), 8)`, where `channels` is the input's last dimension.
   */
  squeezeChannels?: number | null;
  /** Gate activation: `'hardSigmoid'` (`relu6(x + 3) / 6`, MobileNetV3; the default) or `'sigmoid'`. */
  gate?: SqueezeExciteGate;
  /**
   * Seed of the kernels' random initialisation (He-normal with fan-out, as torchvision
   * initialises MobileNetV3's convolutions; biases start at zero): the reduce kernel is drawn
   * with `seed`, the expand kernel with `seed + 1`. Default: unseeded.
   */
  seed?: number | null;
  /** Layer name (as every tfjs layer takes). */
  name?: string;
  /** Whether the weights train (as every tfjs layer takes). Default `true`. */
  trainable?: boolean;
}

/**
 * Squeeze-and-excite (Hu et al. 2018) in MobileNetV3's form, as one tfjs layer on channels-last
 * inputs of rank 3 or more (`[B, H, W, C]`, `[B, T, C]`, `[B, T, H, W, C]`): global average
 * pooling over every axis between batch and channels, a 1×1 convolution with bias to
 * `squeezeChannels`, ReLU, a 1×1 convolution with bias back to `C`, the gate (hard-sigmoid by
 * default), and the input multiplied by the gate, channel by channel.
 *
 * Its own four weights, `reduce_kernel` `[C, S]`, `reduce_bias` `[S]`, `expand_kernel` `[S, C]`
 * and `expand_bias` `[C]` (2·C·S + C + S parameters), are the 1×1 convolutions' kernels: a
 * torchvision `fc1.weight` of shape `[S, C, 1, 1]` loads as its reshape to `[S, C]`, transposed.
 * Registered for serialisation as `'SlrSqueezeExcite'`.
 *
 * @example
 * ```ts
 * const input = tf.input({ shape: [28, 28, 72] });
 * const excited = new SqueezeExcite({ seed: 1 }).apply(input) as tf.SymbolicTensor; // squeeze 24
 * const model = tf.model({ inputs: input, outputs: excited }); // 2·72·24 + 72 + 24 = 3,552 parameters
 * ```
 */
export class SqueezeExcite extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrSqueezeExcite';

  /** Width of the squeeze as configured (`null`: derived from the input's channels in `build`). */
  readonly squeezeChannelsArg: number | null;
  /** The gate activation. */
  readonly gate: SqueezeExciteGate;
  /** Seed of the kernels' initialisation, or `null`. */
  readonly seed: number | null;

  private reduceKernel: tf.LayerVariable | null = null;
  private reduceBias: tf.LayerVariable | null = null;
  private expandKernel: tf.LayerVariable | null = null;
  private expandBias: tf.LayerVariable | null = null;

  constructor(args: SqueezeExciteArgs = {}) {
    const { squeezeChannels, gate, seed, ...base } = checkOptions('SqueezeExcite', args, 'args');
    super(base);
    if (squeezeChannels != null)
      checkInteger('SqueezeExcite', 'args.squeezeChannels', squeezeChannels, { min: 1 });
    if (gate != null) checkOneOf('SqueezeExcite', 'args.gate', gate, ['hardSigmoid', 'sigmoid']);
    if (seed != null) checkNumber('SqueezeExcite', 'args.seed', seed);
    this.squeezeChannelsArg = squeezeChannels ?? null;
    this.gate = gate ?? 'hardSigmoid';
    this.seed = seed ?? null;
  }

  /** Squeeze width for an input with `channels` channels. */
  squeezeChannelsFor(channels: number): number {
    return this.squeezeChannelsArg ?? makeDivisible(Math.floor(channels / 4), 8);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const actual = { actualText: `shape ${describeValue(shape)}` };
    if (shape.length < 3) {
      throw new ArgumentError(
        'SqueezeExcite.apply',
        'inputs',
        'be channels-last, of rank 3 or more',
        shape,
        actual,
      );
    }
    const channels = shape[shape.length - 1];
    if (channels == null) {
      throw new ArgumentError(
        'SqueezeExcite.apply',
        'inputs',
        'have a known channel dimension (the last axis)',
        shape,
        actual,
      );
    }
    const squeeze = this.squeezeChannelsFor(channels);
    const kernelInit = (offset: number) =>
      tf.initializers.varianceScaling({
        scale: 2,
        mode: 'fanOut',
        distribution: 'normal',
        seed: initializerSeed(this.seed == null ? undefined : this.seed + offset),
      });
    this.reduceKernel = this.addWeight(
      'reduce_kernel',
      [channels, squeeze],
      'float32',
      kernelInit(0),
    );
    this.reduceBias = this.addWeight('reduce_bias', [squeeze], 'float32', tf.initializers.zeros());
    this.expandKernel = this.addWeight(
      'expand_kernel',
      [squeeze, channels],
      'float32',
      kernelInit(1),
    );
    this.expandBias = this.addWeight('expand_bias', [channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const rank = x.rank;
      const axes = Array.from({ length: rank - 2 }, (_, i) => i + 1);
      const pooled = tf.mean<tf.Tensor2D>(x, axes); // [B, C]
      const squeezed = tf.relu(
        tf.add(
          tf.matMul(pooled, this.reduceKernel!.read() as tf.Tensor2D),
          this.reduceBias!.read(),
        ),
      );
      const expanded = tf.add(
        tf.matMul(squeezed as tf.Tensor2D, this.expandKernel!.read() as tf.Tensor2D),
        this.expandBias!.read(),
      );
      const gate = this.gate === 'sigmoid' ? tf.sigmoid(expanded) : hardSigmoid(expanded);
      const channels = x.shape[rank - 1];
      const broadcastShape = [x.shape[0], ...new Array<number>(rank - 2).fill(1), channels];
      return tf.mul(x, tf.reshape(gate, broadcastShape));
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      squeezeChannels: this.squeezeChannelsArg,
      gate: this.gate,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(SqueezeExcite);
