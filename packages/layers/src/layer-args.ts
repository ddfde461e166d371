import type * as tf from '@tensorflow/tfjs';

/**
 * The constructor arguments every tfjs-layers layer takes (tfjs does not export its own
 * `LayerArgs` type from the public API).
 */
export interface BaseLayerArgs {
  /** Layer name (unique within a model). */
  name?: string;
  /** Whether the layer's weights are trainable. Default true. */
  trainable?: boolean;
  /** Input shape without the batch axis, when this is a model's first layer. */
  inputShape?: (number | null)[];
  /** Input shape with the batch axis, when this is a model's first layer. */
  batchInputShape?: (number | null)[];
  /** Data type of the layer's weights and output (`float32`). */
  dtype?: tf.DataType;
}
