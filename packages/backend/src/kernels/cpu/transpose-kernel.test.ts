import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { registerFastCpuKernels, unregisterFastCpuKernels } from '../fast-cpu-kernels';
import { replacedCpuKernel } from './replacements';
import { collapseTranspose } from './transpose-impl';

type Dtype = 'float32' | 'int32' | 'bool';

interface Result {
  shape: number[];
  dtype: tf.DataType;
  values: unknown[];
}

interface CpuBackend {
  readSync(id: tf.DataId): tf.BackendValues;
  disposeData(id: tf.DataId): void;
}

/** tfjs's own `Transpose` kernel (the one replaced). */
function runReplaced(x: tf.Tensor, perm: number[]): Result {
  const original = replacedCpuKernel(tf.Transpose);
  expect(original).toBeTypeOf('function');
  const backend = tf.backend() as unknown as CpuBackend;
  const info = original!({
    inputs: { x },
    backend: tf.backend(),
    attrs: { perm },
  }) as tf.TensorInfo;
  const values = Array.from(backend.readSync(info.dataId) as ArrayLike<unknown>);
  backend.disposeData(info.dataId);
  return { shape: [...info.shape], dtype: info.dtype, values };
}

/** The registered kernel (the replacement), through the engine. */
function runRegistered(x: tf.Tensor, perm: number[]): Result {
  return expectNoLeaks(() => {
    const t = tf.engine().runKernel<tf.Tensor>(tf.Transpose, { x }, { perm });
    const result = { shape: [...t.shape], dtype: t.dtype, values: Array.from(t.dataSync()) };
    t.dispose();
    return result;
  }, 0);
}

const transposeCase = fc
  .array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 6 })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      perm: fc.shuffledSubarray(
        shape.map((_, i) => i),
        { minLength: shape.length, maxLength: shape.length },
      ),
      dtype: fc.constantFrom<Dtype>('float32', 'int32', 'bool'),
      zeroAt: fc.nat(shape.length + 6),
    }),
  )
  .map((c) => {
    const shape = [...c.shape];
    while (shape.reduce((a, b) => a * b, 1) > 5000) shape[shape.indexOf(Math.max(...shape))]--;
    if (c.zeroAt < shape.length) shape[c.zeroAt] = 0;
    return { ...c, shape };
  });

function input(shape: number[], dtype: Dtype): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) =>
    dtype === 'bool' ? (i * 7) % 3 : dtype === 'int32' ? i - 100 : i % 17 === 0 ? NaN : i / 3,
  );
  return tf.tensor(values, shape, dtype);
}

// The test set-up registers the built package's kernels; these tests are of the sources'.
beforeAll(() => {
  unregisterFastCpuKernels();
  registerFastCpuKernels();
});

describe('Transpose', () => {
  test.prop([transposeCase], { numRuns: 400 })(
    'equals tfjs’s kernel (ranks 1-6, any permutation, float32/int32/bool, empty)',
    ({ shape, perm, dtype }) => {
      const x = input(shape, dtype);
      try {
        expect(runRegistered(x, perm)).toEqual(runReplaced(x, perm));
      } finally {
        x.dispose();
      }
    },
  );

  it('transposes the layouts of the benchmarks and models as tfjs does', () => {
    const cases: [number[], number[]][] = [
      [
        [64, 128, 3],
        [2, 0, 1],
      ],
      [
        [64, 128, 3],
        [1, 0, 2],
      ],
      [
        [70, 45],
        [1, 0],
      ],
      [
        [2, 33, 34, 5],
        [0, 3, 1, 2],
      ],
      [
        [2, 5, 33, 34],
        [0, 2, 3, 1],
      ],
      [
        [3, 4, 5],
        [0, 1, 2],
      ],
      [
        [1, 4, 1, 5],
        [3, 2, 1, 0],
      ],
      [[], []],
    ];
    for (const [shape, perm] of cases) {
      const x = input(shape, 'float32');
      expect(runRegistered(x, perm)).toEqual(runReplaced(x, perm));
      x.dispose();
    }
  });

  it('merges dimensions that stay together and drops those of size 1', () => {
    expect(collapseTranspose([64, 128, 3], [2, 0, 1])).toEqual({ shape: [8192, 3], perm: [1, 0] });
    expect(collapseTranspose([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ shape: [6, 20], perm: [1, 0] });
    expect(collapseTranspose([2, 1, 4], [1, 2, 0])).toEqual({ shape: [2, 4], perm: [1, 0] });
    expect(collapseTranspose([3, 4, 5], [1, 0, 2])).toEqual({ shape: [3, 4, 5], perm: [1, 0, 2] });
  });

  it('hands strings and bad permutations to tfjs’s kernel', () => {
    const s = tf.tensor([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    const t = tf.engine().runKernel<tf.Tensor>(tf.Transpose, { x: s }, { perm: [1, 0] });
    expect(t.arraySync()).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ]);
    tf.dispose([s, t]);
    const x = tf.ones([2, 3]);
    // tfjs-core's transpose checks the range of `perm` but not repeats; tfjs's kernel decides.
    expect(runRegistered(x, [0, 0])).toEqual(runReplaced(x, [0, 0]));
    x.dispose();
  });

  it('leaves gradients through transposes as tfjs computes them', () => {
    const x = input([3, 4, 5], 'float32');
    const y = tf.tensor(
      Array.from({ length: 60 }, (_, i) => i / 7),
      [3, 4, 5],
    );
    const clean = tf.where(tf.isNaN(x), tf.zerosLike(x), x);
    const loss = (t: tf.Tensor): tf.Scalar =>
      tf.sum<tf.Scalar>(tf.mul(tf.transpose(t, [2, 0, 1]), tf.transpose(y, [2, 0, 1])));
    const fast = expectNoLeaks(() => tf.grad(loss)(clean), 1);
    unregisterFastCpuKernels();
    let reference: tf.Tensor;
    try {
      reference = tf.grad(loss)(clean);
    } finally {
      registerFastCpuKernels();
    }
    expect(Array.from(fast.dataSync())).toEqual(Array.from(reference.dataSync()));
    tf.dispose([x, y, clean, fast, reference]);
  });
});
