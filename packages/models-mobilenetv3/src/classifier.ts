import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkNumber, checkOneOf } from '@slr/core';
import { disposeOnError, Dropout, HardSwish, initializerSeed, seedSequence } from '@slr/layers';
import type { MobileNetV3Variant } from './architecture';
import {
  applyMobileNetV3Features,
  checkFeatureOptions,
  checkImageShape,
  checkModelName,
} from './backbone';

/** Checks the options of the image builders, the errors naming `fn`. */
function checkImageOptions(fn: string, options: MobileNetV3FeaturesOptions): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ArgumentError(fn, 'options', 'be an object', options);
  checkFeatureOptions(fn, options);
  checkImageShape(fn, 'options.inputShape', options.inputShape);
  checkModelName(fn, options.name);
}

/** Options of {@link buildMobileNetV3Features}. */
export interface MobileNetV3FeaturesOptions {
  /** `'large'` (MobileNetV3-Large, 15 blocks) or `'small'` (11 blocks). */
  readonly variant: MobileNetV3Variant;
  /** `[H, W, C]` of one image (C is 3 for RGB); H and W may be `null` for any size. */
  readonly inputShape: readonly [number | null, number | null, number];
  /** Width multiplier (default 1); channels are rounded to multiples of 8 as in torchvision. */
  readonly widthMultiplier?: number;
  /**
   * Base seed of everything random in the model (a safe integer): each layer's initialisation
   * takes the next seeds, and the dropout's masks the last (see `Dropout` of `@slr/layers`).
   * Default: unseeded.
   */
  readonly seed?: number;
  /** BatchNorm momentum, Keras-style (default 0.99, torchvision's `momentum=0.01`). */
  readonly batchNormMomentum?: number;
  /** Model name. */
  readonly name?: string;
}

/**
 * MobileNetV3's feature extractor alone, as torchvision's `model.features`: a `[B, H, W, 3]` →
 * `[B, H/32, W/32, 960]` (Large) or `576` (Small) model ending with the final 1×1 convolution,
 * BatchNorm and hard-swish; 2,971,952 (Large) or 927,008 (Small) trainable parameters at width 1.
 *
 * @example
 * ```ts
 * const features = buildMobileNetV3Features({ variant: 'large', inputShape: [224, 224, 3] });
 * features.outputs[0].shape; // [null, 7, 7, 960]
 * ```
 */
export function buildMobileNetV3Features(options: MobileNetV3FeaturesOptions): tf.LayersModel {
  const fn = 'buildMobileNetV3Features';
  checkImageOptions(fn, options);
  const seeds = seedSequence(fn, options.seed);
  return disposeOnError(() => {
    const input = tf.input({ shape: [...options.inputShape], name: 'image' });
    const { output } = applyMobileNetV3Features(input, {
      variant: options.variant,
      widthMultiplier: options.widthMultiplier,
      seeds,
      batchNormMomentum: options.batchNormMomentum,
    });
    return tf.model({
      inputs: input,
      outputs: output,
      name: options.name ?? `mobilenet_v3_${options.variant}_features`,
    });
  });
}

/** Options of {@link buildMobileNetV3Classifier}. */
export interface MobileNetV3ClassifierOptions extends MobileNetV3FeaturesOptions {
  /** Classes of the last dense layer (1000 for ImageNet). */
  readonly numClasses: number;
  /** Dropout before the last dense layer (default 0.2, as torchvision). */
  readonly dropout?: number;
  /**
   * Activation of the output: `'linear'` (logits, as torchvision's model returns; the default)
   * or `'softmax'` (probabilities, as Keras's `MobileNetV3Large` defaults to).
   */
  readonly outputActivation?: 'linear' | 'softmax';
}

/**
 * MobileNetV3-Large or -Small image classifier exactly as Howard et al. 2019 and torchvision
 * build it: the feature extractor ({@link buildMobileNetV3Features}), global average pooling, a
 * dense layer of 1280 (Large) or 1024 (Small) units with hard-swish, dropout 0.2 and a dense
 * layer to `numClasses`. With 1000 classes at width 1 it has torchvision's trainable parameter
 * counts: 5,483,032 (Large) and 2,542,856 (Small). Convolutions are initialised He-normal
 * (fan-out), dense layers N(0, 0.01), biases at zero, BatchNorm at γ = 1, β = 0, as torchvision.
 *
 * @example
 * ```ts
 * const model = buildMobileNetV3Classifier({
 *   variant: 'small',
 *   numClasses: 10,
 *   inputShape: [96, 96, 3],
 *   widthMultiplier: 0.5,
 * });
 * const logits = model.predict(tf.zeros([2, 96, 96, 3])) as tf.Tensor; // [2, 10]
 * ```
 */
export function buildMobileNetV3Classifier(options: MobileNetV3ClassifierOptions): tf.LayersModel {
  const fn = 'buildMobileNetV3Classifier';
  checkImageOptions(fn, options);
  checkInteger(fn, 'options.numClasses', options.numClasses, { min: 1 });
  const dropout = checkNumber(fn, 'options.dropout', options.dropout ?? 0.2, {
    min: 0,
    max: 1,
    maxExclusive: true,
  });
  if (options.outputActivation !== undefined)
    checkOneOf(fn, 'options.outputActivation', options.outputActivation, ['linear', 'softmax']);
  const seeds = seedSequence(fn, options.seed);
  return disposeOnError(() => {
    const input = tf.input({ shape: [...options.inputShape], name: 'image' });
    const { output: features, architecture } = applyMobileNetV3Features(input, {
      variant: options.variant,
      widthMultiplier: options.widthMultiplier,
      seeds,
      batchNormMomentum: options.batchNormMomentum,
    });
    // The dropout's seed is drawn last, so that a seed's weights are what they were before it.
    const [denseSeed, logitsSeed, dropoutSeed] = [seeds(), seeds(), seeds()];
    let x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(features) as tf.SymbolicTensor;
    x = tf.layers
      .dense({
        units: architecture.classifierChannels,
        kernelInitializer: tf.initializers.randomNormal({
          mean: 0,
          stddev: 0.01,
          seed: initializerSeed(denseSeed),
        }),
        name: 'classifier_dense',
      })
      .apply(x) as tf.SymbolicTensor;
    x = new HardSwish({ name: 'classifier_hswish' }).apply(x) as tf.SymbolicTensor;
    x = new Dropout({ rate: dropout, seed: dropoutSeed, name: 'classifier_dropout' }).apply(
      x,
    ) as tf.SymbolicTensor;
    x = tf.layers
      .dense({
        units: options.numClasses,
        activation: options.outputActivation === 'softmax' ? 'softmax' : 'linear',
        kernelInitializer: tf.initializers.randomNormal({
          mean: 0,
          stddev: 0.01,
          seed: initializerSeed(logitsSeed),
        }),
        name: 'logits',
      })
      .apply(x) as tf.SymbolicTensor;
    return tf.model({
      inputs: input,
      outputs: x,
      name: options.name ?? `mobilenet_v3_${options.variant}`,
    });
  });
}
