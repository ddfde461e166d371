import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { setupBackend } from '../../index';
import {
  FAST_CPU_KERNELS,
  registerFastCpuKernels,
  unregisterFastCpuKernels,
} from '../fast-cpu-kernels';
import { BINARY_KERNELS, registerBinaryKernels, unregisterBinaryKernels } from './binary-kernels';
import { replacedCpuKernel } from './replacements';

const KERNELS = [
  tf.Add,
  tf.Sub,
  tf.Multiply,
  tf.RealDiv,
  tf.Maximum,
  tf.Minimum,
  tf.SquaredDifference,
  tf.Pow,
  tf.Less,
  tf.LessEqual,
  tf.Greater,
  tf.GreaterEqual,
  tf.Equal,
  tf.NotEqual,
  tf.LogicalAnd,
  tf.LogicalOr,
];

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

const cpu = (): CpuBackend => tf.backend();

function resultOf(info: tf.TensorInfo): Result {
  const values = Array.from(cpu().readSync(info.dataId) as ArrayLike<number>);
  return { shape: [...info.shape], dtype: info.dtype, values };
}

/** tfjs's own `cpu` kernel (the one replaced), or its error. */
function runReplaced(kernelName: string, a: tf.Tensor, b: tf.Tensor): Result | Error {
  const original = replacedCpuKernel(kernelName);
  expect(original, kernelName).toBeTypeOf('function');
  let info: tf.TensorInfo;
  try {
    const args = { inputs: { a, b }, backend: tf.backend(), attrs: {} };
    info = original!(args) as tf.TensorInfo;
  } catch (error) {
    return error as Error;
  }
  const result = resultOf(info);
  cpu().disposeData(info.dataId);
  return result;
}

/** The kernel registered now (the replacement) through the engine, or its error. */
function runRegistered(kernelName: string, a: tf.Tensor, b: tf.Tensor): Result | Error {
  let result: tf.Tensor;
  try {
    result = tf.engine().runKernel(kernelName, { a, b }, {});
  } catch (error) {
    return error as Error;
  }
  const out = resultOf(result);
  result.dispose();
  return out;
}

/** Equal results: same shape and dtype, every value the same (NaN = NaN, -0 ≠ 0), or the same error. */
function expectSame(actual: Result | Error, expected: Result | Error, label: string): void {
  if (expected instanceof Error || actual instanceof Error) {
    expect(actual instanceof Error ? actual.message : actual, label).toBe(
      expected instanceof Error ? expected.message : expected,
    );
    return;
  }
  expect(actual.shape, label).toEqual(expected.shape);
  expect(actual.dtype, label).toBe(expected.dtype);
  expect(actual.values.length, label).toBe(expected.values.length);
  for (let i = 0; i < expected.values.length; i++) {
    if (!Object.is(actual.values[i], expected.values[i])) {
      expect.fail(`${label}: element ${i}: ${actual.values[i]} vs ${expected.values[i]}`);
    }
  }
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, 0.5, 3.4e38, -3.4e38, 1e-45, 1e30];

/** A float32 value: ordinary, integral or special. */
const floatValue = fc.oneof(
  { weight: 5, arbitrary: fc.float({ noDefaultInfinity: true, noNaN: true, min: -8, max: 8 }) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.float() },
);
const intValue = fc.oneof(
  fc.integer({ min: -6, max: 6 }),
  fc.constantFrom(0, 2 ** 31 - 1, -(2 ** 31), 46341, -46341, 65536),
);

function valuesOf(dtype: Dtype, size: number): fc.Arbitrary<number[]> {
  const value =
    dtype === 'float32'
      ? floatValue
      : dtype === 'int32'
        ? intValue
        : fc.integer({ min: 0, max: 1 });
  return fc.array(value, { minLength: size, maxLength: size });
}

/** An output shape of rank 0 to 6 (dimensions 0 to 4, mostly positive, small in total). */
const outShape = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }) },
      { weight: 1, arbitrary: fc.constant(0) },
    ),
    {
      maxLength: 6,
    },
  )
  .filter((shape) => shape.reduce((p, d) => p * d, 1) <= 600);

