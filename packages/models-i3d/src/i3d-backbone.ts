import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkNumber, checkOneOf, describeValue } from '@slr/core';
import type { Lengths } from '@slr/ctc';
import {
  BatchNormalization3D,
  disposeOnError,
  Dropout,
  GroupNormalization,
  initializerSeed,
  seedSequence,
  type SeedSequence,
} from '@slr/layers';
import {
  BACKBONE_SEEDS,
  checkTemporalStride,
  outputLengthsFor,
  resolveBackboneOptions,
  stridesOf,
  type ResolvedOptions,
} from './backbone-options';
import { SpatialAveragePooling } from './spatial-average-pooling';

/**
 * Normalisation after every I3D convolution: `'batch'` ({@link BatchNormalization3D} from
 * `@slr/layers`, as in the reference I3D) or `'group'` ({@link GroupNormalization}, independent
 * of the batch size).
 */
export type I3DNormalization = 'batch' | 'group';

/**
 * Widths of one Inception (Mixed) block: branch 0 (1×1×1), branch 1 (1×1×1 → 3×3×3),
 * branch 2 (1×1×1 → 3×3×3), branch 3 (3×3×3 max-pool, stride 1 → 1×1×1). The block's output
 * has `b0 + b1b + b2b + b3` channels.
 */
export interface I3DInceptionBlock {
  /** The block's layer-name prefix, `'Mixed_3b'` … `'Mixed_5c'`. */
  readonly name: string;
  /** Branch 0: output channels of its 1×1×1 convolution. */
  readonly b0: number;
  /** Branch 1: channels of its 1×1×1 reduction. */
  readonly b1a: number;
  /** Branch 1: output channels of its 3×3×3 convolution. */
  readonly b1b: number;
  /** Branch 2: channels of its 1×1×1 reduction. */
  readonly b2a: number;
  /** Branch 2: output channels of its 3×3×3 convolution. */
  readonly b2b: number;
  /** Branch 3: output channels of the 1×1×1 convolution after its max-pool. */
  readonly b3: number;
}

/**
 * The nine Inception blocks of I3D (Carreira & Zisserman, 2017; Inception-v1 widths), in order,
 * at width 1. Output channels: 256, 480, 512, 512, 512, 528, 832, 832, 1024.
 */
export const I3D_INCEPTION_BLOCKS: readonly I3DInceptionBlock[] = Object.freeze([
  { name: 'Mixed_3b', b0: 64, b1a: 96, b1b: 128, b2a: 16, b2b: 32, b3: 32 },
  { name: 'Mixed_3c', b0: 128, b1a: 128, b1b: 192, b2a: 32, b2b: 96, b3: 64 },
  { name: 'Mixed_4b', b0: 192, b1a: 96, b1b: 208, b2a: 16, b2b: 48, b3: 64 },
  { name: 'Mixed_4c', b0: 160, b1a: 112, b1b: 224, b2a: 24, b2b: 64, b3: 64 },
  { name: 'Mixed_4d', b0: 128, b1a: 128, b1b: 256, b2a: 24, b2b: 64, b3: 64 },
  { name: 'Mixed_4e', b0: 112, b1a: 144, b1b: 288, b2a: 32, b2b: 64, b3: 64 },
  { name: 'Mixed_4f', b0: 256, b1a: 160, b1b: 320, b2a: 32, b2b: 128, b3: 128 },
  { name: 'Mixed_5b', b0: 256, b1a: 160, b1b: 320, b2a: 32, b2b: 128, b3: 128 },
  { name: 'Mixed_5c', b0: 384, b1a: 192, b1b: 384, b2a: 48, b2b: 128, b3: 128 },
]);

/**
 * Temporal downsampling of the I3D backbone: 8 is the reference network's (`Conv3d_1a_7x7`
 * /2, `MaxPool3d_4a_3x3` /2, `MaxPool3d_5a_2x2` /2); 4 keeps `MaxPool3d_5a_2x2`'s temporal
 * stride at 1 (twice the frames for CTC).
 */
export type I3DTemporalStride = 4 | 8;

/**
 * The classification head added by `logitsClasses`:
 * - `'per-frame'`: the 1×1×1 convolution, then the mean over space of each frame: per-frame
 *   logits `[B, T', classes]` for any frame size.
 * - `'pytorch-i3d'`: piergiaj/pytorch-i3d's `InceptionI3d` head: `AvgPool3d([2, 7, 7], stride 1)`
 *   without padding, dropout 0.5, the 1×1×1 convolution, then the spatial axes squeezed as its
 *   `spatial_squeeze` does: `[B, T' − 1, classes]` for frames of 193 to 224 pixels (a 7×7
 *   `Mixed_5c` map), PyTorch's `[B, classes, T' − 1]` channels-last.
 */
