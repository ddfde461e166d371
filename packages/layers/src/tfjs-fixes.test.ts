import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lstmInitializers } from './recurrent';
import './tfjs-fixes';

describe('tfjs fixes', () => {
  it('differentiates tf.unstack along an axis of length 1', () => {
    const grad = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.mul(tf.unstack(x, 1)[0], 3)))(tf.ones([2, 1, 4]))
        .arraySync(),
    );
    expect(grad).toEqual([[[3, 3, 3, 3]], [[3, 3, 3, 3]]]);
  });

  it('trains a bidirectional LSTM over a single time step', () => {
    const lstm = tf.layers.bidirectional({
      layer: tf.layers.lstm({
        units: 4,
        returnSequences: true,
        ...lstmInitializers(4, 3),
      }),
      mergeMode: 'concat',
    });
    // A trainable input puts the LSTM's unstack of time on the gradient path, as in a model.
    const input = tf.variable(tf.randomNormal([2, 1, 3], 0, 1, 'float32', 1));
    tf.dispose(lstm.apply(input) as tf.Tensor); // builds the weights
    const { value, grads } = tf.variableGrads(
      () => tf.sum<tf.Scalar>(lstm.apply(input) as tf.Tensor),
      [input, ...lstm.trainableWeights.map((weight) => weight.read() as tf.Variable)],
    );
    expect(Object.keys(grads).length).toBe(7);
    for (const grad of Object.values(grads)) expect(grad.isFinite().all().dataSync()[0]).toBe(1);
    tf.dispose([value, input, ...Object.values(grads)]);
  });
});
