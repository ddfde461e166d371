/**
 * torchvision's names for MobileNetV3 (`torchvision.models.mobilenet_v3_large` / `_small`,
 * torchvision 0.14 and later) and the layers of `@slr/models-mobilenetv3` they name.
 *
 * @internal
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs';
import { batchNorm, convOrLinear, oneToOne, type ModelLayers, type WeightGroup } from './groups';
import { CONV1X1_AS_MATRIX, SAME } from './layouts';

/** Where a MobileNetV3 sits: its layers' name prefix in tfjs and its keys' prefix in PyTorch. */
export interface MobileNetV3Place {
  /** Prefix of the tfjs layer names (`''` for the models of `@slr/models-mobilenetv3`). */
  readonly layerPrefix?: string;
  /** Prefix of the PyTorch keys (`''` for torchvision's own model). */
  readonly keyPrefix?: string;
}

/**
 * The groups of a MobileNetV3 built by `@slr/models-mobilenetv3` (classifier, feature extractor
 * or the student's per-frame network), named as torchvision names them:
 *
 * | tfjs layer                               | PyTorch                                          |
 * | ---------------------------------------- | ------------------------------------------------ |
 * | `stem_conv`, `stem_bn`                   | `features.0.0`, `features.0.1`                   |
 * | `block<i>_expand_conv`, `_bn`            | `features.<i>.block.0.0`, `.block.0.1`           |
 * | `block<i>_depthwise_conv`, `_bn`         | `features.<i>.block.<j>.0`, `.1` (j = 1 or 0)    |
 * | `block<i>_se`                            | `features.<i>.block.<j+1>.fc1`, `.fc2`           |
 * | `block<i>_project_conv`, `_bn`           | `features.<i>.block.<last>.0`, `.1`              |
 * | `last_conv`, `last_bn`                   | `features.<n+1>.0`, `features.<n+1>.1`           |
 * | `classifier_dense`, `logits`             | `classifier.0`, `classifier.3`                   |
 *
 * Layers it does not find are left out (a feature extractor has no classifier).
 */
export function mobileNetV3Groups(
  layers: ModelLayers,
  place: MobileNetV3Place = {},
): WeightGroup[] {
  const layerPrefix = place.layerPrefix ?? '';
  const keyPrefix = place.keyPrefix ?? '';
  const layer = (name: string): tf.layers.Layer | undefined => layers.get(`${layerPrefix}${name}`);
  const groups: WeightGroup[] = [];
  /** A `Conv2dNormActivation`: its convolution at `.0`, its BatchNorm at `.1`. */
  const convNorm = (name: string, key: string) => {
    const conv = layer(`${name}_conv`);
    const norm = layer(`${name}_bn`);
    if (conv !== undefined) groups.push(...convOrLinear(conv, `${keyPrefix}${key}.0.`));
    if (norm !== undefined) groups.push(...batchNorm(norm, `${keyPrefix}${key}.1.`));
  };
  if (layer('stem_conv') === undefined) return groups;
  convNorm('stem', 'features.0');
  let blocks = 0;
  while (layer(`block${blocks + 1}_depthwise_conv`) !== undefined) blocks++;
  for (let i = 1; i <= blocks; i++) {
    let j = 0;
    const block = `block${i}`;
    if (layer(`${block}_expand_conv`) !== undefined)
      convNorm(`${block}_expand`, `features.${i}.block.${j++}`);
    convNorm(`${block}_depthwise`, `features.${i}.block.${j++}`);
    const se = layer(`${block}_se`);
    if (se !== undefined) {
      const at = `${keyPrefix}features.${i}.block.${j++}.`;
      groups.push(
        ...oneToOne(se, [
          ['reduce_kernel', `${at}fc1.weight`, CONV1X1_AS_MATRIX],
          ['reduce_bias', `${at}fc1.bias`, SAME],
          ['expand_kernel', `${at}fc2.weight`, CONV1X1_AS_MATRIX],
          ['expand_bias', `${at}fc2.bias`, SAME],
        ]),
      );
    }
    convNorm(`${block}_project`, `features.${i}.block.${j}`);
  }
  convNorm('last', `features.${blocks + 1}`);
  const hidden = layer('classifier_dense');
  const logits = layer('logits');
  if (hidden !== undefined) groups.push(...convOrLinear(hidden, `${keyPrefix}classifier.0.`));
  if (logits !== undefined) groups.push(...convOrLinear(logits, `${keyPrefix}classifier.3.`));
  return groups;
}

/** Whether `key` is one of torchvision's MobileNetV3 names: under `features.<i>.` or `classifier.<i>.`. */
export function torchvisionKey(key: string): boolean {
  return /^(features|classifier)\.\d+\./.test(key);
}
