import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { test, fc } from '@fast-check/vitest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { logSoftmax } from '../../ops/log-softmax';
import { logSoftmaxBackward, logSoftmaxForward, softmaxBackward } from './log-softmax-impl';
import {
  expWasm,
  logSoftmaxBackwardWasm,
  logSoftmaxForwardWasm,
  logSoftmaxWasm,
  setLogSoftmaxWasmEnabled,
} from './log-softmax-wasm';
import { LOG_SOFTMAX_WASM_BASE64 } from './log-softmax-module';

const bits = new Uint32Array(1);
const float = new Float32Array(bits.buffer);
function toBits(value: number): number {
  float[0] = value;
  return bits[0];
}

/** Float64 reference log-softmax of one row of float32s. */
function reference(row: ArrayLike<number>): number[] {
  const values = Array.from(row);
  const max = Math.max(...values);
  const logSum = max + Math.log(values.reduce((sum, x) => sum + Math.exp(x - max), 0));
  return values.map((x) => x - logSum);
}

const rowsArbitrary = fc
  .record({ rows: fc.integer({ min: 1, max: 5 }), classes: fc.integer({ min: 1, max: 37 }) })
  .chain(({ rows, classes }) =>
    fc.record({
      rows: fc.constant(rows),
      classes: fc.constant(classes),
      x: fc.array(fc.float({ min: -200, max: 200, noNaN: true, noDefaultInfinity: true }), {
        minLength: rows * classes,
        maxLength: rows * classes,
      }),
      dy: fc.array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), {
        minLength: rows * classes,
        maxLength: rows * classes,
      }),
    }),
  );

afterEach(() => setLogSoftmaxWasmEnabled(true));

describe('WebAssembly log-softmax', () => {
  it('is a module under 4 KB that this engine runs', () => {
    // Browsers compile modules up to 4 KB synchronously on the main thread.
    expect(atob(LOG_SOFTMAX_WASM_BASE64).length).toBeLessThanOrEqual(4096);
    expect(logSoftmaxWasm()).toBeDefined();
  });

  it('computes exp within 1 ulp of Math.exp over the whole float32 range it sees', () => {
    // Every 1024th float32 from -0 down to -104 (about a million values), subnormals included.
    const start = toBits(-0);
    const end = toBits(-104);
    const count = Math.floor((end - start) / 1024) + 1;
    const values = new Float32Array(count);
    const words = new Uint32Array(values.buffer);
    for (let i = 0; i < count; i++) words[i] = start + i * 1024;
    const actual = expWasm(values)!;
    let worst = 0;
    for (let i = 0; i < count; i++) {
      const ulps = Math.abs(toBits(actual[i]) - toBits(Math.fround(Math.exp(values[i]))));
      if (ulps > worst) worst = ulps;
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('computes exp exactly at the edges', () => {
    const edges = Float32Array.of(0, -0, -Infinity, NaN, -104, -103.98, -103.2, -87.5, -1e30, -3);
    const actual = Array.from(expWasm(edges)!);
    expect(actual.slice(0, 3)).toEqual([1, 1, 0]);
    expect(actual[3]).toBeNaN();
    expect(actual.slice(4, 6)).toEqual([0, 0]); // below half the smallest subnormal
    expect(actual[6]).toBe(Math.fround(Math.exp(-103.2))); // the smallest subnormal
    expect(actual[7]).toBe(Math.fround(Math.exp(Math.fround(-87.5)))); // subnormal
    expect(actual[8]).toBe(0);
    expect(toBits(actual[9]) - toBits(Math.fround(Math.exp(-3)))).toBeLessThanOrEqual(1);
  });

  test.prop([rowsArbitrary])(
    'matches the JavaScript kernel and the float64 reference',
    ({ rows, classes, x, dy }) => {
      const input = Float32Array.from(x);
      const gradient = Float32Array.from(dy);
      const wasm = logSoftmaxForwardWasm(input, rows, classes)!;
      const js = logSoftmaxForward(input, rows, classes);
      for (let r = 0; r < rows; r++) {
        const row = input.subarray(r * classes, (r + 1) * classes);
        reference(row).forEach((expected, k) => {
          const i = r * classes + k;
          const tolerance = 2e-6 * Math.max(1, Math.abs(expected));
          expect(Math.abs(wasm.logProbs[i] - expected)).toBeLessThanOrEqual(tolerance);
          expect(Math.abs(wasm.logProbs[i] - js.logProbs[i])).toBeLessThanOrEqual(tolerance);
          // x - max is rounded to float32 first (as in PyTorch): a relative error of about
          // |x - max| · 2^-24 in the softmax, at most 2.2e-8 absolute.
          expect(Math.abs(wasm.softmax[i] - Math.exp(expected))).toBeLessThanOrEqual(
            2.4e-7 * (4 + Math.abs(expected)) * Math.exp(expected) + 2e-45,
          );
        });
      }
      const dx = logSoftmaxBackwardWasm(gradient, wasm.softmax, rows, classes)!;
      const expected = logSoftmaxBackward(gradient, js.shiftedExp, js.inverseSum, rows, classes);
      expected.forEach((value, i) =>
        expect(Math.abs(dx[i] - value)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(value))),
      );
      softmaxBackward(gradient, wasm.softmax, rows, classes).forEach((value, i) =>
        expect(Math.abs(dx[i] - value)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(value))),
      );
    },
  );

  it('splits many rows into blocks', () => {
    const rows = 13;
    const classes = 5001; // 6 rows per block, and a tail of one float32 per row
    const x = Float32Array.from({ length: rows * classes }, (_, i) => Math.sin(i) * 20);
    const wasm = logSoftmaxForwardWasm(x, rows, classes)!;
    const js = logSoftmaxForward(x, rows, classes);
    const largestDifference = (a: Float32Array, b: Float32Array): number =>
      a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - b[i])), 0);
    expect(largestDifference(wasm.logProbs, js.logProbs)).toBeLessThan(1e-5);
    const dy = Float32Array.from({ length: rows * classes }, (_, i) => Math.cos(i));
    const dx = logSoftmaxBackwardWasm(dy, wasm.softmax, rows, classes)!;
    const expected = logSoftmaxBackward(dy, js.shiftedExp, js.inverseSum, rows, classes);
    expect(largestDifference(dx, expected)).toBeLessThan(1e-6);
  });

  it('gives rows holding ±Infinity or NaN what the JavaScript kernel gives', () => {
    const classes = 6; // a vector of four and a scalar tail of two
    const special = [
      [-Infinity, 0, 0, 1, 2, 3],
      [Infinity, 1, Infinity, -Infinity, 0, 0],
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
      [NaN, 0, 1, 2, 3, 4],
      [0, 1, 2, 3, 4, NaN],
      [Infinity, NaN, 0, 1, 2, 3],
      [0, 1, 2, 3, Infinity, NaN],
      [1, 2, 3, 4, 5, 6],
    ];
    const x = Float32Array.from(special.flat());
    const rows = special.length;
    const wasm = logSoftmaxForwardWasm(x, rows, classes)!;
    const js = logSoftmaxForward(x, rows, classes);
    for (let i = 0; i < rows * classes; i++) {
      if (i < (rows - 1) * classes) {
        expect(Object.is(wasm.logProbs[i], js.logProbs[i]), `logProbs[${i}]`).toBe(true);
        const softmax = Math.fround(js.shiftedExp[i] * js.inverseSum[Math.floor(i / classes)]);
        expect(Object.is(wasm.softmax[i], softmax), `softmax[${i}]`).toBe(true);
      } else {
        expect(wasm.logProbs[i]).toBeCloseTo(js.logProbs[i], 6);
      }
    }
  });

  it('returns undefined when switched off, as on an engine without SIMD', () => {
    setLogSoftmaxWasmEnabled(false);
    expect(logSoftmaxWasm()).toBeUndefined();
    expect(logSoftmaxForwardWasm(Float32Array.of(0, 1), 1, 2)).toBeUndefined();
    expect(logSoftmaxBackwardWasm(Float32Array.of(0, 1), Float32Array.of(0, 1), 1, 2)).toBe(
      undefined,
    );
    expect(expWasm(Float32Array.of(0))).toBeUndefined();
  });
});

