import * as tf from '@tensorflow/tfjs';
import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { makeDivisible, SqueezeExcite } from './squeeze-excite';

/** torchvision's `_make_divisible`, transcribed. */
function torchvisionMakeDivisible(v: number, divisor = 8): number {
  let newV = Math.max(divisor, Math.trunc(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}

async function saveAndLoad(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
      });
    }),
  );
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}

/** Squeeze-and-excite in plain JS on a [B, ...spatial, C] array: the reference. */
function referenceSe(x: tf.Tensor, weights: tf.Tensor[], gate: (v: number) => number): number[] {
  const [k1, b1, k2, b2] = weights.map((w) => Array.from(w.dataSync()));
  const data = Array.from(x.dataSync());
  const batch = x.shape[0];
  const channels = x.shape[x.rank - 1];
  const squeeze = b1.length;
  const positions = data.length / batch / channels;
  const out = new Array<number>(data.length);
  for (let b = 0; b < batch; b++) {
    const mean = new Array<number>(channels).fill(0);
    for (let p = 0; p < positions; p++)
      for (let c = 0; c < channels; c++)
        mean[c] += data[(b * positions + p) * channels + c] / positions;
    const hidden = Array.from({ length: squeeze }, (_, s) =>
      Math.max(0, b1[s] + mean.reduce((sum, m, c) => sum + m * k1[c * squeeze + s], 0)),
    );
    const scale = Array.from({ length: channels }, (_, c) =>
      gate(b2[c] + hidden.reduce((sum, h, s) => sum + h * k2[s * channels + c], 0)),
    );
    for (let p = 0; p < positions; p++) {
      for (let c = 0; c < channels; c++) {
        const i = (b * positions + p) * channels + c;
        out[i] = data[i] * scale[c];
      }
    }
  }
  return out;
}

const hardSigmoidRef = (v: number) => Math.min(Math.max(v + 3, 0), 6) / 6;

describe('makeDivisible', () => {
  it('rounds as torchvision does', () => {
    expect(makeDivisible(16 * 0.75)).toBe(16);
    expect(makeDivisible(72 * 0.25)).toBe(24); // 16 would be below 90% of 18
    expect(makeDivisible(88 * 0.25)).toBe(24);
    expect(makeDivisible(4)).toBe(8); // at least the divisor
    expect(makeDivisible(60)).toBe(64);
    expect(makeDivisible(240)).toBe(240);
    expect(makeDivisible(30)).toBe(32);
    expect(makeDivisible(10, 4, 2)).toBe(12);
  });

  test.prop([fc.double({ min: 0.5, max: 4000, noNaN: true }), fc.constantFrom(4, 8, 16)])(
    'equals torchvision’s _make_divisible and stays a multiple of the divisor, ≥ 90% of the value',
    (value, divisor) => {
      const rounded = makeDivisible(value, divisor);
      expect(rounded).toBe(torchvisionMakeDivisible(value, divisor));
      expect(rounded % divisor).toBe(0);
      expect(rounded).toBeGreaterThanOrEqual(Math.max(divisor, 0.9 * value));
    },
  );

  it('rejects a non-positive divisor', () => {
    expect(() => makeDivisible(10, 0)).toThrow(
      "Argument 'divisor' passed to 'makeDivisible' must be a finite number > 0, but got 0.",
    );
  });
});

