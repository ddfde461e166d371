import * as tf from '@tensorflow/tfjs';
import { describeValue } from '@slr/core';
import { expect, it } from 'vitest';
import { describeWithBackends, expectNoLeaks } from '@slr/test-utils';
import { CrossAttention } from './cross-attention';

function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}

async function expectClose(
  actual: tf.Tensor,
  expected: tf.Tensor,
  tolerance = 1e-4,
): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  expect(maxRelativeError(await actual.data(), await expected.data())).toBeLessThanOrEqual(
    tolerance,
  );
}

/**
 * Multi-head attention written head-wise with einsum, from the layer's weights:
 * `softmax(Q_h K_hᵀ/√d) V_h` per head, concatenated, projected, plus the query when residual.
 */
function reference(
  layer: CrossAttention,
  query: tf.Tensor,
  keyValue: tf.Tensor,
  keyMask?: tf.Tensor,
): tf.Tensor {
  const [wq, wk, wv, wo, bq, bk, bv, bo] = layer.getWeights();
  const { numHeads: h, keyDim: dk, valueDim: dv } = layer;
  const perHead = (x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, d: number): tf.Tensor[] =>
    Array.from({ length: h }, (_, head) =>
      tf.add(
        tf.einsum('btd,dk->btk', x, tf.slice(kernel, [0, head * d], [-1, d])),
        tf.slice(bias, [head * d], [d]),
      ),
    );
  const qs = perHead(query, wq, bq, dk);
  const ks = perHead(keyValue, wk, bk, dk);
  const vs = perHead(keyValue, wv, bv, dv);
  const contexts = qs.map((q, head) => {
    let scores = tf.div(tf.einsum('btk,bsk->bts', q, ks[head]), Math.sqrt(dk));
    if (keyMask != null)
      scores = tf.where(
        tf.expandDims(tf.cast(keyMask, 'bool'), 1),
        scores,
        tf.fill(scores.shape, -Infinity),
      );
    return tf.einsum('bts,bsv->btv', tf.softmax(scores), vs[head]);
  });
  const out = tf.add(tf.einsum('btv,vo->bto', tf.concat(contexts, 2), wo), bo);
  return layer.residual ? tf.add(out, query) : out;
}

/** Replaces every weight with random values (biases included, so that they are tested too). */
function randomiseWeights(layer: CrossAttention, seed: number): void {
  layer.setWeights(
    layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + i)),
  );
}

