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

/** A binary op, and its derivatives at one element: [∂/∂a, ∂/∂b] times `dy`. */
interface BinaryCase {
  op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  derivative: (a: number, b: number, dy: number) => [number, number];
}

/** The ops whose tfjs 4.22 gradient did not reduce over broadcast axes, fixed by tfjs-fixes. */
const FIXED: Record<string, BinaryCase> = {
  maximum: { op: tf.maximum, derivative: (a, b, dy) => [a >= b ? dy : 0, a < b ? dy : 0] },
  minimum: { op: tf.minimum, derivative: (a, b, dy) => [a <= b ? dy : 0, a > b ? dy : 0] },
  squaredDifference: {
    op: tf.squaredDifference,
    derivative: (a, b, dy) => [2 * (a - b) * dy, 2 * (b - a) * dy],
  },
  prelu: {
    op: tf.prelu,
    derivative: (x, alpha, dy) => [x > 0 ? dy : alpha * dy, x > 0 ? 0 : x * dy],
  },
};

/** Binary ops whose tfjs 4.22 gradients already reduce over broadcast axes (left as they are). */
const ALREADY_RIGHT: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  pow: tf.pow,
  floorDiv: tf.floorDiv,
  mod: tf.mod,
  atan2: tf.atan2,
};

/** [a's shape, b's shape]: every way two inputs broadcast. */
const BROADCASTS: Record<string, [number[], number[]]> = {
  'same shape': [
    [2, 3],
    [2, 3],
  ],
  'scalar b': [[2, 3], []],
  'scalar a': [[], [2, 3]],
  'b trailing ([C] against [N, H, C])': [[2, 3, 4], [4]],
  'a of lower rank': [
    [3, 4],
    [2, 3, 4],
  ],
  'b with a size-1 middle axis': [
    [2, 3, 4],
    [2, 1, 4],
  ],
  'b with a size-1 last axis': [
    [2, 3, 4],
    [2, 3, 1],
  ],
  'both sides broadcasting': [
    [2, 1, 4],
    [3, 1],
  ],
  'size 1 against size 0': [
    [1, 3],
    [0, 3],
  ],
};

function broadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    return da === 1 ? db : da;
  });
}

/** The flat index, in an input of `shape`, of the output element at `index` (broadcasting). */
function inputOffset(index: number[], shape: number[]): number {
  let offset = 0;
  for (let i = 0; i < shape.length; i++) {
    const at = index[index.length - shape.length + i];
    offset = offset * shape[i] + (shape[i] === 1 ? 0 : at);
  }
  return offset;
}

/** The gradients of sum(op(a, b) · dy), element by element in float64, summed per input element. */
function referenceGradients(
  derivative: BinaryCase['derivative'],
  a: { values: ArrayLike<number>; shape: number[] },
  b: { values: ArrayLike<number>; shape: number[] },
  dy: ArrayLike<number>,
): [number[], number[]] {
  const out = broadcastShape(a.shape, b.shape);
  const da = new Array<number>(a.values.length).fill(0);
  const db = new Array<number>(b.values.length).fill(0);
  for (let flat = 0; flat < dy.length; flat++) {
    const index: number[] = [];
    for (let i = out.length - 1, rest = flat; i >= 0; i--) {
      index.unshift(rest % out[i]);
      rest = Math.floor(rest / out[i]);
    }
    const [ia, ib] = [inputOffset(index, a.shape), inputOffset(index, b.shape)];
    const [ga, gb] = derivative(a.values[ia], b.values[ib], dy[flat]);
    da[ia] += ga;
    db[ib] += gb;
  }
  return [da, db];
}

