import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import {
  FAST_CPU_KERNELS,
  registerFastCpuKernels,
  unregisterFastCpuKernels,
} from '../fast-cpu-kernels';
import {
  DATA_MOVEMENT_KERNELS,
  registerDataMovementKernels,
  unregisterDataMovementKernels,
} from './data-movement-kernels';
import { replacedCpuKernel } from './replacements';

const KERNELS = [tf.Slice, tf.SplitV, tf.Unpack, tf.Concat, tf.PadV2, tf.Tile, tf.Reverse];
type RealDType = 'float32' | 'int32' | 'bool';

/** What a kernel returned: shape, dtype, values (copied), and the values' array type. */
interface Output {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
  arrayType: string;
}

interface CpuBackend {
  readSync(id: tf.DataId): tf.BackendValues;
  disposeData(id: tf.DataId): void;
}

function describeInfo(info: tf.TensorInfo): Output {
  const values = (tf.backend() as unknown as CpuBackend).readSync(info.dataId) as Float32Array;
  return {
    shape: [...info.shape],
    dtype: info.dtype,
    values: Array.from(values),
    arrayType: values.constructor.name,
  };
}

/** Runs tfjs's own `cpu` kernel (the one replaced) directly and returns its outputs. */
function runReplaced(
  kernelName: string,
  inputs: tf.NamedTensorInfoMap | tf.TensorInfo[],
  attrs: object,
): Output[] {
  const original = replacedCpuKernel(kernelName);
  expect(original, kernelName).toBeTypeOf('function');
  const result = original!({
    inputs,
    backend: tf.backend(),
    attrs: structuredClone(attrs),
  } as unknown as Parameters<tf.KernelFunc>[0]);
  const infos = Array.isArray(result) ? result : [result];
  const outputs = infos.map(describeInfo);
  for (const info of infos) (tf.backend() as unknown as CpuBackend).disposeData(info.dataId);
  return outputs;
}

/** Runs the kernel registered now (the replacement) through the engine, leaking nothing. */
function runRegistered(
  kernelName: string,
  inputs: tf.NamedTensorMap | tf.Tensor[],
  attrs: object,
): Output[] {
  const result = tf
    .engine()
    .runKernel(kernelName, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap);
  const tensors = Array.isArray(result) ? result : [result];
  const outputs = tensors.map((t) => {
    const values = t.dataSync() as Float32Array;
    return {
      shape: [...t.shape],
      dtype: t.dtype,
      values: Array.from(values),
      arrayType: values.constructor.name,
    };
  });
  tf.dispose(tensors);
  return outputs;
}

/** Exact equality, NaN equal to NaN and -0 told from 0 (`Object.is`). */
function expectSame(actual: Output[], expected: Output[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i];
    expect(a.shape, `output ${i} shape`).toEqual(e.shape);
    expect(a.dtype, `output ${i} dtype`).toBe(e.dtype);
    expect(a.arrayType, `output ${i} array type`).toBe(e.arrayType);
    expect(a.values.length).toBe(e.values.length);
    for (let j = 0; j < e.values.length; j++) {
      if (!Object.is(a.values[j], e.values[j])) {
        expect.fail(`output ${i}, element ${j}: ${a.values[j]} vs ${e.values[j]}`);
      }
    }
  });
}

/**
 * Checks the replacement against tfjs's kernel on these inputs (the same outputs, or the same
 * error), and that it leaks nothing.
 */
function expectAsTfjs(
  kernelName: string,
  inputs: tf.NamedTensorMap | tf.Tensor[],
  attrs: object,
): void {
  let expected: Output[];
  try {
    expected = runReplaced(kernelName, inputs, attrs);
  } catch (error) {
    const message = (error as Error).message;
    expectNoLeaks(() => {
      expect(() => runRegistered(kernelName, inputs, structuredClone(attrs))).toThrow(message);
    }, 0);
    return;
  }
  const actual = expectNoLeaks(() => runRegistered(kernelName, inputs, structuredClone(attrs)), 0);
  expectSame(actual, expected);
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Values of a dtype with the special ones mixed in (NaN, ±Infinity, -0 for float32). */
function makeTensor(shape: number[], dtype: RealDType, seed: number): tf.Tensor {
  let state = seed >>> 0 || 1;
  const n = size(shape);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const r = state >>> 8;
    if (dtype === 'bool') values[i] = r & 1;
    else if (dtype === 'int32') values[i] = (r % 2001) - 1000;
    else if (r % 29 === 0) values[i] = [NaN, Infinity, -Infinity, -0][r % 4];
    else values[i] = (r % 4097) / 64 - 32;
  }
  return tf.tensor(values, shape, dtype);
}

