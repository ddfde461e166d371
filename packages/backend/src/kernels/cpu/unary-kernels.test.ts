import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import {
  FAST_CPU_KERNELS,
  registerFastCpuKernels,
  unregisterFastCpuKernels,
} from '../fast-cpu-kernels';
import { replacedCpuKernel } from './replacements';
import { UNARY_KERNELS, registerUnaryKernels, unregisterUnaryKernels } from './unary-kernels';

const KERNELS = [
  tf.Relu,
  tf.Relu6,
  tf.Step,
  tf.Sigmoid,
  tf.Tanh,
  tf.Exp,
  tf.Log,
  tf.Neg,
  tf.Sqrt,
  tf.Rsqrt,
  tf.Elu,
];

type Dtype = 'float32' | 'int32' | 'bool';

interface Result {
  shape: number[];
  dtype: tf.DataType;
  values: number[];
  array: string;
}

interface CpuBackend {
  readSync(id: tf.DataId): tf.BackendValues;
  disposeData(id: tf.DataId): void;
}

const cpu = (): CpuBackend => tf.backend();

function resultOf(info: tf.TensorInfo): Result {
  const data = cpu().readSync(info.dataId) as ArrayLike<number>;
  const array = (data as object).constructor.name;
  return { shape: [...info.shape], dtype: info.dtype, values: Array.from(data), array };
}

/** tfjs's own kernel (the one replaced), or its error. */
function runReplaced(kernelName: string, x: tf.Tensor, attrs: tf.NamedAttrMap): Result | Error {
  const original = replacedCpuKernel(kernelName);
  expect(original, kernelName).toBeTypeOf('function');
  let info: tf.TensorInfo;
  try {
    info = original!({ inputs: { x }, backend: tf.backend(), attrs }) as tf.TensorInfo;
  } catch (error) {
    return error as Error;
  }
  const result = resultOf(info);
  cpu().disposeData(info.dataId);
  return result;
}

/** The kernel registered now (the replacement), through the engine, or its error. */
function runRegistered(kernelName: string, x: tf.Tensor, attrs: tf.NamedAttrMap): Result | Error {
  let result: tf.Tensor;
  try {
    result = tf.engine().runKernel(kernelName, { x }, attrs);
  } catch (error) {
    return error as Error;
  }
  const out = resultOf(result);
  result.dispose();
  return out;
}

/** Same shape, dtype, typed array and values (Object.is: NaN = NaN, -0 ≠ 0), or the same error. */
function expectSame(actual: Result | Error, expected: Result | Error, label: string): void {
  if (expected instanceof Error || actual instanceof Error) {
    expect(actual instanceof Error ? actual.message : actual, label).toBe(
      expected instanceof Error ? expected.message : expected,
    );
    return;
  }
  expect(actual.shape, label).toEqual(expected.shape);
  expect(actual.dtype, label).toBe(expected.dtype);
  expect(actual.array, label).toBe(expected.array);
  expect(actual.values.length, label).toBe(expected.values.length);
  for (let i = 0; i < expected.values.length; i++) {
    if (!Object.is(actual.values[i], expected.values[i])) {
      expect.fail(`${label}: element ${i}: ${actual.values[i]} vs ${expected.values[i]}`);
    }
  }
}

const SPECIAL = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1,
  -1,
  6,
  6.5,
  3.4e38,
  -3.4e38,
  1e-45,
  88.8,
  -104,
];

const floatValue = fc.oneof(
  { weight: 5, arbitrary: fc.float({ noDefaultInfinity: true, noNaN: true, min: -10, max: 10 }) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.float() },
);
const intValue = fc.oneof(
  fc.integer({ min: -8, max: 8 }),
  fc.constantFrom(0, 2 ** 31 - 1, -(2 ** 31), 46341, -46341),
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

const shape = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1, max: 5 }) },
      { weight: 1, arbitrary: fc.constant(0) },
    ),
    { maxLength: 4 },
  )
  .filter((s) => s.reduce((p, d) => p * d, 1) <= 300);

const attrsOf = (kernel: string, alpha: number): tf.NamedAttrMap =>
  kernel === tf.Step ? { alpha } : {};

const unaryCase = fc
  .tuple(
    fc.constantFrom(...KERNELS),
    shape,
    fc.constantFrom<Dtype>('float32', 'float32', 'int32', 'bool'),
    fc.constantFrom(0, 0.2, -1.5, NaN),
  )
  .chain(([kernel, s, dtype, alpha]) =>
    valuesOf(
      dtype,
      s.reduce((p, d) => p * d, 1),
    ).map((values) => ({ kernel, shape: s, dtype, alpha, values })),
  );

// Registered anew from these sources (the test set-up registers the built package's).
beforeAll(() => {
  unregisterFastCpuKernels();
  registerFastCpuKernels();
});

