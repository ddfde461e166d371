import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeOnError } from './dispose-on-error';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function build(fail: boolean): tf.LayersModel {
  const input = tf.input({ shape: [8] });
  let x = tf.layers.dense({ units: 6 }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 4 }).apply(x) as tf.SymbolicTensor;
  if (fail) throw new Error('the build failed halfway');
  return tf.model({ inputs: input, outputs: x });
}

describe('disposeOnError', () => {
  it('returns what the build returns, its weights alive', () => {
    const before = tf.memory().numTensors;
    const model = disposeOnError(() => build(false));
    expect(tf.memory().numTensors).toBe(before + 4);
    expect(model.getWeights().map((w) => w.shape)).toEqual([[8, 6], [6], [6, 4], [4]]);
    model.dispose();
  });

  it('disposes of the variables a failed build created, and only those', () => {
    const kept = build(false);
    const before = tf.memory().numTensors;
    const variables = Object.keys(tf.engine().registeredVariables).length;
    expect(() => disposeOnError(() => build(true))).toThrow('the build failed halfway');
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(tf.engine().registeredVariables)).toHaveLength(variables);
    expect(kept.getWeights().every((w) => !w.isDisposed)).toBe(true);
    kept.dispose();
  });

  it('rejects a build that is not a function', () => {
    expect(() => disposeOnError(null as never)).toThrow(
      "Argument 'build' passed to 'disposeOnError' must be a function, but got null.",
    );
  });
});
