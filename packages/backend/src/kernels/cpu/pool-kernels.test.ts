import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { setupBackend } from '../../index';
import {
  FAST_CPU_KERNELS,
  registerFastCpuKernels,
  unregisterFastCpuKernels,
} from '../fast-cpu-kernels';
import { POOL_KERNELS, registerPoolKernels } from './pool-kernels';
import { replacedCpuKernel } from './replacements';

const KERNELS = [
  tf.MaxPool,
  tf.AvgPool,
  tf.MaxPool3D,
  tf.AvgPool3D,
  tf.MaxPoolGrad,
  tf.AvgPoolGrad,
  tf.MaxPool3DGrad,
  tf.AvgPool3DGrad,
];

type Pad = 'same' | 'valid' | number | number[][];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** What the values of a case's input look like. */
type ValueKind = 'integers' | 'fractions' | 'special';

/**
 * Values from a seed: small integers (ties in most windows), fractions on a 1/64 grid, or
 * integers with NaN, Infinity and -Infinity mixed in.
 */
function randomValues(size: number, seed: number, kind: ValueKind): Float32Array {
  let state = seed >>> 0 || 1;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 8;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const r = next();
    if (kind === 'fractions') values[i] = (r % 257) / 64 - 2;
    else if (kind === 'integers' || r % 5 !== 0) values[i] = (r % 5) - 2;
    else values[i] = [NaN, Infinity, -Infinity][(r >>> 4) % 3];
  }
  return values;
}

/** Whether two arrays hold the same float32 values (NaN equal to NaN, 0 and -0 told apart). */
function expectSame(actual: ArrayLike<number>, expected: ArrayLike<number>, what = ''): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${what} element ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  }
}

/** Runs tfjs's own `cpu` kernel (the one replaced) and returns its shape and values. */
function runReplaced(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): { shape: number[]; values: Float32Array } {
  const original = replacedCpuKernel(kernelName);
  expect(original, kernelName).toBeTypeOf('function');
  const backend = tf.backend() as unknown as {
    readSync(id: tf.DataId): tf.BackendValues;
    disposeData(id: tf.DataId): void;
  };
  const info = original!({
    inputs,
    backend: tf.backend(),
    attrs,
  } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const values = Float32Array.from(backend.readSync(info.dataId) as Float32Array);
  backend.disposeData(info.dataId);
  return { shape: info.shape, values };
}

/** Runs the kernel registered now (the replacement) through the engine. */
function runRegistered(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): { shape: number[]; values: Float32Array } {
  const result = tf.engine().runKernel<tf.Tensor>(kernelName, inputs, attrs as tf.NamedAttrMap);
  const values = Float32Array.from(result.dataSync() as Float32Array);
  const shape = result.shape;
  result.dispose();
  return { shape, values };
}

/** Runs both kernels and checks they give the same shape and values, leaking nothing. */
function expectLikeTfjs(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: object) {
  const expected = runReplaced(kernelName, inputs, attrs);
  const actual = expectNoLeaks(() => runRegistered(kernelName, inputs, attrs), 0);
  expect(actual.shape, kernelName).toEqual(expected.shape);
  expectSame(actual.values, expected.values, kernelName);
  return actual;
}

interface PoolCase {
  rank: 4 | 5;
  batch: number;
  spatial: number[];
  channels: number;
  filter: number[];
  strides: number[];
  pad: Pad;
  dimRoundingMode: Rounding;
  kind: ValueKind;
  seed: number;
}

function poolCase(rank: 4 | 5): fc.Arbitrary<PoolCase> {
  const dims = rank - 2;
  const explicit = fc
    .array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: 2, maxLength: 2 })
    .map(([h, w]) => [[0, 0], h, w, [0, 0]] as Pad);
  const pad: fc.Arbitrary<Pad> =
    rank === 4
      ? fc.oneof(fc.constantFrom<Pad>('same', 'valid'), fc.nat(3), explicit)
      : fc.oneof(fc.constantFrom<Pad>('same', 'valid'), fc.nat(3));
  return fc.record({
    rank: fc.constant(rank),
    batch: fc.integer({ min: 1, max: 3 }),
    spatial: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: dims, maxLength: dims }),
    channels: fc.integer({ min: 1, max: 6 }),
    filter: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: dims, maxLength: dims }),
    strides: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: dims, maxLength: dims }),
    pad,
    dimRoundingMode: fc.constantFrom<Rounding>(undefined, 'floor', 'round', 'ceil'),
    kind: fc.constantFrom<ValueKind>('integers', 'fractions', 'special'),
    seed: fc.nat(),
  });
}

