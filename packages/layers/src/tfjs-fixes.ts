import * as tf from '@tensorflow/tfjs';

/**
 * Corrections to tfjs 4.22 that the `@slr` models need, applied when `@slr/layers` is imported.
 *
 * - `Unpack` (`tf.unstack`) gradient: tfjs hands a gradient function a bare tensor instead of a
 *   one-element array when an op has a single output, and the registered Unpack gradient then
 *   fails in `tf.stack` ("Argument tensors passed to stack must be a `Tensor[]`"). An unstack
 *   along an axis of length 1 does that — every RNN layer unstacks time, so an LSTM over a
 *   single frame could not be trained. The replacement accepts both forms.
 *
 * @example
 * ```ts
 * applyTfjsFixes(); // idempotent; importing '@slr/layers' already did it
 * ```
 */
export function applyTfjsFixes(): void {
  tf.registerGradient({
    kernelName: tf.Unpack,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const { axis } = attrs as unknown as { axis: number };
      const parts = Array.isArray(dy) ? dy : [dy];
      return { value: () => tf.stack(parts, axis) };
    },
  });
}
applyTfjsFixes();
