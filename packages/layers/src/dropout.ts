import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber, checkOptions, describeValue } from '@slr/core';
import type { BaseLayerArgs } from './layer-args';
import { checkSeed, MaskStream } from './mask-stream';
import type { StochasticLayer } from './random-stream';

/** Options of a {@link Dropout} layer (also its serialised config, with the base layer's). */
export interface DropoutArgs extends BaseLayerArgs {
  /** Fraction of the inputs zeroed in training, in [0, 1). */
  rate: number;
  /**
   * Shape of the mask, broadcast over the input (one entry per input axis, batch included; each
   * 1, the input's size, or `null` for the input's size), as tfjs's `noiseShape`: `[null, 1,
   * null]` drops whole channels of `[B, T, C]` for every frame alike. Default: the input's shape.
   */
  noiseShape?: (number | null)[] | null;
  /**
   * Seed of the masks drawn outside `train()` (each training-mode call draws the next mask of
   * the stream). Default: unseeded (`Math.random`, as tfjs and PyTorch).
   */
  seed?: number | null;
}

/**
 * Dropout with reproducible masks: in training mode (`apply(x, { training: true })`) each value
 * is zeroed with probability `rate` and the others scaled by `1 / (1 − rate)`, as `tf.dropout`
 * and PyTorch's `nn.Dropout` do; at inference it is the identity.
 *
 * Unlike tfjs's `tf.layers.dropout` (unseeded: `Math.random`; seeded: the same mask on every
 * call), its masks come from a counter-based stream drawn in JavaScript, so they are the same
 * on every backend: a seeded layer draws a new mask on every call from `(seed, call)`, and once
 * {@link setRandomStep} positioned it (as `train()` of `@slr/train` does before each step) from
 * `(run seed, step, layer)` alone, so that a resumed run continues the uninterrupted run's
 * masks. Registered for serialisation as `'SlrDropout'` (config: `rate`, `noiseShape`, `seed`,
 * as tfjs's `Dropout`).
 *
 * @example
 * ```ts
 * const input = tf.input({ shape: [null, 64] });
 * const dropped = new Dropout({ rate: 0.3, seed: 7 }).apply(input) as tf.SymbolicTensor;
 * const model = tf.model({ inputs: input, outputs: dropped });
 * setRandomStep(model, 42, 0); // the masks of step 0 of a run seeded with 42
 * ```
 */
export class Dropout extends tf.layers.Layer implements StochasticLayer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrDropout';

  /** Fraction of the inputs zeroed in training. */
  rate: number;
  /** Shape of the mask (`null` entries: the input's size), or `null` for the input's shape. */
  readonly noiseShape: (number | null)[] | null;
  /** Seed of the masks outside `train()`, or `null`. */
  readonly seed: number | null;
  private readonly stream: MaskStream;

  constructor(args: DropoutArgs) {
    const fn = 'Dropout';
    const { rate, noiseShape, seed, ...base } = checkOptions(fn, args, 'args');
    super(base);
    this.rate = checkNumber(fn, 'args.rate', rate, { min: 0, max: 1, maxExclusive: true });
    if (
      noiseShape != null &&
      (!Array.isArray(noiseShape) ||
        !noiseShape.every((size) => size === null || (Number.isInteger(size) && size >= 1)))
    ) {
      throw new ArgumentError(
        fn,
        'args.noiseShape',
        'be a list of positive integers or nulls',
        noiseShape,
      );
    }
    this.noiseShape = noiseShape == null ? null : [...noiseShape];
    this.seed = seed == null ? null : checkSeed(fn, 'args.seed', seed);
    this.stream = new MaskStream(this.seed);
    this.supportsMasking = true;
  }

  /** See {@link StochasticLayer.setRandomStep}. */
  setRandomStep(seed: number, step: number, index: number): void {
    this.stream.setRandomStep(seed, step, index);
  }

  /** The mask's shape for an input of `shape`. */
  private maskShape(shape: readonly number[]): number[] {
    if (this.noiseShape === null) return [...shape];
    const fits =
      this.noiseShape.length === shape.length &&
      this.noiseShape.every((size, i) => size === null || size === 1 || size === shape[i]);
    if (!fits) {
      throw new ArgumentError(
        'Dropout.apply',
        'inputs',
        `fit the layer's noiseShape ${describeValue(this.noiseShape)} (each axis 1, null or the input's size)`,
        shape,
        { actualText: `shape ${describeValue(shape)}` },
      );
    }
    return this.noiseShape.map((size, i) => size ?? shape[i]);
  }

  override call(
    inputs: tf.Tensor | tf.Tensor[],
    kwargs: tf.serialization.ConfigDict = {},
  ): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (kwargs['training'] !== true || this.rate === 0) return x;
      return tf.mul(x, this.stream.mask(this.maskShape(x.shape), this.rate));
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      rate: this.rate,
      noiseShape: this.noiseShape,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(Dropout);
