import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '@slr/core';
import { ctcLoss } from '../index';

describe('ctcLoss rejects bad input with a message naming the argument', () => {
  let logProbs: tf.Tensor3D;
  let targets: tf.Tensor2D;
  beforeAll(() => {
    logProbs = tf.logSoftmax<tf.Tensor3D>(tf.randomNormal([5, 2, 4])); // T5 B2 V4
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

  const cases: [string, () => void, RegExp][] = [
    [
      'logProbs of rank 2',
      () => ctcLoss(tf.zeros([5, 4]) as unknown as tf.Tensor3D, targets, [5, 5], [2, 1]),
      /'logProbs' passed to 'ctcLoss' must have rank 3 \[frames, batch, classes\], but got a float32 tensor of shape \[5, 4\]\./,
    ],
    [
      'logProbs that is not a tensor',
      () => ctcLoss([[[0]]] as unknown as tf.Tensor3D, targets, [5, 5], [2, 1]),
      /'logProbs' passed to 'ctcLoss' must be a float32 Tensor3D \[frames, batch, classes\], but got an array of length 1\./,
    ],
    [
      'int32 logProbs',
      () => ctcLoss(tf.zeros<tf.Rank.R3>([5, 2, 4], 'int32'), targets, [5, 5], [2, 1]),
      /'logProbs' passed to 'ctcLoss' must be float32, but got an int32 tensor of shape \[5, 2, 4\]\./,
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
      /'targets' passed to 'ctcLoss' must be int32, but got a float32 tensor of shape \[2, 2\]\./,
    ],
    [
      'targets of rank 1',
      () =>
        ctcLoss(logProbs, tf.tensor1d([1, 2], 'int32') as unknown as tf.Tensor2D, [5, 5], [2, 1]),
      /'targets' passed to 'ctcLoss' must have rank 2 \[batch, maxTargetLength\], but got an int32 tensor of shape \[2\]\./,
    ],
    [
      'targets with another batch size',
      () => ctcLoss(logProbs, tf.tensor2d([[1, 2]], [1, 2], 'int32'), [5, 5], [2, 1]),
      /'targets' passed to 'ctcLoss' must have 2 rows, one per batch item of logProbs, but got an int32 tensor of shape \[1, 2\]\./,
    ],
    [
      'too few input lengths',
      () => ctcLoss(logProbs, targets, [5], [2, 1]),
      /'inputLengths' passed to 'ctcLoss' must have one length per batch item \(2\), but got 1 length\./,
    ],
    [
      'too many target lengths',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1, 1]),
      /'targetLengths' passed to 'ctcLoss' must have one length per batch item \(2\), but got 3 lengths\./,
    ],
    [
      'an input length above T',
      () => ctcLoss(logProbs, targets, [5, 6], [2, 1]),
      /'inputLengths' passed to 'ctcLoss' must hold integers in \[0, 5\] \(5: the frames of logProbs\), but got 6 at batch item 1\./,
    ],
    [
      'a target length above S',
      () => ctcLoss(logProbs, targets, [5, 5], [3, 1]),
      /'targetLengths' passed to 'ctcLoss' must hold integers in \[0, 2\] \(2: the columns of targets\), but got 3 at batch item 0\./,
    ],
    [
      'a negative input length',
      () => ctcLoss(logProbs, targets, [-1, 5], [2, 1]),
      /'inputLengths' passed to 'ctcLoss' must hold integers in \[0, 5\] .*, but got -1 at batch item 0\./,
    ],
    [
      'a negative target length',
      () => ctcLoss(logProbs, targets, [5, 5], [2, -2]),
      /'targetLengths' passed to 'ctcLoss' must hold integers in \[0, 2\] .*, but got -2 at batch item 1\./,
    ],
    [
      'a fractional length',
      () => ctcLoss(logProbs, targets, [4.5, 5], [2, 1]),
      /'inputLengths' passed to 'ctcLoss' must hold integers in \[0, 5\] .*, but got 4\.5 at batch item 0\./,
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
      /'inputLengths' passed to 'ctcLoss' must have rank 1 \[batch\], but got an int32 tensor of shape \[1, 2\]\./,
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
      /'targets' passed to 'ctcLoss' must not contain the blank label 0 within targetLengths, but got 0 at \[0, 1\]\./,
    ],
    [
      'a target equal to a non-default blank',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { blank: 3 }),
      /must not contain the blank label 3 within targetLengths, but got 3 at \[1, 0\]\./,
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
      /'targets' passed to 'ctcLoss' must hold labels in \[0, 4\) within targetLengths, but got 4 at \[0, 1\]\./,
    ],
    [
      'a negative target within the length',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 2]),
      /must hold labels in \[0, 4\) within targetLengths, but got -1 at \[1, 1\]/,
    ],
    [
      'blank at V',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { blank: 4 }),
      /'options\.blank' passed to 'ctcLoss' must be an integer in \[0, 3\], but got 4\./,
    ],
    [
      'a negative blank',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { blank: -1 }),
      /'options\.blank' passed to 'ctcLoss' must be an integer in \[0, 3\], but got -1\./,
    ],
    [
      'an unknown reduction',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { reduction: 'avg' as 'mean' }),
      /'options\.reduction' passed to 'ctcLoss' must be one of 'none', 'sum', 'mean', but got 'avg'\./,
    ],
    [
      'a zeroInfinity that is not a boolean',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], { zeroInfinity: 1 as unknown as boolean }),
      /'options\.zeroInfinity' passed to 'ctcLoss' must be a boolean, but got 1\./,
    ],
    [
      'null options',
      () => ctcLoss(logProbs, targets, [5, 5], [2, 1], null as unknown as undefined),
      /'options' passed to 'ctcLoss' must be an object or undefined, but got null\./,
    ],
    [
      'lengths that are neither a tensor nor an array',
      () => ctcLoss(logProbs, targets, '5,5' as unknown as number[], [2, 1]),
      /'inputLengths' passed to 'ctcLoss' must be a Tensor1D, a number\[\] or an Int32Array, but got '5,5'\./,
    ],
    [
      'a bool length tensor',
      () => ctcLoss(logProbs, targets, tf.tensor1d([1, 1], 'bool'), [2, 1]),
      /'inputLengths' passed to 'ctcLoss' must be an int32 or float32 tensor, but got a bool tensor of shape \[2\]\./,
    ],
  ];

  for (const [name, call, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(() => tf.tidy(call)).toThrow(message);
      expect(() => tf.tidy(call)).toThrow(ArgumentError);
    });
  }
});