function sizeOf(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

describeWithBackends('broadcasting binary-op gradients', (backend) => {
  it('differentiates tf.maximum with respect to a broadcast input (tfjs 4.22 threw)', async () => {
    const grads = await readTensors(() => [
      tf.grad((b: tf.Tensor) => tf.sum(tf.maximum(tf.ones([2, 3]), b)))(tf.ones([3])),
      tf.grad((b: tf.Tensor) => tf.sum(tf.maximum(tf.ones([2, 3]), b)))(tf.tensor([0, 2, 1])),
      tf.grad((a: tf.Tensor) => tf.sum(tf.minimum(a, tf.ones([2, 3]))))(tf.tensor([0, 2, 1])),
    ]);
    // Ties go to `a` (the ones), so b gets nothing where it equals 1.
    expect(grads).toEqual([
      [0, 0, 0],
      [0, 2, 0],
      [2, 0, 2],
    ]);
  });

  for (const [name, { op, derivative }] of Object.entries(FIXED)) {
    for (const [pattern, [shapeA, shapeB]] of Object.entries(BROADCASTS)) {
      // tfjs's webgpu backend cannot sum an empty tensor (the loss below), with or without us.
      if (backend === 'webgpu' && sizeOf(broadcastShape(shapeA, shapeB)) === 0) continue;
      it(`gives ${name} the hand-computed gradients, ${pattern}`, async () => {
        const out = broadcastShape(shapeA, shapeB);
        // Integers in [-3, 3]: many ties between a and b, and exact float32 arithmetic.
        const a = tf.round(tf.randomUniform(shapeA, -3.49, 3.49, 'float32', 11));
        const b = tf.round(tf.randomUniform(shapeB, -3.49, 3.49, 'float32', 12));
        const dy = tf.randomNormal(out, 0, 1, 'float32', 13);
        const [aValues, bValues, dyValues] = await Promise.all([a.data(), b.data(), dy.data()]);
        const [ga, gb] = tf.tidy(() =>
          tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(op(x, y), dy)))([a, b]),
        );
        const [da, db] = referenceGradients(
          derivative,
          { values: aValues, shape: shapeA },
          { values: bValues, shape: shapeB },
          dyValues,
        );
        expect([ga.shape, gb.shape]).toEqual([shapeA, shapeB]);
        expect(maxAbsDifference(await ga.data(), da)).toBeLessThan(1e-5);
        expect(maxAbsDifference(await gb.data(), db)).toBeLessThan(1e-5);
        tf.dispose([a, b, dy, ga, gb]);
      });
    }
  }

  it('agrees with central differences where no element ties', async () => {
    // a [2, 3] against b [3]: b's gradient sums over the broadcast rows.
    const a = tf.tensor([
      [0.3, -1.2, 2.5],
      [1.7, 0.9, -0.4],
    ]);
    const b = tf.tensor([0.1, 0.5, -2.2]);
    const w = tf.tensor([
      [0.7, -1.3, 0.2],
      [1.1, 0.6, -0.8],
    ]);
    for (const op of [tf.maximum, tf.minimum, tf.squaredDifference, tf.prelu]) {
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(op(x, y), w));
      const [, gb] = await readTensors(() => tf.grads(f)([a, b]));
      const values = await b.data();
      const eps = 1e-2;
      for (let i = 0; i < values.length; i++) {
        const step = tf.tensor(values.map((_, j) => (j === i ? eps : 0)));
        const slope = (await readTensors(() =>
          tf.div(tf.sub(f(a, tf.add(b, step)), f(a, tf.sub(b, step))), 2 * eps),
        )) as number;
        step.dispose();
        expect(Math.abs((gb as number[])[i] - slope)).toBeLessThan(1e-3);
      }
    }
    tf.dispose([a, b, w]);
  });

  it('gives ties to a and NaN no gradient, as tfjs does', async () => {
    const a = tf.tensor([
      [1, 2, 3],
      [3, 2, NaN],
    ]);
    const b = tf.tensor([2, 2, 2]);
    const grads = await readTensors(() => [
      ...tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.maximum(x, y)))([a, b]),
      ...tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.minimum(x, y)))([a, b]),
    ]);
    tf.dispose([a, b]);
    expect(grads).toEqual([
      [
        [0, 1, 1],
        [1, 1, 0],
      ],
      [1, 0, 0],
      [
        [1, 1, 0],
        [0, 1, 0],
      ],
      [1, 0, 1],
    ]);
  });

  it("keeps tfjs's gradients, bit for bit, where no input is broadcast", async () => {
    const b = tf.randomNormal([4, 5], 0, 1, 'float32', 21);
    const ties = tf.less(tf.randomUniform([4, 5], 0, 1, 'float32', 22), 0.3);
    const a = tf.where(ties, b, tf.randomNormal([4, 5], 0, 1, 'float32', 23));
    const dy = tf.randomNormal([4, 5], 0, 1, 'float32', 24);
    const grads = (op: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor): tf.Tensor[] =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(op(x, y), dy)))([a, b]);
    const mask = (m: tf.Tensor): tf.Tensor => tf.mul(dy, tf.cast(m, 'float32'));
    const positive = tf.greater(a, 0);
    // tfjs 4.22's expressions (tfjs-core/src/gradients/{Maximum,Minimum,...}_grad.ts).
    const { ours, tfjs } = await readTensors(() => ({
      ours: tf.concat(
        [tf.maximum, tf.minimum, tf.squaredDifference, tf.prelu]
          .flatMap(grads)
          .map((g) => g.flatten()),
      ),
      tfjs: tf.concat(
        [
          mask(tf.greaterEqual(a, b)),
          mask(tf.less(a, b)),
          mask(tf.lessEqual(a, b)),
          mask(tf.greater(a, b)),
          tf.mul(dy, tf.mul(tf.scalar(2), tf.sub(a, b))),
          tf.mul(dy, tf.mul(tf.scalar(2), tf.sub(b, a))),
          tf.where(positive, dy, tf.mul(dy, b)),
          tf.where(positive, tf.zerosLike(dy), tf.mul(dy, a)),
        ].map((g) => g.flatten()),
      ),
    }));
    tf.dispose([a, b, ties, dy, positive]);
    expect(ours).toEqual(tfjs);
  });

  for (const [name, op] of Object.entries(ALREADY_RIGHT)) {
    it(`leaves tfjs's ${name} gradient, which reduces over broadcast axes already`, async () => {
      // Against the same op on explicitly broadcast inputs (BroadcastTo's gradient sums).
      const a = tf.randomUniform([2, 1, 4], 0.5, 2, 'float32', 31);
      const b = tf.randomUniform([3, 1], 0.5, 2, 'float32', 32);
      const dy = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 33);
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(op(x, y), dy));
      const { broadcast, explicit } = await readTensors(() => {
        const [ga, gb] = tf.grads(f)([a, b]);
        const [ea, eb] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
          f(tf.broadcastTo(x, [2, 3, 4]), tf.broadcastTo(y, [2, 3, 4])),
        )([a, b]);
        expect([ga.shape, gb.shape]).toEqual([a.shape, b.shape]);
        return {
          broadcast: tf.concat([ga.flatten(), gb.flatten()]),
          explicit: tf.concat([ea.flatten(), eb.flatten()]),
        };
      });
      tf.dispose([a, b, dy]);
      expect(maxAbsDifference(broadcast as number[], explicit as number[])).toBeLessThan(1e-5);
    });
  }

  it('leaves no tensors behind', () => {
    const a = tf.ones([2, 3]);
    const b = tf.tensor([0.5, 1, 2]);
    const grads = expectNoLeaks(
      () =>
        [tf.maximum, tf.minimum, tf.squaredDifference, tf.prelu].flatMap((op) =>
          tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(op(x, y)))([a, b]),
        ),
      8,
    );
    tf.dispose([a, b, ...grads]);
  });
});
