import * as tf from '@tensorflow/tfjs';
import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { HardSigmoid, HardSwish, hardSigmoid, hardSwish } from './hard-swish';

/** PyTorch's piecewise definitions of nn.Hardsigmoid and nn.Hardswish. */
const refHardSigmoid = (x: number) => (x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5);
const refHardSwish = (x: number) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6);
/** PyTorch's hardswish_backward: 0 below −3, 1 above 3, (2x + 3) / 6 between. */
const refHardSwishGrad = (x: number) => (x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6);

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

describe('hardSwish / hardSigmoid', () => {
  test.prop([
    fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 20 }),
  ])('equal PyTorch’s piecewise definitions', (values) => {
    const x = tf.tensor1d(values);
    const swish = hardSwish(x).dataSync();
    const sigmoid = hardSigmoid(x).dataSync();
    values.forEach((v, i) => {
      expect(swish[i]).toBeCloseTo(refHardSwish(v), 4);
      expect(sigmoid[i]).toBeCloseTo(refHardSigmoid(v), 5);
    });
    tf.dispose(x);
  });

  it('differs from tfjs’s built-in hardSigmoid activation (slope 0.2)', () => {
    const x = tf.tensor1d([1]);
    const layer = tf.layers.activation({ activation: 'hardSigmoid' });
    expect((layer.apply(x) as tf.Tensor).dataSync()[0]).toBeCloseTo(0.7, 5);
    expect(hardSigmoid(x).dataSync()[0]).toBeCloseTo(4 / 6, 5);
  });

  it('has PyTorch’s gradient', () => {
    const points = [-5, -2.5, -1, 0, 0.5, 2.9, 4];
    const grad = tf
      .grad((x: tf.Tensor) => tf.sum(hardSwish(x)))(tf.tensor1d(points))
      .dataSync();
    points.forEach((p, i) => expect(grad[i]).toBeCloseTo(refHardSwishGrad(p), 5));
  });

  it('is tidy-clean', () => {
    const x = tf.tensor1d([-4, 0, 4]);
    const y = expectNoLeaks(() => hardSwish(x), 1);
    const z = expectNoLeaks(() => hardSigmoid(x), 1);
    tf.dispose([x, y, z]);
  });
});

describe('HardSwish and HardSigmoid layers', () => {
  it('compute the functions, keep the shape and have no weights', () => {
    const x = tf.tensor2d([[-4, -1, 0, 1, 4]]);
    for (const [Layer, ref] of [
      [HardSwish, refHardSwish],
      [HardSigmoid, refHardSigmoid],
    ] as const) {
      const layer = new Layer();
      const y = expectNoLeaks(() => layer.apply(x) as tf.Tensor, 1);
      expect(y.shape).toEqual([1, 5]);
      Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref(x.dataSync()[i]), 5));
      expect(layer.countParams()).toBe(0);
      expect(layer.computeOutputShape([null, 7, 3])).toEqual([null, 7, 3]);
      y.dispose();
    }
    x.dispose();
  });

  it('are registered under their class names and keep their base config', () => {
    expect(HardSwish.className).toBe('SlrHardSwish');
    expect(HardSigmoid.className).toBe('SlrHardSigmoid');
    const config = new HardSwish({ name: 'hs', trainable: false }).getConfig();
    expect(config.name).toBe('hs');
    expect(config.trainable).toBe(false);
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map.SlrHardSwish[0]).toBe(HardSwish);
    expect(map.SlrHardSigmoid[0]).toBe(HardSigmoid);
  });

  it('round-trip through save and load inside a model', async () => {
    const input = tf.input({ shape: [4] });
    const dense = tf.layers
      .dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })
      .apply(input);
    const swished = new HardSwish({ name: 'swish' }).apply(dense) as tf.SymbolicTensor;
    const gated = new HardSigmoid({ name: 'gate' }).apply(swished) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: gated });
    const loaded = await saveAndLoad(model);
    expect(loaded.getLayer('swish')).toBeInstanceOf(HardSwish);
    expect(loaded.getLayer('gate')).toBeInstanceOf(HardSigmoid);
    const x = tf.randomNormal([5, 4], 0, 3, 'float32', 2);
    const expected = model.predict(x) as tf.Tensor;
    const actual = loaded.predict(x) as tf.Tensor;
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, expected, actual]);
    model.dispose();
    loaded.dispose();
  });

  it('refuses a null config in the one error format', () => {
    expect(() => new HardSwish(null as never)).toThrow(
      "Argument 'config' passed to 'HardSwish' must be an object or undefined, but got null.",
    );
    expect(() => new HardSigmoid(null as never)).toThrow(
      "Argument 'config' passed to 'HardSigmoid' must be an object or undefined, but got null.",
    );
  });
});
