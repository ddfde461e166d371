/**
 * Gradient health: global and per-variable L2 norms, non-finite, vanishing and exploding
 * gradients, from the map `tf.variableGrads` / `optimizer.computeGradients` return.
 */
import type * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber, checkOptions } from '@slr/core';

/** Options of {@link gradientHealth}. */
export interface GradientHealthOptions {
  /** A norm (per variable, or global) above this is exploding. Default `100`. */
  explodeThreshold?: number;
  /** A per-variable norm below this is vanishing. Default `1e-8`. */
  vanishThreshold?: number;
}

/** Result of {@link gradientHealth}. */
export interface GradientHealthReport {
  /**
   * `true` when no variable is non-finite, vanishing or exploding and the global norm is not
   * exploding.
   */
  ok: boolean;
  /**
   * `sqrt(Σ norms²)` over every variable; NaN/Infinity as soon as one gradient holds
   * NaN/Infinity.
   */
  globalNorm: number;
  /** L2 norm of each gradient, by name (NaN when it holds NaN, Infinity when it holds ±Infinity). */
  norms: Record<string, number>;
  /** Names of gradients holding NaN or ±Infinity. */
  nonFinite: string[];
  /** Names of finite gradients with norm below `vanishThreshold`. */
  vanishing: string[];
  /** Names of gradients with norm above `explodeThreshold` (infinite ones included). */
  exploding: string[];
  /** One sentence per finding. */
  warnings: string[];
}

/**
 * Health of a set of gradients: the L2 norm of each (computed in float64 from
 * `await grad.data()`, so no float32 overflow and every backend works), the global norm
 * `sqrt(Σ normᵢ²)` (the one `clipByGlobalNorm` uses), and flags:
 * - non-finite: the gradient holds NaN or ±Infinity;
 * - vanishing: finite norm `< vanishThreshold` (default `1e-8`, zero included);
 * - exploding: norm `> explodeThreshold` (default `100`); the global norm is checked too.
 *
 * Creates no tensor and disposes none of `grads`.
 *
 * @example
 * ```ts
 * const { value, grads } = optimizer.computeGradients(computeLoss);
 * const health = await gradientHealth(grads, { explodeThreshold: 10 });
 * if (!health.ok) console.warn(health.warnings.join('\n'));
 * tf.dispose([value, grads]);
 *
 * await gradientHealth({ w: tf.tensor1d([3, 4]) });
 * // { ok: true, globalNorm: 5, norms: { w: 5 }, nonFinite: [], vanishing: [], exploding: [],
 * //   warnings: [] }
 * ```
 */
export async function gradientHealth(
  grads: Record<string, tf.Tensor> | tf.NamedTensorMap,
  options: GradientHealthOptions = {},
): Promise<GradientHealthReport> {
  const fn = 'gradientHealth';
  if (grads === null || typeof grads !== 'object')
    throw new ArgumentError(fn, 'grads', 'be an object of tensors by name', grads);
  const { explodeThreshold = 100, vanishThreshold = 1e-8 } = checkOptions(fn, options);
  checkNumber(fn, 'options.explodeThreshold', explodeThreshold, { min: 0, minExclusive: true });
  checkNumber(fn, 'options.vanishThreshold', vanishThreshold, { min: 0 });
  const names = Object.keys(grads);
  const values = await Promise.all(names.map((name) => grads[name].data()));
  const norms: Record<string, number> = {};
  const nonFinite: string[] = [];
  const vanishing: string[] = [];
  const exploding: string[] = [];
  const warnings: string[] = [];
  let total = 0;
  names.forEach((name, i) => {
    const data = values[i];
    let sum = 0;
    let nan = false;
    let inf = false;
    for (let k = 0; k < data.length; k++) {
      const x = Number(data[k]);
      if (Number.isNaN(x)) nan = true;
      else if (!Number.isFinite(x)) inf = true;
      else sum += x * x;
    }
    const norm = nan ? NaN : inf ? Infinity : Math.sqrt(sum);
    norms[name] = norm;
    total += nan ? NaN : inf ? Infinity : sum;
    if (nan || inf) {
      nonFinite.push(name);
      warnings.push(`Gradient '${name}' holds ${nan ? 'NaN' : 'Infinity'}.`);
    }
    if (norm > explodeThreshold) {
      exploding.push(name);
      if (!inf)
        warnings.push(`Gradient '${name}' is exploding: norm ${norm} > ${explodeThreshold}.`);
    } else if (norm < vanishThreshold) {
      vanishing.push(name);
      warnings.push(`Gradient '${name}' is vanishing: norm ${norm} < ${vanishThreshold}.`);
    }
  });
  const globalNorm = Math.sqrt(total);
  const globalExploding = globalNorm > explodeThreshold;
  if (globalExploding && exploding.length === 0) {
    warnings.push(
      `Global gradient norm ${globalNorm} > ${explodeThreshold}: gradients are exploding.`,
    );
  }
  if (names.length > 0 && vanishing.length === names.length) {
    warnings.push('Every gradient is vanishing: is the loss connected to the trainable variables?');
  }
  const ok =
    nonFinite.length === 0 && vanishing.length === 0 && exploding.length === 0 && !globalExploding;
  return { ok, globalNorm, norms, nonFinite, vanishing, exploding, warnings };
}