const dtypeArb = fc.constantFrom<RealDType>('float32', 'float32', 'int32', 'bool');
/** Shapes of rank 1–6, dimensions 0–5, at most a few thousand elements. */
const shapeArb = fc
  .integer({ min: 1, max: 6 })
  .chain((rank) => fc.array(fc.integer({ min: 0, max: 5 }), { minLength: rank, maxLength: rank }))
  .filter((shape) => size(shape) <= 4000);
/** Mostly non-empty shapes. */
const shapeMostlyNonEmptyArb = fc.oneof(
  { weight: 4, arbitrary: shapeArb.map((s) => s.map((d) => Math.max(d, 1))) },
  { weight: 1, arbitrary: shapeArb },
);

// The test set-up registered the built package's kernels; put these sources' in their place.
beforeAll(() => {
  unregisterFastCpuKernels();
  registerFastCpuKernels();
});

describe('data-movement kernels: registration', () => {
  it('replaces tfjs’s cpu kernels, keeping the originals', () => {
    expect([...DATA_MOVEMENT_KERNELS].sort()).toEqual([...KERNELS].sort());
    expect(FAST_CPU_KERNELS).toEqual(expect.arrayContaining(KERNELS));
    for (const name of KERNELS) {
      const original = replacedCpuKernel(name);
      expect(original, name).toBeTypeOf('function');
      expect(tf.getKernel(name, 'cpu').kernelFunc).not.toBe(original);
    }
  });

  it('is taken out and put back by unregister/register, harmlessly twice', () => {
    const originals = KERNELS.map((name) => replacedCpuKernel(name)!);
    try {
      unregisterDataMovementKernels();
      unregisterDataMovementKernels();
      KERNELS.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBeUndefined();
      });
      registerDataMovementKernels();
      registerDataMovementKernels();
      KERNELS.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).not.toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBe(originals[i]);
      });
      unregisterFastCpuKernels();
      KERNELS.forEach((name, i) =>
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]),
      );
    } finally {
      registerFastCpuKernels();
    }
    KERNELS.forEach((name, i) => expect(replacedCpuKernel(name), name).toBe(originals[i]));
  });
});

describe('Slice', () => {
  /** A shape and a valid begin/size for it, in any of the forms tf.slice accepts. */
  const sliceCase = fc
    .tuple(shapeMostlyNonEmptyArb, dtypeArb, fc.nat())
    .chain(([shape, dtype, seed]) =>
      fc
        .tuple(
          ...shape.map((d) =>
            fc
              .integer({ min: 0, max: d })
              .chain((b) =>
                fc.tuple(
                  fc.constant(b),
                  fc.oneof(fc.integer({ min: 0, max: d - b }), fc.constant(-1)),
                ),
              ),
          ),
        )
        .chain((axes) =>
          fc.tuple(
            fc.constant({ shape, dtype, seed }),
            fc.constant(axes.map(([b]) => b)),
            fc.constant(axes.map(([, s]) => s)),
            fc.integer({ min: 0, max: shape.length }),
          ),
        ),
    );

  test.prop([sliceCase], { numRuns: 300 })(
    'equals tfjs’s kernel (ranks 1–6, size -1, short begin/size, size 0)',
    ([{ shape, dtype, seed }, begin, sizes, given]) => {
      const x = makeTensor(shape, dtype, seed);
      // Omitted trailing begins are 0, omitted sizes -1: drop some when they are those.
      const shortBegin = begin.slice(0, given);
      const shortSize = sizes.slice(0, given);
      const canShorten =
        begin.slice(given).every((b) => b === 0) && sizes.slice(given).every((s) => s === -1);
      expectAsTfjs(tf.Slice, { x }, { begin, size: sizes });
      if (canShorten) expectAsTfjs(tf.Slice, { x }, { begin: shortBegin, size: shortSize });
      x.dispose();
    },
  );

  it('copies the student’s slices (crops of padded activations) as tfjs does', () => {
    const x = makeTensor([7, 18, 18, 8], 'float32', 5);
    expectAsTfjs(tf.Slice, { x }, { begin: [0, 1, 1, 0], size: [7, 16, 16, 8] });
    expectAsTfjs(tf.Slice, { x }, { begin: [0, 1, 2, 3], size: [-1, 1, 16, 1] });
    expectAsTfjs(tf.Slice, { x }, { begin: 3, size: 2 });
    x.dispose();
  });

  it('throws tfjs’s errors for invalid arguments, leaking nothing', () => {
    const x = tf.zeros([2, 3]);
    expectNoLeaks(() => {
      expect(() => tf.slice(x, [0, 2], [1, 2])).toThrow(/would overflow input.shape\[1\]/);
      expect(() => tf.slice(x, [0, 0, 0], [1, 1, 1])).toThrow(/Length of begin/);
      expect(() => tf.slice(x, [-1, 0], [1, 1])).toThrow(/negative begin/);
    }, 0);
    x.dispose();
  });

  it('is tf.grad’s PadV2 and back (gradients unchanged)', () => {
    const x = makeTensor([3, 5, 4], 'float32', 9);
    const f = (t: tf.Tensor): tf.Tensor =>
      tf.sum(
        tf.mul(
          tf.slice(
            tf.pad(
              t,
              [
                [0, 1],
                [2, 0],
                [1, 1],
              ],
              0.5,
            ),
            [1, 1, 0],
            [2, 5, 5],
          ),
          t.sum(),
        ),
      );
    expectGradUnchanged(f, x);
    x.dispose();
  });
});

