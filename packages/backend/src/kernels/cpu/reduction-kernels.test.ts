import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import {
  FAST_CPU_KERNELS,
  registerFastCpuKernels,
  unregisterFastCpuKernels,
} from '../fast-cpu-kernels';
import { REDUCTION_KERNELS, registerReductionKernels } from './reduction-kernels';
import { replacedCpuKernel } from './replacements';
import { TRANSPOSE_KERNELS } from './transpose-kernel';

type Dtype = 'float32' | 'int32' | 'bool';

interface Result {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
}

interface CpuBackend {
  readSync(id: tf.DataId): tf.BackendValues;
  disposeData(id: tf.DataId): void;
}

function toResult(info: tf.TensorInfo, values: tf.BackendValues): Result {
  return { shape: [...info.shape], dtype: info.dtype, values: Array.from(values as Float32Array) };
}

/** Runs tfjs's own `cpu` kernel (the one replaced). */
function runReplaced(kernelName: string, x: tf.Tensor, attrs: object): Result {
  const original = replacedCpuKernel(kernelName);
  expect(original, kernelName).toBeTypeOf('function');
  const backend = tf.backend() as unknown as CpuBackend;
  const info = original!({
    inputs: { x },
    backend: tf.backend(),
    attrs,
  } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const result = toResult(info, backend.readSync(info.dataId));
  backend.disposeData(info.dataId);
  return result;
}

/** Runs the kernel registered now (the replacement) through the engine, checking for leaks. */
function runRegistered(kernelName: string, x: tf.Tensor, attrs: object): Result {
  return expectNoLeaks(() => {
    const t = tf.engine().runKernel<tf.Tensor>(kernelName, { x }, attrs as tf.NamedAttrMap);
    const result = toResult(t, t.dataSync());
    t.dispose();
    return result;
  }, 0);
}

/** Equal values (NaN equal to NaN), or within `tolerance`. */
function expectSame(actual: Result, expected: Result, tolerance = 0): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.dtype).toBe(expected.dtype);
  expect(actual.values.length).toBe(expected.values.length);
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.values[i];
    const e = expected.values[i];
    const same = Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= tolerance;
    if (!same) expect.fail(`element ${i}: ${a} vs ${e} (tolerance ${tolerance})`);
  }
}

const SPECIALS = [NaN, Infinity, -Infinity, -0];

/** Values on a 1/64 grid in [-2, 2] (sums exact in float64), with NaN/±Infinity/-0 when asked. */
function randomValues(size: number, dtype: Dtype, seed: number, specials: boolean): number[] {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 8;
  };
  const values: number[] = [];
  for (let i = 0; i < size; i++) {
    const r = next();
    if (dtype === 'bool') values.push(r % 2);
    else if (dtype === 'int32') values.push((r % 11) - 5);
    else if (specials && r % 13 === 0) values.push(SPECIALS[next() % SPECIALS.length]);
    else values.push((r % 257) / 64 - 2);
  }
  return values;
}

/** Values whose products are powers of two (exact in float64 until they overflow). */
function powerOfTwoValues(size: number, dtype: Dtype, seed: number): number[] {
  const choices = dtype === 'float32' ? [-2, -1, -0.5, 0, 0.5, 1, 2] : [-1, 0, 1, 2];
  return randomValues(size, 'int32', seed, false).map((v) => choices[(v + 5) % choices.length]);
}

interface ReductionCase {
  shape: number[];
  axis: number | number[] | null;
  keepDims: boolean;
  dtype: Dtype;
  specials: boolean;
  seed: number;
}

/** A shape of rank 0 to 6 with at most ~3000 elements, sometimes with a zero dimension. */
const shapeArb = fc
  .array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 6 })
  .chain((shape) =>
    fc.tuple(fc.constant(shape), fc.nat(shape.length + 8)).map(([s, zeroAt]) => {
      const out = [...s];
      while (out.reduce((a, b) => a * b, 1) > 3000) out[out.indexOf(Math.max(...out))]--;
      if (zeroAt < out.length) out[zeroAt] = 0;
      return out;
    }),
  );

