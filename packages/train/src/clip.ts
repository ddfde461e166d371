import * as tf from '@tensorflow/tfjs';
import { requireNumber } from './errors';

/**
 * Result of {@link clipByGlobalNorm}. `grads` are new tensors the caller owns (dispose them);
 * the input map is left untouched.
 *
 * @example
 * ```ts
 * const { grads, globalNorm, finite, clipped } = clipByGlobalNorm(rawGrads, 1.0);
 * ```
 */
export interface ClipResult {
  /** The (possibly scaled) gradients, same names and shapes as the input. */
  grads: tf.NamedTensorMap;
  /** The global L2 norm of the input gradients, before clipping. */
  globalNorm: number;
  /** Whether `globalNorm` is finite; when false the gradients are returned unscaled and the step should be skipped. */
  finite: boolean;
  /** Whether the gradients were scaled down. */
  clipped: boolean;
}

/**
 * Clips gradients by their global L2 norm, as `torch.nn.utils.clip_grad_norm_`: with
 * `norm = √(Σ‖g‖²)` over all tensors, when `norm > maxNorm` every gradient is multiplied by
 * `maxNorm / (norm + 1e-6)`. A non-finite norm (NaN or ∞ in a gradient) is reported through
 * `finite: false` and nothing is scaled, so that a trainer can skip the step.
 *
 * @example
 * ```ts
 * const { value, grads } = tf.variableGrads(() => loss());
 * const clipped = clipByGlobalNorm(grads, 1.0);
 * if (clipped.finite) optimizer.applyGradients(clipped.grads);
 * tf.dispose([value, grads, clipped.grads]);
 * ```
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): ClipResult {
  requireNumber('maxNorm', maxNorm, 0, false);
  const names = Object.keys(grads);
  const globalNorm =
    names.length === 0
      ? 0
      : tf.tidy(() => {
          const squares = names.map((name) => tf.sum(tf.square(tf.cast(grads[name], 'float32'))));
          return tf.sqrt(tf.addN(squares));
        });
  const norm = typeof globalNorm === 'number' ? globalNorm : (globalNorm.dataSync()[0] ?? 0);
  if (typeof globalNorm !== 'number') globalNorm.dispose();
  const finite = Number.isFinite(norm);
  const clipped = finite && norm > maxNorm;
  const scale = clipped ? maxNorm / (norm + 1e-6) : 1;
  const out: tf.NamedTensorMap = {};
  for (const name of names) out[name] = clipped ? tf.tidy(() => tf.mul(grads[name], scale)) : tf.clone(grads[name]);
  return { grads: out, globalNorm: norm, finite, clipped };
}
