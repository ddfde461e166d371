import * as tf from '@tensorflow/tfjs';
import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseTemporalHead, temporalOutputLength, type TemporalOp } from './index';

/** Runs the tfjs layers a temporal head stands for on [1, T, 1] and returns the output T. */
function actualLength(frames: number, ops: TemporalOp[]): number {
  return tf.tidy(() => {
    let x: tf.Tensor = tf.ones([1, frames, 1]);
    for (const op of ops) {
      const layer =
        op.type === 'conv'
          ? tf.layers.conv1d({
              filters: 1,
              kernelSize: op.kernelSize,
              padding: op.padding ?? 'valid',
            })
          : tf.layers.maxPooling1d({
              poolSize: op.size,
              strides: op.stride ?? op.size,
              padding: 'valid',
            });
      x = layer.apply(x) as tf.Tensor;
      layer.dispose();
    }
    return x.shape[1] as number;
  });
}

const opArbitrary: fc.Arbitrary<TemporalOp> = fc.oneof(
  fc.record({
    type: fc.constant('conv' as const),
    kernelSize: fc.integer({ min: 1, max: 6 }),
    padding: fc.constantFrom('valid' as const, 'same' as const),
  }),
  fc.record({
    type: fc.constant('pool' as const),
    size: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 4 }),
  }),
);

describe('parseTemporalHead', () => {
  it('reads K<k> and P<p> tokens and none', () => {
    expect(parseTemporalHead('K5-P2-K5-P2')).toEqual([
      { type: 'conv', kernelSize: 5, padding: 'valid' },
      { type: 'pool', size: 2, stride: 2 },
      { type: 'conv', kernelSize: 5, padding: 'valid' },
      { type: 'pool', size: 2, stride: 2 },
    ]);
    expect(parseTemporalHead('k3')).toEqual([{ type: 'conv', kernelSize: 3, padding: 'valid' }]);
    expect(parseTemporalHead('none')).toEqual([]);
    expect(parseTemporalHead('')).toEqual([]);
    expect(parseTemporalHead([{ type: 'pool', size: 3, stride: 1 }])).toEqual([
      { type: 'pool', size: 3, stride: 1 },
    ]);
  });

  it('rejects malformed heads', () => {
    expect(() => parseTemporalHead('K5-X2')).toThrow(/'X2', is neither/);
    expect(() => parseTemporalHead('K0')).toThrow(
      "Argument 'spec[0].kernelSize' passed to 'parseTemporalHead' must be an integer >= 1, but got 0.",
    );
    expect(() => parseTemporalHead([{ type: 'conv', kernelSize: 2.5 }])).toThrow(
      "Argument 'spec[0].kernelSize' passed to 'parseTemporalHead' must be an integer >= 1, but got 2.5.",
    );
  });
});

describe('temporalOutputLength', () => {
  it('follows K5-P2-K5-P2: T → floor((floor((T − 4) / 2) − 4) / 2)', () => {
    for (let t = 16; t < 80; t++) {
      expect(temporalOutputLength(t, 'K5-P2-K5-P2')).toBe(
        Math.floor((Math.floor((t - 4) / 2) - 4) / 2),
      );
    }
    expect(temporalOutputLength(15, 'K5-P2-K5-P2')).toBe(0);
    expect(temporalOutputLength(0, 'K5-P2-K5-P2')).toBe(0);
    expect(temporalOutputLength(13, 'none')).toBe(13);
  });

  test.prop(
    [fc.array(opArbitrary, { minLength: 0, maxLength: 4 }), fc.integer({ min: 1, max: 40 })],
    { numRuns: 60 },
  )('equals the length tfjs’s Conv1D and MaxPool1D layers produce', (ops, frames) => {
    const expected = temporalOutputLength(frames, ops);
    fc.pre(expected > 0); // tfjs rejects layers that would leave no frame
    expect(actualLength(frames, ops)).toBe(expected);
  });
});
