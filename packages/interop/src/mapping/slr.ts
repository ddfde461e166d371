/**
 * The names of `slr_torch`, the PyTorch twins of the `@slr` models (`python/slr_torch`:
 * `I3DTeacher`, `MobileNetV3Student`), and the layers of `@slr/models-i3d`'s teacher and
 * `@slr/models-mobilenetv3`'s student they name: the twins' `state_dict()` keys, which
 * `train_ddp.py`'s checkpoints hold.
 *
 * @internal
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs';
import {
  batchNorm,
  convOrLinear,
  oneToOne,
  weightsByName,
  type ModelLayers,
  type WeightGroup,
} from './groups';
import { LINEAR, LSTM_ONE_BIAS, SAME } from './layouts';
import { i3dGroups } from './pytorch-i3d';
import { mobileNetV3Groups } from './torchvision';

/** A group-normalised `Unit3D`'s normalisation layer: `Conv3d_1a_7x7_gn`, `Mixed_4c_b2b_gn`, … */
const GROUP_NORM_LAYER = /^(Conv3d_\d[a-z]_\dx\d|Mixed_\d[a-z]_(?:b0|b1a|b1b|b2a|b2b|b3b))_gn$/;

/** A bidirectional LSTM's layer (`bilstm` of the student, `bilstm_<k+1>` of the teacher). */
const BILSTM_LAYER = /^bilstm(?:_(\d+))?$/;

/**
 * The two directions of a tfjs `bidirectional` LSTM as `nn.LSTM`'s layer `k` with one bias per
 * direction (`slr_torch`'s `KerasLSTM`): `forward_<lstm>/kernel`, `recurrent_kernel`, `bias` ↔
 * `lstm.weight_ih_l<k>`, `weight_hh_l<k>`, `bias_l<k>`; `backward_<lstm>/…` ↔ the same with
 * `_reverse`.
 */
function bidirectionalLstm(layer: tf.layers.Layer, k: number): WeightGroup[] {
  const weights = [...weightsByName(layer)];
  const groups: WeightGroup[] = [];
  for (const [direction, suffix] of [
    ['forward_', ''],
    ['backward_', '_reverse'],
  ] as const) {
    const find = (leaf: string) =>
      weights.find(([name]) => name.startsWith(direction) && name.endsWith(`/${leaf}`))?.[1];
    const found = ['kernel', 'recurrent_kernel', 'bias'].map(find);
    if (found.some((weight) => weight === undefined)) continue;
    groups.push({
      layer: layer.name,
      keys: [
        `lstm.weight_ih_l${k}${suffix}`,
        `lstm.weight_hh_l${k}${suffix}`,
        `lstm.bias_l${k}${suffix}`,
      ],
      weights: found as tf.LayerVariable[],
      layout: LSTM_ONE_BIAS,
    });
  }
  return groups;
}

/** A group-normalised backbone's `<unit>_gn` layers as `backbone.<unit>.gn.weight`, `.bias`. */
function groupNorms(layers: ModelLayers): WeightGroup[] {
  const groups: WeightGroup[] = [];
  for (const [name, layer] of layers) {
    const unit = GROUP_NORM_LAYER.exec(name);
    if (unit === null) continue;
    const at = `backbone.${unit[1].replace(/^(Mixed_\d[a-z])_/, '$1.')}.gn.`;
    groups.push(
      ...oneToOne(layer, [
        ['gamma', `${at}weight`, SAME],
        ['beta', `${at}bias`, SAME],
      ]),
    );
  }
  return groups;
}

/**
 * The backbone's groups in `InceptionI3d`'s module order (the order of its state dict): by end
 * point (`Conv3d_1a_7x7`, …, `Mixed_5c`), branch (`b0`, `b1a`, …, `b3b`), the convolution before
 * its normalisation. tfjs's layer order interleaves a mixed block's branches otherwise.
 */
