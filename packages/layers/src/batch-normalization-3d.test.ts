import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { describeWithBackends, expectNoLeaks } from '@slr/test-utils';
import { BatchNormalization3D } from './batch-normalization-3d';

/**
 * `(x − mean) / sqrt(var + eps) · gamma + beta` with per-channel moments over every other axis,
 * in plain JavaScript (float64).
 */
async function referenceValues(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): Promise<tf.Tensor> {
  const values = await x.data();
  const [g, b] = [await gamma.data(), await beta.data()];
  const channels = x.shape[x.shape.length - 1];
  const count = values.length / channels;
  const out = new Float32Array(values.length);
  for (let c = 0; c < channels; c++) {
    let mean = 0;
    for (let n = 0; n < count; n++) mean += values[n * channels + c] / count;
    let variance = 0;
    for (let n = 0; n < count; n++) variance += (values[n * channels + c] - mean) ** 2 / count;
    for (let n = 0; n < count; n++) {
      out[n * channels + c] =
        ((values[n * channels + c] - mean) / Math.sqrt(variance + epsilon)) * g[c] + b[c];
    }
  }
  return tf.tensor(out, x.shape);
}

/** The same formula in tf ops on the `[N, C]` view, differentiable: the gradient reference. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const flat = tf.reshape(x, [-1, x.shape[x.shape.length - 1]]);
  const { mean, variance } = tf.moments(flat, 0);
  return tf.add(
    tf.mul(tf.div(tf.sub(flat, mean), tf.sqrt(tf.add(variance, epsilon))), gamma),
    beta,
  );
}

/** Per-channel mean and variance over every axis but the last. */
function channelMoments(x: tf.Tensor): { mean: tf.Tensor; variance: tf.Tensor } {
  return tf.moments(tf.reshape(x, [-1, x.shape[x.shape.length - 1]]), 0);
}

