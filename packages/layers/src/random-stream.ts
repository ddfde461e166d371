import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger } from '@slr/core';
import { checkSeed } from './mask-stream';

/**
 * The seed to hand a tfjs initialiser for `seed`: `undefined` (unseeded) for `null` or
 * `undefined`, and `seed` itself, except 0. tfjs reads a seed of 0 as "no seed" in its normal
 * and truncated-normal draws (a falsy check), so 0 is passed on as 0.5, a value no integer seed
 * maps to (tfjs seeds its generator with the number's decimal text).
 *
 * @example
 * ```ts
 * tf.initializers.heNormal({ seed: initializerSeed(0) }); // seeded (tfjs would ignore a 0)
 * ```
 */
export function initializerSeed(seed: number | null | undefined): number | undefined {
  if (seed == null) return undefined;
  return seed === 0 ? 0.5 : seed;
}

/**
 * Hands out the seeds of a model's layers: `seeds()` returns the next seed and `seeds(n)` the
 * first of the next `n` consecutive ones (for a layer that seeds several weights: seed, seed + 1,
 * …); always `undefined` when the model is unseeded.
 */
export type SeedSequence = (count?: number) => number | undefined;

/**
 * The {@link SeedSequence} of a builder given the base seed `seed` (a safe integer, checked as
 * `argument` of `fn`), or an unseeded one for `undefined`: each layer takes the next seeds.
 *
 * @example
 * ```ts
 * const seeds = seedSequence('buildMyModel', 7);
 * seeds();  // 7
 * seeds(2); // 8 (and 9 is taken too)
 * seeds();  // 10
 * ```
 */
export function seedSequence(
  fn: string,
  seed: number | null | undefined,
  argument = 'options.seed',
): SeedSequence {
  if (seed == null) return () => undefined;
  let next = checkSeed(fn, argument, seed);
  return (count = 1) => {
    const first = next;
    next += count;
    return first;
  };
}

/**
 * A layer whose training-mode output is random (dropout): its stream of random numbers can be
 * positioned, so that a training step's draws depend on the run's seed and the step alone.
 */
export interface StochasticLayer {
  /**
   * Positions the layer's random stream at step `step` of a run seeded with `seed`; `index`
   * tells the model's stochastic layers apart (their order in the model). Each call of the
   * layer until the next positioning draws the next numbers of that step's stream.
   */
  setRandomStep(seed: number, step: number, index: number): void;
}

function isStochastic(layer: unknown): layer is StochasticLayer {
  return typeof (layer as Partial<StochasticLayer>).setRandomStep === 'function';
}

function flatLayers(layers: readonly tf.layers.Layer[]): tf.layers.Layer[] {
  return layers.flatMap((layer) => {
    const inner = (layer as unknown as { layers?: unknown }).layers;
    return Array.isArray(inner) ? flatLayers(inner as tf.layers.Layer[]) : [layer];
  });
}

/**
 * Positions the random stream of every {@link StochasticLayer} of `model` (nested models
 * included; `@slr/layers`' {@link Dropout} and {@link CrossAttention}) at step `step` of a run
 * seeded with `seed`: the next training-mode calls draw their masks from `(seed, step, layer)`
 * alone, the same numbers on every backend. `train()` of `@slr/train` calls it before each
 * step, so that a run is repeatable and a resumed run draws what the uninterrupted one did.
 * Returns the names of the layers positioned.
 *
 * @example
 * ```ts
 * declare const layersModel: tf.LayersModel;
 * declare const x: tf.Tensor;
 *
 * setRandomStep(layersModel, 42, 0);
 * const a = layersModel.apply(x, { training: true }) as tf.Tensor;
 * setRandomStep(layersModel, 42, 0);
 * const b = layersModel.apply(x, { training: true }) as tf.Tensor; // the same masks as `a`
 * ```
 */
export function setRandomStep(model: tf.LayersModel, seed: number, step: number): string[] {
  const fn = 'setRandomStep';
  if (!(model instanceof tf.LayersModel))
    throw new ArgumentError(fn, 'model', 'be a tf.LayersModel', model);
  checkSeed(fn, 'seed', seed);
  checkInteger(fn, 'step', step, { min: 0 });
  const positioned: string[] = [];
  for (const layer of flatLayers(model.layers)) {
    if (!isStochastic(layer)) continue;
    layer.setRandomStep(seed, step, positioned.length);
    positioned.push(layer.name);
  }
  return positioned;
}
