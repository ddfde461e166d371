import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  describeWithBackends,
  expectNoLeaks,
  logSoftmaxRows,
  toTensor3d,
  TRIGRAM_ARPA,
  TRIGRAM_VOCABULARY,
  type FrameLogProbs,
} from '@slr/test-utils';
import { NGramLanguageModel, type LanguageModel } from '../lm/language-model';
import { ctcBeamSearch } from './beam-search';
import { ctcGreedyDecode } from './greedy';
import { PrefixBeamSearch, resolveBeamSearchOptions } from './prefix-search';
import {
  createCtcStreamingBeamSearch,
  createCtcStreamingGreedyDecoder,
  type CtcStreamChunk,
  type CtcStreamingDecoder,
} from './streaming';
import type { CtcBeamSearchOptions, CtcHypothesis } from './types';

type ChunkKind = 'array' | 'tensor2d' | 'tensor3d';

/** Rows `[start, end)` of `logProbs` as a chunk of the given kind. */
function chunkOf(logProbs: FrameLogProbs, start: number, end: number, V: number, kind: ChunkKind) {
  const values = new Float32Array(logProbs.slice(start, end).flat());
  if (kind === 'array') return values;
  if (kind === 'tensor2d') return tf.tensor2d(values, [end - start, V]);
  return tf.tensor3d(values, [end - start, 1, V]);
}

/** Pushes `logProbs` cut at `cuts` (any order, duplicates → empty chunks); calls `after` per chunk. */
function pushChunks<F>(
  decoder: CtcStreamingDecoder<F>,
  logProbs: FrameLogProbs,
  cuts: readonly number[],
  kinds: readonly ChunkKind[],
  after?: () => void,
): void {
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), logProbs.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const chunk = chunkOf(
      logProbs,
      bounds[i],
      bounds[i + 1],
      decoder.classes,
      kinds[i % kinds.length],
    );
    decoder.push(chunk);
    if (!(chunk instanceof Float32Array)) chunk.dispose();
    after?.();
  }
}

async function offlineBeamSearch(
  logProbs: FrameLogProbs,
  V: number,
  options: CtcBeamSearchOptions,
): Promise<CtcHypothesis[]> {
  const input = toTensor3d(
    logProbs.map((row) => [row]),
    1,
    V,
  );
  try {
    return (await ctcBeamSearch(input, undefined, options))[0];
  } finally {
    input.dispose();
  }
}

async function offlineGreedy(logProbs: FrameLogProbs, V: number, blank: number) {
  const input = toTensor3d(
    logProbs.map((row) => [row]),
    1,
    V,
  );
  try {
    return (await ctcGreedyDecode(input, undefined, { blank }))[0];
  } finally {
    input.dispose();
  }
}

/** An LM over any token ids that sinks some tokens, so that it reorders the beam. */
const modularLm: LanguageModel<number> = {
  initialState: () => 0,
  score: (previous, token) => ({ logProb: -((token + previous) % 5) * 0.7, state: token }),
  finish: (last) => -(last % 3) * 0.5,
};

/** Logits in [-4, 4], sometimes -Infinity (an impossible token). */
const logit = fc.oneof(
  { weight: 9, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(-Infinity) },
);

/** A stream: V classes, T frames of log-probabilities, and where to cut it. */
const stream = (maxV: number, maxT: number) =>
  fc.integer({ min: 2, max: maxV }).chain((V) =>
    fc.array(fc.array(logit, { minLength: V, maxLength: V }), { maxLength: maxT }).chain((logits) =>
      fc.record({
        V: fc.constant(V),
        blank: fc.integer({ min: 0, max: V - 1 }),
        logProbs: fc.constant(
          logSoftmaxRows(
            logits.map((row) => (row.every((x) => x === -Infinity) ? [0, ...row.slice(1)] : row)),
          ),
        ),
        cuts: fc.array(fc.integer({ min: 0, max: logits.length }), { maxLength: 6 }),
        kinds: fc.array(fc.constantFrom<ChunkKind>('array', 'tensor2d', 'tensor3d'), {
          minLength: 1,
          maxLength: 3,
        }),
      }),
    ),
  );