describe('SqueezeExcite', () => {
  it('squeezes to makeDivisible(floor(C / 4), 8) by default and has 2·C·S + C + S weights', () => {
    const layer = new SqueezeExcite();
    const input = tf.input({ shape: [28, 28, 72] });
    layer.apply(input);
    expect(layer.squeezeChannelsFor(72)).toBe(24);
    expect(layer.trainableWeights.map((w) => w.shape)).toEqual([[72, 24], [24], [24, 72], [72]]);
    expect(layer.countParams()).toBe(2 * 72 * 24 + 72 + 24);
    expect(new SqueezeExcite({ squeezeChannels: 5 }).squeezeChannelsFor(72)).toBe(5);
  });

  it('computes pool → 1×1 conv → ReLU → 1×1 conv → hard-sigmoid → multiply, on rank 3, 4 and 5 inputs', () => {
    for (const shape of [
      [2, 5, 8],
      [2, 3, 4, 8],
      [2, 2, 3, 2, 8],
    ]) {
      const layer = new SqueezeExcite({ squeezeChannels: 4, seed: 3 });
      const x = tf.randomNormal(shape, 0, 2, 'float32', 5);
      layer.build(x.shape);
      // Non-zero biases so that they are exercised too.
      const weights = layer.getWeights();
      layer.setWeights([weights[0], tf.fill([4], 0.3), weights[2], tf.linspace(-1, 1, 8)]);
      const y = expectNoLeaks(() => layer.apply(x) as tf.Tensor, 1);
      expect(y.shape).toEqual(shape);
      const expected = referenceSe(x, layer.getWeights(), hardSigmoidRef);
      Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
      tf.dispose([x, y]);
    }
  });

  it('gates with the logistic sigmoid when asked', () => {
    const layer = new SqueezeExcite({ squeezeChannels: 2, gate: 'sigmoid', seed: 1 });
    const x = tf.randomNormal([1, 3, 3, 4], 0, 1, 'float32', 9);
    const y = layer.apply(x) as tf.Tensor;
    const expected = referenceSe(x, layer.getWeights(), (v) => 1 / (1 + Math.exp(-v)));
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    tf.dispose([x, y]);
  });

  it('initialises reproducibly from a seed, kernels He-normal, biases zero', () => {
    const build = (seed: number) => {
      const layer = new SqueezeExcite({ seed });
      layer.build([null, 4, 4, 64]);
      return layer.getWeights().map((w) => Array.from(w.dataSync()));
    };
    const a = build(7);
    expect(build(7)).toEqual(a);
    expect(build(8)[0]).not.toEqual(a[0]);
    expect(a[0]).not.toEqual(a[2].slice(0, a[0].length));
    expect(a[1].every((v) => v === 0) && a[3].every((v) => v === 0)).toBe(true);
    const std = Math.sqrt(a[0].reduce((s, v) => s + v * v, 0) / a[0].length);
    expect(std).toBeGreaterThan(0.1); // He fan-out: about 0.88 × sqrt(2 / 16) for a truncated normal
    expect(std).toBeLessThan(0.5);
  });

  it('passes gradients to its four weights and its input', () => {
    const layer = new SqueezeExcite({ squeezeChannels: 4, seed: 2 });
    const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 4);
    layer.build(x.shape);
    const { grads } = tf.variableGrads(
      () => tf.sum<tf.Scalar>(tf.square(layer.apply(x) as tf.Tensor)),
      layer.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    expect(Object.keys(grads)).toHaveLength(4);
    for (const grad of Object.values(grads))
      expect(tf.max(tf.abs(grad)).dataSync()[0]).toBeGreaterThan(0);
    const dx = tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input) as tf.Tensor))(x);
    expect(dx.shape).toEqual(x.shape);
    tf.dispose([x, dx, ...Object.values(grads)]);
  });

  it('rejects inputs without spatial axes and bad options', () => {
    expect(() => new SqueezeExcite().apply(tf.input({ shape: [8] }))).toThrow(
      "Argument 'inputs' passed to 'SqueezeExcite.apply' must be channels-last, of rank 3 or " +
        'more, but got shape [null, 8].',
    );
    expect(() => new SqueezeExcite({ squeezeChannels: 0 })).toThrow(
      "Argument 'args.squeezeChannels' passed to 'SqueezeExcite' must be an integer >= 1, but got 0.",
    );
    expect(() => new SqueezeExcite({ gate: 'relu' as never })).toThrow(
      "Argument 'args.gate' passed to 'SqueezeExcite' must be one of 'hardSigmoid', 'sigmoid', but got 'relu'.",
    );
    // A string seed would otherwise seed the kernels with '70', '71' (string concatenation).
    expect(() => new SqueezeExcite({ seed: '7' as never })).toThrow(
      "Argument 'args.seed' passed to 'SqueezeExcite' must be a finite number, but got '7'.",
    );
    expect(() => new SqueezeExcite(null as never)).toThrow(
      "Argument 'args' passed to 'SqueezeExcite' must be an object or undefined, but got null.",
    );
  });

  it('round-trips through save and load, config and weights', async () => {
    const input = tf.input({ shape: [6, 6, 16] });
    const excited = new SqueezeExcite({ gate: 'sigmoid', seed: 4, name: 'se' }).apply(
      input,
    ) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: excited });
    const loaded = await saveAndLoad(model);
    const layer = loaded.getLayer('se') as SqueezeExcite;
    expect(layer).toBeInstanceOf(SqueezeExcite);
    expect(SqueezeExcite.className).toBe('SlrSqueezeExcite');
    expect(layer.gate).toBe('sigmoid');
    expect(layer.seed).toBe(4);
    expect(layer.getConfig().squeezeChannels).toBeNull();
    expect(loaded.countParams()).toBe(model.countParams());
    const x = tf.randomNormal([2, 6, 6, 16], 0, 1, 'float32', 1);
    const expected = model.predict(x) as tf.Tensor;
    const actual = loaded.predict(x) as tf.Tensor;
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, expected, actual]);
    model.dispose();
    loaded.dispose();
  });
});
