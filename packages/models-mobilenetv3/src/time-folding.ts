import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkOptions, describeValue } from '@slr/core';

const UNFOLD_INPUTS = '[folded [B·T, ...], reference [B, T, ...]]';

function first(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/**
 * Folds time into the batch: `[B, T, ...rest]` → `[B·T, ...rest]`, so that a 2-D network runs
 * on every frame of a video batch in one pass (BatchNorm then normalises over all frames, as
 * PyTorch CSLR models do when they reshape `(B, T, C, H, W)` to `(B·T, C, H, W)`). Undo it with
 * {@link UnfoldTime}. Registered for serialisation as `'SlrFoldTime'`.
 *
 * @example
 * ```ts
 * const videos = tf.input({ shape: [null, 64, 64, 3] });               // [B, T, 64, 64, 3]
 * const frames = new FoldTime().apply(videos) as tf.SymbolicTensor;    // [B·T, 64, 64, 3]
 * ```
 */
export class FoldTime extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrFoldTime';

  constructor(config: tf.serialization.ConfigDict = {}) {
    super(checkOptions('FoldTime', config, 'config'));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      const shape = x.shape as number[];
      if (shape.length < 3) {
        throw new ArgumentError('FoldTime.apply', 'inputs', 'be [B, T, ...] of rank 3 or more', x, {
          actualText: `shape ${describeValue(shape)}`,
        });
      }
      return tf.reshape(x, [shape[0] * shape[1], ...shape.slice(2)]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length < 3) {
      throw new ArgumentError(
        'FoldTime.apply',
        'inputs',
        'be [B, T, ...] of rank 3 or more',
        shape,
        {
          actualText: `shape ${describeValue(shape)}`,
        },
      );
    }
    const [batch, time, ...rest] = shape;
    return [batch != null && time != null ? batch * time : null, ...rest];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(FoldTime);

/**
 * Unfolds what {@link FoldTime} folded: takes `[folded, reference]`, where `folded` is
 * `[B·T, ...rest]` and `reference` any tensor `[B, T, ...]` (usually the video input), and
 * returns `[B, T, ...rest]`. The reference lends only its shape, so T may vary from call to call.
 * Registered for serialisation as `'SlrUnfoldTime'`.
 *
 * @example
 * ```ts
 * const videos = tf.input({ shape: [null, 64, 64, 3] });
 * const frames = new FoldTime().apply(videos) as tf.SymbolicTensor;
 * const perFrame = tf.layers.globalAveragePooling2d({}).apply(frames) as tf.SymbolicTensor; // [B·T, 3]
 * const sequence = new UnfoldTime().apply([perFrame, videos]) as tf.SymbolicTensor;       // [B, T, 3]
 * ```
 */
export class UnfoldTime extends tf.layers.Layer {
  /** The name the layer is registered under for serialisation (`tf.serialization.registerClass`). */
  static readonly className = 'SlrUnfoldTime';

  constructor(config: tf.serialization.ConfigDict = {}) {
    super(checkOptions('UnfoldTime', config, 'config'));
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2)
        throw new ArgumentError('UnfoldTime.apply', 'inputs', `be ${UNFOLD_INPUTS}`, inputs);
      const [folded, reference] = inputs;
      const [batch, time] = reference.shape;
      if (folded.shape[0] !== batch * time) {
        throw new ArgumentError(
          'UnfoldTime.apply',
          'folded',
          `have B·T rows, B=${batch} × T=${time} as in the reference`,
          folded,
          { actualText: `${folded.shape[0]} rows` },
        );
      }
      return tf.reshape(folded, [batch, time, ...folded.shape.slice(1)]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    if (!Array.isArray(inputShape[0]) || inputShape.length !== 2)
      throw new ArgumentError('UnfoldTime.apply', 'inputs', `be ${UNFOLD_INPUTS}`, inputShape);
    const [folded, reference] = inputShape as tf.Shape[];
    return [reference[0], reference[1], ...folded.slice(1)];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(UnfoldTime);