const searchOptions = fc.record({
  beamWidth: fc.integer({ min: 1, max: 6 }),
  nBestFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  tokenCutoff: fc.constantFrom(1, 2, 3, Infinity),
  pruneLogProb: fc.constantFrom(-Infinity, -3, -1.5),
  insertionBonus: fc.constantFrom(0, 0.7, -0.4),
  lm: fc.constantFrom('none', 'ngram', 'modular'),
  lmWeight: fc.constantFrom(0.5, 1.3, -0.3),
});

function beamOptions(
  V: number,
  blank: number,
  drawn: {
    beamWidth: number;
    nBestFraction: number;
    tokenCutoff: number;
    pruneLogProb: number;
    insertionBonus: number;
    lm: 'none' | 'ngram' | 'modular';
    lmWeight: number;
  },
): CtcBeamSearchOptions {
  const { nBestFraction, lm, ...rest } = drawn;
  // The n-gram model knows tokens 1-3 (A, B, C) with the blank at 0.
  const ngram = lm === 'ngram' && V === 4 && blank === 0;
  return {
    ...rest,
    blank,
    nBest: 1 + Math.floor(nBestFraction * (drawn.beamWidth - 1)),
    lm: ngram
      ? NGramLanguageModel.fromArpa(TRIGRAM_ARPA, { vocabulary: TRIGRAM_VOCABULARY })
      : lm === 'modular'
        ? modularLm
        : undefined,
  };
}

/** Whether `hypothesis` starts with the first `count` tokens and frames of `partial`. */
function startsWith(hypothesis: CtcHypothesis, partial: CtcHypothesis, count: number): boolean {
  return (
    partial.tokens.slice(0, count).every((token, i) => hypothesis.tokens[i] === token) &&
    partial.frames.slice(0, count).every((frame, i) => hypothesis.frames[i] === frame)
  );
}

/** A peaky CTC-like stream: runs of blank and of one token (1..V-1), plus noise; seeded. */
function peakyStream(T: number, V: number, seed: number): Float32Array {
  let state = seed;
  const random = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const data = new Float32Array(T * V);
  let t = 0;
  while (t < T) {
    const token = random() < 0.5 ? 0 : 1 + Math.floor(random() * (V - 1));
    const run = 1 + Math.floor(random() * 4);
    for (let k = 0; k < run && t < T; k++, t++) {
      const row = Array.from({ length: V }, (_, v) => (v === token ? 5 : 0) + random());
      data.set(logSoftmaxRows([row])[0], t * V);
    }
  }
  return data;
}

