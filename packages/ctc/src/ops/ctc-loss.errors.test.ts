import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctcLoss } from '../index';

describe('ctcLoss rejects bad input with a message naming the argument', () => {
  let logProbs: tf.Tensor3D;
  let targets: tf.Tensor2D;
  beforeAll(() => {
    logProbs = tf.logSoftmax(tf.randomNormal([5, 2, 4])) as tf.Tensor3D; // T5 B2 V4
    targets = tf.tensor2d(
      [
        [1, 2],
        [3, -1],
      ],
      [2, 2],
      'int32',
    );
  });
  afterAll(() => tf.dispose([logProbs, targets]));

  const cases: [string, () => unknown, RegExp][] = [
    [
      'logProbs of rank 2',
      () => ctcLoss(tf.zeros([5, 4]) as unknown as tf.Tensor3D, targets, [5, 5], [2, 1]),
      /'logProbs' passed to 'ctcLoss' must be rank 3 \[T, B, V\], but got rank 2/,
    ],
    [
      'logProbs that is not a tensor',
      () => ctcLoss([[[0]]] as unknown as tf.Tensor3D, targets, [5, 5], [2, 1]),
      /'logProbs' passed to 'ctcLoss' must be a Tensor3D/,
    ],
    [
      'int32 logProbs',
      () => ctcLoss(tf.zeros([5, 2, 4], 'int32') as tf.Tensor3D, targets, [5, 5], [2, 1]),
      /'logProbs' passed to 'ctcLoss' must be float32, but got int32/,
    ],
    [
      'float targets',
      () =>
        ctcLoss(
          logProbs,
          tf.tensor2d([
            [1, 2],
            [3, 0],
          ]),
          [5, 5],
          [2, 1],
        ),
      /'targets' passed to 'ctcLoss' must be int32, but got float32/,
    ],
    [
      'targets of rank 1',
      () =>
        ctcLoss(logProbs, tf.tensor1d([1, 2], 'int32') as unknown as tf.Tensor2D, [5, 5], [2, 1]),
      /'targets' passed to 'ctcLoss' must be rank 2 \[B, S\], but got rank 1/,
    ],
    [
      'targets with another batch size',
      () => ctcLoss(logProbs, tf.tensor2d([[1, 2]], [1, 2], 'int32'), [5, 5], [2, 1]),
      /'targets' passed to 'ctcLoss' must have batch size 2 \(from logProbs \[T, B, V\]\), but got 1/,
    ],
    [
      'too few input lengths',
      () => ctcLoss(logProbs, targets, [5], [2, 1]),
      /'inputLengths' passed to 'ctcLoss' must have one length per batch item \(2\), but got 1/,
    ],
    [
      'too many target lengths',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1, 1]),
      /'targetLengths' passed to 'ctcLoss' must have one length per batch item \(2\), but got 3/,
    ],
    [
      'an input length above T',
      () => ctcLoss(logProbs, targets, [5, 6], [2, 1]),
      /Expected inputLengths to have value at most 5 \(T, the frames of logProbs\), but got value 6 at batch item 1/,
    ],
    [
      'a target length above S',
      () => ctcLoss(logProbs, targets, [5, 5], [3, 1]),
      /Expected targetLengths to have value at most 2 \(S, the columns of targets\), but got value 3 at batch item 0/,
    ],
    [
      'a negative input length',
      () => ctcLoss(logProbs, targets, [-1, 5], [2, 1]),
      /Expected inputLengths to have non-negative values, but got value -1 at batch item 0/,
    ],
    [
      'a negative target length',
      () => ctcLoss(logProbs, targets, [5, 5], [2, -2]),
      /Expected targetLengths to have non-negative values, but got value -2 at batch item 1/,
    ],
    [
      'a fractional length',
      () => ctcLoss(logProbs, targets, [4.5, 5], [2, 1]),
      /'inputLengths' passed to 'ctcLoss' must hold integers, but got 4.5 at batch item 0/,
    ],
    [
      'a rank-2 length tensor',
      () =>
        ctcLoss(
          logProbs,
          targets,
          tf.tensor2d([[5, 5]], [1, 2], 'int32') as unknown as tf.Tensor1D,
          [2, 1],
        ),
      /'inputLengths' passed to 'ctcLoss' must be rank 1 \[B\], but got rank 2/,
    ],
    [
      'a target equal to blank',
      () =>
        ctcLoss(
          logProbs,
          tf.tensor2d(
            [
              [1, 0],
              [3, -1],
            ],
            [2, 2],
            'int32',
          ),
          [5, 5],
          [2, 1],
        ),
      /'targets' passed to 'ctcLoss' must not contain the blank label 0 within targetLengths, but found it at \[0, 1\]/,
    ],
    [
      'a target equal to a non-default blank',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { blank: 3 }),
      /must not contain the blank label 3 within targetLengths, but found it at \[1, 0\]/,
    ],
    [
      'a target at V',
      () =>
        ctcLoss(
          logProbs,
          tf.tensor2d(
            [
              [1, 4],
              [3, -1],
            ],
            [2, 2],
            'int32',
          ),
          [5, 5],
          [2, 1],
        ),
      /'targets' passed to 'ctcLoss' must hold labels in \[0, 4\) within targetLengths, but got 4 at \[0, 1\]/,
    ],
    [
      'a negative target within the length',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 2]),
      /must hold labels in \[0, 4\) within targetLengths, but got -1 at \[1, 1\]/,
    ],
    [
      'blank at V',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { blank: 4 }),
      /'blank' passed to 'ctcLoss' must be an integer in \[0, 3\], but got number 4/,
    ],
    [
      'a negative blank',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { blank: -1 }),
      /'blank' passed to 'ctcLoss' must be an integer in \[0, 3\], but got number -1/,
    ],
    [
      'an unknown reduction',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { reduction: 'avg' as 'mean' }),
      /'reduction' passed to 'ctcLoss' must be one of 'none', 'sum', 'mean', but got 'avg'/,
    ],
  ];

  for (const [name, call, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(() => tf.tidy(call as () => void)).toThrow(message);
    });
  }
});
