import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  bruteForceBestPath,
  describeWithBackends,
  logSoftmaxRows,
  toTensor3d,
  type FrameLogProbs,
} from '@slr/test-utils';
import { ctcGreedyDecode } from './greedy';

/** One utterance as `[T, 1, V]`. */
function single(logProbs: FrameLogProbs, V: number): tf.Tensor3D {
  return toTensor3d(
    logProbs.map((row) => [row]),
    1,
    V,
  );
}

/** Frame of each emitted token along a path: where a non-blank run starts. */
function runStarts(path: readonly number[], blank: number): number[] {
  return path.flatMap((token, t) =>
    token !== blank && (t === 0 || path[t - 1] !== token) ? [t] : [],
  );
}

/** V in [2, 4], T in [0, 5], small integer logits (so that ties are common), a blank in [0, V). */
const utterance = fc.integer({ min: 2, max: 4 }).chain((V) =>
  fc.record({
    V: fc.constant(V),
    blank: fc.integer({ min: 0, max: V - 1 }),
    logProbs: fc
      .array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: V, maxLength: V }), {
        maxLength: 5,
      })
      .map(logSoftmaxRows),
  }),
);

describeWithBackends('ctcGreedyDecode', () => {
  it('decodes the documented example', async () => {
    const logProbs = tf.tensor3d([[[-0.1, -2.4]], [[-2.4, -0.1]], [[-2.4, -0.1]]]);
    const [hypothesis] = await ctcGreedyDecode(logProbs);
    logProbs.dispose();
    expect(hypothesis.tokens).toEqual([1]);
    expect(hypothesis.frames).toEqual([1]);
    expect(hypothesis.score).toBeCloseTo(-0.3, 6);
    expect(hypothesis.acousticScore).toBe(hypothesis.score);
    expect(hypothesis.lmScore).toBe(0);
  });

  test.prop([utterance])(
    'equals the brute-force best path (labels, frames, score)',
    async ({ V, blank, logProbs }) => {
      const input = single(logProbs, V);
      const [hypothesis] = await ctcGreedyDecode(input, undefined, { blank });
      input.dispose();
      const best = bruteForceBestPath(logProbs, blank);
      expect(hypothesis.tokens).toEqual(best.labels);
      expect(hypothesis.frames).toEqual(runStarts(best.path, blank));
      expect(hypothesis.score).toBeCloseTo(logProbs.length === 0 ? 0 : best.logProb, 9);
    },
  );

  it('merges repeats, keeps a token repeated across a blank, and breaks ties towards the lowest id', async () => {
    const eq = Math.log(1 / 3);
    const logProbs = single(
      [
        [-3, -0.1, -3], // 1
        [-3, -0.1, -3], // 1 (merged)
        [eq, eq, eq], // tie → 0 (blank)
        [-3, -0.1, -3], // 1 again
        [-3, eq, eq].map(Math.fround), // tie between 1 and 2 → 1, merged with the previous run
        [-3, -3, -0.1], // 2
      ],
      3,
    );
    const [hypothesis] = await ctcGreedyDecode(logProbs);
    logProbs.dispose();
    expect(hypothesis.tokens).toEqual([1, 1, 2]);
    expect(hypothesis.frames).toEqual([0, 3, 5]);
  });

  it('honours a non-zero blank', async () => {
    const logProbs = single(
      [
        [-0.1, -3, -3],
        [-3, -3, -0.1],
        [-0.1, -3, -3],
      ],
      3,
    );
    const [hypothesis] = await ctcGreedyDecode(logProbs, undefined, { blank: 2 });
    logProbs.dispose();
    expect(hypothesis.tokens).toEqual([0, 0]);
    expect(hypothesis.frames).toEqual([0, 2]);
  });

  it('returns an empty hypothesis for zero frames', async () => {
    const empty = tf.zeros<tf.Rank.R3>([0, 2, 3]);
    const padded = single([[-0.1, -3, -3]], 3);
    const results = [...(await ctcGreedyDecode(empty)), ...(await ctcGreedyDecode(padded, [0]))];
    empty.dispose();
    padded.dispose();
    for (const hypothesis of results) {
      expect(hypothesis).toEqual({
        tokens: [],
        frames: [],
        score: 0,
        acousticScore: 0,
        lmScore: 0,
      });
    }
  });

  test.prop([
    fc.integer({ min: 2, max: 4 }).chain((V) =>
      fc.record({
        V: fc.constant(V),
        T: fc.integer({ min: 0, max: 6 }),
        items: fc.array(
          fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: V, maxLength: V }), {
            maxLength: 6,
          }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
    ),
  ])(
    'decodes each batch item as on its own, never reading frames past its length',
    async ({ V, T, items }) => {
      const utterances = items.map((logits) => logSoftmaxRows(logits.slice(0, T)));
      const lengths = utterances.map((u) => u.length);
      // Padding is NaN: reading it would show up in the scores.
      const frames = Array.from({ length: T }, (_, t) =>
        utterances.map((u) => (t < u.length ? u[t] : new Array<number>(V).fill(NaN))),
      );
      const batch = toTensor3d(frames, utterances.length, V);
      const batched = await ctcGreedyDecode(batch, lengths);
      batch.dispose();
      for (const [b, logProbs] of utterances.entries()) {
        const input = single(logProbs, V);
        const [alone] = await ctcGreedyDecode(input);
        input.dispose();
        expect(batched[b]).toEqual(alone);
        expect(Number.isFinite(batched[b].score)).toBe(true);
      }
    },
  );

  it('creates no tensors', async () => {
    const logProbs = tf.tidy(() =>
      tf.logSoftmax<tf.Tensor3D>(tf.randomNormal([20, 3, 7], 0, 1, 'float32', 1)),
    );
    const before = tf.memory().numTensors;
    await ctcGreedyDecode(logProbs, [20, 5, 0]);
    expect(tf.memory().numTensors).toBe(before);
    logProbs.dispose();
  });

  it('takes lengths as a number[], an Int32Array or a tensor, as ctcLoss does', async () => {
    const logProbs = tf.tidy(() =>
      tf.logSoftmax<tf.Tensor3D>(tf.randomNormal([6, 3, 5], 0, 2, 'float32', 4)),
    );
    const lengths = [6, 2, 0];
    const tensorLengths = tf.tensor1d(lengths, 'int32');
    const floatLengths = tf.tensor1d(lengths, 'float32');
    const expected = await ctcGreedyDecode(logProbs, lengths);
    expect(await ctcGreedyDecode(logProbs, Int32Array.from(lengths))).toEqual(expected);
    expect(await ctcGreedyDecode(logProbs, tensorLengths)).toEqual(expected);
    expect(await ctcGreedyDecode(logProbs, floatLengths)).toEqual(expected);
    expect(expected[2].tokens).toEqual([]);
    tf.dispose([logProbs, tensorLengths, floatLengths]);
  });

  describe('argument checks', () => {
    const check = async (
      run: (logProbs: tf.Tensor3D) => Promise<unknown>,
      message: string | RegExp,
    ) => {
      const logProbs = tf.zeros<tf.Rank.R3>([4, 2, 3]);
      try {
        await expect(run(logProbs)).rejects.toThrow(message);
      } finally {
        logProbs.dispose();
      }
    };

    it('rejects a logProbs tensor that is not rank 3', async () => {
      const flat = tf.zeros([4, 3]);
      await expect(ctcGreedyDecode(flat as unknown as tf.Tensor3D)).rejects.toThrow(
        "Argument 'logProbs' passed to 'ctcGreedyDecode' must have rank 3 [frames, batch, " +
          'classes], but got a float32 tensor of shape [4, 3].',
      );
      flat.dispose();
    });

    it('rejects a logProbs tensor that is not float32', async () => {
      const ints = tf.zeros<tf.Rank.R3>([4, 2, 3], 'int32');
      await expect(ctcGreedyDecode(ints)).rejects.toThrow(
        "Argument 'logProbs' passed to 'ctcGreedyDecode' must be float32, but got an int32 tensor of shape [4, 2, 3].",
      );
      ints.dispose();
    });

    it('rejects inputLengths of the wrong length', () =>
      check(
        (lp) => ctcGreedyDecode(lp, [4]),
        "Argument 'inputLengths' passed to 'ctcGreedyDecode' must have one length per batch item " +
          '(2), but got 1 length.',
      ));

    it('rejects negative, too long or fractional inputLengths', async () => {
      const expected = (value: string) =>
        `Argument 'inputLengths' passed to 'ctcGreedyDecode' must hold integers in [0, 4] (4: ` +
        `the frames of logProbs), but got ${value} at batch item 1.`;
      await check((lp) => ctcGreedyDecode(lp, [4, -1]), expected('-1'));
      await check((lp) => ctcGreedyDecode(lp, [4, 5]), expected('5'));
      await check((lp) => ctcGreedyDecode(lp, [4, 1.5]), expected('1.5'));
    });

    it('rejects null options', () =>
      check(
        (lp) => ctcGreedyDecode(lp, undefined, null as unknown as undefined),
        "Argument 'options' passed to 'ctcGreedyDecode' must be an object or undefined, but got null.",
      ));

    it('rejects length tensors of another rank or dtype with the messages of ctcLoss', async () => {
      const matrix = tf.tensor2d([[4, 4]], [1, 2], 'int32');
      const bools = tf.tensor1d([1, 1], 'bool');
      await check(
        (lp) => ctcGreedyDecode(lp, matrix as unknown as tf.Tensor1D),
        "Argument 'inputLengths' passed to 'ctcGreedyDecode' must have rank 1 [batch], but got " +
          'an int32 tensor of shape [1, 2].',
      );
      await check(
        (lp) => ctcGreedyDecode(lp, bools),
        "Argument 'inputLengths' passed to 'ctcGreedyDecode' must be an int32 or float32 tensor, " +
          'but got a bool tensor of shape [2].',
      );
      await check(
        (lp) => ctcGreedyDecode(lp, tf.tensor1d([4, 5], 'int32')),
        "Argument 'inputLengths' passed to 'ctcGreedyDecode' must hold integers in [0, 4] (4: " +
          'the frames of logProbs), but got 5 at batch item 1.',
      );
      tf.dispose([matrix, bools]);
    });

    it('rejects a blank outside [0, V)', async () => {
      const expected = (value: string) =>
        `Argument 'options.blank' passed to 'ctcGreedyDecode' must be an integer in [0, 2], but got ${value}.`;
      await check((lp) => ctcGreedyDecode(lp, undefined, { blank: 3 }), expected('3'));
      await check((lp) => ctcGreedyDecode(lp, undefined, { blank: -1 }), expected('-1'));
    });
  });
});