describe('createCtcStreamingBeamSearch', () => {
  test.prop([stream(5, 14), searchOptions, fc.constantFrom(Infinity, 32, 2, 1)])(
    'returns exactly what ctcBeamSearch returns, for any chunking; partial() only ever commits what stays',
    async ({ V, blank, logProbs, cuts, kinds }, drawn, maxPendingTokens) => {
      const options = beamOptions(V, blank, drawn);
      const decoder = createCtcStreamingBeamSearch({ ...options, classes: V, maxPendingTokens });
      const partials: { partial: CtcHypothesis; stable: number }[] = [];
      pushChunks(decoder, logProbs, cuts, kinds, () => {
        const { stableTokens, ...partial } = decoder.partial();
        partials.push({ partial, stable: stableTokens });
      });
      expect(decoder.frames).toBe(logProbs.length);
      const { forcedCommits } = decoder.stats();
      const streamed = decoder.finish();
      // Cut anywhere or not at all: the same result.
      const whole = createCtcStreamingBeamSearch({ ...options, classes: V, maxPendingTokens });
      whole.push(new Float32Array(logProbs.flat()));
      expect(whole.stats().forcedCommits).toBe(forcedCommits);
      expect(whole.finish()).toEqual(streamed);
      if (maxPendingTokens === Infinity || maxPendingTokens >= logProbs.length)
        expect(forcedCommits).toBe(0);
      if (forcedCommits === 0)
        expect(streamed).toEqual(await offlineBeamSearch(logProbs, V, options));
      for (const { partial, stable } of partials) {
        expect(stable).toBeLessThanOrEqual(partial.tokens.length);
        for (const hypothesis of streamed)
          expect(startsWith(hypothesis, partial, stable)).toBe(true);
      }
    },
  );

  test.prop([stream(4, 40), searchOptions, fc.array(fc.boolean(), { maxLength: 40 })])(
    'commits and drops state at any frame without changing a result (white-box)',
    async ({ V, blank, logProbs }, drawn, compactAfter) => {
      const options = beamOptions(V, blank, drawn);
      const search = new PrefixBeamSearch(
        'test',
        V,
        resolveBeamSearchOptions('test', options, blank),
      );
      const data = new Float32Array(logProbs.flat());
      for (let t = 0; t < logProbs.length; t++) {
        search.step(data, t * V);
        if (compactAfter[t]) search.compact();
      }
      expect(search.finish()).toEqual(await offlineBeamSearch(logProbs, V, options));
    },
  );

  it('keeps its state bounded over a 20k-frame stream', async () => {
    const T = 20_000;
    const V = 4;
    const data = peakyStream(T, V, 7);
    const lm = NGramLanguageModel.fromArpa(TRIGRAM_ARPA, { vocabulary: TRIGRAM_VOCABULARY });
    const options = { beamWidth: 10, nBest: 3, lm, lmWeight: 0.3, insertionBonus: 0.5 };
    const decoder = createCtcStreamingBeamSearch({ ...options, classes: V });
    let maxPrefixes = 0;
    let maxRecords = 0;
    for (let t = 0; t < T; t += 50) {
      decoder.push(data.subarray(t * V, (t + 50) * V));
      const stats = decoder.stats();
      maxPrefixes = Math.max(maxPrefixes, stats.prefixes);
      maxRecords = Math.max(maxRecords, stats.emissionRecords);
    }
    const stats = decoder.stats();
    expect(stats.frames).toBe(T);
    // Thousands of tokens decoded, far more than the state holds at any time.
    expect(stats.committedTokens).toBeGreaterThan(3000);
    expect(maxPrefixes).toBeLessThanOrEqual(2048);
    expect(maxRecords).toBeLessThanOrEqual(2048);
    const [best] = decoder.finish();
    expect(best.tokens.length).toBeGreaterThan(3000);
    // The exact search keeps alternatives that differ from the best in the first tokens (at a
    // constant distance) to the end: its state grows with the stream, its best stays the same.
    const input = tf.tensor3d(data, [T, 1, V]);
    const [[offline]] = await ctcBeamSearch(input, undefined, options);
    input.dispose();
    expect(best.tokens).toEqual(offline.tokens);
    expect(best.frames).toEqual(offline.frames);
  });

  it('holds every prefix the exact search does with maxPendingTokens: Infinity', () => {
    const T = 2000;
    const V = 4;
    const exact = createCtcStreamingBeamSearch({ classes: V, maxPendingTokens: Infinity });
    const bounded = createCtcStreamingBeamSearch({ classes: V, maxPendingTokens: 8 });
    const data = peakyStream(T, V, 3);
    exact.push(data);
    bounded.push(data);
    // The beam keeps an alternative to the first tokens: nothing is committed, state grows.
    expect(exact.stats().forcedCommits).toBe(0);
    expect(exact.stats().prefixes).toBeGreaterThan(bounded.stats().prefixes * 2);
    expect(bounded.stats().forcedCommits).toBeGreaterThan(0);
    expect(bounded.partial().stableTokens).toBeGreaterThan(exact.partial().stableTokens);
  });

  it('reports the best hypothesis so far, and starts again after reset()', () => {
    const decoder = createCtcStreamingBeamSearch({ classes: 3 });
    expect(decoder.partial()).toEqual({
      tokens: [],
      frames: [],
      score: 0,
      acousticScore: 0,
      lmScore: 0,
      stableTokens: 0,
    });
    const peaked = (token: number) =>
      logSoftmaxRows([[0, 1, 2].map((v) => (v === token ? 9 : 0))])[0];
    decoder.push(new Float32Array([...peaked(1), ...peaked(0), ...peaked(2)]));
    decoder.push(new Float32Array(0));
    const partial = decoder.partial();
    expect(partial.tokens).toEqual([1, 2]);
    expect(partial.frames).toEqual([0, 2]);
    expect(partial.stableTokens).toBe(0); // [1] and [1, 2] are both in the beam
    expect(decoder.frames).toBe(3);
    const [best] = decoder.finish();
    expect(best.tokens).toEqual([1, 2]);
    expect(() => decoder.push(new Float32Array(3))).toThrow(
      'CtcStreamingBeamSearch.push: the stream is finished (finish() was called); call reset() to decode a new stream.',
    );
    expect(() => decoder.partial()).toThrow(
      'CtcStreamingBeamSearch.partial: the stream is finished',
    );
    expect(() => decoder.finish()).toThrow('CtcStreamingBeamSearch.finish: the stream is finished');
    decoder.reset();
    expect(decoder.frames).toBe(0);
    decoder.push(new Float32Array(peaked(2)));
    expect(decoder.finish()[0].tokens).toEqual([2]);
  });

  it('fails for good after a language model fails partway through a chunk, until reset()', () => {
    let calls = 0;
    const lm: LanguageModel<null> = {
      initialState: () => null,
      score: () => ({ logProb: ++calls > 3 ? NaN : -1, state: null }),
      finish: () => 0,
    };
    const decoder = createCtcStreamingBeamSearch({ classes: 3, lm, tokenCutoff: Infinity });
    const frames = new Float32Array(
      logSoftmaxRows([
        [0, 1, 2],
        [2, 1, 0],
        [0, 2, 1],
      ]).flat(),
    );
    expect(() => decoder.push(frames)).toThrow(
      "Argument 'options.lm' passed to 'createCtcStreamingBeamSearch' must return log-probabilities",
    );
    expect(() => decoder.push(frames)).toThrow(
      'CtcStreamingBeamSearch.push: an earlier call failed partway through a chunk, so the ' +
        "decoder's state is incomplete; call reset() to decode a new stream.",
    );
    expect(() => decoder.partial()).toThrow(
      'CtcStreamingBeamSearch.partial: an earlier call failed',
    );
    calls = -1e9;
    decoder.reset();
    decoder.push(frames);
    expect(decoder.finish()).toHaveLength(1);
  });

  describe('argument checks', () => {
    const fn = "'createCtcStreamingBeamSearch'";
    it('rejects bad options in the format of ctcBeamSearch, naming the factory', () => {
      const cases: [unknown, string][] = [
        [null, `Argument 'options' passed to ${fn} must be an object`],
        [{}, `Argument 'options.classes' passed to ${fn} must be an integer`],
        [
          { classes: 0 },
          `Argument 'options.classes' passed to ${fn} must be an integer >= 1, but got 0.`,
        ],
        [
          { classes: 3, blank: 3 },
          `Argument 'options.blank' passed to ${fn} must be an integer in [0, 2], but got 3.`,
        ],
        [
          { classes: 3, beamWidth: 0 },
          `Argument 'options.beamWidth' passed to ${fn} must be an integer >= 1, but got 0.`,
        ],
        [
          { classes: 3, nBest: 11 },
          `Argument 'options.nBest' passed to ${fn} must be an integer in [1, beamWidth = 10], but got 11.`,
        ],
        [
          { classes: 3, pruneLogProb: NaN },
          `Argument 'options.pruneLogProb' passed to ${fn} must be a number`,
        ],
        [{ classes: 3, lm: {} }, `Argument 'options.lm' passed to ${fn} must be a LanguageModel`],
        [
          { classes: 3, maxPendingTokens: 0 },
          `Argument 'options.maxPendingTokens' passed to ${fn} must be an integer >= 1 or Infinity, but got 0.`,
        ],
      ];
      for (const [options, message] of cases) {
        expect(() =>
          createCtcStreamingBeamSearch(
            options as Parameters<typeof createCtcStreamingBeamSearch>[0],
          ),
        ).toThrow(message);
      }
    });

    it('rejects a bad chunk before decoding any of it, and stays usable', async () => {
      const decoder = createCtcStreamingBeamSearch({ classes: 3, nBest: 2 });
      const good = logSoftmaxRows([
        [0, 2, 1],
        [1, 0, 2],
        [2, 2, 0],
      ]);
      decoder.push(new Float32Array(good[0]));
      const push = "Argument 'logProbs' passed to 'CtcStreamingBeamSearch.push' must";
      const logProbsMust =
        'hold log-probabilities (numbers below Infinity; -Infinity for impossible)';
      const kinds =
        'be a float32 [frames, classes] Tensor2D, a [frames, 1, classes] Tensor3D or a Float32Array';
      const cases: [() => CtcStreamChunk, string][] = [
        [
          () => tf.zeros<tf.Rank.R2>([2, 4]),
          `${push} have 3 classes (options.classes) in its last dimension, but got a float32 tensor of shape [2, 4].`,
        ],
        [
          () => tf.zeros<tf.Rank.R3>([2, 1, 2]),
          `${push} have 3 classes (options.classes) in its last dimension`,
        ],
        [
          () => tf.zeros<tf.Rank.R3>([2, 2, 3]),
          `${push} have a batch of 1 ([frames, 1, classes]): a streaming decoder decodes one stream`,
        ],
        [
          () => tf.zeros([3]) as unknown as tf.Tensor2D,
          `${push} ${kinds}, but got a float32 tensor of shape [3].`,
        ],
        [() => tf.zeros([1, 1, 1, 3]) as unknown as tf.Tensor2D, `${push} ${kinds}`],
        [() => tf.zeros<tf.Rank.R2>([1, 3], 'int32'), `${push} be float32`],
        [
          () => new Float32Array(4),
          `${push} hold whole frames of 3 classes (options.classes): a length that is a multiple ` +
            'of 3, but got a Float32Array of length 4.',
        ],
        [() => [[0, 0, 0]] as unknown as Float32Array, `${push} ${kinds}, but got`],
        [() => new Float64Array(3) as unknown as Float32Array, `${push} ${kinds}, but got`],
        [
          () => new Float32Array([...good[1], 0, NaN, 0]),
          `${push} ${logProbsMust}, but got NaN at frame 1 of the chunk (frame 2 of the stream), class 1.`,
        ],
        [
          () => new Float32Array([0, Infinity, 0]),
          `${push} ${logProbsMust}, but got Infinity at frame 0 of the chunk (frame 1 of the stream), class 1.`,
        ],
        [
          () => tf.tensor2d([[0, 0, NaN]]),
          `${push} ${logProbsMust}, but got NaN at frame 0 of the chunk (frame 1 of the stream), class 2.`,
        ],
      ];
      for (const [make, message] of cases) {
        const chunk = make();
        const before = tf.memory().numTensors;
        expect(() => decoder.push(chunk)).toThrow(message);
        expect(tf.memory().numTensors).toBe(before);
        if (chunk instanceof tf.Tensor) chunk.dispose();
      }
      expect(decoder.frames).toBe(1);
      decoder.push(new Float32Array(good.slice(1).flat()));
      expect(decoder.finish()).toEqual(await offlineBeamSearch(good, 3, { nBest: 2 }));
    });
  });
});