export type I3DLogitsHead = 'per-frame' | 'pytorch-i3d';

/** Options of {@link buildI3DBackbone} (and of the teacher's backbone). */
export interface I3DBackboneOptions {
  /**
   * `[T, H, W, C]` of one clip (C is 3 for RGB). `null` leaves a dimension free: with
   * `[null, 112, 112, 3]` the model accepts clips of any length.
   */
  inputShape: [number | null, number | null, number | null, number];
  /**
   * Scales every channel count: `max(minChannels, round(channels · widthMultiplier))`.
   * Default 1 (the reference network).
   */
  widthMultiplier?: number;
  /** Smallest channel count after scaling. Default 4 (width 1/8 has 202,064 parameters). */
  minChannels?: number;
  /** Normalisation after each convolution. Default `'batch'`. */
  normalization?: I3DNormalization;
  /**
   * Most groups per {@link GroupNormalization} (with `normalization: 'group'`); each layer uses
   * the largest divisor of its channel count not above it. Default 32.
   */
  groups?: number;
  /** Keras momentum of the batch norms (PyTorch's 0.01 is 0.99 here). Default 0.99. */
  batchNormMomentum?: number;
  /** Epsilon of the normalisation layers. Default 1e-3, as in the reference I3D. */
  normEpsilon?: number;
  /** Temporal downsampling, 4 or 8. Default 8 for the backbone (the reference network). */
  temporalStride?: I3DTemporalStride;
  /**
   * Adds a classification head, a 1×1×1 convolution with bias to `logitsClasses` classes (400
   * for Kinetics), so that the model returns logits instead of features: per-frame logits
   * `[B, T', logitsClasses]` with the default `logitsHead`, or those of pytorch-i3d's head.
   */
  logitsClasses?: number;
  /**
   * The head `logitsClasses` adds (see {@link I3DLogitsHead}). Default `'per-frame'`;
   * `'pytorch-i3d'` gives exactly what `InceptionI3d(logitsClasses).eval()(x)` of
   * piergiaj/pytorch-i3d gives (channels-last), and needs frames of known size, at least
   * 193×193 pixels (its 2×7×7 average pool needs a 7×7 `Mixed_5c` map and 2 frames of it).
   */
  logitsHead?: I3DLogitsHead;
  /**
   * Base seed of everything random in the model (a safe integer): each convolution's
   * Glorot-uniform kernel takes the next seed, in layer order (57 for the backbone), then the
   * head's convolution and its dropout's masks (see `Dropout` of `@slr/layers`). Default:
   * unseeded, as tfjs and PyTorch.
   */
  seed?: number;
  /** Name of the model. Default `'i3d_backbone'`. */
  name?: string;
}

/**
 * Channel count of a layer at a width multiplier: `max(minChannels, round(channels · width))`.
 *
 * @example
 * ```ts
 * scaleChannels(64, 1 / 8);     // 8
 * scaleChannels(16, 1 / 8);     // 4 (the minimum)
 * ```
 */
export function scaleChannels(channels: number, widthMultiplier = 1, minChannels = 4): number {
  checkInteger('scaleChannels', 'channels', channels, { min: 1 });
  checkNumber('scaleChannels', 'widthMultiplier', widthMultiplier, { min: 0, minExclusive: true });
  checkInteger('scaleChannels', 'minChannels', minChannels, { min: 1 });
  return Math.max(minChannels, Math.round(channels * widthMultiplier));
}
/**
 * Temporal strides of the backbone's strided layers, in order (`Conv3d_1a_7x7`,
 * `MaxPool3d_4a_3x3`, `MaxPool3d_5a_2x2`); the other layers keep the frame count.
 *
 * @example
 * ```ts
 * i3dTemporalStrides(4); // [2, 2, 1]
 * ```
 */
export function i3dTemporalStrides(temporalStride: I3DTemporalStride = 8): number[] {
  return stridesOf(checkTemporalStride('i3dTemporalStrides', 'temporalStride', temporalStride));
}

