import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber } from '@slr/core';

/**
 * Result of {@link clipByGlobalNorm}. `grads` are new tensors the caller owns (dispose them);
 * the input map is left untouched.
 */
export interface ClipResult {
  /** The (possibly scaled) gradients, same names and shapes as the input. */
  grads: tf.NamedTensorMap;
  /** The global L2 norm of the input gradients, before clipping. */
  globalNorm: number;
  /**
   * Whether `globalNorm` is finite; when false the gradients are returned unscaled and the step
   * should be skipped.
   */
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
 * The norm is read back synchronously unless `globalNorm` gives it. Backends without
 * synchronous reads (WebGPU in Node.js) need it given: take it from `gradientHealth` (as the
 * trainer does) or from {@link globalGradientNorm}.
 *
 * @example
 * ```ts
 * const { value, grads } = tf.variableGrads(computeLoss);
 * const clipped = clipByGlobalNorm(grads, 1.0);
 * if (clipped.finite) optimizer.applyGradients(clipped.grads);
 * tf.dispose([value, grads, clipped.grads]);
 * ```
 */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
  globalNorm?: number,
): ClipResult {
  checkNumber('clipByGlobalNorm', 'maxNorm', maxNorm, { min: 0, minExclusive: true });
  if (
    globalNorm !== undefined &&
    (typeof globalNorm !== 'number' || Number.isNaN(globalNorm) || globalNorm < 0)
  ) {
    throw new ArgumentError(
      'clipByGlobalNorm',
      'globalNorm',
      'be a number >= 0 (Infinity for non-finite gradients)',
      globalNorm,
    );
  }
  const names = Object.keys(grads);
  let norm: number;
  if (globalNorm !== undefined) norm = globalNorm;
  else if (names.length === 0) norm = 0;
  else {
    const tensor = normTensor(grads);
    norm = tensor.dataSync()[0] ?? 0;
    tensor.dispose();
  }
  const finite = Number.isFinite(norm);
  const clipped = finite && norm > maxNorm;
  const scale = clipped ? maxNorm / (norm + 1e-6) : 1;
  const out: tf.NamedTensorMap = {};
  for (const name of names)
    out[name] = clipped ? tf.tidy(() => tf.mul(grads[name], scale)) : tf.clone(grads[name]);
  return { grads: out, globalNorm: norm, finite, clipped };
}

/** √(Σ‖g‖²) as a scalar tensor; summed pairwise (a many-input addN exceeds WebGPU's buffer limits). */
function normTensor(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Tensor = tf.scalar(0);
    for (const name of Object.keys(grads))
      total = tf.add(total, tf.sum(tf.square(tf.cast(grads[name], 'float32'))));
    return tf.sqrt(total) as tf.Scalar;
  });
}

/**
 * The global L2 norm `√(Σ‖g‖²)` of a set of gradients, read back asynchronously (works on every
 * backend); NaN or Infinity when a gradient is not finite.
 *
 * @example
 * ```ts
 * const norm = await globalGradientNorm(grads);
 * const clipped = clipByGlobalNorm(grads, 1.0, norm); // no synchronous read-back
 * ```
 */
export async function globalGradientNorm(grads: tf.NamedTensorMap): Promise<number> {
  if (Object.keys(grads).length === 0) return 0;
  const tensor = normTensor(grads);
  try {
    return (await tensor.data())[0];
  } finally {
    tensor.dispose();
  }
}
