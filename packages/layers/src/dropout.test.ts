import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWithBackends, useBackend } from '@slr/test-utils';
import { CrossAttention } from './cross-attention';
import { Dropout } from './dropout';
import { initializerSeed, seedSequence, setRandomStep } from './random-stream';
import { bidirectionalLstm, lstmInitializers } from './recurrent';
import { SqueezeExcite } from './squeeze-excite';

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

/**
 * A model of two dropout layers (one in a nested model) and attention with dropout over
 * `[B, T, 8]`, seeded by `seed` (the attention by `attentionSeed`).
 */
function stochasticModel(
  seed?: number,
  attentionSeed = seed === undefined ? undefined : seed + 2,
): tf.LayersModel {
  const input = tf.input({ shape: [5, 8] });
  let x = new Dropout({ rate: 0.5, seed, name: 'first' }).apply(input) as tf.SymbolicTensor;
  const inner = tf.sequential({
    layers: [
      new Dropout({
        rate: 0.3,
        inputShape: [5, 8],
        seed: seed === undefined ? undefined : seed + 1,
        name: 'nested',
      }),
    ],
  });
  x = inner.apply(x) as tf.SymbolicTensor;
  x = new CrossAttention({
    numHeads: 2,
    keyDim: 4,
    dropout: 0.5,
    seed: attentionSeed,
    name: 'attention',
  }).apply([x, x]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x });
}

const ones = () => tf.ones([3, 5, 8]);

async function run(model: tf.LayersModel, training = true): Promise<Float32Array> {
  const output = tf.tidy(() => model.apply(ones(), { training }) as tf.Tensor);
  const values = (await output.data()) as Float32Array;
  output.dispose();
  return values;
}

describeWithBackends('Dropout', (backend) => {
  it(`zeroes a fraction rate and scales the rest by 1 / (1 − rate), as tf.dropout [${backend}]`, async () => {
    const layer = new Dropout({ rate: 0.25, seed: 3 });
    const x = tf.fill([64, 64], 2);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const values = Array.from(await y.data());
    const kept = values.filter((v) => v !== 0);
    for (const v of kept) expect(v).toBeCloseTo(2 / 0.75, 5);
    // 4,096 draws: the dropped fraction is 0.25 ± 3 standard deviations (0.0068 each).
    expect(1 - kept.length / values.length).toBeGreaterThan(0.25 - 0.021);
    expect(1 - kept.length / values.length).toBeLessThan(0.25 + 0.021);
    tf.dispose([x, y]);
  });

  it(`is the identity at inference and for rate 0 [${backend}]`, async () => {
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 1);
    for (const [layer, training] of [
      [new Dropout({ rate: 0.5, seed: 1 }), false],
      [new Dropout({ rate: 0.5, seed: 1 }), undefined],
      [new Dropout({ rate: 0 }), true],
    ] as const) {
      const y = layer.apply(x, training === undefined ? {} : { training }) as tf.Tensor;
      expect(Array.from(await y.data())).toEqual(Array.from(await x.data()));
      if (y !== x) y.dispose();
    }
    x.dispose();
  });

  it(`draws a new mask on every call, the same for the same seed [${backend}]`, async () => {
    const first = stochasticModel(11);
    const second = stochasticModel(11);
    const calls = [await run(first), await run(first)];
    expect(calls[1]).not.toEqual(calls[0]);
    expect([await run(second), await run(second)]).toEqual(calls);
    expect(await run(stochasticModel(12))).not.toEqual(calls[0]);
  });

  it(`draws the masks of (seed, step) alone once positioned [${backend}]`, async () => {
    // Unseeded dropout, or seeded otherwise: once positioned, (seed, step) alone decides.
    const model = stochasticModel(undefined, 1);
    const other = stochasticModel(5, 1);
    expect(setRandomStep(model, 7, 3)).toEqual(['first', 'nested', 'attention']);
    const step3 = [await run(model), await run(model)];
    expect(step3[1]).not.toEqual(step3[0]); // each call of a step draws anew
    setRandomStep(other, 7, 3);
    expect([await run(other), await run(other)]).toEqual(step3);
    setRandomStep(model, 7, 4);
    expect(await run(model)).not.toEqual(step3[0]);
    setRandomStep(model, 8, 3);
    expect(await run(model)).not.toEqual(step3[0]);
    setRandomStep(model, 7, 3);
    expect(await run(model)).toEqual(step3[0]);
  });
});

describe('Dropout on every backend', () => {
  it('draws bit-identical masks on cpu and on the composite backend', async () => {
    const draw = async (backend: string) => {
      await useBackend(backend);
      const model = stochasticModel(4);
      setRandomStep(model, 1, 2);
      return run(model);
    };
    expect(await draw('cpu-composite')).toEqual(await draw('cpu'));
  });
});