/** Axes: all (null), none ([]), one number, or a shuffled subset, some given as negatives. */
function axisArb(rank: number): fc.Arbitrary<number | number[] | null> {
  const axis = fc.nat(Math.max(rank - 1, 0));
  const subset = fc
    .shuffledSubarray(
      Array.from({ length: rank }, (_, i) => i),
      { minLength: 0 },
    )
    .chain((axes) =>
      fc
        .array(fc.boolean(), { minLength: axes.length, maxLength: axes.length })
        .map((negative) => axes.map((a, i) => (negative[i] ? a - rank : a))),
    );
  const options: fc.Arbitrary<number | number[] | null>[] = [fc.constant(null), subset];
  if (rank > 0)
    options.push(
      axis,
      axis.map((a) => a - rank),
    );
  return fc.oneof(...options);
}

const reductionCase = (dtypes: Dtype[]): fc.Arbitrary<ReductionCase> =>
  shapeArb.chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axis: axisArb(shape.length),
      keepDims: fc.boolean(),
      dtype: fc.constantFrom(...dtypes),
      specials: fc.boolean(),
      seed: fc.nat(),
    }),
  );

function inputOf(c: ReductionCase, values?: number[]): tf.Tensor {
  const size = c.shape.reduce((a, b) => a * b, 1);
  return tf.tensor(values ?? randomValues(size, c.dtype, c.seed, c.specials), c.shape, c.dtype);
}

/** Compares the replacement of `kernelName` with tfjs's kernel on one case. */
function compare(
  kernelName: string,
  x: tf.Tensor,
  attrs: object,
  tolerance = 0,
): { actual: Result; expected: Result } {
  const expected = runReplaced(kernelName, x, attrs);
  const actual = runRegistered(kernelName, x, attrs);
  expectSame(actual, expected, tolerance);
  return { actual, expected };
}

// The test set-up registers the built package's kernels; these tests are of the sources'.
beforeAll(() => {
  unregisterFastCpuKernels();
  registerFastCpuKernels();
});

describe('reduction and transpose kernels: registration', () => {
  const names = [...REDUCTION_KERNELS, ...TRANSPOSE_KERNELS];

  it('replace tfjs’s cpu kernels, keeping the originals, and are in FAST_CPU_KERNELS', () => {
    expect(names.sort()).toEqual(
      ['ArgMax', 'ArgMin', 'Max', 'Mean', 'Min', 'Prod', 'Sum', 'Transpose'].sort(),
    );
    for (const name of names) {
      expect(FAST_CPU_KERNELS).toContain(name);
      const original = replacedCpuKernel(name);
      expect(original, name).toBeTypeOf('function');
      expect(tf.getKernel(name, 'cpu').kernelFunc, name).not.toBe(original);
    }
  });

  it('are taken out by unregisterFastCpuKernels and put back by registerFastCpuKernels', () => {
    const replacements = names.map((name) => tf.getKernel(name, 'cpu').kernelFunc);
    const originals = names.map((name) => replacedCpuKernel(name)!);
    try {
      unregisterFastCpuKernels();
      names.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBeUndefined();
      });
      registerFastCpuKernels();
      registerReductionKernels(); // harmless a second time
      names.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).not.toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBe(originals[i]);
      });
    } finally {
      names.forEach((name, i) => {
        tf.unregisterKernel(name, 'cpu');
        tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: replacements[i] });
      });
    }
  });
});