async function expectClose(
  actual: tf.Tensor,
  expected: tf.Tensor,
  tolerance = 1e-4,
): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  const [a, e] = [await actual.data(), await expected.data()];
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - e[i]) / (1 + Math.abs(e[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

/** A built layer whose gamma, beta, moving mean and moving variance are random. */
function randomLayer(
  channels: number,
  rank: number,
  epsilon = 1e-3,
  momentum = 0.99,
): BatchNormalization3D {
  const layer = new BatchNormalization3D({ epsilon, momentum });
  layer.build([null, ...Array<number>(rank - 2).fill(3), channels]);
  layer.setWeights([
    tf.randomUniform([channels], 0.5, 2, 'float32', 1),
    tf.randomNormal([channels], 0, 1, 'float32', 2),
    tf.randomNormal([channels], 0, 1, 'float32', 3),
    tf.randomUniform([channels], 0.5, 2, 'float32', 4),
  ]);
  return layer;
}

describeWithBackends('BatchNormalization3D', () => {
  it('normalises a rank-5 batch with its per-channel statistics over B, T, H, W in training', async () => {
    const x = tf.add(tf.mul(tf.randomNormal([2, 3, 4, 5, 6], 0, 1, 'float32', 5), 3), 1.5);
    const layer = randomLayer(6, 5, 1e-3);
    const [gamma, beta] = layer.getWeights();
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    await expectClose(y, await referenceValues(x, gamma, beta, 1e-3));
    // The output is normalised: per-channel mean beta and standard deviation ≈ |gamma|.
    const normalised = tf.div(tf.sub(tf.reshape(y, [-1, 6]), beta), gamma);
    const { mean, variance } = tf.moments(normalised, 0);
    await expectClose(mean, tf.zeros([6]), 1e-4);
    await expectClose(variance, tf.onesLike(variance), 1e-3);
  });

  it('updates the moving statistics like Keras: moving ← momentum·moving + (1 − momentum)·batch', async () => {
    const x = tf.randomNormal([2, 3, 4, 4, 5], 2, 3, 'float32', 6);
    const layer = randomLayer(5, 5, 1e-3, 0.9);
    const [, , movingMean, movingVariance] = layer.getWeights().map((w) => w.clone());
    const { mean, variance } = channelMoments(x);
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    const [, , newMean, newVariance] = layer.getWeights();
    await expectClose(newMean, tf.add(tf.mul(movingMean, 0.9), tf.mul(mean, 0.1)), 1e-5);
    await expectClose(
      newVariance,
      tf.add(tf.mul(movingVariance, 0.9), tf.mul(variance, 0.1)),
      1e-5,
    );
  });

  it('uses the moving statistics in inference and leaves them unchanged', async () => {
    const x = tf.randomNormal([1, 2, 3, 3, 4], 0, 2, 'float32', 7);
    const layer = randomLayer(4, 5, 1e-2);
    const [gamma, beta, movingMean, movingVariance] = layer.getWeights().map((w) => w.clone());
    const y = layer.apply(x, { training: false }) as tf.Tensor;
    const flat = tf.reshape(x, [-1, 4]);
    const expected = tf.add(
      tf.mul(tf.div(tf.sub(flat, movingMean), tf.sqrt(tf.add(movingVariance, 1e-2))), gamma),
      beta,
    );
    await expectClose(y, tf.reshape(expected, x.shape));
    await expectClose(layer.getWeights()[2], movingMean, 0);
    await expectClose(layer.getWeights()[3], movingVariance, 0);
  });

  it('is tf.layers.batchNormalization at rank 4, and at rank 5 with T folded into H', async () => {
    const channels = 3;
    const x4 = tf.randomNormal([2, 5, 4, channels], 1, 2, 'float32', 8);
    const x5 = tf.randomNormal([2, 3, 4, 5, channels], 1, 2, 'float32', 9);
    for (const training of [true, false]) {
      const ours = randomLayer(channels, 4);
      const theirs = tf.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3 });
      theirs.build([null, 5, 4, channels]);
      theirs.setWeights(ours.getWeights());
      await expectClose(
        ours.apply(x4, { training }) as tf.Tensor,
        theirs.apply(x4, { training }) as tf.Tensor,
      );
      for (let i = 0; i < 4; i++)
        await expectClose(ours.getWeights()[i], theirs.getWeights()[i], 1e-6);

      const ours5 = randomLayer(channels, 5);
      const folded = tf.layers.batchNormalization({ axis: -1 });
      folded.build([null, 12, 5, channels]);
      folded.setWeights(ours5.getWeights());
      const viaFold = tf.reshape(
        folded.apply(tf.reshape(x5, [2, 12, 5, channels]), { training }) as tf.Tensor,
        x5.shape,
      );
      await expectClose(ours5.apply(x5, { training }) as tf.Tensor, viaFold);
      for (let i = 0; i < 4; i++)
        await expectClose(ours5.getWeights()[i], folded.getWeights()[i], 1e-6);
    }
  });

  it('passes gradients to the input, gamma and beta as the reference computation does', async () => {
    const x = tf.randomNormal([2, 2, 3, 3, 4], 0.5, 2, 'float32', 10);
    const upstream = tf.randomNormal([2, 2, 3, 3, 4], 0, 1, 'float32', 11);
    const layer = randomLayer(4, 5);
    const [gamma0, beta0] = layer.getWeights();
    const { grads } = tf.variableGrads(
      () => tf.sum<tf.Scalar>(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, upstream)),
      layer.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    const dx = tf.grad((input: tf.Tensor) =>
      tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, upstream)),
    )(x);
    const [rdx, rgamma, rbeta] = tf.grads((input: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) =>
      tf.sum(tf.mul(reference(input, gamma, beta, 1e-3), tf.reshape(upstream, [-1, 4]))),
    )([x, gamma0, beta0]);
    const names = layer.trainableWeights.map((w) => (w.read() as tf.Variable).name);
    await expectClose(grads[names[0]], rgamma, 1e-4);
    await expectClose(grads[names[1]], rbeta, 1e-4);
    await expectClose(dx, tf.reshape(rdx, x.shape), 1e-4);
    expect((await tf.abs(dx).max().data())[0]).toBeGreaterThan(0);
  });

  it('works in training and inference without leaking tensors', () => {
    const layer = randomLayer(3, 5);
    const x = tf.randomNormal([1, 2, 2, 2, 3]);
    for (const training of [true, false]) {
      const y = expectNoLeaks(() => layer.apply(x, { training }) as tf.Tensor, 1);
      y.dispose();
    }
  });

  it('survives a save/load round trip with its moving statistics', async () => {
    const model = tf.sequential({
      layers: [
        new BatchNormalization3D({
          batchInputShape: [null, 2, 3, 3, 4],
          momentum: 0.5,
          epsilon: 1e-2,
        }),
      ],
    });
    tf.dispose(
      model.apply(tf.randomNormal([2, 2, 3, 3, 4], 3, 2), { training: true }) as tf.Tensor,
    );
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
    const layer = loaded.layers[0] as BatchNormalization3D;
    expect(layer).toBeInstanceOf(BatchNormalization3D);
    expect([layer.momentum, layer.epsilon]).toEqual([0.5, 1e-2]);
    const x = tf.randomNormal([1, 2, 3, 3, 4]);
    await expectClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6);
  });

  it('rejects an input without a known channel dimension', () => {
    expect(() =>
      new BatchNormalization3D().apply(tf.input({ batchShape: [null, 2, 3, 3, null] })),
    ).toThrow(
      "Argument 'inputs' passed to 'BatchNormalization3D.apply' must have a known channel (last) " +
        'dimension, but got shape [null, 2, 3, 3, null].',
    );
  });
});