/** tf.grad of `f` at `x` with the replacements and with tfjs's kernels: the very same values. */
function expectGradUnchanged(f: (t: tf.Tensor) => tf.Tensor, x: tf.Tensor): void {
  const fast = expectNoLeaks(() => tf.grad(f)(x), 1);
  unregisterDataMovementKernels();
  let reference: tf.Tensor;
  try {
    reference = tf.grad(f)(x);
  } finally {
    registerDataMovementKernels();
  }
  expect(Array.from(fast.dataSync())).toEqual(Array.from(reference.dataSync()));
  tf.dispose([fast, reference]);
}

describe('SplitV and Unpack', () => {
  const splitCase = fc
    .tuple(shapeMostlyNonEmptyArb, dtypeArb, fc.nat())
    .chain(([shape, dtype, seed]) =>
      fc.integer({ min: 0, max: shape.length - 1 }).chain((axis) => {
        const n = shape[axis];
        const sizesArb = fc.array(fc.nat(n), { minLength: 0, maxLength: 4 }).map((cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), n];
          return points.slice(1).map((p, i) => p - points[i]);
        });
        const divisors = Array.from({ length: Math.max(n, 1) }, (_, i) => i + 1).filter(
          (d) => n % d === 0,
        );
        return fc.record({
          shape: fc.constant(shape),
          dtype: fc.constant(dtype),
          seed: fc.constant(seed),
          axis: fc.constantFrom(axis, axis - shape.length),
          splits: fc.oneof(
            sizesArb,
            sizesArb.chain((sizes) =>
              fc.nat(sizes.length - 1).map((i) => sizes.map((s, j) => (j === i ? -1 : s))),
            ),
            fc.constantFrom(...divisors),
          ),
        });
      }),
    );

  test.prop([splitCase], { numRuns: 300 })(
    'SplitV equals tfjs’s kernel (sizes, a -1 among them, a number of splits, negative axes)',
    ({ shape, dtype, seed, axis, splits }) => {
      const x = makeTensor(shape, dtype, seed);
      expectAsTfjs(tf.SplitV, { x }, { numOrSizeSplits: splits, axis });
      x.dispose();
    },
  );

  test.prop(
    [shapeMostlyNonEmptyArb.chain((s) => fc.tuple(fc.constant(s), fc.nat(s.length - 1))), dtypeArb],
    { numRuns: 200 },
  )('Unpack equals tfjs’s kernel', ([shape, axis], dtype) => {
    const x = makeTensor(shape, dtype, axis + 1);
    expectAsTfjs(tf.Unpack, { value: x }, { axis });
    expectAsTfjs(tf.Unpack, { value: x }, { axis: axis - shape.length });
    x.dispose();
  });

  it('leaves the caller’s split sizes as they were (tfjs’s kernel writes the -1 over)', () => {
    const x = tf.zeros([2, 7]);
    const sizes = [2, -1, 1];
    const parts = tf.split(x, sizes, 1);
    expect(parts.map((p) => p.shape)).toEqual([
      [2, 2],
      [2, 4],
      [2, 1],
    ]);
    expect(sizes).toEqual([2, -1, 1]);
    tf.dispose([x, ...parts]);
  });

  it('throws tfjs’s errors for sizes that do not add up, leaking nothing', () => {
    const x = tf.zeros([2, 7]);
    expectNoLeaks(() => {
      expect(() => tf.split(x, [2, 2], 1)).toThrow(/sum of sizes must match/);
      expect(() => tf.split(x, 2, 1)).toThrow(/evenly divide/);
      expect(() => tf.split(x, [-1, -1, 7], 1)).toThrow(/only one negative value/);
    }, 0);
    x.dispose();
  });

  it('keeps tf.grad of split and unstack unchanged', () => {
    const x = makeTensor([3, 6, 4], 'float32', 11);
    expectGradUnchanged((t) => {
      const [a, b, c] = tf.split(t, [1, -1, 2], 1);
      return tf.sum(tf.add(tf.mul(a, 2), tf.sum(tf.mul(b, c.sum()))));
    }, x);
    expectGradUnchanged((t) => {
      const rows = tf.unstack(t, 2);
      return tf.sum(tf.mul(rows[0], rows[3]));
    }, x);
    x.dispose();
  });
});