describe('unary kernels: registration', () => {
  it('replaces tfjs’s cpu kernels, keeping the originals; unregister and register round trip', () => {
    expect([...UNARY_KERNELS].sort()).toEqual([...KERNELS].sort());
    expect(FAST_CPU_KERNELS).toEqual(expect.arrayContaining(KERNELS));
    const replacements = KERNELS.map((name) => tf.getKernel(name, 'cpu').kernelFunc);
    const originals = KERNELS.map((name) => replacedCpuKernel(name)!);
    KERNELS.forEach((name, i) => {
      expect(originals[i], name).toBeTypeOf('function');
      expect(replacements[i], name).not.toBe(originals[i]);
    });
    try {
      unregisterUnaryKernels();
      unregisterUnaryKernels(); // harmless
      KERNELS.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBeUndefined();
      });
      registerUnaryKernels();
      registerUnaryKernels(); // harmless
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
});

describe('unary kernels: the same results as tfjs’s', () => {
  test.prop([unaryCase], { numRuns: 400 })(
    'every op, float32/int32/bool, special values, size 0: same dtype, array and bits',
    (c) => {
      const x = tf.tensor(c.values, c.shape, c.dtype);
      const attrs = attrsOf(c.kernel, c.alpha);
      try {
        expectSame(
          expectNoLeaks(() => runRegistered(c.kernel, x, attrs), 0),
          runReplaced(c.kernel, x, attrs),
          `${c.kernel} ${c.dtype}${JSON.stringify(c.shape)} alpha ${c.alpha}`,
        );
      } finally {
        x.dispose();
      }
    },
  );

  it('NaN, ±Infinity and -0 of every op, as tfjs', () => {
    const x = tf.tensor1d([NaN, Infinity, -Infinity, -0, 0, 5, -5, 7, 0.25]);
    for (const kernel of KERNELS) {
      expectSame(
        runRegistered(kernel, x, attrsOf(kernel, 0.3)),
        runReplaced(kernel, x, attrsOf(kernel, 0.3)),
        kernel,
      );
    }
    tf.tidy(() => {
      expect(Array.from(tf.relu(x).dataSync())).toEqual([NaN, Infinity, 0, 0, 0, 5, 0, 7, 0.25]);
      expect(Object.is(tf.relu(tf.scalar(-0)).dataSync()[0], 0)).toBe(true);
      expect(Array.from(tf.step(x, 0.5).dataSync())).toEqual([NaN, 1, 0.5, 0.5, 0.5, 1, 0.5, 1, 1]);
      expect(Array.from(tf.relu6(x).dataSync())).toEqual([NaN, 6, 0, 0, 0, 5, 0, 6, 0.25]);
    });
    x.dispose();
  });

  it('Relu, Relu6 and Step from the bits: signed NaNs, denormals, values next to 0 and 6', () => {
    const bits = new Int32Array([
      0x7fc00000,
      0xffc00000 | 0,
      0x7f800001,
      0xff800001 | 0,
      0x7fffffff,
      0xffffffff | 0,
      0x7f800000,
      0xff800000 | 0,
      0x80000000 | 0,
      0,
      1,
      0x80000001 | 0,
      0x007fffff,
      0x807fffff | 0,
      0x7f7fffff,
      0xff7fffff | 0,
      0x40bfffff,
      0x40c00000,
      0x40c00001,
      0xc0c00000 | 0,
      0x3f800000,
      0xbf800000 | 0,
    ]);
    const x = tf.tensor1d(new Float32Array(bits.buffer));
    for (const kernel of [tf.Relu, tf.Relu6, tf.Step]) {
      for (const alpha of [0, -0, 0.1, NaN, -Infinity]) {
        const attrs = attrsOf(kernel, alpha);
        expectSame(
          runRegistered(kernel, x, attrs),
          runReplaced(kernel, x, attrs),
          `${kernel} ${alpha}`,
        );
      }
    }
    x.dispose();
  });

  it('hands what it does not handle to tfjs’s kernel: bool Neg, Step without alpha, complex', () => {
    const ints = tf.tensor1d([-(2 ** 31), 3, -46341], 'int32');
    const bools = tf.tensor1d([1, 0], 'bool');
    expectSame(runRegistered(tf.Neg, bools, {}), runReplaced(tf.Neg, bools, {}), 'Neg');
    expectSame(runRegistered(tf.Step, ints, {}), runReplaced(tf.Step, ints, {}), 'Step, no alpha');
    const c = tf.complex([1], [2]);
    expectSame(runRegistered(tf.Relu, c, {}), runReplaced(tf.Relu, c, {}), 'Relu complex');
    tf.dispose([ints, bools, c]);
  });

  it('leaks nothing, on the error path either', () => {
    const x = tf.randomNormal([3, 4]);
    const c = tf.complex([1], [2]);
    expectNoLeaks(() => tf.dispose([tf.sigmoid(x), tf.tanh(x), tf.exp(x), tf.relu(x)]), 0);
    expectNoLeaks(() => expect(() => tf.engine().runKernel(tf.Sigmoid, { x: c }, {})).toThrow(), 0);
    tf.dispose([x, c]);
  });

  it('gradients through relu, relu6, sigmoid, tanh, elu are tfjs’s', () => {
    const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3, 7, NaN]);
    const loss = (v: tf.Tensor): tf.Scalar =>
      tf.sum(
        tf.addN([tf.relu(v), tf.relu6(v), tf.sigmoid(v), tf.tanh(v), tf.elu(v), tf.leakyRelu(v)]),
      );
    const fast = expectNoLeaks(() => tf.grad(loss)(x), 1);
    unregisterUnaryKernels();
    let reference: tf.Tensor;
    try {
      reference = tf.grad(loss)(x);
    } finally {
      registerUnaryKernels();
    }
    expectSame(resultOf(fast), resultOf(reference), 'gradient');
    tf.dispose([x, fast, reference]);
  });
});
