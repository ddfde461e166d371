import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '@slr/data';
import { checkNumber } from '@slr/core';

function layersOf(layers: tf.layers.Layer[]): tf.layers.Layer[] {
  return layers.flatMap((layer) => {
    const inner = (layer as unknown as { layers?: unknown }).layers;
    return Array.isArray(inner) ? layersOf(inner as tf.layers.Layer[]) : [layer];
  });
}

/**
 * Re-initialises every kernel of `model` (weights whose name ends in `kernel`, dense and
 * convolutional) with Xavier/Glorot uniform values, `U(-a, a)` with
 * `a = gain · sqrt(6 / (fanIn + fanOut))`, drawn from a seeded generator. Biases and
 * normalisation weights are left alone. Returns the names of the re-initialised weights.
 *
 * @example
 * ```ts
 * xavierReinit(model.model, { gain: 1, seed: 7 }); // ['dense/kernel', …]
 * ```
 */
export function xavierReinit(
  model: tf.LayersModel,
  options: { gain?: number; seed?: number } = {},
): string[] {
  const gain = checkNumber('xavierReinit', 'options.gain', options.gain ?? 1, {
    min: 0,
    minExclusive: true,
  });
  const rng = new SeededRandom(options.seed ?? 0);
  const names: string[] = [];
  for (const weight of model.weights) {
    if (!/kernel(_\d+)?$/.test(weight.originalName)) continue;
    const shape = weight.shape as number[];
    if (shape.length < 2) continue;
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const fanIn = shape[shape.length - 2] * receptive;
    const fanOut = shape[shape.length - 1] * receptive;
    const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = rng.uniform(-limit, limit);
    const tensor = tf.tensor(values, shape, 'float32');
    weight.write(tensor);
    tensor.dispose();
    names.push(weight.originalName);
  }
  return names;
}

/**
 * Sets the `rate` of every dropout layer of `model` (nested models included: tfjs's `Dropout`
 * and `SpatialDropout1D`, and the `Dropout` of `@slr/layers`) and returns the names of the
 * layers changed. The attention dropout of a `CrossAttention` layer is left as built.
 *
 * @example
 * ```ts
 * setDropoutRate(model.model, 0); // overfit runs: no dropout
 * ```
 */
export function setDropoutRate(model: tf.LayersModel, rate: number): string[] {
  checkNumber('setDropoutRate', 'rate', rate, { min: 0, max: 1, maxExclusive: true });
  const changed: string[] = [];
  for (const layer of layersOf(model.layers)) {
    if (['Dropout', 'SpatialDropout1D', 'SlrDropout'].includes(layer.getClassName())) {
      (layer as unknown as { rate: number }).rate = rate;
      changed.push(layer.name);
    }
  }
  return changed;
}