/**
 * Frames after the backbone for clips of `inputLengths` frames: each strided layer uses
 * tfjs `'same'` padding, so a layer of temporal stride s maps L frames to ⌈L / s⌉
 * (⌈T/8⌉ for stride 8, ⌈T/4⌉ for stride 4). Exactly what the built models output. The lengths
 * may come in any form of `@slr/ctc`'s `Lengths` (an array, an `Int32Array`, or an int32
 * `tf.Tensor1D`, read synchronously).
 *
 * @example
 * ```ts
 * i3dOutputLengths([32, 27, 9], 4); // [8, 7, 3]
 * ```
 */
export function i3dOutputLengths(
  inputLengths: Lengths,
  temporalStride: I3DTemporalStride = 8,
): number[] {
  return outputLengthsFor('i3dOutputLengths', inputLengths, temporalStride);
}

/** Largest divisor of `channels` that is at most `maxGroups`. */
function groupCount(channels: number, maxGroups: number): number {
  for (let groups = Math.min(channels, maxGroups); groups > 1; groups--) {
    if (channels % groups === 0) return groups;
  }
  return 1;
}

type Triple = [number, number, number];

/**
 * Applies the I3D backbone (up to `Mixed_5c`) to a symbolic clip `[B, T, H, W, C]` and returns
 * its feature map `[B, T', H', W', C']` (C' = 1024 at width 1) with the temporal strides it
 * applied. The building block of {@link buildI3DBackbone} and the teacher; layer names follow
 * the PyTorch port (`Conv3d_1a_7x7_conv`, `Conv3d_1a_7x7_bn`, `Mixed_3b_b1b_conv`, …).
 *
 * @example
 * ```ts
 * const clip = tf.input({ shape: [null, 64, 64, 3] });
 * const { features, temporalStrides } = applyI3DBackbone(clip, {
 *   inputShape: [null, 64, 64, 3],
 *   widthMultiplier: 0.25,
 * }); // temporalStrides [2, 2, 2]
 * ```
 */
export function applyI3DBackbone(
  input: tf.SymbolicTensor,
  options: I3DBackboneOptions,
): {
  /** `Mixed_5c`'s output `[B, T', H', W', channels]` (`logitsClasses` is `buildI3DBackbone`'s). */
  features: tf.SymbolicTensor;
  /** Temporal stride of each strided layer, in order (their product is the total stride). */
  temporalStrides: number[];
  /** Channels of `features`. */
  channels: number;
} {
  const fn = 'applyI3DBackbone';
  if (!(input instanceof tf.SymbolicTensor) || input.rank !== 5) {
    throw new ArgumentError(fn, 'input', 'be a symbolic tensor [B, T, H, W, C]', input, {
      actualText:
        input instanceof tf.SymbolicTensor ? `shape ${describeValue(input.shape)}` : undefined,
    });
  }
  const o = resolveBackboneOptions(fn, options);
  const seeds = seedSequence(fn, o.seed);
  // Every layer is created inside disposeOnError: a failure leaves none of their weights behind.
  return disposeOnError(() => backboneLayers(input, o, seeds));
}