function backboneOrder(groups: WeightGroup[]): WeightGroup[] {
  const rank = (group: WeightGroup) => {
    const unit = /^backbone\.[A-Za-z0-9]+_(\d[a-z])\w*?\.(?:(b\w+)\.)?(\w+)\./.exec(group.keys[0]);
    if (unit === null) return '9'; // `logits.` (a backbone built with logits) last, as pytorch-i3d
    const [, endPoint, branch, kind] = unit;
    return `${endPoint}|${branch ?? ''}|${kind === 'conv3d' ? 0 : 1}`;
  };
  const ranks = new Map(groups.map((group) => [group, rank(group)]));
  return [...groups].sort((a, b) =>
    ranks.get(a)! < ranks.get(b)! ? -1 : ranks.get(a)! > ranks.get(b)! ? 1 : 0,
  );
}

/**
 * The groups of an `@slr` teacher (`buildI3DTeacher`) or student (`buildMobileNetV3Student`)
 * named as their `slr_torch` twins name them:
 *
 * | tfjs layer                                    | PyTorch                                             |
 * | --------------------------------------------- | --------------------------------------------------- |
 * | the teacher's I3D units (`Mixed_3b_b1a_conv`) | `backbone.` + pytorch-i3d's names (`Mixed_3b.b1a.`) |
 * | `<unit>_gn` (`normalization: 'group'`)        | `backbone.<unit>.gn.weight`, `.bias`                |
 * | `pose_dense_<i+1>`                            | `pose.dense.<i>`                                    |
 * | `video_pose_attention`                        | `attention.{query,key,value,output}`                |
 * | the student's MobileNetV3 (`stem_conv`, …)    | torchvision's `features.*`                          |
 * | `temporal<i+1>_conv`, `temporal<i+1>_bn`      | `temporal.<i>.conv`, `temporal.<i>.bn`              |
 * | `bilstm_<k+1>` (teacher), `bilstm` (student)  | `lstm.*_l<k>`, `lstm.*_l<k>_reverse`                |
 * | `classifier`                                  | `classifier`                                        |
 */
export function slrGroups(layers: ModelLayers): WeightGroup[] {
  const groups: WeightGroup[] = [
    ...mobileNetV3Groups(layers),
    ...backboneOrder(i3dGroups(layers, { keyPrefix: 'backbone.' }).concat(groupNorms(layers))),
  ];
  for (const [name, layer] of layers) {
    const pose = /^pose_dense_(\d+)$/.exec(name);
    const temporal = /^temporal(\d+)_(conv|bn)$/.exec(name);
    const lstm = BILSTM_LAYER.exec(name);
    if (pose !== null) {
      groups.push(...convOrLinear(layer, `pose.dense.${Number(pose[1]) - 1}.`));
    } else if (name === 'video_pose_attention') {
      groups.push(
        ...oneToOne(
          layer,
          ['query', 'key', 'value', 'output'].flatMap(
            (part) =>
              [
                [`${part}_kernel`, `attention.${part}.weight`, LINEAR],
                [`${part}_bias`, `attention.${part}.bias`, SAME],
              ] as const,
          ),
        ),
      );
    } else if (temporal !== null) {
      const at = `temporal.${Number(temporal[1]) - 1}.${temporal[2]}.`;
      groups.push(...(temporal[2] === 'conv' ? convOrLinear(layer, at) : batchNorm(layer, at)));
    } else if (lstm !== null) {
      groups.push(...bidirectionalLstm(layer, lstm[1] === undefined ? 0 : Number(lstm[1]) - 1));
    } else if (name === 'classifier') {
      groups.push(...convOrLinear(layer, 'classifier.'));
    }
  }
  return groups;
}

/**
 * Whether `key` is one of `slr_torch`'s names: under `backbone.` (pytorch-i3d's names), the
 * student's `features.<i>.` and `temporal.<i>.`, `pose.dense.<i>.`, `attention.`, `lstm.`, or
 * `classifier.weight` / `.bias`.
 */
export function slrKey(key: string): boolean {
  return /^(backbone\.(Conv3d_\d[a-z]_\dx\d|Mixed_\d[a-z])\.|features\.\d+\.|temporal\.\d+\.|pose\.dense\.\d+\.|attention\.(query|key|value|output)\.(weight|bias)$|lstm\.(weight_ih|weight_hh|bias)_l\d+(_reverse)?$|classifier\.(weight|bias)$)/.test(
    key,
  );
}
