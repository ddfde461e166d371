import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { ArgumentError } from '@slr/core';
import { describeWithBackends } from '@slr/test-utils';
import { assertLogProbs, checkLogProbs, LOG_PROB_CAUSES, LogProbError } from './log-probs';

async function leakFree<R>(body: () => Promise<R>): Promise<R> {
  const before = tf.memory().numTensors;
  const result = await body();
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

describeWithBackends('checkLogProbs', () => {
  it('passes tf.logSoftmax output and is tidy-clean', async () => {
    const logits = tf.randomNormal<tf.Rank.R3>([7, 3, 11], 0, 3, 'float32', 1);
    const logProbs = tf.logSoftmax<tf.Tensor3D>(logits);
    const report = await leakFree(() => checkLogProbs(logProbs));
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.likelyCause).toBeUndefined();
    expect(report.frames).toBe(21);
    expect(report.max).toBeLessThanOrEqual(0);
    expect(Math.abs(report.worstLogSumExp)).toBeLessThan(1e-5);
    expect(report.nonFiniteCount).toBe(0);
    await expect(assertLogProbs(logProbs)).resolves.toEqual(report);
    tf.dispose([logits, logProbs]);
  });

  it('flags a raw-logits tensor', async () => {
    const logits = tf.randomNormal<tf.Rank.R3>([7, 3, 11], 0, 3, 'float32', 2);
    const report = await leakFree(() => checkLogProbs(logits));
    expect(report.ok).toBe(false);
    expect(report.likelyCause).toBe(LOG_PROB_CAUSES.rawLogits);
    expect(report.likelyCause).toBe("raw logits: apply log-softmax in the model's output");
    expect(report.max).toBeGreaterThan(0);
    const error = await assertLogProbs(logits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogProbError);
    expect((error as LogProbError).report).toEqual(report);
    expect((error as LogProbError).message).toContain('raw logits');
    logits.dispose();
  });

  it('computes min, max and logsumexp exactly as by hand', async () => {
    // frame (0,0): [1, 2] → lse = 2 + ln(1 + e^-1); frame (0,1): [ln .5, ln .5] → lse 0.
    const x = tf.tensor3d([1, 2, Math.log(0.5), Math.log(0.5)], [1, 2, 2]);
    const report = await checkLogProbs(x);
    expect(report.min).toBe(Math.fround(Math.log(0.5)));
    expect(report.max).toBe(2);
    expect(report.worstLogSumExp).toBeCloseTo(2 + Math.log(1 + Math.exp(-1)), 12);
    expect(report.frames).toBe(2);
    expect(report.problems).toHaveLength(2);
    x.dispose();
  });

  it('blames double normalisation when every value ≤ 0 but frames sum to < 1', async () => {
    const q = Math.log(0.25);
    const x = tf.tensor3d([q, q, q, q], [2, 1, 2]); // each frame sums to 0.5
    const report = await checkLogProbs(x);
    expect(report.ok).toBe(false);
    expect(report.max).toBe(Math.fround(q));
    expect(report.worstLogSumExp).toBeCloseTo(Math.log(0.5), 6);
    expect(report.likelyCause).toBe(LOG_PROB_CAUSES.notNormalised);
    x.dispose();
  });

  it('counts NaN/+Inf as problems and -Inf apart as legitimate', async () => {
    const ok = tf.tensor3d([0, -Infinity, 0, -Infinity], [2, 1, 2]);
    const okReport = await checkLogProbs(ok);
    expect(okReport.ok).toBe(true);
    expect(okReport.negativeInfinityCount).toBe(2);
    expect(okReport.nonFiniteCount).toBe(0);
    expect(okReport.min).toBe(-Infinity);
    expect(okReport.worstLogSumExp).toBe(0);

    const bad = tf.tensor3d([NaN, 0, Infinity, -Infinity, -Infinity, -Infinity], [3, 1, 2]);
    const badReport = await checkLogProbs(bad);
    expect(badReport.ok).toBe(false);
    expect(badReport.nonFiniteCount).toBe(2);
    expect(badReport.negativeInfinityCount).toBe(3);
    expect(badReport.likelyCause).toBe(LOG_PROB_CAUSES.nonFinite);
    expect(badReport.max).toBe(Infinity);
    tf.dispose([ok, bad]);
  });

  it('checks only valid frames when inputLengths is given', async () => {
    const h = Math.log(0.5);
    // [T=2, B=2, V=2]: frame (1, 1) holds raw logits but is padding.
    const x = tf.tensor3d([h, h, h, h, h, h, 5, 7], [2, 2, 2]);
    expect((await checkLogProbs(x)).ok).toBe(false);
    const report = await checkLogProbs(x, { inputLengths: [2, 1] });
    expect(report.ok).toBe(true);
    expect(report.frames).toBe(3);
    expect(report.max).toBe(Math.fround(h));
    await expect(checkLogProbs(x, { inputLengths: [2] })).rejects.toThrow(ArgumentError);
    await expect(checkLogProbs(x, { inputLengths: [3, 1] })).rejects.toThrow(
      "Argument 'options.inputLengths[0]' passed to 'checkLogProbs' must be an integer in [0, 2], but got 3.",
    );
    x.dispose();
  });

  it('takes inputLengths in every form of Lengths: array, Int32Array, int32 tensor', async () => {
    const h = Math.log(0.5);
    const x = tf.tensor3d([h, h, h, h, h, h, 5, 7], [2, 2, 2]);
    const lengths = tf.tensor1d([2, 1], 'int32');
    for (const inputLengths of [[2, 1], new Int32Array([2, 1]), lengths]) {
      const report = await checkLogProbs(x, { inputLengths });
      expect([report.ok, report.frames]).toEqual([true, 3]);
    }
    await expect(checkLogProbs(x, null as never)).rejects.toThrow(
      "Argument 'options' passed to 'checkLogProbs' must be an object or undefined, but got null.",
    );
    tf.dispose([x, lengths]);
  });

  it('honours the tolerance', async () => {
    const x = tf.tensor3d([0.01, Math.log(1 - Math.exp(0.01) + 1e-12)], [1, 1, 2]);
    expect((await checkLogProbs(x, { tolerance: 1e-3 })).ok).toBe(false);
    x.dispose();
    const y = tf.tensor3d([0.0005, -30], [1, 1, 2]);
    expect((await checkLogProbs(y, { tolerance: 1e-3 })).ok).toBe(true);
    expect((await checkLogProbs(y, { tolerance: 1e-4 })).likelyCause).toBe(
      LOG_PROB_CAUSES.rawLogits,
    );
    y.dispose();
  });

  it('warns about a batch-major layout and a wrong rank', async () => {
    const x = tf.logSoftmax<tf.Tensor3D>(tf.zeros([4, 30, 5])); // looks like [B=4, T=30, V]
    const report = await checkLogProbs(x, { batchSize: 4 });
    expect(report.ok).toBe(true);
    expect(report.warnings[0]).toMatch(/batch-major/);
    expect((await checkLogProbs(x, { batchSize: 30 })).warnings).toEqual([]);
    await expect(checkLogProbs(x, { inputLengths: [30, 30, 30, 30] })).rejects.toThrow(
      /batch-major/,
    );
    const flat = tf.zeros([3, 4]);
    const bad = await checkLogProbs(flat as unknown as tf.Tensor3D);
    expect(bad.ok).toBe(false);
    expect(bad.likelyCause).toBe(LOG_PROB_CAUSES.wrongRank);
    tf.dispose([x, flat]);
  });
});