/** The layers of {@link applyI3DBackbone}, its options checked. */
function backboneLayers(
  input: tf.SymbolicTensor,
  o: ResolvedOptions,
  seeds: SeedSequence,
): { features: tf.SymbolicTensor; temporalStrides: number[]; channels: number } {
  const ch = (channels: number): number => scaleChannels(channels, o.width, o.minChannels);

  const unit = (
    x: tf.SymbolicTensor,
    filters: number,
    kernel: Triple,
    name: string,
    strides: Triple = [1, 1, 1],
  ): tf.SymbolicTensor => {
    let y = tf.layers
      .conv3d({
        filters,
        kernelSize: kernel,
        strides,
        padding: 'same',
        useBias: false,
        kernelInitializer: tf.initializers.glorotUniform({ seed: initializerSeed(seeds()) }),
        name: `${name}_conv`,
      })
      .apply(x) as tf.SymbolicTensor;
    const norm =
      o.normalization === 'batch'
        ? new BatchNormalization3D({ momentum: o.momentum, epsilon: o.epsilon, name: `${name}_bn` })
        : new GroupNormalization({
            groups: groupCount(filters, o.groups),
            epsilon: o.epsilon,
            name: `${name}_gn`,
          });
    y = norm.apply(y) as tf.SymbolicTensor;
    return tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
  };
  const maxPool = (
    x: tf.SymbolicTensor,
    poolSize: Triple,
    strides: Triple,
    name: string,
  ): tf.SymbolicTensor =>
    tf.layers
      .maxPooling3d({ poolSize, strides, padding: 'same', name })
      .apply(x) as tf.SymbolicTensor;
  const mixed = (x: tf.SymbolicTensor, block: I3DInceptionBlock): tf.SymbolicTensor => {
    const { name } = block;
    const b0 = unit(x, ch(block.b0), [1, 1, 1], `${name}_b0`);
    const b1 = unit(
      unit(x, ch(block.b1a), [1, 1, 1], `${name}_b1a`),
      ch(block.b1b),
      [3, 3, 3],
      `${name}_b1b`,
    );
    const b2 = unit(
      unit(x, ch(block.b2a), [1, 1, 1], `${name}_b2a`),
      ch(block.b2b),
      [3, 3, 3],
      `${name}_b2b`,
    );
    const b3 = unit(
      maxPool(x, [3, 3, 3], [1, 1, 1], `${name}_b3a_pool`),
      ch(block.b3),
      [1, 1, 1],
      `${name}_b3b`,
    );
    return tf.layers
      .concatenate({ axis: -1, name: `${name}_concat` })
      .apply([b0, b1, b2, b3]) as tf.SymbolicTensor;
  };

  const strides = stridesOf(o.temporalStride);
  let x = unit(input, ch(64), [7, 7, 7], 'Conv3d_1a_7x7', [strides[0], 2, 2]);
  x = maxPool(x, [1, 3, 3], [1, 2, 2], 'MaxPool3d_2a_3x3');
  x = unit(x, ch(64), [1, 1, 1], 'Conv3d_2b_1x1');
  x = unit(x, ch(192), [3, 3, 3], 'Conv3d_2c_3x3');
  x = maxPool(x, [1, 3, 3], [1, 2, 2], 'MaxPool3d_3a_3x3');
  const blocks = [...I3D_INCEPTION_BLOCKS];
  for (const block of blocks.splice(0, 2)) x = mixed(x, block);
  x = maxPool(x, [3, 3, 3], [strides[1], 2, 2], 'MaxPool3d_4a_3x3');
  for (const block of blocks.splice(0, 5)) x = mixed(x, block);
  x = maxPool(x, [2, 2, 2], [strides[2], 2, 2], 'MaxPool3d_5a_2x2');
  for (const block of blocks) x = mixed(x, block);
  const last = I3D_INCEPTION_BLOCKS[I3D_INCEPTION_BLOCKS.length - 1];
  const channels = ch(last.b0) + ch(last.b1b) + ch(last.b2b) + ch(last.b3);
  return { features: x, temporalStrides: strides, channels };
}

/**
 * Builds the I3D backbone of Carreira & Zisserman (2017), Inception-v1 inflated to 3-D, laid out
 * as in the PyTorch port (piergiaj/pytorch-i3d): `Conv3d_1a_7x7` (64, stride 2),
 * `MaxPool3d_2a_3x3` (1×3×3 / 1,2,2), `Conv3d_2b_1x1` (64), `Conv3d_2c_3x3` (192),
 * `MaxPool3d_3a_3x3`, `Mixed_3b`, `Mixed_3c`, `MaxPool3d_4a_3x3` (3×3×3 / 2), `Mixed_4b`–`4f`,
 * `MaxPool3d_5a_2x2` (2×2×2 / 2), `Mixed_5b`, `Mixed_5c`. Every convolution has no bias and is
 * followed by a normalisation with scale and offset and a ReLU; tfjs `'same'` padding is
 * TensorFlow's, which the PyTorch port reproduces.
 *
 * Output: the `Mixed_5c` feature map `[B, T', H', W', 1024·width]`, or with `logitsClasses`
 * per-frame logits `[B, T', logitsClasses]`; with `logitsHead: 'pytorch-i3d'` as well, the
 * output of pytorch-i3d's `InceptionI3d(logitsClasses)` (its 2×7×7 average pool, then the
 * logits), `[B, T' − 1, logitsClasses]` for 224×224 frames. At width 1 the backbone has
 * 12,287,264 trainable parameters (12,697,264 with `logitsClasses: 400`).
 *
 * @example
 * ```ts
 * const backbone = buildI3DBackbone({ inputShape: [16, 112, 112, 3] });
 * backbone.countParams(); // 12,301,824: 12,287,264 trainable + 14,560 moving statistics
 * const features = backbone.predict(tf.zeros([1, 16, 112, 112, 3])) as tf.Tensor; // [1, 2, 4, 4, 1024]
 *
 * // Kinetics logits exactly as pytorch-i3d's InceptionI3d(400) computes them (channels-last).
 * const kinetics = buildI3DBackbone({
 *   inputShape: [16, 224, 224, 3],
 *   logitsClasses: 400,
 *   logitsHead: 'pytorch-i3d',
 * });
 * const logits = kinetics.predict(tf.zeros([1, 16, 224, 224, 3])) as tf.Tensor; // [1, 1, 400]
 * ```
 */