describeWithBackends('CrossAttention', () => {
  it('maps [B, T, Dq] queries and [B, Tk, Dk] keys/values to [B, T, Dout], symbolically and eagerly', () => {
    const query = tf.input({ shape: [null, 12] });
    const keyValue = tf.input({ shape: [null, 5] });
    const residual = new CrossAttention({ numHeads: 3, keyDim: 4 }).apply([
      query,
      keyValue,
    ]) as tf.SymbolicTensor;
    const projected = new CrossAttention({
      numHeads: 2,
      keyDim: 3,
      valueDim: 7,
      outputDim: 9,
      residual: false,
    }).apply([query, keyValue]) as tf.SymbolicTensor;
    expect(residual.shape).toEqual([null, null, 12]);
    expect(projected.shape).toEqual([null, null, 9]);
    const model = tf.model({ inputs: [query, keyValue], outputs: [residual, projected] });
    const [a, b] = model.predict([
      tf.randomNormal([2, 6, 12]),
      tf.randomNormal([2, 4, 5]),
    ]) as tf.Tensor[];
    expect(a.shape).toEqual([2, 6, 12]);
    expect(b.shape).toEqual([2, 6, 9]);
    expect(model.countParams()).toBe(
      12 * 12 +
        12 +
        5 * 12 * 2 +
        24 +
        12 * 12 +
        12 +
        (12 * 6 + 6) +
        (5 * 6 + 6) +
        (5 * 14 + 14) +
        (14 * 9 + 9),
    );
  });

  it('equals a head-wise einsum reference, with and without residual and key mask', async () => {
    const query = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 1);
    const keyValue = tf.randomNormal([2, 3, 6], 0, 1, 'float32', 2);
    const keyMask = tf.tensor2d([
      [1, 1, 1],
      [1, 0, 1],
    ]);
    for (const args of [
      { numHeads: 2, keyDim: 4 },
      { numHeads: 3, keyDim: 2, valueDim: 5, outputDim: 7, residual: false },
    ]) {
      const layer = new CrossAttention(args);
      layer.apply([query, keyValue]);
      randomiseWeights(layer, 10);
      await expectClose(
        layer.apply([query, keyValue]) as tf.Tensor,
        reference(layer, query, keyValue),
      );
      await expectClose(
        layer.apply([query, keyValue, keyMask]) as tf.Tensor,
        reference(layer, query, keyValue, keyMask),
      );
    }
  });

  it('never reads masked keys', async () => {
    const layer = new CrossAttention({ numHeads: 2, keyDim: 3 });
    const query = tf.randomNormal([2, 4, 6]);
    const keyValue = tf.randomNormal([2, 5, 6]);
    const keyMask = tf.tensor2d([
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ]);
    // Overwrite the masked keys/values with junk: the output must not change.
    const masked = tf.expandDims(tf.equal(keyMask, 0), 2);
    const changed = tf.where(
      tf.broadcastTo(masked, keyValue.shape),
      tf.fill(keyValue.shape, 1e3),
      keyValue,
    );
    const a = layer.apply([query, keyValue, keyMask]) as tf.Tensor;
    const b = layer.apply([query, changed, keyMask]) as tf.Tensor;
    await expectClose(b, a, 1e-6);
  });

  it('applies dropout to the attention weights in training only', async () => {
    const layer = new CrossAttention({ numHeads: 2, keyDim: 4, dropout: 0.5 });
    const query = tf.randomNormal([2, 6, 8]);
    const keyValue = tf.randomNormal([2, 7, 8]);
    const inference = [0, 1].map(
      () => layer.apply([query, keyValue], { training: false }) as tf.Tensor,
    );
    await expectClose(inference[1], inference[0], 0);
    await expectClose(inference[0], reference(layer, query, keyValue));
    const training = layer.apply([query, keyValue], { training: true }) as tf.Tensor;
    expect(maxRelativeError(await training.data(), await inference[0].data())).toBeGreaterThan(
      1e-3,
    );
  });

  it('passes non-zero gradients to every weight and both inputs, without leaking tensors', async () => {
    const layer = new CrossAttention({ numHeads: 2, keyDim: 3, dropout: 0.1 });
    const query = tf.randomNormal([2, 4, 6]);
    const keyValue = tf.randomNormal([2, 3, 5]);
    const upstream = tf.randomNormal([2, 4, 6]);
    const f = (q: tf.Tensor, kv: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(layer.apply([q, kv], { training: true }) as tf.Tensor, upstream));
    tf.dispose(layer.apply([query, keyValue]) as tf.Tensor); // builds the weights
    expectNoLeaks(
      () => layer.apply([query, keyValue], { training: true }) as tf.Tensor,
      1,
    ).dispose();
    randomiseWeights(layer, 20);
    const { grads } = tf.variableGrads(
      () => f(query, keyValue),
      layer.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    expect(Object.keys(grads)).toHaveLength(8);
    const inputGrads = tf.grads(f)([query, keyValue]);
    for (const gradient of [...Object.values(grads), ...inputGrads]) {
      const values = await gradient.data();
      expect(values.every(Number.isFinite)).toBe(true);
      expect(Math.max(...Array.from(values, Math.abs))).toBeGreaterThan(0);
    }
  });

  it('survives a save/load round trip of a model', async () => {
    const query = tf.input({ shape: [null, 8] });
    const keyValue = tf.input({ shape: [null, 4] });
    const layer = new CrossAttention({
      numHeads: 2,
      keyDim: 3,
      valueDim: 2,
      outputDim: 5,
      residual: false,
      dropout: 0.2,
    });
    const model = tf.model({
      inputs: [query, keyValue],
      outputs: layer.apply([query, keyValue]) as tf.SymbolicTensor,
    });
    randomiseWeights(layer, 30);
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
    const restored = loaded.layers.find((l) => l instanceof CrossAttention) as CrossAttention;
    expect(restored.getConfig()).toMatchObject({
      numHeads: 2,
      keyDim: 3,
      valueDim: 2,
      outputDim: 5,
      residual: false,
      dropout: 0.2,
      useBias: true,
    });
    const inputs = [tf.randomNormal([3, 4, 8]), tf.randomNormal([3, 6, 4])];
    await expectClose(loaded.predict(inputs) as tf.Tensor, model.predict(inputs) as tf.Tensor, 0);
  });

  it('rejects bad configurations and inputs', () => {
    for (const args of [undefined, null, [], 'heads']) {
      expect(() => new CrossAttention(args as never)).toThrow(
        `Argument 'args' passed to 'CrossAttention' must be an object, but got ${describeValue(args)}.`,
      );
    }
    expect(() => new CrossAttention({ numHeads: 0, keyDim: 2 })).toThrow(
      "Argument 'args.numHeads' passed to 'CrossAttention' must be an integer >= 1, but got 0.",
    );
    expect(() => new CrossAttention({ numHeads: 1, keyDim: 2, dropout: 1 })).toThrow(
      "Argument 'args.dropout' passed to 'CrossAttention' must be a finite number in [0, 1), but got 1.",
    );
    expect(() =>
      new CrossAttention({ numHeads: 1, keyDim: 2, outputDim: 3 }).apply([
        tf.input({ shape: [2, 4] }),
        tf.input({ shape: [2, 4] }),
      ]),
    ).toThrow(
      "Argument 'args.outputDim' passed to 'CrossAttention' must equal the query size (4) when " +
        'args.residual is true, but got 3.',
    );
    expect(() =>
      new CrossAttention({ numHeads: 1, keyDim: 2 }).apply(tf.input({ shape: [2, 4] })),
    ).toThrow(
      "Argument 'inputs' passed to 'CrossAttention.apply' must be [query, keyValue] or [query, " +
        'keyValue, keyMask], but got one input of shape [null, 2, 4].',
    );
  });
});