describe('Concat', () => {
  const concatCase = fc.tuple(shapeArb, dtypeArb, fc.nat()).chain(([shape, dtype, seed]) =>
    fc.record({
      shape: fc.constant(shape),
      dtype: fc.constant(dtype),
      seed: fc.constant(seed),
      axis: fc.integer({ min: 0, max: shape.length - 1 }),
      negative: fc.boolean(),
      lengths: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 2, maxLength: 5 }),
    }),
  );

  test.prop([concatCase], { numRuns: 300 })(
    'equals tfjs’s kernel (ranks 1–6, size-0 inputs, negative axes)',
    ({ shape, dtype, seed, axis, negative, lengths }) => {
      const inputs = lengths.map((n, i) => {
        const s = [...shape];
        s[axis] = n;
        return makeTensor(s, dtype, seed + i);
      });
      expectAsTfjs(tf.Concat, inputs, { axis: negative ? axis - shape.length : axis });
      tf.dispose(inputs);
    },
  );

  it('converts mixed dtypes as tfjs does (to the first input’s)', () => {
    const a = tf.tensor2d([[1.5, -2.7]], [1, 2]);
    const b = tf.tensor2d([[3, 4]], [1, 2], 'int32');
    const c = tf.tensor2d([[1, 0]], [1, 2], 'bool');
    expectAsTfjs(tf.Concat, [b, a, c], { axis: 1 });
    expectAsTfjs(tf.Concat, [a, b, c], { axis: 0 });
    expectAsTfjs(tf.Concat, [c, a, b], { axis: 1 });
    tf.dispose([a, b, c]);
  });

  it('throws tfjs’s errors for shapes that do not match, leaking nothing', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([3, 3]);
    expectNoLeaks(() => {
      expect(() => tf.concat([a, b], 1)).toThrow(/does not match the shape of the rest/);
    }, 0);
    tf.dispose([a, b]);
  });

  it('keeps tf.grad of concat unchanged', () => {
    const x = makeTensor([2, 3, 4], 'float32', 13);
    expectGradUnchanged(
      (t) => tf.sum(tf.mul(tf.concat([t, tf.mul(t, 3), tf.slice(t, [0, 1], [2, 1])], 1), 0.5)),
      x,
    );
    x.dispose();
  });
});

describe('PadV2', () => {
  const padCase = fc.tuple(shapeArb, dtypeArb, fc.nat()).chain(([shape, dtype, seed]) =>
    fc.record({
      shape: fc.constant(shape),
      dtype: fc.constant(dtype),
      seed: fc.constant(seed),
      paddings: fc.tuple(
        ...shape.map(() =>
          fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
        ),
      ),
      constantValue: fc.constantFrom(0, -0, 1, -7, 2.5, NaN, Infinity, 300),
    }),
  );

  test.prop([padCase], { numRuns: 300 })(
    'equals tfjs’s kernel (constants 0, -0, NaN, Infinity, fractions; size 0)',
    ({ shape, dtype, seed, paddings, constantValue }) => {
      const x = makeTensor(shape, dtype, seed);
      expectAsTfjs(tf.PadV2, { x }, { paddings, constantValue });
      x.dispose();
    },
  );

  it('keeps tf.grad of pad unchanged', () => {
    const x = makeTensor([2, 3, 4, 2], 'float32', 17);
    expectGradUnchanged(
      (t) =>
        tf.sum(
          tf.square(
            tf.pad(
              t,
              [
                [0, 0],
                [1, 1],
                [2, 0],
                [0, 1],
              ],
              -1,
            ),
          ),
        ),
      x,
    );
    x.dispose();
  });
});