export function buildI3DBackbone(options: I3DBackboneOptions): tf.LayersModel {
  const fn = 'buildI3DBackbone';
  // Every option is checked before the first layer is built.
  const { name, temporalStride, seed } = resolveBackboneOptions(fn, options);
  const { logitsClasses } = options;
  if (logitsClasses != null) checkInteger(fn, 'options.logitsClasses', logitsClasses, { min: 1 });
  const head = checkOneOf(fn, 'options.logitsHead', options.logitsHead ?? 'per-frame', [
    'per-frame',
    'pytorch-i3d',
  ]);
  const squeeze =
    logitsClasses != null && head === 'pytorch-i3d'
      ? pytorchI3DHeadShape(fn, options.inputShape, temporalStride)
      : undefined;
  const seeds = seedSequence(fn, seed);
  return disposeOnError(() => {
    const input = tf.input({ shape: [...options.inputShape], name: 'video' });
    const { features } = applyI3DBackbone(input, { ...options, seed: seeds(BACKBONE_SEEDS) });
    let output = features;
    if (logitsClasses != null) {
      const logitsConv = tf.layers.conv3d({
        filters: logitsClasses,
        kernelSize: [1, 1, 1],
        useBias: true,
        kernelInitializer: tf.initializers.glorotUniform({ seed: initializerSeed(seeds()) }),
        name: 'Logits_conv',
      });
      if (squeeze === undefined) {
        const logits = logitsConv.apply(features) as tf.SymbolicTensor;
        output = new SpatialAveragePooling({ name: 'Logits_spatial_mean' }).apply(
          logits,
        ) as tf.SymbolicTensor;
      } else {
        let x = tf.layers
          .averagePooling3d({
            poolSize: [2, 7, 7],
            strides: [1, 1, 1],
            padding: 'valid',
            name: 'Logits_avg_pool',
          })
          .apply(features) as tf.SymbolicTensor;
        x = new Dropout({ rate: 0.5, seed: seeds(), name: 'Logits_dropout' }).apply(
          x,
        ) as tf.SymbolicTensor;
        x = logitsConv.apply(x) as tf.SymbolicTensor;
        output = tf.layers
          .reshape({ targetShape: [...squeeze, logitsClasses], name: 'Logits_squeeze' })
          .apply(x) as tf.SymbolicTensor;
      }
    }
    return tf.model({ inputs: input, outputs: output, name: name ?? 'i3d_backbone' });
  });
}

/**
 * The shape (without batch and classes) of pytorch-i3d's head output for clips of
 * `inputShape`: `[T'', H'', W'']` after its `AvgPool3d([2, 7, 7])`, with H'' and W'' squeezed as
 * `x.squeeze(3).squeeze(3)` squeezes them (H'' when it is 1, then W'' when it is 1 too); T''
 * is -1 for clips of any length. Throws when the frames are of unknown size or too small.
 */
function pytorchI3DHeadShape(
  fn: string,
  inputShape: I3DBackboneOptions['inputShape'],
  temporalStride: I3DTemporalStride,
): number[] {
  const [frames, height, width] = inputShape;
  const rule =
    'have frames of known size, at least 193×193 pixels, and at least 2 frames after the ' +
    "temporal stride with logitsHead 'pytorch-i3d' (its AvgPool3d([2, 7, 7]) needs a 7×7 " +
    'Mixed_5c map)';
  const spatial = [height, width].map((size) => (size == null ? 0 : Math.ceil(size / 32) - 6));
  const outFrames = frames == null ? -1 : outputLengthsFor(fn, [frames], temporalStride)[0] - 1;
  if (spatial[0] < 1 || spatial[1] < 1 || outFrames === 0) {
    throw new ArgumentError(fn, 'options.inputShape', rule, inputShape);
  }
  const [h, w] = spatial;
  if (h !== 1) return [outFrames, h, w];
  return w === 1 ? [outFrames] : [outFrames, w];
}
