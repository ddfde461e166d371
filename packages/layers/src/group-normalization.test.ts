import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { describeWithBackends, expectNoLeaks } from '@slr/test-utils';
import { GroupNormalization } from './group-normalization';

/**
 * Group normalisation in plain JavaScript (float64): for each sample and group, mean and
 * variance over every position and every channel of the group.
 */
function referenceValues(
  x: Float32Array,
  shape: number[],
  groups: number,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
): Float32Array {
  const batch = shape[0];
  const channels = shape[shape.length - 1];
  const positions = x.length / batch / channels;
  const perGroup = channels / groups;
  const out = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < groups; g++) {
      const indices: number[] = [];
      for (let p = 0; p < positions; p++) {
        for (let c = g * perGroup; c < (g + 1) * perGroup; c++)
          indices.push((b * positions + p) * channels + c);
      }
      const mean = indices.reduce((sum, i) => sum + x[i], 0) / indices.length;
      const variance = indices.reduce((sum, i) => sum + (x[i] - mean) ** 2, 0) / indices.length;
      for (const i of indices) {
        const c = i % channels;
        out[i] = ((x[i] - mean) / Math.sqrt(variance + epsilon)) * gamma[c] + beta[c];
      }
    }
  }
  return out;
}

function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}

const shapes = fc
  .record({
    rank: fc.integer({ min: 3, max: 5 }),
    batch: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 1, max: 4 }),
    perGroup: fc.integer({ min: 1, max: 3 }),
    sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ rank, batch, groups, perGroup, sizes, seed }) => ({
    shape: [batch, ...sizes.slice(0, rank - 2), groups * perGroup],
    groups,
    seed,
  }));

describeWithBackends('GroupNormalization', () => {
  test.prop([shapes], { numRuns: 15 })(
    'equals the reference computation for ranks 3 to 5',
    async ({ shape, groups, seed }) => {
      const channels = shape[shape.length - 1];
      const layer = new GroupNormalization({ groups, epsilon: 1e-3 });
      layer.build([null, ...shape.slice(1)]);
      const gamma = tf.randomUniform([channels], 0.5, 2, 'float32', seed);
      const beta = tf.randomNormal([channels], 0, 1, 'float32', seed + 1);
      layer.setWeights([gamma, beta]);
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed + 2), 3), 2);
      const y = layer.apply(x) as tf.Tensor;
      expect(y.shape).toEqual(shape);
      const expected = referenceValues(
        (await x.data()) as Float32Array,
        shape,
        groups,
        (await gamma.data()) as Float32Array,
        (await beta.data()) as Float32Array,
        1e-3,
      );
      expect(maxRelativeError(await y.data(), expected)).toBeLessThan(1e-4);
      tf.dispose([x, y, gamma, beta]);
    },
  );

  it('normalises each sample on its own: the same in training and inference, whatever the batch', async () => {
    const layer = new GroupNormalization({ groups: 2 });
    const x = tf.randomNormal([3, 2, 3, 3, 4], 1, 2, 'float32', 3);
    const all = layer.apply(x, { training: true }) as tf.Tensor;
    const inference = layer.apply(x, { training: false }) as tf.Tensor;
    const second = layer.apply(tf.slice(x, [1], [1]), { training: true }) as tf.Tensor;
    expect(maxRelativeError(await inference.data(), await all.data())).toBe(0);
    expect(
      maxRelativeError(await second.data(), await tf.slice(all, [1], [1]).data()),
    ).toBeLessThan(1e-5);
  });

  it('passes non-zero gradients to the input, gamma and beta', async () => {
    const layer = new GroupNormalization({ groups: 2 });
    const x = tf.randomNormal([2, 3, 2, 2, 4], 0, 1, 'float32', 4);
    const upstream = tf.randomNormal([2, 3, 2, 2, 4], 0, 1, 'float32', 5);
    const f = (input: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(layer.apply(input) as tf.Tensor, upstream));
    tf.dispose(f(x));
    const dx = tf.grad(f)(x);
    const { grads } = tf.variableGrads(
      () => f(x),
      layer.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    for (const gradient of [dx, ...Object.values(grads)]) {
      const values = await gradient.data();
      expect(values.every(Number.isFinite)).toBe(true);
      expect(Math.max(...Array.from(values, Math.abs))).toBeGreaterThan(0);
    }
    expect(Object.keys(grads)).toHaveLength(2);
    // Normalised groups are invariant to shifting their input, so the gradient of each group sums to 0.
    const groupSums = await tf.sum(tf.reshape(dx, [2, -1, 2, 2]), [1, 3]).data();
    for (const value of groupSums) expect(Math.abs(value)).toBeLessThan(1e-4);
  });

  it('does not leak tensors', () => {
    const layer = new GroupNormalization({ groups: 1 });
    const x = tf.randomNormal([1, 4, 3]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    expectNoLeaks(() => layer.apply(x) as tf.Tensor, 1).dispose();
  });

  it('survives a save/load round trip', async () => {
    const model = tf.sequential({
      layers: [new GroupNormalization({ batchInputShape: [null, 4, 6], groups: 3, epsilon: 1e-5 })],
    });
    model.setWeights([tf.randomNormal([6]), tf.randomNormal([6])]);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((a) => {
        artifacts = a;
        return Promise.resolve({
          modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
        });
      }),
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const layer = loaded.layers[0] as GroupNormalization;
    expect(layer).toBeInstanceOf(GroupNormalization);
    expect([layer.groups, layer.epsilon]).toEqual([3, 1e-5]);
    const x = tf.randomNormal([2, 4, 6]);
    expect(
      maxRelativeError(
        await (loaded.predict(x) as tf.Tensor).data(),
        await (model.predict(x) as tf.Tensor).data(),
      ),
    ).toBe(0);
  });

  it('rejects a channel count that the groups do not divide', () => {
    expect(() => new GroupNormalization({ groups: 4 }).apply(tf.input({ shape: [3, 6] }))).toThrow(
      "Argument 'inputs' passed to 'GroupNormalization.apply' must have a channel count " +
        'divisible by groups (4), but got 6 channels.',
    );
    expect(() => new GroupNormalization({ groups: 0 })).toThrow(
      "Argument 'args.groups' passed to 'GroupNormalization' must be an integer >= 1, but got 0.",
    );
  });
});
