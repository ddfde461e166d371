/**
 * The pieces a naming scheme is made of: a model's layers by name, and groups of weights that
 * one layout converts (a Conv3d weight and the kernel it becomes; an LSTM direction's four
 * tensors and its three weights; …), with helpers for the usual layers.
 *
 * @internal
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs';
import type { TensorData } from '../tensor-data';
import { CONV1D, CONV2D, CONV3D, DEPTHWISE2D, LINEAR, SAME, type Layout } from './layouts';

/**
 * PyTorch tensors and the tfjs weights they become through one layout. On loading, every key
 * must be in the file; `buffers` are keys that PyTorch keeps beside the weights without a tfjs
 * counterpart (BatchNorm's `num_batches_tracked`): ignored on loading, written on saving.
 */
export interface WeightGroup {
  /** The tfjs layer the weights belong to, for messages. */
  readonly layer: string;
  /** The PyTorch keys, in the layout's order. */
  readonly keys: readonly string[];
  /** The tfjs weights, in the layout's order. */
  readonly weights: readonly tf.LayerVariable[];
  /** How the PyTorch tensors become the tfjs weights. */
  readonly layout: Layout;
  /** Keys PyTorch keeps beside the weights, with the value to save for each. */
  readonly buffers?: readonly { key: string; value: () => TensorData }[];
}

/** A model's layers by name, nested models flattened. */
export type ModelLayers = ReadonlyMap<string, tf.layers.Layer>;

/** The layers of `model` by name (the layers of nested models in place of the model). */
export function layersOf(model: tf.LayersModel): Map<string, tf.layers.Layer> {
  const out = new Map<string, tf.layers.Layer>();
  const visit = (layers: readonly tf.layers.Layer[]) => {
    for (const layer of layers) {
      const nested = (layer as Partial<tf.LayersModel>).layers;
      if (Array.isArray(nested)) visit(nested);
      else out.set(layer.name, layer);
    }
  };
  visit(model.layers);
  return out;
}

/**
 * A layer's weights by their own names (`kernel`, `bias`, `gamma`, `forward_lstm/kernel`…):
 * the weight's name without the layer's name before it.
 */
export function weightsByName(layer: tf.layers.Layer): Map<string, tf.LayerVariable> {
  const out = new Map<string, tf.LayerVariable>();
  const prefix = `${layer.name}/`;
  for (const weight of layer.weights) {
    const name = weight.originalName;
    out.set(name.startsWith(prefix) ? name.slice(prefix.length) : name, weight);
  }
  return out;
}

/**
 * The groups of `layer` for pairs of its weight names and PyTorch keys, each one-to-one through
 * `layout`; a name the layer does not have is left out (a convolution without bias has no
 * `bias`), and so left to the caller's other rules or reported as having no PyTorch name.
 */
export function oneToOne(
  layer: tf.layers.Layer,
  pairs: readonly (readonly [weight: string, key: string, layout: Layout])[],
): WeightGroup[] {
  const weights = weightsByName(layer);
  const groups: WeightGroup[] = [];
  for (const [name, key, layout] of pairs) {
    const weight = weights.get(name);
    if (weight !== undefined)
      groups.push({ layer: layer.name, keys: [key], weights: [weight], layout });
  }
  return groups;
}

/** The layouts of a convolution's kernel by tfjs layer class. */
const KERNEL_LAYOUTS: Readonly<Record<string, Layout>> = {
  Conv1D: CONV1D,
  Conv2D: CONV2D,
  Conv3D: CONV3D,
  Dense: LINEAR,
};

/**
 * A convolution or dense layer as PyTorch's `Conv1d`/`Conv2d`/`Conv3d`/`Linear` at `prefix`
 * (`features.0.0.` → `features.0.0.weight`, `features.0.0.bias`); depthwise convolutions as a
 * `Conv2d` with `groups` = channels.
 */
export function convOrLinear(layer: tf.layers.Layer, prefix: string): WeightGroup[] {
  const className = layer.getClassName();
  if (className === 'DepthwiseConv2D') {
    return oneToOne(layer, [
      ['depthwise_kernel', `${prefix}weight`, DEPTHWISE2D],
      ['bias', `${prefix}bias`, SAME],
    ]);
  }
  const layout = KERNEL_LAYOUTS[className];
  if (layout === undefined) return [];
  return oneToOne(layer, [
    ['kernel', `${prefix}weight`, layout],
    ['bias', `${prefix}bias`, SAME],
  ]);
}

/** PyTorch's `num_batches_tracked` as `torch.save` keeps it: an int64 scalar. */
function batchesTracked(): TensorData {
  return { dtype: 'int64', shape: [], data: new BigInt64Array(1) };
}

/**
 * A batch normalisation (`BatchNormalization` of tfjs or `BatchNormalization3D` of
 * `@slr/layers`) as PyTorch's `BatchNorm1d/2d/3d` at `prefix`: `gamma` ↔ `weight`, `beta` ↔
 * `bias`, `moving_mean` ↔ `running_mean`, `moving_variance` ↔ `running_var` (PyTorch's running
 * variance is what tfjs's moving variance is: both normalise by `sqrt(var + eps)` in
 * inference). `num_batches_tracked` is a buffer: ignored on loading, saved as 0 (tfjs does not
 * count batches).
 */
export function batchNorm(layer: tf.layers.Layer, prefix: string): WeightGroup[] {
  const tracked = { key: `${prefix}num_batches_tracked`, value: batchesTracked };
  return oneToOne(layer, [
    ['gamma', `${prefix}weight`, SAME],
    ['beta', `${prefix}bias`, SAME],
    ['moving_mean', `${prefix}running_mean`, SAME],
    ['moving_variance', `${prefix}running_var`, SAME],
  ]).map((group) =>
    group.keys[0] === `${prefix}running_var` ? { ...group, buffers: [tracked] } : group,
  );
}