/** A shape broadcastable to `shape`: a suffix of it, with some dimensions 1. */
function broadcastable(shape: number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: shape.length }),
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
    )
    .map(([drop, ones]) => shape.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

type Pattern =
  | 'same'
  | 'scalar a'
  | 'scalar b'
  | 'trailing'
  | 'trailing 1'
  | 'leading'
  | 'interleaved'
  | 'general';

/** Ranks 3 to 6, dimensions 2 or 3: every axis is its own after merging when the inputs alternate. */
const interleavedShape = fc
  .array(fc.integer({ min: 2, max: 3 }), { minLength: 3, maxLength: 6 })
  .filter((shape) => shape.reduce((p, d) => p * d, 1) <= 600);

/** Two shapes of one broadcast pattern (shape of `a`, shape of `b`). */
function shapePair(pattern: Pattern): fc.Arbitrary<[number[], number[]]> {
  if (pattern === 'interleaved') {
    // a broadcast along every other axis, b along the others: no two axes merge.
    return fc
      .tuple(interleavedShape, fc.integer({ min: 0, max: 1 }))
      .map(([shape, parity]) => [
        shape.map((d, i) => (i % 2 === parity ? 1 : d)),
        shape.map((d, i) => (i % 2 === parity ? d : 1)),
      ]);
  }
  return outShape.chain((shape): fc.Arbitrary<[number[], number[]]> => {
    const last = shape.length - 1;
    switch (pattern) {
      case 'same':
        return fc.constant([shape, shape]);
      case 'scalar a':
        return fc.constantFrom<[number[], number[]]>([[], shape], [shape.map(() => 1), shape]);
      case 'scalar b':
        return fc.constantFrom<[number[], number[]]>([shape, []], [shape, [1]]);
      case 'trailing': // [..., C] with [C]
        return fc.constantFrom<[number[], number[]]>(
          [shape, shape.slice(last)],
          [shape.slice(last), shape],
        );
      case 'trailing 1': // [..., C] with [..., 1]
        return fc.constantFrom<[number[], number[]]>(
          [shape, [...shape.slice(0, last), 1]],
          [[...shape.slice(0, last), 1], shape],
        );
      case 'leading': // [N, ...] with [1, ...] or [...]
        return fc.constantFrom<[number[], number[]]>(
          [shape, [1, ...shape.slice(1)]],
          [shape.slice(1), shape],
        );
      default:
        return fc.tuple(broadcastable(shape), broadcastable(shape));
    }
  });
}

interface BinaryCase {
  kernel: string;
  aShape: number[];
  bShape: number[];
  aDtype: Dtype;
  bDtype: Dtype;
  a: number[];
  b: number[];
}

function binaryCase(
  pattern: Pattern,
  dtypes: fc.Arbitrary<[Dtype, Dtype]>,
): fc.Arbitrary<BinaryCase> {
  return fc
    .tuple(fc.constantFrom(...KERNELS), shapePair(pattern), dtypes)
    .chain(([kernel, [aShape, bShape], [aDtype, bDtype]]) =>
      fc
        .tuple(
          valuesOf(
            aDtype,
            aShape.reduce((p, d) => p * d, 1),
          ),
          valuesOf(
            bDtype,
            bShape.reduce((p, d) => p * d, 1),
          ),
        )
        .map(([a, b]) => ({ kernel, aShape, bShape, aDtype, bDtype, a, b })),
    );
}

const sameDtype = fc
  .constantFrom<Dtype>('float32', 'float32', 'int32', 'bool')
  .map((d): [Dtype, Dtype] => [d, d]);
const anyDtypes = fc.tuple(
  fc.constantFrom<Dtype>('float32', 'int32', 'bool'),
  fc.constantFrom<Dtype>('float32', 'int32', 'bool'),
);

const show = (shape: number[]): string => JSON.stringify(shape);

function check(c: BinaryCase): void {
  const a = tf.tensor(c.a, c.aShape, c.aDtype);
  const b = tf.tensor(c.b, c.bShape, c.bDtype);
  const label = `${c.kernel} ${c.aDtype}${show(c.aShape)} ${c.bDtype}${show(c.bShape)}`;
  try {
    const expected = runReplaced(c.kernel, a, b);
    const actual = expectNoLeaks(() => runRegistered(c.kernel, a, b), 0);
    expectSame(actual, expected, label);
  } finally {
    tf.dispose([a, b]);
  }
}

// Registered anew from these sources (the test set-up registers the built package's).
beforeAll(() => {
  unregisterFastCpuKernels();
  registerFastCpuKernels();
});

describe('binary kernels: registration', () => {
  it('replaces tfjs’s cpu kernels, keeping the originals', () => {
    expect([...BINARY_KERNELS].sort()).toEqual([...KERNELS].sort());
    for (const name of KERNELS) {
      const original = replacedCpuKernel(name);
      expect(original, name).toBeTypeOf('function');
      expect(tf.getKernel(name, 'cpu').kernelFunc, name).not.toBe(original);
    }
  });

  it('are in FAST_CPU_KERNELS, taken out by unregister and put back by register', () => {
    expect(FAST_CPU_KERNELS).toEqual(expect.arrayContaining(KERNELS));
    const replacements = KERNELS.map((name) => tf.getKernel(name, 'cpu').kernelFunc);
    const originals = KERNELS.map((name) => replacedCpuKernel(name)!);
    try {
      unregisterBinaryKernels();
      unregisterBinaryKernels(); // harmless when they are not registered
      KERNELS.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBeUndefined();
      });
      registerBinaryKernels();
      registerBinaryKernels(); // harmless when they are registered
      KERNELS.forEach((name, i) => expect(replacedCpuKernel(name), name).toBe(originals[i]));
      unregisterFastCpuKernels();
      KERNELS.forEach((name, i) =>
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]),
      );
      registerFastCpuKernels();
      KERNELS.forEach((name, i) => expect(replacedCpuKernel(name), name).toBe(originals[i]));
    } finally {
      KERNELS.forEach((name, i) => {
        tf.unregisterKernel(name, 'cpu');
        tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: replacements[i] });
      });
    }
  });

  it("are what setupBackend('cpu') registers, and fastCpuKernels: false restores tfjs’s", async () => {
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

describe('binary kernels: the same results as tfjs’s (ranks 0-6, size-0 dims)', () => {
  const patterns: Pattern[] = [
    'same',
    'scalar a',
    'scalar b',
    'trailing',
    'trailing 1',
    'leading',
    'interleaved',
    'general',
  ];
  for (const pattern of patterns) {
    test.prop([binaryCase(pattern, sameDtype)], { numRuns: 120 })(
      `${pattern}: every op, float32/int32/bool, special values`,
      check,
    );
  }

  test.prop([binaryCase('general', anyDtypes)], { numRuns: 150 })(
    'inputs of two dtypes (through runKernel): the dtype and values of tfjs’s',
    check,
  );

  test.prop(
    [
      fc.constantFrom(...KERNELS),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    ],
    { numRuns: 100 },
  )('shapes that may not broadcast: the same result or the same error', (kernel, s1, s2) => {
    const a = tf.ones(s1);
    const b = tf.ones(s2);
    try {
      expectSame(
        expectNoLeaks(() => runRegistered(kernel, a, b), 0),
        runReplaced(kernel, a, b),
        `${kernel} ${show(s1)} ${show(s2)}`,
      );
    } finally {
      tf.dispose([a, b]);
    }
  });

  it('takes NaN from Maximum and Minimum as tfjs does (Math.max / Math.min)', () => {
    const a = tf.tensor1d([NaN, 1, NaN, -0, 0, -Infinity]);
    const b = tf.tensor1d([1, NaN, NaN, 0, -0, Infinity]);
    expect(Array.from(tf.maximum(a, b).dataSync())).toEqual([NaN, NaN, NaN, 0, 0, Infinity]);
    expect(Array.from(tf.minimum(a, b).dataSync())).toEqual([NaN, NaN, NaN, -0, -0, -Infinity]);
    for (const kernel of [tf.Maximum, tf.Minimum]) {
      expectSame(runRegistered(kernel, a, b), runReplaced(kernel, a, b), kernel);
    }
    tf.dispose([a, b]);
  });

  it('keeps tfjs’s int32 results: Add, Multiply, Pow of int32 are int32', () => {
    const a = tf.tensor2d([[3, -7, 2 ** 31 - 1]], [1, 3], 'int32');
    const b = tf.tensor2d([[2], [0]], [2, 1], 'int32');
    for (const op of [tf.add, tf.sub, tf.mul, tf.pow, tf.maximum, tf.squaredDifference]) {
      const result = op(a, b);
      expect(result.dtype).toBe('int32');
      result.dispose();
    }
    expect(Array.from(tf.pow(a, b).dataSync())).toEqual([9, 49, 0, 1, 1, 1]);
    for (const kernel of KERNELS) {
      expectSame(runRegistered(kernel, a, b), runReplaced(kernel, a, b), kernel);
    }
    tf.dispose([a, b]);
  });

  it('compares as tfjs does: bool results, NaN unordered, LogicalAnd/Or of ints as `&&`/`||`', () => {
    const a = tf.tensor1d([NaN, 1, -0, 6, Infinity, 2]);
    const b = tf.scalar(6);
    const le = tf.lessEqual(a, b);
    expect(le.dtype).toBe('bool');
    expect(Array.from(le.dataSync())).toEqual([0, 1, 1, 1, 0, 1]);
    const ints = tf.tensor1d([2, 0, -1], 'int32');
    const other = tf.tensor1d([3, 5, 0], 'int32');
    for (const kernel of [tf.Equal, tf.NotEqual, tf.Less, tf.Greater]) {
      expectSame(runRegistered(kernel, a, b), runReplaced(kernel, a, b), kernel);
    }
    for (const kernel of [tf.LogicalAnd, tf.LogicalOr]) {
      const result = runRegistered(kernel, ints, other);
      expectSame(result, runReplaced(kernel, ints, other), kernel);
      expect((result as Result).dtype).toBe('bool');
    }
    // 2 && 3 is 3, -1 || 0 is -1 (255 in the Uint8Array), as tfjs stores them.
    expect((runRegistered(tf.LogicalAnd, ints, other) as Result).values).toEqual([3, 0, 0]);
    expect((runRegistered(tf.LogicalOr, ints, other) as Result).values).toEqual([2, 5, 255]);
    tf.dispose([a, b, le, ints, other]);
  });

  it('hands complex64 inputs to tfjs’s kernel', () => {
    const a = tf.complex([1, 2, 3], [4, 5, 6]);
    const b = tf.complex([2], [-1]);
    const products = expectNoLeaks(() => tf.mul(a, b), 1);
    expect(products.dtype).toBe('complex64');
    expect(Array.from(tf.real(products).dataSync())).toEqual([6, 9, 12]);
    expect(Array.from(tf.imag(products).dataSync())).toEqual([7, 8, 9]);
    const sums = tf.add(a, b);
    expect(Array.from(tf.real(sums).dataSync())).toEqual([3, 4, 5]);
    tf.dispose([a, b, products, sums]);
  });

  it('leaks nothing, on the error path either', () => {
    const x = tf.randomNormal([4, 3, 5]);
    const y = tf.randomNormal([3, 1]);
    const z = tf.ones([2]);
    expectNoLeaks(() => tf.dispose(tf.tidy(() => tf.sub(x, tf.max(x, -1, true)))), 0);
    expectNoLeaks(() => tf.dispose(tf.div(x, y)), 0);
    expectNoLeaks(() => expect(() => tf.add(x, z)).toThrow(/could not be broadcast/), 0);
    tf.dispose([x, y, z]);
  });
});

describe('binary kernels: gradients', () => {
  // tfjs 4.22's gradients of Maximum and Minimum do not reduce over broadcast axes (they fail
  // with "The gradient of input 'b' has shape …"), with its kernels as with these: the test
  // broadcasts only the other ops.
  it('tf.grad through every op gives what it gives with tfjs’s kernels', () => {
    const x = tf.tensor3d([0.5, -1.25, 2, 3.5, -0.75, 1, 1.5, 0.25, -2, 4, 0.125, -3], [2, 3, 2]);
    const y = tf.tensor2d([1.5, -0.5], [1, 2]);
    const z = tf.tensor3d([0.75, 1.25, 2.5], [1, 3, 1]);
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar =>
      tf.tidy(() => {
        const s = tf.sub(a, tf.max(a, -1, true));
        const t = tf.add(tf.mul(s, b), tf.div(a, c));
        const u = tf.squaredDifference(tf.maximum(t, tf.mul(a, b)), tf.minimum(a, tf.sub(a, c)));
        const v = tf.pow(tf.abs(a), tf.add(c, 1));
        return tf.sum(tf.add(u, v));
      });
    const gradients = () => tf.grads(loss)([x, y, z]);
    const fast = expectNoLeaks(gradients, 3);
    const originals = KERNELS.map((name) => replacedCpuKernel(name));
    unregisterBinaryKernels();
    let reference: tf.Tensor[];
    try {
      expect(replacedCpuKernel(tf.Add)).toBeUndefined();
      reference = gradients();
    } finally {
      registerBinaryKernels();
    }
    expect(KERNELS.map((name) => replacedCpuKernel(name))).toEqual(originals);
    fast.forEach((g, i) => expectSame(resultOf(g), resultOf(reference[i]), `gradient ${i}`));
    tf.dispose([x, y, z, ...fast, ...reference!]);
  });
});
