import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adviceFor, adviseFromHistory } from './advice';
import { gradientHealth } from './gradient-health';
import { checkLogProbs } from './log-probs';

describe('adviceFor', () => {
  it('matches the common-issues table', () => {
    expect(adviceFor('nan-loss').actions).toEqual([
      'lower the learning rate',
      'use a longer learning-rate warmup',
    ]);
    expect(adviceFor('plateau').actions).toEqual(['lower the dropout', 'raise the learning rate']);
    expect(adviceFor('exploding-gradients').actions).toEqual([
      'lower the learning rate',
      'clip gradients by global norm at 0.5',
    ]);
    expect(adviceFor('raw-logits').actions[0]).toMatch(/apply log-softmax/);
    expect(adviceFor('wer-loss-mismatch').actions.join(' ')).toMatch(/decoding.*log-softmax/);
    expect(() => adviceFor('bogus' as never)).toThrow(
      "Argument 'issue' passed to 'adviceFor' must be one of 'nan-loss', 'plateau', " +
        "'exploding-gradients', 'raw-logits', 'wer-loss-mismatch', but got 'bogus'.",
    );
    // Returned arrays are copies.
    adviceFor('plateau').actions.push('x');
    expect(adviceFor('plateau').actions).toHaveLength(2);
  });
});

describe('adviseFromHistory', () => {
  it('is empty for a healthy history', () => {
    expect(adviseFromHistory({})).toEqual([]);
    expect(
      adviseFromHistory({ losses: [4, 3, 2, 1], evaluations: [{ loss: 1, wer: 0.3 }] }),
    ).toEqual([]);
  });

  it('advises on NaN loss, plateau and WER/loss mismatch', () => {
    expect(adviseFromHistory({ losses: [4, 3, 2, NaN] }).map((a) => a.issue)).toEqual(['nan-loss']);
    expect(adviseFromHistory({ losses: [2, 2, 2, 2] }).map((a) => a.issue)).toEqual(['plateau']);
    expect(
      adviseFromHistory({ evaluations: [{ loss: 0.1, wer: 0.9 }] }).map((a) => a.issue),
    ).toEqual(['wer-loss-mismatch']);
  });

  it('names raw logits from a negative loss alone', () => {
    const advice = adviseFromHistory({ losses: [-3.6, -7.9, -12.2, -17.5, -22.8, -28.4] });
    expect(advice.map((a) => a.issue)).toEqual(['raw-logits']);
    expect(advice[0].symptom).toMatch(/negative CTC loss, which is impossible/);
    expect(adviseFromHistory({ losses: [-1, NaN] }).map((a) => a.issue)).toEqual([
      'raw-logits',
      'nan-loss',
    ]);
  });

  it('advises on raw logits and exploding gradients from real reports', async () => {
    const logits = tf.tensor3d([1, 2, 3, 4], [1, 2, 2]);
    const grads = { w: tf.tensor1d([300, 400]), b: tf.tensor1d([1]) };
    const advice = adviseFromHistory({
      logProbs: await checkLogProbs(logits),
      gradients: await gradientHealth(grads),
    });
    expect(advice.map((a) => a.issue)).toEqual(['raw-logits', 'exploding-gradients']);
    const zeros = tf.zeros([2]);
    const vanishingOnly = await gradientHealth({ w: zeros });
    expect(adviseFromHistory({ gradients: vanishingOnly })).toEqual([]);
    tf.dispose([logits, grads, zeros]);
  });
});
