import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber, checkOneOf } from '@slr/core';
import {
  BatchNormalization,
  HardSwish,
  initializerSeed,
  SqueezeExcite,
  type SeedSequence,
} from '@slr/layers';
import {
  mobileNetV3Architecture,
  type MobileNetV3Activation,
  type MobileNetV3Architecture,
  type MobileNetV3Block,
  type MobileNetV3Variant,
} from './architecture';

/** BatchNorm epsilon of torchvision's MobileNetV3 (`nn.BatchNorm2d(eps=0.001, momentum=0.01)`). */
const BN_EPSILON = 1e-3;
/** Keras-style momentum equal to PyTorch's `momentum=0.01`. */
const BN_MOMENTUM = 0.99;

/**
 * Checks the options every MobileNetV3 builder shares, so that an error names the builder the
 * user called (not `mobileNetV3Architecture`). @internal
 */
export function checkFeatureOptions(
  fn: string,
  options: {
    readonly variant: unknown;
    readonly widthMultiplier?: number;
    readonly batchNormMomentum?: number;
  },
): void {
  checkOneOf(fn, 'options.variant', options.variant, ['large', 'small']);
  if (options.widthMultiplier !== undefined) {
    checkNumber(fn, 'options.widthMultiplier', options.widthMultiplier, {
      min: 0,
      minExclusive: true,
    });
  }
  if (options.batchNormMomentum !== undefined)
    checkNumber(fn, 'options.batchNormMomentum', options.batchNormMomentum, { min: 0, max: 1 });
}

/** A model name: a non-empty string, or `undefined` for the default. @internal */
export function checkModelName(fn: string, name: unknown): string | undefined {
  if (name !== undefined && (typeof name !== 'string' || name === ''))
    throw new ArgumentError(fn, 'options.name', 'be a non-empty string', name);
  return name;
}

/** He-normal with fan-out as torchvision initialises convolutions (`kaiming_normal_(mode='fan_out')`). */
function convInitializer(seed: number | undefined) {
  return tf.initializers.varianceScaling({
    scale: 2,
    mode: 'fanOut',
    distribution: 'normal',
    seed: initializerSeed(seed),
  });
}

/**
 * The same for depthwise kernels: tfjs stores them `[k, k, C, 1]`, so its fan-in (k²·C) is what
 * PyTorch calls the fan-out of the `[C, 1, k, k]` weight.
 */
function depthwiseInitializer(seed: number | undefined) {
  return tf.initializers.varianceScaling({
    scale: 2,
    mode: 'fanIn',
    distribution: 'normal',
    seed: initializerSeed(seed),
  });
}

/** Options shared by everything that builds MobileNetV3 layers. @internal */
export interface FeatureLayersOptions {
  readonly variant: MobileNetV3Variant;
  readonly widthMultiplier?: number;
  /** Prefix of every layer name (default none). */
  readonly namePrefix?: string;
  readonly seeds: SeedSequence;
  /**
   * BatchNorm momentum, Keras-style (weight of the old moving statistics). Default 0.99, as
   * torchvision's `momentum=0.01`; 0.9 (PyTorch's usual 0.1) lets the moving statistics catch
   * up within tens of steps, which a short overfit run needs for its inference-mode evaluation.
   */
  readonly batchNormMomentum?: number;
}

function activation(kind: MobileNetV3Activation, name: string): tf.layers.Layer {
  return kind === 'relu' ? tf.layers.reLU({ name }) : new HardSwish({ name });
}

/**
 * Convolution (no bias) → BatchNorm → activation, with torchvision's symmetric `(k - 1) / 2`
 * padding: 'same' at stride 1 (identical for odd kernels), explicit zero padding then 'valid' at
 * stride 2 (tfjs's 'same' would pad more at the end than at the start).
 */
