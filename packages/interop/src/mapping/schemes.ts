/**
 * The naming schemes `loadTorchWeights` and `saveTorchWeights` know, and how one is told from
 * a state dict's keys or a model's layers. A scheme is a test of single keys (detection picks
 * the scheme that recognises most of a state dict's keys) and a function naming the groups of a
 * model's weights, made of parts that each name one part of a model (`mobileNetV3Groups`,
 * `i3dGroups`, with prefixes for where the part sits); a new scheme is a new entry of
 * {@link NAMING_SCHEMES} (and of {@link TorchNaming}) built from such parts.
 *
 * @internal
 * @packageDocumentation
 */
import type { ModelLayers, WeightGroup } from './groups';
import { i3dGroups, pytorchI3DKey } from './pytorch-i3d';
import { slrGroups, slrKey } from './slr';
import { mobileNetV3Groups, torchvisionKey } from './torchvision';

/**
 * How the PyTorch keys of a state dict are named:
 * - `'torchvision'`: MobileNetV3-Large/-Small as torchvision 0.14+ names them
 *   (`features.0.0.weight`, `features.4.block.2.fc1.weight`, `classifier.3.bias`, …), for the
 *   classifier and the feature extractor of `@slr/models-mobilenetv3`;
 * - `'pytorch-i3d'`: piergiaj/pytorch-i3d's `InceptionI3d` (`Conv3d_1a_7x7.conv3d.weight`,
 *   `Mixed_3b.b1b.bn.running_var`, `logits.conv3d.bias`, …), for the backbone of
 *   `@slr/models-i3d`;
 * - `'slr'`: the PyTorch twins of the whole `@slr` models (`python/slr_torch`'s `I3DTeacher`
 *   and `MobileNetV3Student`, whose checkpoints `train_ddp.py` writes: `backbone.Mixed_3b.b0.conv3d.weight`,
 *   `pose.dense.0.weight`, `attention.query.weight`, `features.0.0.weight`,
 *   `temporal.0.conv.weight`, `lstm.weight_ih_l0_reverse`, `classifier.bias`, …), for
 *   `buildI3DTeacher` and `buildMobileNetV3Student`.
 */
export type TorchNaming = 'torchvision' | 'pytorch-i3d' | 'slr';

/** A naming scheme: which state dicts it recognises, and the PyTorch names of a model's weights. */
export interface NamingScheme {
  /** Whether `key` is one this scheme could give (detection counts them in a state dict). */
  recognises(key: string): boolean;
  /** The groups of the model's weights this scheme names, each through its layout. */
  groups(layers: ModelLayers): WeightGroup[];
}

/** Every naming scheme, in the order detection tries them. */
export const NAMING_SCHEMES: Readonly<Record<TorchNaming, NamingScheme>> = {
  torchvision: { recognises: torchvisionKey, groups: (layers) => mobileNetV3Groups(layers) },
  'pytorch-i3d': { recognises: pytorchI3DKey, groups: (layers) => i3dGroups(layers) },
  slr: { recognises: slrKey, groups: slrGroups },
};

/** The names of {@link NAMING_SCHEMES}, in order. */
export const NAMINGS = Object.keys(NAMING_SCHEMES) as TorchNaming[];
