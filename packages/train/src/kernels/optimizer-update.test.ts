import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { adamUpdate, adamUpdateJs } from './optimizer-update';

/** Float32 values of every kind: normal, subnormal, zeros, infinities, NaN, huge and tiny. */
const float32 = fc.float({ noDefaultInfinity: false, noNaN: false });

function expectSameBits(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < e.length; i++) {
    if (Number.isNaN(expected[i])) {
      if (!Number.isNaN(actual[i])) expect.fail(`element ${i}: ${actual[i]} vs NaN`);
    } else if (a[i] !== e[i]) {
      expect.fail(`element ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  }
}

describe('adamUpdate (WebAssembly SIMD)', () => {
  test.prop(
    [
      fc
        .integer({ min: 0, max: 41 })
        .chain((n) =>
          fc.tuple(...[0, 1, 2, 3].map(() => fc.float32Array({ minLength: n, maxLength: n }))),
        ),
      fc.tuple(float32, float32),
      fc.record({
        beta1: fc.double({ min: 0, max: 1, noNaN: true }),
        beta2: fc.double({ min: 0, max: 1, noNaN: true }),
        epsilon: fc.double({ min: 1e-12, max: 1e-3, noNaN: true }),
        learningRate: fc.double({ min: 1e-6, max: 1, noNaN: true }),
        decay: fc.boolean(),
        decayFactor: fc.double({ min: 0.9, max: 1, noNaN: true }),
      }),
    ],
    { numRuns: 200 },
  )(
    'is bit for bit the JavaScript version, special values included',
    ([p, g, m, v], acc, attrs) => {
      const [acc1, acc2] = acc.map(Math.fround);
      const wasm = adamUpdate(p, g, m, v, acc1, acc2, attrs);
      const js = adamUpdateJs(p, g, m, v, acc1, acc2, attrs);
      expectSameBits(wasm.param, js.param);
      expectSameBits(wasm.m, js.m);
      expectSameBits(wasm.v, js.v);
    },
  );

  it('handles variables larger than its block, leaving its inputs unchanged', () => {
    const n = 40_000 + 3;
    const make = (seed: number): Float32Array =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * (1 + (i % 7)));
    const [p, g, m] = [make(1), make(2), make(3)];
    const v = make(4).map(Math.abs);
    const copies = [p, g, m, v].map((a) => a.slice());
    const attrs = {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      learningRate: 1e-3,
      decay: true,
      decayFactor: 0.99,
    };
    // The kernel reads them from float32 tensors.
    const [acc1, acc2] = [0.271, 0.0039].map(Math.fround);
    const wasm = adamUpdate(p, g, m, v, acc1, acc2, attrs);
    const js = adamUpdateJs(p, g, m, v, acc1, acc2, attrs);
    expectSameBits(wasm.param, js.param);
    expectSameBits(wasm.m, js.m);
    expectSameBits(wasm.v, js.v);
    [p, g, m, v].forEach((a, i) => expectSameBits(a, copies[i]));
  });
});