describe('createCtcStreamingGreedyDecoder', () => {
  test.prop([stream(5, 14)])(
    'returns exactly what ctcGreedyDecode returns, for any chunking, every partial token final',
    async ({ V, blank, logProbs, cuts, kinds }) => {
      const decoder = createCtcStreamingGreedyDecoder({ classes: V, blank });
      const partials: CtcHypothesis[] = [];
      pushChunks(decoder, logProbs, cuts, kinds, () => {
        const { stableTokens, ...partial } = decoder.partial();
        expect(stableTokens).toBe(partial.tokens.length);
        partials.push(partial);
      });
      const streamed = decoder.finish();
      expect(streamed).toEqual(await offlineGreedy(logProbs, V, blank));
      for (const partial of partials)
        expect(startsWith(streamed, partial, partial.tokens.length)).toBe(true);
    },
  );

  it('collapses a run split between chunks, and keeps a repeat after a blank', () => {
    const row = (token: number) => logSoftmaxRows([[0, 1, 2].map((v) => (v === token ? 4 : 0))])[0];
    const decoder = createCtcStreamingGreedyDecoder({ classes: 3 });
    decoder.push(new Float32Array([...row(0), ...row(1)]));
    decoder.push(new Float32Array(row(1))); // the run of 1 goes on: no new token
    expect(decoder.partial().tokens).toEqual([1]);
    decoder.push(new Float32Array(row(0))); // a blank,
    decoder.push(new Float32Array(row(1))); // then 1 again: a second token
    decoder.push(new Float32Array([...row(2), ...row(2)]));
    const result = decoder.finish();
    expect(result.tokens).toEqual([1, 1, 2]);
    expect(result.frames).toEqual([1, 4, 5]);
    expect(() => decoder.push(new Float32Array(3))).toThrow(
      'CtcStreamingGreedyDecoder.push: the stream is finished',
    );
    decoder.reset();
    expect(decoder.finish()).toEqual({
      tokens: [],
      frames: [],
      score: 0,
      acousticScore: 0,
      lmScore: 0,
    });
  });

  it('rejects bad options and chunks in the project format', () => {
    expect(() => createCtcStreamingGreedyDecoder({ classes: 2, blank: -1 })).toThrow(
      "Argument 'options.blank' passed to 'createCtcStreamingGreedyDecoder' must be an integer in [0, 1], but got -1.",
    );
    const decoder = createCtcStreamingGreedyDecoder({ classes: 2 });
    expect(() => decoder.push(new Float32Array([0, NaN]))).toThrow(
      "Argument 'logProbs' passed to 'CtcStreamingGreedyDecoder.push' must hold log-probabilities " +
        '(numbers below Infinity; -Infinity for impossible), but got NaN at frame 0 of the chunk ' +
        '(frame 0 of the stream), class 1.',
    );
    expect(decoder.frames).toBe(0);
  });
});

describeWithBackends('streaming decoders', () => {
  it('read tensor chunks of the backend and create no tensors', async () => {
    const logProbs = logSoftmaxRows([
      [0, 2, 1],
      [1, 0, 2],
      [2, 2, 0],
      [0, 0, 3],
    ]);
    const beam = createCtcStreamingBeamSearch({ classes: 3, nBest: 2, lm: modularLm });
    const greedy = createCtcStreamingGreedyDecoder({ classes: 3 });
    const chunks = [
      tf.tensor2d(logProbs.slice(0, 1)),
      tf.tensor3d(logProbs.slice(1, 4).flat(), [3, 1, 3]),
    ];
    expectNoLeaks(() => {
      for (const chunk of chunks) {
        beam.push(chunk);
        greedy.push(chunk);
      }
      const wrong = tf.zeros<tf.Rank.R2>([1, 2]);
      expect(() => beam.push(wrong)).toThrow('have 3 classes');
      wrong.dispose();
    }, 0);
    tf.dispose(chunks);
    expect(beam.finish()).toEqual(
      await offlineBeamSearch(logProbs, 3, { nBest: 2, lm: modularLm }),
    );
    expect(greedy.finish()).toEqual(await offlineGreedy(logProbs, 3, 0));
  });
});