describe('logSoftmax on the cpu backend, with and without WebAssembly', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** Value and gradient of sum(w · logSoftmax(x)), with their tensors disposed. */
  function valueAndGrad(
    x: tf.Tensor,
    w: tf.Tensor,
    between?: () => void,
  ): { value: Float32Array; grad: Float32Array } {
    return expectNoLeaks(() => {
      const { value, grad } = tf.valueAndGrad((input: tf.Tensor) => {
        const out = tf.sum(tf.mul(logSoftmax(input), w));
        between?.();
        return out;
      })(x);
      const result = {
        value: tf.tidy(() => logSoftmax(x).dataSync()) as Float32Array,
        grad: Float32Array.from(grad.dataSync()),
      };
      tf.dispose([value, grad]);
      tf.disposeVariables();
      return result;
    }, 0);
  }

  it('gives the same values and gradients, without leaking tensors', () => {
    const x = tf.tensor3d(
      Array.from({ length: 3 * 2 * 7 }, (_, i) => Math.sin(i * 1.7) * 5),
      [3, 2, 7],
    );
    const w = tf.tensor3d(
      Array.from({ length: 3 * 2 * 7 }, (_, i) => Math.cos(i)),
      [3, 2, 7],
    );
    const expected = tf.tidy(() => tf.logSoftmax(x).dataSync());
    const expectedGrad = tf.tidy(() =>
      tf
        .grad((input: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(input), w)))(x)
        .dataSync(),
    );
    const withWasm = valueAndGrad(x, w);
    setLogSoftmaxWasmEnabled(false);
    const withoutWasm = valueAndGrad(x, w);
    // Switched off between the forward and the backward pass: the JavaScript gradient of the
    // softmax the WebAssembly forward pass kept.
    setLogSoftmaxWasmEnabled(true);
    const switched = valueAndGrad(x, w, () => setLogSoftmaxWasmEnabled(false));
    for (const result of [withWasm, withoutWasm, switched]) {
      result.value.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      result.grad.forEach((g, i) => expect(g).toBeCloseTo(expectedGrad[i], 5));
    }
    tf.dispose([x, w]);
  });
});