/** The output shape tfjs computes for a case, or null when it is empty or invalid. */
function outShapeOf(c: PoolCase, dimRoundingMode = c.dimRoundingMode): number[] | null {
  const shape = [c.batch, ...c.spatial, c.channels];
  try {
    const info =
      c.rank === 4
        ? tf.backend_util.computePool2DInfo(
            shape as [number, number, number, number],
            c.filter as [number, number],
            c.strides as [number, number],
            1,
            c.pad as 'same',
            dimRoundingMode,
          )
        : tf.backend_util.computePool3DInfo(
            shape as [number, number, number, number, number],
            c.filter as [number, number, number],
            c.strides as [number, number, number],
            1,
            c.pad as 'same',
            dimRoundingMode,
          );
    return info.outShape.every((n) => n > 0 && Number.isInteger(n)) ? info.outShape : null;
  } catch {
    return null;
  }
}

function attrsOf(c: PoolCase) {
  return {
    filterSize: c.filter,
    strides: c.strides,
    pad: c.pad,
    dimRoundingMode: c.dimRoundingMode,
    ...(c.rank === 5 ? { dataFormat: 'NDHWC' } : {}),
  };
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks the forward kernels and both gradient kernels of a case against tfjs's. */
function checkCase(c: PoolCase): void {
  const outShape = outShapeOf(c);
  fc.pre(outShape != null);
  const xShape = [c.batch, ...c.spatial, c.channels];
  const x = tf.tensor(randomValues(sizeOf(xShape), c.seed, c.kind), xShape);
  const dy = tf.tensor(randomValues(sizeOf(outShape), c.seed + 1, 'fractions'), outShape);
  const attrs = attrsOf(c);
  const [max, avg, maxGrad, avgGrad] =
    c.rank === 4
      ? [tf.MaxPool, tf.AvgPool, tf.MaxPoolGrad, tf.AvgPoolGrad]
      : [tf.MaxPool3D, tf.AvgPool3D, tf.MaxPool3DGrad, tf.AvgPool3DGrad];
  try {
    const y = expectLikeTfjs(max, { x }, attrs);
    expectLikeTfjs(avg, { x }, attrs);
    const output = tf.tensor(y.values, y.shape);
    expectLikeTfjs(maxGrad, { dy, input: x, output }, attrs);
    output.dispose();
    // tfjs's AvgPoolGrad ignores dimRoundingMode: give it a dy of the shape it computes.
    const avgShape = c.rank === 4 ? outShapeOf(c, undefined) : outShape;
    if (avgShape != null) {
      const avgDy = tf.tensor(randomValues(sizeOf(avgShape), c.seed + 2, 'fractions'), avgShape);
      expectLikeTfjs(avgGrad, { dy: avgDy, input: x }, attrs);
      avgDy.dispose();
    }
  } finally {
    tf.dispose([x, dy]);
  }
}

// The sources' kernels, in place of the built ones the shared test set-up registered.
beforeAll(() => {
  unregisterFastCpuKernels();
  registerFastCpuKernels();
});

describe('pool kernels: registration', () => {
  it('replaces tfjs’s cpu kernels once, keeping the originals', () => {
    expect([...POOL_KERNELS].sort()).toEqual([...KERNELS].sort());
    for (const name of KERNELS) {
      const original = replacedCpuKernel(name);
      expect(original, name).toBeTypeOf('function');
      expect(tf.getKernel(name, 'cpu').kernelFunc).not.toBe(original);
    }
  });

  it('is idempotent, also across a second copy of the module', async () => {
    const before = KERNELS.map((name) => tf.getKernel(name, 'cpu').kernelFunc);
    registerPoolKernels();
    vi.resetModules();
    const copy = await import('./pool-kernels');
    copy.registerPoolKernels();
    KERNELS.forEach((name, i) => expect(tf.getKernel(name, 'cpu').kernelFunc).toBe(before[i]));
  });

  it('are taken out by unregisterFastCpuKernels and put back by registerFastCpuKernels', () => {
    const replacements = KERNELS.map((name) => tf.getKernel(name, 'cpu').kernelFunc);
    const originals = KERNELS.map((name) => replacedCpuKernel(name)!);
    try {
      unregisterFastCpuKernels();
      KERNELS.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBeUndefined();
      });
      registerFastCpuKernels();
      KERNELS.forEach((name, i) => expect(replacedCpuKernel(name), name).toBe(originals[i]));
    } finally {
      KERNELS.forEach((name, i) => {
        tf.unregisterKernel(name, 'cpu');
        tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: replacements[i] });
      });
    }
  });

  it("are among what setupBackend('cpu') registers, and fastCpuKernels: false restores tfjs’s", async () => {
    expect(FAST_CPU_KERNELS).toEqual(expect.arrayContaining(KERNELS));
    const originals = KERNELS.map((name) => replacedCpuKernel(name)!);
    try {
      await setupBackend('cpu', { fastCpuKernels: false });
      KERNELS.forEach((name, i) =>
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]),
      );
      await setupBackend('cpu');
      KERNELS.forEach((name, i) => expect(replacedCpuKernel(name), name).toBe(originals[i]));
    } finally {
      registerFastCpuKernels();
    }
  });
});

