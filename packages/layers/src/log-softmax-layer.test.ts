import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { describeWithBackends, expectNoLeaks, readTensors } from '@slr/test-utils';
import { LogSoftmax } from './log-softmax-layer';

/** Largest |a − b| over two equally shaped nested arrays. */
function maxAbsDiff(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b))
    return Math.max(0, ...a.map((x, i) => maxAbsDiff(x, b[i])));
  return Math.abs((a as number) - (b as number));
}

/** Rows of a nested array along its last axis. */
function lastAxisRows(values: unknown): number[][] {
  if (!Array.isArray(values)) return [];
  return typeof values[0] === 'number' ? [values as number[]] : values.flatMap(lastAxisRows);
}

/** log Σ exp, in float64, shifted by the maximum. */
function logSumExp(row: number[]): number {
  const max = Math.max(...row);
  return max + Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0));
}

/** A `[B, T, V]` batch: shape and values drawn together, values with spread up to ±60. */
const logitsArbitrary = fc
  .record({
    b: fc.integer({ min: 1, max: 3 }),
    t: fc.integer({ min: 1, max: 5 }),
    v: fc.integer({ min: 1, max: 9 }),
    scale: fc.constantFrom(0.1, 1, 10, 60),
  })
  .chain(({ b, t, v, scale }) =>
    fc
      .array(fc.float({ min: -1, max: 1, noNaN: true, noDefaultInfinity: true }), {
        minLength: b * t * v,
        maxLength: b * t * v,
      })
      .map((values) => ({
        shape: [b, t, v] as [number, number, number],
        values: values.map((x) => x * scale),
      })),
  );

describeWithBackends('LogSoftmax layer', (backend) => {
  test.prop([logitsArbitrary], { numRuns: backend === 'webgpu' ? 10 : 40 })(
    'emits log-probabilities: every value ≤ 0, logsumexp over the last axis ≈ 0',
    async ({ shape, values }) => {
      const layer = new LogSoftmax();
      const out = (await readTensors(
        () => layer.apply(tf.tensor3d(values, shape)) as tf.Tensor,
      )) as number[][][];
      for (const row of lastAxisRows(out)) {
        for (const value of row) expect(value).toBeLessThanOrEqual(0);
        expect(Math.abs(logSumExp(row))).toBeLessThan(1e-5);
      }
    },
  );

  it('matches tf.logSoftmax, and its gradient matches tf.logSoftmax’s', async () => {
    const layer = new LogSoftmax();
    const x = tf.randomNormal([2, 4, 6], 0, 3, 'float32', 7);
    const upstream = tf.randomNormal([2, 4, 6], 0, 1, 'float32', 8);
    const { ours, reference, oursGrad, referenceGrad } = await readTensors(() => ({
      ours: layer.apply(x) as tf.Tensor,
      reference: tf.logSoftmax(x),
      oursGrad: tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(input) as tf.Tensor, upstream)),
      )(x),
      referenceGrad: tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(input), upstream)))(
        x,
      ),
    }));
    expect(maxAbsDiff(ours, reference)).toBeLessThan(1e-5);
    expect(maxAbsDiff(oursGrad, referenceGrad)).toBeLessThan(1e-5);
    tf.dispose([x, upstream]);
  });

  it('is tidy-clean: apply and a gradient leave only their results', async () => {
    const layer = new LogSoftmax();
    const x = tf.randomNormal([3, 5], 0, 1, 'float32', 9);
    const y = expectNoLeaks(() => layer.apply(x) as tf.Tensor, 1);
    const g = expectNoLeaks(
      () => tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input) as tf.Tensor))(x),
      1,
    );
    await Promise.all([y.data(), g.data()]);
    tf.dispose([x, y, g]);
  });

  it('keeps the shape, passes masks through and works as a model output', async () => {
    const layer = new LogSoftmax({ name: 'out' });
    expect(layer.computeOutputShape([null, 7, 21])).toEqual([null, 7, 21]);
    expect(layer.supportsMasking).toBe(true);
    const input = tf.input({ shape: [7, 4] });
    const dense = tf.layers.dense({ units: 21 }).apply(input) as tf.SymbolicTensor;
    const output = layer.apply(dense) as tf.SymbolicTensor;
    expect(output.shape).toEqual([null, 7, 21]);
    const model = tf.model({ inputs: input, outputs: output });
    const rows = lastAxisRows(
      await readTensors(() => model.predict(tf.ones([2, 7, 4])) as tf.Tensor),
    );
    expect(rows).toHaveLength(14);
    for (const row of rows) expect(Math.abs(logSumExp(row))).toBeLessThan(1e-5);
    model.dispose();
  });
});

describeWithBackends('LogSoftmax serialisation', () => {
  it('is registered and round-trips through getConfig / fromConfig', () => {
    const layer = new LogSoftmax({ name: 'log_probs', trainable: false, dtype: 'float32' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ name: 'log_probs', trainable: false });
    // What tfjs deserialisation looks up by class name: the class and its fromConfig.
    const [cls, fromConfig] =
      tf.serialization.SerializationMap.getMap().classNameMap[LogSoftmax.className] ?? [];
    expect(cls).toBe(LogSoftmax);
    const copy = fromConfig?.(cls, config) as LogSoftmax;
    expect(copy).toBeInstanceOf(LogSoftmax);
    expect(copy.getConfig()).toEqual(config);
  });

  it('round-trips inside a model through model.toJSON / tf.models.modelFromJSON', async () => {
    const input = tf.input({ shape: [3, 5] });
    const logits = tf.layers
      .dense({
        units: 4,
        name: 'logits',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
      })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: new LogSoftmax({ name: 'log_probs' }).apply(logits) as tf.SymbolicTensor,
    });
    const topology = model.toJSON(null, false) as tf.serialization.ConfigDict;
    expect(JSON.stringify(topology)).toContain('"class_name":"SlrLogSoftmax"');
    const restored = await tf.models.modelFromJSON({ modelTopology: topology });
    expect(restored.layers.map((l) => l.getClassName())).toEqual([
      'InputLayer',
      'Dense',
      'SlrLogSoftmax',
    ]);
    expect(restored.getLayer('log_probs')).toBeInstanceOf(LogSoftmax);
    restored.setWeights(model.getWeights());
    const x = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 4);
    const { a, b } = await readTensors(() => ({
      a: model.predict(x) as tf.Tensor,
      b: restored.predict(x) as tf.Tensor,
    }));
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose(x);
    model.dispose();
    restored.dispose();
  });
});
