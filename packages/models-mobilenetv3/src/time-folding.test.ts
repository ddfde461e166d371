import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { FoldTime, UnfoldTime } from './index';

describe('FoldTime / UnfoldTime', () => {
  it('fold [B, T, ...] into [B·T, ...] frame by frame and back, for any T', () => {
    const videos = tf.input({ shape: [null, 2, 2, 3] });
    const folded = new FoldTime({ name: 'fold' }).apply(videos) as tf.SymbolicTensor;
    expect(folded.shape).toEqual([null, 2, 2, 3]);
    const pooled = tf.layers.globalAveragePooling2d({}).apply(folded) as tf.SymbolicTensor;
    const unfolded = new UnfoldTime({ name: 'unfold' }).apply([
      pooled,
      videos,
    ]) as tf.SymbolicTensor;
    expect(unfolded.shape).toEqual([null, null, 3]);
    const model = tf.model({ inputs: videos, outputs: unfolded });
    for (const frames of [1, 4]) {
      const x = tf.randomNormal([3, frames, 2, 2, 3], 0, 1, 'float32', frames);
      const y = model.predict(x) as tf.Tensor;
      const expected = tf.mean(x, [2, 3]);
      expect(y.shape).toEqual([3, frames, 3]);
      Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected.dataSync()[i], 5));
      tf.dispose([x, y, expected]);
    }
    model.dispose();
  });

  it('compute static shapes and reject mismatched inputs', () => {
    expect(new FoldTime().computeOutputShape([4, 5, 7, 7, 3])).toEqual([20, 7, 7, 3]);
    expect(
      new UnfoldTime().computeOutputShape([
        [null, 16],
        [null, 5, 7, 7, 3],
      ]),
    ).toEqual([null, 5, 16]);
    expect(() => new UnfoldTime().apply([tf.zeros([5, 2]), tf.zeros([2, 3, 1])])).toThrow(
      "Argument 'folded' passed to 'UnfoldTime.apply' must have B·T rows, B=2 × T=3 as in the " +
        'reference, but got 5 rows.',
    );
    expect(() => new FoldTime().apply(tf.zeros([4]))).toThrow(
      "Argument 'inputs' passed to 'FoldTime.apply' must be [B, T, ...] of rank 3 or more, but got shape [4].",
    );
  });

  it('pass gradients through', () => {
    const x = tf.randomNormal([2, 3, 4]);
    const grad = tf.grad((input: tf.Tensor) => {
      const folded = new FoldTime().apply(input) as tf.Tensor;
      return tf.sum(tf.mul(new UnfoldTime().apply([tf.mul(folded, 2), input]) as tf.Tensor, input));
    })(x);
    Array.from(grad.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(4 * x.dataSync()[i], 5));
    tf.dispose([x, grad]);
  });
});