describe('3-D pooling kernels', () => {
  test.prop([poolCase(5)], { numRuns: 250 })(
    'equal tfjs’s (MaxPool3D, AvgPool3D and their gradients; ties, NaN, ±Infinity)',
    checkCase,
  );

  it('equal tfjs’s on the I3D teacher’s poolings', () => {
    for (const [filter, strides] of [
      [
        [1, 3, 3],
        [1, 2, 2],
      ],
      [
        [3, 3, 3],
        [2, 2, 2],
      ],
      [
        [2, 2, 2],
        [2, 2, 2],
      ],
      [
        [2, 7, 7],
        [1, 1, 1],
      ],
    ]) {
      for (const pad of ['same', 'valid'] as const) {
        checkCase({
          rank: 5,
          batch: 2,
          spatial: [5, 9, 9],
          channels: 9,
          filter,
          strides,
          pad,
          dimRoundingMode: undefined,
          kind: 'integers',
          seed: 11,
        });
      }
    }
  });

  it('give the gradient of tied maxima to the last of them, as tfjs’s MaxPool3DGrad does', () => {
    const x = tf.tensor5d([1, 1, -Infinity, -Infinity, NaN, NaN], [1, 1, 1, 6, 1]);
    const dy = tf.tensor5d([1, 2, 3], [1, 1, 1, 3, 1]);
    const attrs = { filterSize: [1, 1, 2], strides: [1, 1, 2], pad: 'valid' };
    const { values } = runRegistered(tf.MaxPool3DGrad, { dy, input: x, output: dy }, attrs);
    // Ties: the last; all -Infinity: the last; all NaN: no element.
    expectSame(values, [0, 1, 0, 2, 0, 0]);
    expectSame(runRegistered(tf.MaxPool3D, { x }, attrs).values, [1, -Infinity, -Infinity]);
    tf.dispose([x, dy]);
  });

  it('reproduce tfjs’s MaxPool3DGrad for windows wider than they are high', () => {
    // tfjs 4.22 codes a window position with the filter height and decodes it with the width.
    checkCase({
      rank: 5,
      batch: 1,
      spatial: [3, 4, 7],
      channels: 3,
      filter: [2, 2, 3],
      strides: [1, 1, 2],
      pad: 'same',
      dimRoundingMode: undefined,
      kind: 'fractions',
      seed: 5,
    });
  });
});

describe('2-D pooling kernels', () => {
  test.prop([poolCase(4)], { numRuns: 250 })(
    'equal tfjs’s (MaxPool, AvgPool and their gradients; ties, NaN, ±Infinity)',
    checkCase,
  );

  it('give the gradient of tied maxima to the first of them, as tfjs’s MaxPoolGrad does', () => {
    const x = tf.tensor4d([1, 1, 2, 3, NaN, NaN], [1, 1, 6, 1]);
    const dy = tf.tensor4d([1, 2, 3], [1, 1, 3, 1]);
    const attrs = { filterSize: [1, 2], strides: [1, 2], pad: 'valid' };
    const { values } = runRegistered(tf.MaxPoolGrad, { dy, input: x, output: dy }, attrs);
    expectSame(values, [1, 0, 0, 2, 0, 0]);
    expectSame(runRegistered(tf.MaxPool, { x }, attrs).values, [1, 3, -Infinity]);
    tf.dispose([x, dy]);
  });

  it('average an all-padding window to NaN in 2-D and 0 in 3-D, as tfjs does', () => {
    // Output 3×3 from 4×4 (a 1×1 window keeping the shape would be tfjs's identity shortcut).
    const attrs = { filterSize: 1, strides: 2, pad: 1 };
    const x2 = tf.ones([1, 4, 4, 1]);
    const x3 = tf.ones([1, 4, 4, 4, 1]);
    expectLikeTfjs(tf.AvgPool, { x: x2 }, attrs);
    expectLikeTfjs(tf.AvgPool3D, { x: x3 }, attrs);
    expect(runRegistered(tf.AvgPool, { x: x2 }, attrs).values[0]).toBeNaN();
    expect(runRegistered(tf.AvgPool3D, { x: x3 }, attrs).values[0]).toBe(0);
    tf.dispose([x2, x3]);
  });
});