function convBnAct(
  x: tf.SymbolicTensor,
  args: {
    name: string;
    filters?: number;
    kernelSize: number;
    stride: 1 | 2;
    depthwise?: boolean;
    activation: MobileNetV3Activation | null;
    seeds: SeedSequence;
    momentum: number;
  },
): tf.SymbolicTensor {
  const { name, kernelSize, stride } = args;
  let y = x;
  let padding: 'same' | 'valid' = 'same';
  if (stride !== 1 && kernelSize > 1) {
    const pad = (kernelSize - 1) / 2;
    y = tf.layers
      .zeroPadding2d({
        padding: [
          [pad, pad],
          [pad, pad],
        ],
        name: `${name}_pad`,
      })
      .apply(y) as tf.SymbolicTensor;
    padding = 'valid';
  }
  const seed = args.seeds();
  const conv = args.depthwise
    ? tf.layers.depthwiseConv2d({
        kernelSize,
        strides: stride,
        padding,
        depthMultiplier: 1,
        useBias: false,
        depthwiseInitializer: depthwiseInitializer(seed),
        name: `${name}_conv`,
      })
    : tf.layers.conv2d({
        filters: args.filters!,
        kernelSize,
        strides: stride,
        padding,
        useBias: false,
        kernelInitializer: convInitializer(seed),
        name: `${name}_conv`,
      });
  y = conv.apply(y) as tf.SymbolicTensor;
  y = new BatchNormalization({
    epsilon: BN_EPSILON,
    momentum: args.momentum,
    name: `${name}_bn`,
  }).apply(y) as tf.SymbolicTensor;
  if (args.activation != null)
    y = activation(
      args.activation,
      `${name}_${args.activation === 'relu' ? 'relu' : 'hswish'}`,
    ).apply(y) as tf.SymbolicTensor;
  return y;
}

function invertedResidual(
  x: tf.SymbolicTensor,
  block: MobileNetV3Block,
  name: string,
  seeds: SeedSequence,
  momentum: number,
): tf.SymbolicTensor {
  let y = x;
  if (block.expandedChannels !== block.inputChannels) {
    y = convBnAct(y, {
      name: `${name}_expand`,
      filters: block.expandedChannels,
      kernelSize: 1,
      stride: 1,
      activation: block.activation,
      seeds,
      momentum,
    });
  }
  y = convBnAct(y, {
    name: `${name}_depthwise`,
    kernelSize: block.kernelSize,
    stride: block.stride,
    depthwise: true,
    activation: block.activation,
    seeds,
    momentum,
  });
  if (block.squeezeExcite) {
    y = new SqueezeExcite({
      squeezeChannels: block.squeezeChannels,
      seed: seeds(2), // its reduce and expand kernels
      name: `${name}_se`,
    }).apply(y) as tf.SymbolicTensor;
  }
  y = convBnAct(y, {
    name: `${name}_project`,
    filters: block.outputChannels,
    kernelSize: 1,
    stride: 1,
    activation: null,
    seeds,
    momentum,
  });
  if (block.residual) y = tf.layers.add({ name: `${name}_add` }).apply([x, y]) as tf.SymbolicTensor;
  return y;
}

/**
 * Applies MobileNetV3's feature extractor (torchvision's `features`: stem, blocks, final 1×1
 * convolution + BN + hard-swish) to a symbolic `[B, H, W, C]` tensor; returns `[B, h, w, C']`.
 * Layers are named after torchvision's `features` indices: `stem_*`, `block1_*` … `blockN_*`,
 * `last_*`. @internal
 */
export function applyMobileNetV3Features(
  input: tf.SymbolicTensor,
  options: FeatureLayersOptions,
): { output: tf.SymbolicTensor; architecture: MobileNetV3Architecture } {
  const architecture = mobileNetV3Architecture(options.variant, options.widthMultiplier ?? 1);
  const prefix = options.namePrefix ?? '';
  const { seeds } = options;
  const momentum = options.batchNormMomentum ?? BN_MOMENTUM;
  let x = convBnAct(input, {
    name: `${prefix}stem`,
    filters: architecture.stemChannels,
    kernelSize: 3,
    stride: 2,
    activation: 'hardSwish',
    seeds,
    momentum,
  });
  architecture.blocks.forEach((block, i) => {
    x = invertedResidual(x, block, `${prefix}block${i + 1}`, seeds, momentum);
  });
  x = convBnAct(x, {
    name: `${prefix}last`,
    filters: architecture.lastConvChannels,
    kernelSize: 1,
    stride: 1,
    activation: 'hardSwish',
    seeds,
    momentum,
  });
  return { output: x, architecture };
}

/**
 * Checks an image shape `[H, W, C]` (H and W may be `null` for any size), the argument
 * `argument` of `fn`. @internal
 */
export function checkImageShape(
  fn: string,
  argument: string,
  shape: readonly (number | null)[],
  actual: unknown = shape,
): void {
  const dimOk = (d: number | null) => d === null || (Number.isInteger(d) && d > 0);
  const value: unknown = shape;
  if (
    !Array.isArray(value) ||
    shape.length !== 3 ||
    !dimOk(shape[0]) ||
    !dimOk(shape[1]) ||
    !(Number.isInteger(shape[2]) && (shape[2] as number) > 0)
  ) {
    throw new ArgumentError(
      fn,
      argument,
      'be [H, W, C] of positive integers (H and W may be null)',
      actual,
    );
  }
}