describe('Tile', () => {
  const tileCase = fc
    .tuple(shapeArb, dtypeArb, fc.nat())
    .chain(([shape, dtype, seed]) =>
      fc.record({
        shape: fc.constant(shape),
        dtype: fc.constant(dtype),
        seed: fc.constant(seed),
        reps: fc.tuple(...shape.map(() => fc.integer({ min: 0, max: 4 }))),
      }),
    )
    .filter(({ shape, reps }) => size(shape.map((s, k) => s * reps[k])) <= 20000);

  test.prop([tileCase], { numRuns: 300 })(
    'equals tfjs’s kernel (reps 0–4, size 0)',
    ({ shape, dtype, seed, reps }) => {
      const x = makeTensor(shape, dtype, seed);
      expectAsTfjs(tf.Tile, { x }, { reps });
      x.dispose();
    },
  );

  it('tiles the student’s broadcasts ([1, 1, 1, C] over a batch of maps) as tfjs does', () => {
    const x = makeTensor([1, 1, 1, 8], 'float32', 19);
    expectAsTfjs(tf.Tile, { x }, { reps: [17, 16, 16, 1] });
    const y = makeTensor([1, 5, 1, 3], 'int32', 20);
    expectAsTfjs(tf.Tile, { x: y }, { reps: [2, 1, 3, 2] });
    tf.dispose([x, y]);
  });

  it('keeps tf.grad of tile unchanged', () => {
    const x = makeTensor([2, 1, 3], 'float32', 23);
    expectGradUnchanged((t) => tf.sum(tf.square(tf.tile(t, [2, 3, 1]))), x);
    x.dispose();
  });
});

describe('Reverse', () => {
  const reverseCase = fc.tuple(shapeArb, dtypeArb, fc.nat()).chain(([shape, dtype, seed]) =>
    fc.record({
      shape: fc.constant(shape),
      dtype: fc.constant(dtype),
      seed: fc.constant(seed),
      dims: fc.subarray(shape.map((_, k) => (k % 2 === 0 ? k : k - shape.length))),
    }),
  );

  test.prop([reverseCase], { numRuns: 300 })(
    'equals tfjs’s kernel (any set of axes, negative ones included; size 0)',
    ({ shape, dtype, seed, dims }) => {
      const x = makeTensor(shape, dtype, seed);
      expectAsTfjs(tf.Reverse, { x }, { dims });
      x.dispose();
    },
  );

  it('reverses time in an LSTM’s [T, B, F] input as tfjs does', () => {
    const x = makeTensor([7, 3, 5], 'float32', 29);
    expectAsTfjs(tf.Reverse, { x }, { dims: [0] });
    expectAsTfjs(tf.Reverse, { x }, { dims: [2] });
    expectAsTfjs(tf.Reverse, { x }, { dims: [0, 1, 2] });
    x.dispose();
  });

  it('keeps tf.grad of reverse unchanged', () => {
    const x = makeTensor([3, 2, 4], 'float32', 31);
    expectGradUnchanged(
      (t) => tf.sum(tf.mul(tf.reverse(t, [0, 2]), tf.range(0, 24).reshape([3, 2, 4]))),
      x,
    );
    x.dispose();
  });
});

describe('inputs the replacements hand to tfjs’s kernels', () => {
  it('strings and complex values give what tfjs gives', () => {
    tf.tidy(() => check());
  });

  function check(): void {
    const s = tf.tensor2d([
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
    ]);
    expect(tf.slice(s, [0, 1], [2, 1]).arraySync()).toEqual([['b'], ['e']]);
    expect(tf.concat([s, s], 1).shape).toEqual([2, 6]);
    expect(tf.tile(s, [1, 2]).arraySync()).toEqual([
      ['a', 'b', 'c', 'a', 'b', 'c'],
      ['d', 'e', 'f', 'd', 'e', 'f'],
    ]);
    const c = tf.complex([1, 2, 3, 4], [5, 6, 7, 8]);
    expect(tf.concat([c, c]).shape).toEqual([8]);
    expect(() => tf.slice(c, [1], [2])).toThrow(/complex/);
  }
});
