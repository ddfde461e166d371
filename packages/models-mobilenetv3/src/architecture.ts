import { checkNumber, checkOneOf } from '@slr/core';
import { makeDivisible } from '@slr/layers';

/** Which MobileNetV3 (Howard et al. 2019): `'large'` (Table 1) or `'small'` (Table 2). */
export type MobileNetV3Variant = 'large' | 'small';

/** Non-linearity of a MobileNetV3 block: ReLU (`RE` in the paper) or hard-swish (`HS`). */
export type MobileNetV3Activation = 'relu' | 'hardSwish';

/**
 * One inverted-residual block of MobileNetV3, as a row of the paper's Tables 1 and 2 (and of
 * torchvision's `InvertedResidualConfig`), before the width multiplier.
 */
export interface MobileNetV3BlockSpec {
  /** Channels the block receives. */
  readonly inputChannels: number;
  /** Kernel of the depthwise convolution (3 or 5). */
  readonly kernelSize: number;
  /** Width after the 1×1 expansion (no expansion convolution when equal to `inputChannels`). */
  readonly expandedChannels: number;
  /** Channels the block's 1×1 projection outputs. */
  readonly outputChannels: number;
  /** Whether a squeeze-and-excite follows the depthwise convolution. */
  readonly squeezeExcite: boolean;
  /** Non-linearity after the expansion and the depthwise convolution. */
  readonly activation: MobileNetV3Activation;
  /** Stride of the depthwise convolution. */
  readonly stride: 1 | 2;
}

function block(
  inputChannels: number,
  kernelSize: number,
  expandedChannels: number,
  outputChannels: number,
  squeezeExcite: boolean,
  activation: 'RE' | 'HS',
  stride: 1 | 2,
): MobileNetV3BlockSpec {
  return Object.freeze({
    inputChannels,
    kernelSize,
    expandedChannels,
    outputChannels,
    squeezeExcite,
    activation: activation === 'RE' ? 'relu' : 'hardSwish',
    stride,
  });
}

/**
 * MobileNetV3-Large's 15 blocks (Howard et al. 2019, Table 1; torchvision `mobilenet_v3_large`).
 */
export const MOBILENET_V3_LARGE_BLOCKS: readonly MobileNetV3BlockSpec[] = Object.freeze([
  block(16, 3, 16, 16, false, 'RE', 1),
  block(16, 3, 64, 24, false, 'RE', 2),
  block(24, 3, 72, 24, false, 'RE', 1),
  block(24, 5, 72, 40, true, 'RE', 2),
  block(40, 5, 120, 40, true, 'RE', 1),
  block(40, 5, 120, 40, true, 'RE', 1),
  block(40, 3, 240, 80, false, 'HS', 2),
  block(80, 3, 200, 80, false, 'HS', 1),
  block(80, 3, 184, 80, false, 'HS', 1),
  block(80, 3, 184, 80, false, 'HS', 1),
  block(80, 3, 480, 112, true, 'HS', 1),
  block(112, 3, 672, 112, true, 'HS', 1),
  block(112, 5, 672, 160, true, 'HS', 2),
  block(160, 5, 960, 160, true, 'HS', 1),
  block(160, 5, 960, 160, true, 'HS', 1),
]);

/**
 * MobileNetV3-Small's 11 blocks (Howard et al. 2019, Table 2; torchvision `mobilenet_v3_small`).
 */
export const MOBILENET_V3_SMALL_BLOCKS: readonly MobileNetV3BlockSpec[] = Object.freeze([
  block(16, 3, 16, 16, true, 'RE', 2),
  block(16, 3, 72, 24, false, 'RE', 2),
  block(24, 3, 88, 24, false, 'RE', 1),
  block(24, 5, 96, 40, true, 'HS', 2),
  block(40, 5, 240, 40, true, 'HS', 1),
  block(40, 5, 240, 40, true, 'HS', 1),
  block(40, 5, 120, 48, true, 'HS', 1),
  block(48, 5, 144, 48, true, 'HS', 1),
  block(48, 5, 288, 96, true, 'HS', 2),
  block(96, 5, 576, 96, true, 'HS', 1),
  block(96, 5, 576, 96, true, 'HS', 1),
]);

/** A block after the width multiplier, with the squeeze width of its SE (0 without one). */
export interface MobileNetV3Block extends MobileNetV3BlockSpec {
  /** `makeDivisible(floor(expandedChannels / 4), 8)` when the block has an SE, else 0. */
  readonly squeezeChannels: number;
  /** Stride 1 and as many output as input channels: the block adds its input to its output. */
  readonly residual: boolean;
}

/** Every width of a MobileNetV3 after the width multiplier. */
export interface MobileNetV3Architecture {
  /** `'large'` or `'small'`. */
  readonly variant: MobileNetV3Variant;
  /** The width multiplier every width was scaled by. */
  readonly widthMultiplier: number;
  /** Output channels of the 3×3/2 hard-swish stem (16 at width 1). */
  readonly stemChannels: number;
  /** The inverted-residual blocks, in order, after the width multiplier. */
  readonly blocks: readonly MobileNetV3Block[];
  /** Output channels of the final 1×1 convolution: 6 × the last block's output (960 / 576 at width 1). */
  readonly lastConvChannels: number;
  /** Hidden width of the classifier (1280 Large / 1024 Small at width 1, scaled as torchvision does). */
  readonly classifierChannels: number;
}

/**
 * The widths of a MobileNetV3 at a width multiplier, rounded as torchvision rounds them: every
 * block's input, expanded and output channels with `makeDivisible(c × width, 8)`, the SE squeeze
 * with `makeDivisible(floor(expanded / 4), 8)`, the final 1×1 convolution 6 × the last block's
 * output, and the classifier's hidden width `makeDivisible(1280 × width, 8)` (1024 for Small).
 *
 * @example
 * ```ts
 * const arch = mobileNetV3Architecture('small', 0.25);
 * arch.stemChannels;      // 8
 * arch.lastConvChannels;  // 144
 * ```
 */
export function mobileNetV3Architecture(
  variant: MobileNetV3Variant,
  widthMultiplier = 1,
): MobileNetV3Architecture {
  checkOneOf('mobileNetV3Architecture', 'variant', variant, ['large', 'small']);
  checkNumber('mobileNetV3Architecture', 'widthMultiplier', widthMultiplier, {
    min: 0,
    minExclusive: true,
  });
  const adjust = (channels: number) => makeDivisible(channels * widthMultiplier, 8);
  const specs = variant === 'large' ? MOBILENET_V3_LARGE_BLOCKS : MOBILENET_V3_SMALL_BLOCKS;
  const blocks = specs.map((spec): MobileNetV3Block => {
    const inputChannels = adjust(spec.inputChannels);
    const expandedChannels = adjust(spec.expandedChannels);
    const outputChannels = adjust(spec.outputChannels);
    return Object.freeze({
      ...spec,
      inputChannels,
      expandedChannels,
      outputChannels,
      squeezeChannels: spec.squeezeExcite ? makeDivisible(Math.floor(expandedChannels / 4), 8) : 0,
      residual: spec.stride === 1 && inputChannels === outputChannels,
    });
  });
  return Object.freeze({
    variant,
    widthMultiplier,
    stemChannels: blocks[0].inputChannels,
    blocks: Object.freeze(blocks),
    lastConvChannels: 6 * blocks[blocks.length - 1].outputChannels,
    classifierChannels: adjust(variant === 'large' ? 1280 : 1024),
  });
}