describe('Sum, Prod, Max, Min and Mean', () => {
  test.prop([reductionCase(['float32', 'int32', 'bool'])], { numRuns: 300 })(
    'Sum, Max and Min equal tfjs’s kernels (ranks 0-6, any axes, keepDims, NaN/±Infinity)',
    (c) => {
      const x = inputOf(c);
      try {
        compare(tf.Sum, x, { axis: c.axis, keepDims: c.keepDims });
        compare(tf.Max, x, { reductionIndices: c.axis, keepDims: c.keepDims });
        compare(tf.Min, x, { axis: c.axis, keepDims: c.keepDims });
      } finally {
        x.dispose();
      }
    },
  );

  test.prop([reductionCase(['float32', 'int32', 'bool'])], { numRuns: 200 })(
    'Mean equals tfjs’s kernel within float32 rounding',
    (c) => {
      const x = inputOf(c);
      try {
        const finite = (x.dataSync() as Float32Array).filter((v) => Number.isFinite(v));
        const largest = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        // tfjs divides every element by the count in float32 before summing.
        compare(tf.Mean, x, { axis: c.axis, keepDims: c.keepDims }, 1e-6 * largest);
      } finally {
        x.dispose();
      }
    },
  );

  test.prop([reductionCase(['float32', 'int32', 'bool'])], { numRuns: 200 })(
    'Prod equals tfjs’s kernel',
    (c) => {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const values = c.specials
        ? randomValues(size, c.dtype, c.seed, true)
        : powerOfTwoValues(size, c.dtype, c.seed);
      const x = inputOf(c, c.dtype === 'bool' ? undefined : values);
      try {
        // Products of grid values round in float64 beyond 53 bits; tfjs's order may differ.
        const { expected, actual } = compare(
          tf.Prod,
          x,
          { axis: c.axis, keepDims: c.keepDims },
          Infinity,
        );
        actual.values.forEach((v, i) => {
          const e = expected.values[i];
          const close = v === e || Math.abs(v - e) <= 1e-6 * Math.abs(e);
          if (!(Number.isNaN(e) ? Number.isNaN(v) : close)) {
            expect.fail(`element ${i}: ${v} vs ${e}`);
          }
        });
      } finally {
        x.dispose();
      }
    },
  );

  it('reduces the layouts of the project’s models as tfjs does', () => {
    const cases: [number[], number[]][] = [
      [
        [4, 6, 6, 16],
        [0, 1, 2],
      ], // batch-norm statistics of NHWC
      [
        [4, 6, 6, 16],
        [1, 2],
      ], // squeeze-excite mean
      [[5, 3, 37], [2]], // CTC over classes
      [[5, 3, 37], [-1]],
      [
        [2, 3, 4, 5],
        [0, 2],
      ], // interleaved kept and reduced axes
      [
        [2, 3, 4, 5],
        [3, 1],
      ],
      [
        [2, 3, 4, 5, 2],
        [0, 2, 4],
      ],
      [
        [3, 1, 4, 1],
        [1, 3],
      ], // only size-1 axes
      [[3, 1, 4, 1], []],
      [[], []],
      [[7], [0]],
    ];
    for (const [shape, axis] of cases) {
      const c: ReductionCase = {
        shape,
        axis,
        keepDims: false,
        dtype: 'float32',
        specials: false,
        seed: 3,
      };
      const x = inputOf(c);
      for (const keepDims of [false, true]) {
        compare(tf.Sum, x, { axis, keepDims });
        compare(tf.Max, x, { reductionIndices: axis, keepDims });
        compare(tf.Min, x, { axis, keepDims });
        compare(tf.Mean, x, { axis, keepDims }, 2e-6);
      }
      x.dispose();
    }
  });

  it('keeps tfjs’s dtypes: Sum and Prod of int32 and bool give int32, Mean float32', () => {
    const b = tf.tensor([true, false, true, true], [2, 2], 'bool');
    const i = tf.tensor([3, -4, 5, 6], [2, 2], 'int32');
    expect(compare(tf.Sum, b, { axis: [0] }).actual).toEqual({
      shape: [2],
      dtype: 'int32',
      values: [2, 1],
    });
    expect(compare(tf.Prod, i, { axis: 1 }).actual.values).toEqual([-12, 30]);
    expect(compare(tf.Prod, b, { axis: 1 }).actual.dtype).toBe('int32');
    expect(compare(tf.Mean, i, { axis: 0 }).actual).toEqual({
      shape: [2],
      dtype: 'float32',
      values: [4, 1],
    });
    expect(compare(tf.Max, b, { reductionIndices: 1 }).actual.dtype).toBe('bool');
    expect(compare(tf.Min, i, { axis: null }).actual).toEqual({
      shape: [],
      dtype: 'int32',
      values: [-4],
    });
    tf.dispose([b, i]);
  });

  it('wraps an int32 sum beyond 2^31 as tfjs does', () => {
    const x = tf.tensor([2 ** 30, 2 ** 30, 2 ** 30, 5], [4], 'int32');
    expect(compare(tf.Sum, x, { axis: 0 }).actual.values).toEqual([(3 * 2 ** 30 + 5) | 0]);
    x.dispose();
  });

  it('propagates NaN through Max and Min wherever it is, and sums ±Infinity to NaN', () => {
    const x = tf.tensor([1, NaN, 3, NaN, 0, -1, Infinity, -Infinity, 2], [3, 3]);
    expect(compare(tf.Max, x, { reductionIndices: 1 }).actual.values).toEqual([NaN, NaN, Infinity]);
    expect(compare(tf.Min, x, { axis: 0 }).actual.values).toEqual([NaN, NaN, -1]);
    expect(compare(tf.Sum, x, { axis: 1 }).actual.values).toEqual([NaN, NaN, NaN]);
    x.dispose();
  });

  it('leaves empty tensors to tfjs: Sum 0, Mean 0 (as tfjs-backend-cpu gives), Max NaN', () => {
    const x = tf.zeros([3, 0]);
    expect(compare(tf.Sum, x, { axis: 1 }).actual.values).toEqual([0, 0, 0]);
    expect(compare(tf.Mean, x, { axis: 1 }).actual.values).toEqual([0, 0, 0]);
    compare(tf.Max, x, { reductionIndices: 1 });
    compare(tf.Sum, x, { axis: 0 });
    x.dispose();
  });

  it('hands axes tfjs rejects to tfjs’s kernel, which throws its own error', () => {
    const x = tf.ones([2, 3]);
    for (const axis of [2, -3, 0.5]) {
      expect(() => tf.sum(x, axis)).toThrow(/axis/);
      expect(() => tf.max(x, axis)).toThrow(/axis/);
    }
    x.dispose();
  });

  it('hands complex tensors to tfjs’s kernel', () => {
    const z = tf.complex([1, 2], [3, 4]);
    expect(() => tf.engine().runKernel(tf.Sum, { x: z }, { axis: 0 })).toThrow(/complex/);
    z.dispose();
  });

  it('leaves the gradients of sum, mean, max, min and moments as tfjs computes them', () => {
    const x = tf.tensor(randomValues(2 * 3 * 4 * 5, 'float32', 7, false), [2, 3, 4, 5]);
    const w = tf.tensor(randomValues(5, 'float32', 8, false), [5]);
    const loss = (t: tf.Tensor): tf.Scalar => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      const se = tf.mean(t, [1, 2]);
      return tf.add<tf.Scalar>(
        tf.sum(tf.mul(tf.add(mean, variance), w)),
        tf.add(tf.sum(tf.max(se, 1)), tf.sum(tf.min(t, [0, 3]))),
      );
    };
    const fast = expectNoLeaks(() => tf.grad(loss)(x), 1);
    unregisterFastCpuKernels();
    let reference: tf.Tensor;
    try {
      reference = tf.grad(loss)(x);
    } finally {
      registerFastCpuKernels();
    }
    const f = fast.dataSync();
    const r = reference.dataSync();
    for (let i = 0; i < r.length; i++) expect(f[i]).toBeCloseTo(r[i], 5);
    tf.dispose([x, w, fast, reference]);
  });
});

