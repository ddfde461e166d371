import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describeWithBackends, expectNoLeaks, readTensors } from '@slr/test-utils';
import { describe, expect, it } from 'vitest';
import { lstmInitializers } from './recurrent';
import './tfjs-fixes';

describe('tfjs fixes', () => {
  it('differentiates tf.unstack along an axis of length 1', () => {
    const grad = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.mul(tf.unstack(x, 1)[0], 3)))(tf.ones([2, 1, 4]))
        .arraySync(),
    );
    expect(grad).toEqual([[[3, 3, 3, 3]], [[3, 3, 3, 3]]]);
  });

  it('trains a bidirectional LSTM over a single time step', () => {
    const lstm = tf.layers.bidirectional({
      layer: tf.layers.lstm({
        units: 4,
        returnSequences: true,
        ...lstmInitializers(4, 3),
      }),
      mergeMode: 'concat',
    });
    // A trainable input puts the LSTM's unstack of time on the gradient path, as in a model.
    const input = tf.variable(tf.randomNormal([2, 1, 3], 0, 1, 'float32', 1));
    tf.dispose(lstm.apply(input) as tf.Tensor); // builds the weights
    const { value, grads } = tf.variableGrads(
      () => tf.sum<tf.Scalar>(lstm.apply(input) as tf.Tensor),
      [input, ...lstm.trainableWeights.map((weight) => weight.read() as tf.Variable)],
    );
    expect(Object.keys(grads).length).toBe(7);
    for (const grad of Object.values(grads)) expect(grad.isFinite().all().dataSync()[0]).toBe(1);
    tf.dispose([value, input, ...Object.values(grads)]);
  });
});

/** One case of test-fixtures/avg-pool-grad.json (`/usr/bin/python3 scripts/generate-avg-pool-golden.py`). */
interface PoolCase {
  name: string;
  op: 'averagePooling1d' | 'avgPool' | 'avgPool3d';
  xShape: number[];
  filterSize: number[];
  strides: number[];
  pad: 'same' | 'valid' | number;
  dimRoundingMode: 'floor' | 'round' | 'ceil' | null;
  x: number[];
  dy: number[];
  yShape: number[];
  y: number[];
  dx: number[];
}

const golden = JSON.parse(
  readFileSync(new URL('../test-fixtures/avg-pool-grad.json', import.meta.url), 'utf8'),
) as { cases: PoolCase[] };

/** The case's pooling, through the public op or layer it names. */
function pool(c: PoolCase, x: tf.Tensor): tf.Tensor {
  const rounding = c.dimRoundingMode ?? undefined;
  if (c.op === 'averagePooling1d') {
    const layer = tf.layers.averagePooling1d({
      poolSize: c.filterSize[0],
      strides: c.strides[0],
      padding: c.pad as 'same' | 'valid',
    });
    return layer.apply(x) as tf.Tensor;
  }
  if (c.op === 'avgPool') {
    const [fh, fw] = c.filterSize as [number, number];
    const [sh, sw] = c.strides as [number, number];
    return tf.avgPool(x as tf.Tensor4D, [fh, fw], [sh, sw], c.pad, rounding);
  }
  const [fd, fh, fw] = c.filterSize as [number, number, number];
  const [sd, sh, sw] = c.strides as [number, number, number];
  return tf.avgPool3d(x as tf.Tensor5D, [fd, fh, fw], [sd, sh, sw], c.pad, rounding);
}

function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

describeWithBackends('average pooling gradient', () => {
  // tfjs 4.22's AvgPoolGrad kernels divide every window by its full size, while the forward
  // pass divides by the elements the window covers: wrong wherever a window overlaps padding.
  for (const c of golden.cases) {
    it(`matches PyTorch (count_include_pad=False) on ${c.name}`, async () => {
      const x = tf.tensor(c.x, c.xShape);
      const dy = tf.tensor(c.dy, c.yShape);
      const { y, dx } = tf.tidy(() => ({
        y: pool(c, x),
        dx: tf.grad((input: tf.Tensor) => tf.sum(tf.mul(pool(c, input), dy)))(x),
      }));
      const [yValues, dxValues] = await Promise.all([y.data(), dx.data()]);
      tf.dispose([x, dy, y, dx]);
      expect(maxAbsDifference(yValues, c.y)).toBeLessThan(1e-5);
      expect(maxAbsDifference(dxValues, c.dx)).toBeLessThan(1e-5);
    });
  }

  it('agrees with central differences on the I3D pose pooling (T = 13, stride 4)', async () => {
    const x = tf.randomNormal([1, 13, 2], 0, 1, 'float32', 7);
    const weights = tf.randomNormal([1, 4, 2], 0, 1, 'float32', 8);
    const layer = tf.layers.averagePooling1d({ poolSize: 4, strides: 4, padding: 'same' });
    const f = (input: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(layer.apply(input) as tf.Tensor, weights));
    const grad = ((await readTensors(() => tf.grad(f)(x))) as number[][][]).flat(2);
    const values = await x.data();
    const eps = 0.05; // the function is linear: central differences are exact up to rounding
    const differences: number[] = [];
    for (let i = 0; i < values.length; i++) {
      const step = new Float32Array(values.length);
      step[i] = eps;
      const slope = await readTensors(() =>
        tf.div(
          tf.sub(f(tf.add(x, tf.tensor(step, x.shape))), f(tf.sub(x, tf.tensor(step, x.shape)))),
          2 * eps,
        ),
      );
      differences.push(slope as number);
    }
    tf.dispose([x, weights]);
    expect(maxAbsDifference(grad, differences)).toBeLessThan(1e-3);
  });

  it('keeps tfjs gradient, bit for bit, where no window overlaps padding', async () => {
    const x = tf.randomNormal([2, 9, 7, 3], 0, 1, 'float32', 9);
    const dy = tf.randomNormal([2, 4, 3, 3], 0, 1, 'float32', 10);
    const { ours, tfjs } = await readTensors(() => ({
      ours: tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(tf.avgPool(input as tf.Tensor4D, 3, 2, 'valid'), dy)),
      )(x),
      tfjs: tf.engine().runKernel<tf.Tensor>(
        tf.AvgPoolGrad,
        { dy, input: x },
        {
          filterSize: 3,
          strides: 2,
          pad: 'valid',
        },
      ),
    }));
    tf.dispose([x, dy]);
    expect(ours).toEqual(tfjs);
  });

  it('leaves no tensors behind', () => {
    const x = tf.ones([1, 5, 4, 3, 2]);
    const grads = expectNoLeaks(
      () => [
        tf.grad((v: tf.Tensor) => tf.sum(tf.avgPool3d(v as tf.Tensor5D, 2, 2, 'same')))(x),
        tf.grad((v: tf.Tensor) =>
          tf.sum(tf.avgPool(v.reshape<tf.Tensor4D>([5, 4, 3, 2]), 3, 2, 'same')),
        )(x),
      ],
      2,
    );
    tf.dispose([x, ...grads]);
  });
});