describe('Dropout', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('differs from tfjs, whose seeded dropout repeats one mask and whose unseeded one is not repeatable', () => {
    const x = tf.ones([32]);
    const masks = (layer: tf.layers.Layer) =>
      [0, 1].map(() =>
        tf.tidy(() => Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync())),
      );
    const seeded = masks(tf.layers.dropout({ rate: 0.5, seed: 1 }));
    expect(seeded[1]).toEqual(seeded[0]); // tfjs: the same mask at every step
    const unseeded = [0, 1].map(() => masks(tf.layers.dropout({ rate: 0.5 }))[0]);
    expect(unseeded[1]).not.toEqual(unseeded[0]); // tfjs: Math.random, another run another mask
    const ours = masks(new Dropout({ rate: 0.5, seed: 1 }));
    expect(ours[1]).not.toEqual(ours[0]);
    expect(masks(new Dropout({ rate: 0.5, seed: 1 }))).toEqual(ours);
    x.dispose();
  });

  it('round-trips through save and load, config and masks included', async () => {
    const input = tf.input({ shape: [5, 8] });
    const output = new Dropout({
      rate: 0.4,
      noiseShape: [null, 1, 8],
      seed: 9,
      name: 'drop',
    }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const loaded = await saveAndLoad(model);
    const layer = loaded.getLayer('drop');
    expect(layer).toBeInstanceOf(Dropout);
    expect(layer.getConfig()).toMatchObject({ rate: 0.4, noiseShape: [null, 1, 8], seed: 9 });
    setRandomStep(model, 1, 1);
    setRandomStep(loaded, 1, 1);
    expect(await run(loaded)).toEqual(await run(model));
  });

  it('shares a mask along the axes of size 1 in noiseShape', async () => {
    const layer = new Dropout({ rate: 0.5, noiseShape: [null, 1, null], seed: 2 });
    const y = layer.apply(ones(), { training: true }) as tf.Tensor3D;
    const frames = await y.array();
    for (const sample of frames) for (const frame of sample) expect(frame).toEqual(sample[0]);
    y.dispose();
  });

  it('leaks no tensor, on an error either', () => {
    const layer = new Dropout({ rate: 0.5, noiseShape: [null, 2, null], seed: 2 });
    const x = ones();
    const before = tf.memory().numTensors;
    expect(() => layer.apply(x, { training: true })).toThrow(
      "Argument 'inputs' passed to 'Dropout.apply' must fit the layer's noiseShape [null, 2, null] " +
        "(each axis 1, null or the input's size), but got shape [3, 5, 8].",
    );
    expect(tf.memory().numTensors).toBe(before);
    const ok = new Dropout({ rate: 0.5, seed: 2 });
    const y = ok.apply(x, { training: true }) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([x, y]);
  });

  it.each([
    [
      { rate: 1 },
      "Argument 'args.rate' passed to 'Dropout' must be a finite number in [0, 1), but got 1.",
    ],
    [{ rate: -0.1 }, "Argument 'args.rate' passed to 'Dropout' must be a finite number in [0, 1)"],
    [
      { rate: 0.5, seed: 1.5 },
      "Argument 'args.seed' passed to 'Dropout' must be a safe integer, but got 1.5.",
    ],
    [
      { rate: 0.5, noiseShape: [0] },
      "Argument 'args.noiseShape' passed to 'Dropout' must be a list of positive integers or nulls",
    ],
    [null, "Argument 'args' passed to 'Dropout' must be an object"],
  ])('refuses %j', (args, message) => {
    expect(() => new Dropout(args as never)).toThrow(message);
  });
});

describe('seeds', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('maps a seed of 0 to one tfjs honours', () => {
    expect(initializerSeed(undefined)).toBeUndefined();
    expect(initializerSeed(null)).toBeUndefined();
    expect(initializerSeed(5)).toBe(5);
    const draw = (seed: number | undefined) =>
      tf.tidy(() => Array.from(tf.initializers.heNormal({ seed }).apply([4, 4]).dataSync()));
    expect(draw(0)).not.toEqual(draw(0)); // tfjs: 0 is no seed
    expect(draw(initializerSeed(0))).toEqual(draw(initializerSeed(0)));
  });

  it('hands out consecutive seeds, n at a time', () => {
    const seeds = seedSequence('build', 7);
    expect([seeds(), seeds(2), seeds(), seeds(4), seeds()]).toEqual([7, 8, 10, 11, 15]);
    expect(seedSequence('build', undefined)(3)).toBeUndefined();
    expect(() => seedSequence('build', 0.5)).toThrow(
      "Argument 'options.seed' passed to 'build' must be a safe integer, but got 0.5.",
    );
  });

  it.each([0, -1, 7])('seeds every weight of the seeded layers (seed %i)', (seed) => {
    const weights = () => {
      const input = tf.input({ shape: [4, 16] });
      let x = bidirectionalLstm({ units: 4, seed }).apply(input) as tf.SymbolicTensor;
      x = new CrossAttention({ numHeads: 2, keyDim: 2, seed }).apply([x, x]) as tf.SymbolicTensor;
      x = new SqueezeExcite({ seed, squeezeChannels: 2 }).apply(x) as tf.SymbolicTensor;
      const lstm = tf.layers.lstm({ units: 3, ...lstmInitializers(3, seed) });
      x = lstm.apply(x) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: x });
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    const first = weights();
    expect(weights()).toEqual(first);
    // Both LSTM directions differ (tfjs's bidirectional would clone the forward seeds).
    expect(first[3]).not.toEqual(first[0]);
    expect(first[4]).not.toEqual(first[1]);
  });
});