describe('ArgMax and ArgMin', () => {
  test.prop([reductionCase(['float32', 'int32', 'bool'])], { numRuns: 200 })(
    'equal tfjs’s kernels (first of equal values; NaN as tfjs treats it)',
    (c) => {
      const x = inputOf(c);
      try {
        const rank = c.shape.length;
        const axis = typeof c.axis === 'number' ? c.axis : rank > 0 ? rank - 1 : 0;
        if (rank === 0 || c.shape.includes(0)) return;
        compare(tf.ArgMax, x, { axis });
        compare(tf.ArgMin, x, { axis });
      } finally {
        x.dispose();
      }
    },
  );

  it('take the first of equal values and pass over NaN unless it comes first', () => {
    const x = tf.tensor([1, 3, 3, 0, NaN, 5, 2, 5, 7, NaN, 1, 9], [3, 4]);
    expect(compare(tf.ArgMax, x, { axis: 1 }).actual.values).toEqual([1, 0, 3]);
    expect(compare(tf.ArgMin, x, { axis: 1 }).actual.values).toEqual([3, 0, 2]);
    expect(compare(tf.ArgMax, x, { axis: 0 }).actual.values).toEqual([2, 1, 0, 2]);
    expect(compare(tf.ArgMin, x, { axis: -2 }).actual.values).toEqual([0, 0, 2, 0]);
    x.dispose();
  });
});