describe('pool kernels: other inputs', () => {
  it('hand int32 inputs and 1×1 identity poolings to tfjs’s kernels', () => {
    const x = tf.tensor4d([1, 5, 3, 2], [1, 2, 2, 1], 'int32');
    expectLikeTfjs(tf.MaxPool, { x }, { filterSize: 2, strides: 1, pad: 'valid' });
    const y = tf.maxPool(x, 1, 1, 'valid');
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([1, 5, 3, 2]);
    const x3 = tf.tensor5d([1, 5, 3, 2], [1, 1, 2, 2, 1], 'int32');
    expectLikeTfjs(tf.MaxPool3D, { x: x3 }, { filterSize: 2, strides: 1, pad: 'valid' });
    tf.dispose([x, y, x3]);
  });

  it('handle batches and channels of size 0', () => {
    for (const shape of [
      [0, 4, 4, 3],
      [2, 4, 4, 0],
    ]) {
      const x = tf.zeros(shape);
      expectLikeTfjs(tf.MaxPool, { x }, { filterSize: 2, strides: 2, pad: 'same' });
      expectLikeTfjs(tf.AvgPool, { x }, { filterSize: 2, strides: 2, pad: 'same' });
      const x3 = tf.zeros([shape[0], 1, ...shape.slice(1)]);
      expectLikeTfjs(tf.MaxPool3D, { x: x3 }, { filterSize: 2, strides: 2, pad: 'same' });
      tf.dispose([x, x3]);
    }
  });
});

describe('pooling gradients through tf.grad', () => {
  /** The gradient of sum(pool(x) · w) with the fast kernels and with tfjs's. */
  function gradients(pool: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor) {
    const lossOf = (input: tf.Tensor) => {
      const y = pool(input);
      return tf.sum(tf.mul(y, tf.tensor(randomValues(y.size, 3, 'fractions'), y.shape)));
    };
    const fast = expectNoLeaks(() => tf.grad(lossOf)(x), 1);
    unregisterFastCpuKernels();
    try {
      const reference = tf.grad(lossOf)(x);
      const pair = [fast.dataSync(), reference.dataSync()] as const;
      tf.dispose([fast, reference]);
      return pair;
    } finally {
      registerFastCpuKernels();
    }
  }

  it('are unchanged for maxPool3d, avgPool3d, maxPool and avgPool', () => {
    const x5 = tf.tensor5d(randomValues(2 * 5 * 7 * 6 * 5, 9, 'integers'), [2, 5, 7, 6, 5]);
    const x4 = tf.tensor4d(randomValues(2 * 7 * 6 * 5, 10, 'integers'), [2, 7, 6, 5]);
    const cases: [string, (x: tf.Tensor) => tf.Tensor, tf.Tensor][] = [
      ['maxPool3d', (x) => tf.maxPool3d(x as tf.Tensor5D, [1, 3, 3], [1, 2, 2], 'same'), x5],
      ['maxPool3d', (x) => tf.maxPool3d(x as tf.Tensor5D, 3, 2, 'valid'), x5],
      ['avgPool3d', (x) => tf.avgPool3d(x as tf.Tensor5D, [2, 3, 3], [1, 2, 2], 'same'), x5],
      ['maxPool', (x) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'), x4],
      ['avgPool', (x) => tf.avgPool(x as tf.Tensor4D, [2, 3], [2, 1], 'valid'), x4],
    ];
    for (const [name, pool, x] of cases) {
      const [fast, reference] = gradients(pool, x);
      expectSame(fast, reference, name);
    }
    tf.dispose([x5, x4]);
  });
});
