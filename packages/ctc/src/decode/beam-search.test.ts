import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { NGramLanguageModel, type LanguageModel } from '../lm/language-model';
import {
  bruteForceLabelings,
  describeWithBackends,
  logSoftmaxRows,
  toTensor3d,
  TRIGRAM_ARPA,
  TRIGRAM_VOCABULARY,
  type FrameLogProbs,
} from '@slr/test-utils';
import { ctcBeamSearch } from './beam-search';
import { ctcGreedyDecode } from './greedy';
import type { Lengths } from '../checks';
import type { CtcBeamSearchOptions, CtcHypothesis } from './types';

/** Beam search of one utterance given as `[T][V]`. */
async function search(
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

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const max = Math.max(a, b);
  return max + Math.log(Math.exp(a - max) + Math.exp(b - max));
}

function compareTokens(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * A plain prefix beam search written for clarity (maps keyed by the token sequence, no
 * pruning beyond the options), against which the optimised one is checked. Besides the
 * total probabilities it tracks each prefix's most probable path ending in blank / non-blank
 * with that path's emission frames.
 */
function referenceBeamSearch(
  logProbs: FrameLogProbs,
  options: Required<Omit<CtcBeamSearchOptions, 'lm'>> & { lm?: LanguageModel },
): CtcHypothesis[] {
  const { blank, beamWidth, nBest, tokenCutoff, pruneLogProb, lm, lmWeight, insertionBonus } =
    options;
  interface Entry {
    tokens: number[];
    blank: number;
    nonBlank: number;
    bestBlank: number;
    bestNonBlank: number;
    blankFrames: number[];
    nonBlankFrames: number[];
    lmState: unknown;
    lmLogProb: number;
    score: number;
  }
  const bonusOf = (e: Entry): number =>
    (lm ? lmWeight * e.lmLogProb : 0) + insertionBonus * e.tokens.length;
  const bestOf = (e: Entry) =>
    e.bestBlank >= e.bestNonBlank
      ? { best: e.bestBlank, frames: e.blankFrames }
      : { best: e.bestNonBlank, frames: e.nonBlankFrames };
  const rank = <E extends { score: number; tokens: number[] }>(entries: E[], limit: number): E[] =>
    entries
      .sort((a, b) => b.score - a.score || compareTokens(a.tokens, b.tokens))
      .filter((e, i) => i === 0 || e.score > -Infinity)
      .slice(0, limit);
  const empty = {
    blank: -Infinity,
    nonBlank: -Infinity,
    bestBlank: -Infinity,
    bestNonBlank: -Infinity,
    score: -Infinity,
  };
  const root: Entry = {
    ...empty,
    tokens: [],
    blank: 0,
    bestBlank: 0,
    blankFrames: [],
    nonBlankFrames: [],
    lmState: lm?.initialState(),
    lmLogProb: 0,
  };
  let beam = new Map<string, Entry>([['', root]]);
  logProbs.forEach((row, t) => {
    const allowed = row
      .map((logProb, token) => ({ logProb, token }))
      .filter(({ logProb, token }) => token !== blank && logProb >= pruneLogProb)
      .sort((a, b) => b.logProb - a.logProb || a.token - b.token)
      .slice(0, tokenCutoff)
      .map(({ token }) => token);
    const next = new Map<string, Entry>();
    for (const entry of beam.values()) {
      const total = logAddExp(entry.blank, entry.nonBlank);
      const { best, frames } = bestOf(entry);
      const last = entry.tokens[entry.tokens.length - 1];
      const repeat = last === undefined ? -Infinity : row[last];
      next.set(entry.tokens.join(','), {
        ...entry,
        blank: total + row[blank],
        bestBlank: best + row[blank],
        blankFrames: frames,
        nonBlank: entry.nonBlank + repeat,
        bestNonBlank: entry.bestNonBlank + repeat,
      });
    }
    for (const entry of beam.values()) {
      const total = logAddExp(entry.blank, entry.nonBlank);
      const last = entry.tokens[entry.tokens.length - 1];
      // Allowed tokens make new prefixes; prefixes already in the beam are always extended into.
      const tokens = new Set(allowed);
      for (let token = 0; token < row.length; token++) {
        if (beam.has([...entry.tokens, token].join(','))) tokens.add(token);
      }
      for (const token of tokens) {
        const key = [...entry.tokens, token].join(',');
        let child = next.get(key);
        if (child === undefined) {
          const scored = lm?.score(entry.lmState, token);
          child = {
            ...empty,
            tokens: [...entry.tokens, token],
            blankFrames: [],
            nonBlankFrames: [],
            lmState: scored?.state,
            lmLogProb: entry.lmLogProb + (scored?.logProb ?? 0),
          };
          next.set(key, child);
        }
        const from =
          token === last ? { best: entry.bestBlank, frames: entry.blankFrames } : bestOf(entry);
        child.nonBlank = logAddExp(
          child.nonBlank,
          (token === last ? entry.blank : total) + row[token],
        );
        if (from.best + row[token] > child.bestNonBlank) {
          child.bestNonBlank = from.best + row[token];
          child.nonBlankFrames = [...from.frames, t];
        }
      }
    }
    for (const entry of next.values())
      entry.score = logAddExp(entry.blank, entry.nonBlank) + bonusOf(entry);
    beam = new Map(rank([...next.values()], beamWidth).map((e) => [e.tokens.join(','), e]));
  });
  const finals = [...beam.values()].map((e) => {
    const end = lm ? lm.finish(e.lmState) : 0;
    const acousticScore = logAddExp(e.blank, e.nonBlank);
    const score = acousticScore + bonusOf(e) + (lm ? lmWeight * end : 0);
    return {
      tokens: e.tokens,
      score,
      frames: bestOf(e).frames,
      acousticScore,
      lmScore: e.lmLogProb + end,
    };
  });
  return rank(finals, nBest);
}

const ARPA = TRIGRAM_ARPA;
const VOCABULARY = TRIGRAM_VOCABULARY;

const WIDE = { beamWidth: 400, tokenCutoff: Infinity } as const;

/**
 * V in [2, 4], T in [0, 5], logits from `logit`, a blank in [0, V). `generic` adds a small
 * irrational offset to every logit, so that no two labelings are exactly as probable (even
 * after shrinking, which drives logits to 0), and rounding cannot decide a ranking.
 */
function utterance(logit: fc.Arbitrary<number>, { minV = 2, generic = false } = {}) {
  const offset = (t: number, v: number) => (generic ? 1e-2 * Math.sqrt(2 + 7 * t + 3 * v) : 0);
  return fc.integer({ min: minV, max: 4 }).chain((V) =>
    fc.record({
      V: fc.constant(V),
      blank: fc.integer({ min: 0, max: V - 1 }),
      logProbs: fc
        .array(fc.array(logit, { minLength: V, maxLength: V }), { maxLength: 5 })
        .map((rows) => logSoftmaxRows(rows.map((row, t) => row.map((x, v) => x + offset(t, v))))),
    }),
  );
}
const continuous = fc.double({ min: -4, max: 4, noNaN: true });
const integral = fc.integer({ min: -2, max: 2 });

function expectSameHypotheses(actual: CtcHypothesis[], expected: CtcHypothesis[]): void {
  expect(actual.map((h) => h.tokens)).toEqual(expected.map((h) => h.tokens));
  expect(actual.map((h) => h.frames)).toEqual(expected.map((h) => h.frames));
  actual.forEach((h, i) => {
    expect(h.score).toBeCloseTo(expected[i].score, 9);
    expect(h.acousticScore).toBeCloseTo(expected[i].acousticScore, 9);
    expect(h.lmScore).toBeCloseTo(expected[i].lmScore, 9);
  });
}

describeWithBackends('ctcBeamSearch', () => {
  it('finds a labeling that no single path favours', async () => {
    // Best path: blank, blank (p = 0.36). Best labeling: [1], through 1-1, 1-blank, blank-1
    // (p = 0.16 + 0.24 + 0.24 = 0.64).
    const logProbs = [
      [Math.log(0.6), Math.log(0.4)],
      [Math.log(0.6), Math.log(0.4)],
    ];
    const input = toTensor3d(
      logProbs.map((row) => [row]),
      1,
      2,
    );
    const [greedy] = await ctcGreedyDecode(input);
    input.dispose();
    const [best, second] = await search(logProbs, 2, { nBest: 2 });
    expect(greedy.tokens).toEqual([]);
    expect(best.tokens).toEqual([1]);
    expect(best.score).toBeCloseTo(Math.log(0.64), 6);
    expect(best.frames).toEqual([0]);
    expect(second.tokens).toEqual([]);
    expect(second.score).toBeCloseTo(Math.log(0.36), 6);
  });

  test.prop([utterance(continuous)])(
    'with a wide beam and no cutoff, returns the most probable labeling with its total log-probability',
    async ({ V, blank, logProbs }) => {
      const [best] = await search(logProbs, V, { ...WIDE, blank });
      const labelings = bruteForceLabelings(logProbs, blank);
      const exact = labelings.find((l) => compareTokens(l.labels, best.tokens) === 0);
      expect(exact).toBeDefined();
      expect(best.score).toBeCloseTo(exact!.logProb, 9);
      expect(best.acousticScore).toBe(best.score);
      expect(best.lmScore).toBe(0);
      // The top labeling, unless rounding separates two equally probable ones.
      if (labelings.length === 1 || labelings[0].logProb - labelings[1].logProb > 1e-9) {
        expect(best.tokens).toEqual(labelings[0].labels);
      } else {
        expect(best.score).toBeCloseTo(labelings[0].logProb, 9);
      }
    },
  );

  test.prop([utterance(integral), fc.integer({ min: 1, max: 8 })])(
    'n-best lists the most probable labelings, best first, ties in lexicographic order',
    async ({ V, blank, logProbs }, nBest) => {
      const hypotheses = await search(logProbs, V, { ...WIDE, blank, nBest });
      const labelings = bruteForceLabelings(logProbs, blank);
      expect(hypotheses).toHaveLength(Math.min(nBest, labelings.length));
      const totals = new Map(labelings.map((l) => [l.labels.join(','), l.logProb]));
      hypotheses.forEach((h, i) => {
        // Each score is its labeling's exact probability, and the list is the brute-force top n.
        expect(h.score).toBeCloseTo(totals.get(h.tokens.join(','))!, 9);
        expect(h.score).toBeCloseTo(labelings[i].logProb, 9);
        if (i > 0) {
          const previous = hypotheses[i - 1];
          expect(previous.score).toBeGreaterThanOrEqual(h.score);
          if (previous.score === h.score)
            expect(compareTokens(previous.tokens, h.tokens)).toBeLessThan(0);
        }
      });
    },
  );

  test.prop([
    utterance(continuous, { minV: 3, generic: true }),
    fc.record({
      beamWidth: fc.integer({ min: 1, max: 6 }),
      tokenCutoff: fc.integer({ min: 1, max: 3 }),
      pruneLogProb: fc.constantFrom(-Infinity, -3, -1.5),
      insertionBonus: fc.constantFrom(0, 0.7, -0.4),
      withLm: fc.boolean(),
      lmWeight: fc.constantFrom(0.5, 1.3, -0.3),
    }),
  ])(
    'matches a plain reference prefix beam search under every pruning option',
    async ({ V, logProbs }, { withLm, ...rest }) => {
      const lm =
        withLm && V === 4
          ? NGramLanguageModel.fromArpa(ARPA, { vocabulary: VOCABULARY })
          : undefined;
      const options = { ...rest, blank: 0, nBest: rest.beamWidth, lm };
      expectSameHypotheses(
        await search(logProbs, V, options),
        referenceBeamSearch(logProbs, options),
      );
    },
  );

  test.prop([
    fc.array(fc.array(continuous, { minLength: 24, maxLength: 24 }), { maxLength: 4 }),
    fc.record({
      beamWidth: fc.integer({ min: 1, max: 30 }),
      tokenCutoff: fc.integer({ min: 5, max: 23 }),
      pruneLogProb: fc.constantFrom(-Infinity, -4),
      insertionBonus: fc.constantFrom(0, 0.7),
      lmWeight: fc.constantFrom(0, 0.5, 2),
    }),
  ])(
    'matches the reference on a larger vocabulary, where tokens are selected in two rounds',
    async (logits, rest) => {
      const logProbs = logSoftmaxRows(
        logits.map((row, t) => row.map((x, v) => x + 1e-2 * Math.sqrt(2 + 7 * t + 3 * v))),
      );
      // An LM that sinks some of the acoustically best tokens, so that later ones matter.
      const lm: LanguageModel<number> = {
        initialState: () => 0,
        score: (previous, token) => ({ logProb: -((token + previous) % 5) * 1.5, state: token }),
        finish: (last) => -(last % 3) * 0.5,
      };
      const options = {
        ...rest,
        blank: 0,
        nBest: rest.beamWidth,
        lm: rest.lmWeight === 0 ? undefined : lm,
      };
      expectSameHypotheses(
        await search(logProbs, 24, options),
        referenceBeamSearch(logProbs, options),
      );
    },
  );

  test.prop([
    utterance(continuous, { minV: 4, generic: true }),
    fc.constantFrom(0.4, 1, 2),
    fc.constantFrom(0, 1.5),
  ])(
    'with an LM and a wide beam, returns the labeling that maximises acoustic + weighted LM + bonus',
    async ({ logProbs }, lmWeight, insertionBonus) => {
      const lm = NGramLanguageModel.fromArpa(ARPA, { vocabulary: VOCABULARY });
      const [best] = await search(logProbs, 4, { ...WIDE, lm, lmWeight, insertionBonus });
      const totals = bruteForceLabelings(logProbs, 0)
        .map(({ labels, logProb }) => ({
          labels,
          score: logProb + lmWeight * lm.scoreTokens(labels) + insertionBonus * labels.length,
        }))
        .sort((a, b) => b.score - a.score || compareTokens(a.labels, b.labels));
      const mine = totals.find((l) => compareTokens(l.labels, best.tokens) === 0)!;
      expect(best.score).toBeCloseTo(mine.score, 9);
      expect(best.score).toBeCloseTo(totals[0].score, 9);
      expect(best.lmScore).toBeCloseTo(lm.scoreTokens(best.tokens), 9);
      const total =
        best.acousticScore + lmWeight * best.lmScore + insertionBonus * best.tokens.length;
      expect(best.score).toBeCloseTo(total, 9);
    },
  );

  it('lets the LM overturn a close acoustic decision', async () => {
    // One frame: A is slightly more probable than C acoustically, but this LM makes a sentence
    // rarely start with A (P(A | <s>) = 10^-2.5), while C backs off to its unigram.
    const logProbs = [[0.1, 0.46, 0.04, 0.4].map((p) => Math.fround(Math.log(p)))];
    const lmText = ARPA.replace('-0.2\t<s> A\t-0.15', '-2.5\t<s> A\t-0.15');
    const lm = NGramLanguageModel.fromArpa(lmText, { vocabulary: VOCABULARY });
    const [withoutLm] = await search(logProbs, 4, {});
    const [withLm] = await search(logProbs, 4, { lm, lmWeight: 1 });
    expect(withoutLm.tokens).toEqual([1]);
    expect(withLm.tokens).toEqual([3]);
    const ln10 = Math.LN10;
    // ln P(C | <s>) = bow(<s>) + P(C) = -0.4 - 0.9; ln P(</s> | <s> C) = P(</s> | C) = -0.35 (log10).
    expect(withLm.lmScore).toBeCloseTo((-0.4 - 0.9 - 0.35) * ln10, 9);
    expect(withLm.acousticScore).toBeCloseTo(Math.fround(Math.log(0.4)), 6);
    expect(withLm.score).toBeCloseTo(withLm.acousticScore + withLm.lmScore, 9);
  });

  it('adds the insertion bonus per token, with or without an LM', async () => {
    const half = Math.log(0.5);
    const logProbs = [
      [half, half],
      [half, half],
      [half, half],
    ];
    const [plain] = await search(logProbs, 2, {});
    const [boosted] = await search(logProbs, 2, { insertionBonus: 2 });
    expect(plain.tokens).toEqual([1]); // p([1]) = 6/8 beats p([1, 1]) = 1/8 (path 1-blank-1)
    expect(boosted.tokens).toEqual([1, 1]); // ln(1/8) + 2 · 2 beats ln(6/8) + 2
    expect(boosted.score).toBeCloseTo(Math.log(1 / 8) + 4, 6);
    expect(boosted.acousticScore).toBeCloseTo(Math.log(1 / 8), 6);
    expect(boosted.frames).toEqual([0, 2]);
  });

  it('calls a custom LanguageModel once per new prefix, and its finish once per hypothesis', async () => {
    const calls: string[] = [];
    const lm: LanguageModel<string> = {
      initialState: () => '',
      score: (state, token) => {
        calls.push(`${state}+${token}`);
        return { logProb: token === 2 ? Math.log(0.9) : Math.log(0.1), state: `${state}${token}` };
      },
      finish: (state) => (state === '2' ? 0 : Math.log(0.5)),
    };
    const logProbs = [[Math.log(0.2), Math.log(0.45), Math.log(0.35)]];
    const hypotheses = await search(logProbs, 3, { lm, lmWeight: 1, nBest: 3, beamWidth: 3 });
    expect(hypotheses.map((h) => h.tokens)).toEqual([[2], [], [1]]);
    expect(new Set(calls).size).toBe(calls.length);
    expect(hypotheses[0].lmScore).toBeCloseTo(Math.log(0.9), 12);
    expect(hypotheses[1].lmScore).toBeCloseTo(Math.log(0.5), 12);
  });

  it('breaks exact ties by lexicographic token order, deterministically', async () => {
    const third = Math.log(1 / 3);
    const uniform = [[third, third, third]];
    const first = await search(uniform, 3, { nBest: 3, beamWidth: 3 });
    expect(first.map((h) => h.tokens)).toEqual([[], [1], [2]]);
    expect(first.map((h) => h.score)).toEqual([
      Math.fround(third),
      Math.fround(third),
      Math.fround(third),
    ]);
    // A beam of 2 keeps the lexicographically smaller of the tied labelings, every time.
    for (let run = 0; run < 3; run++) {
      const narrow = await search(uniform, 3, { nBest: 2, beamWidth: 2 });
      expect(narrow.map((h) => h.tokens)).toEqual([[], [1]]);
    }
    // Symmetric tokens over two frames: [1] and [2] tie (5/16), so do [1, 2] and [2, 1] (1/16).
    const quarter = Math.log(0.25);
    const symmetric = [
      [Math.log(0.5), quarter, quarter],
      [Math.log(0.5), quarter, quarter],
    ];
    const hypotheses = await search(symmetric, 3, { nBest: 5, beamWidth: 5 });
    expect(hypotheses.map((h) => h.tokens)).toEqual([[1], [2], [], [1, 2], [2, 1]]);
    expect(hypotheses[0].score).toBe(hypotheses[1].score);
    expect(hypotheses[3].score).toBe(hypotheses[4].score);
  });

  it('appends only the tokenCutoff most probable tokens, and none below pruneLogProb', async () => {
    const logProbs = [[Math.log(0.5), Math.log(0.3), Math.log(0.2)]];
    const cut = await search(logProbs, 3, { nBest: 3, beamWidth: 3, tokenCutoff: 1 });
    expect(cut.map((h) => h.tokens)).toEqual([[], [1]]);
    const pruned = await search(logProbs, 3, {
      nBest: 3,
      beamWidth: 3,
      pruneLogProb: Math.log(0.25),
    });
    expect(pruned.map((h) => h.tokens)).toEqual([[], [1]]);
    // Blank and the repeat of a prefix's last token are scored whatever the cutoff.
    const repeated = [
      [Math.log(0.1), Math.log(0.8), Math.log(0.1)],
      [Math.log(0.1), Math.log(0.1), Math.log(0.8)],
    ];
    const [kept] = await search(repeated, 3, { tokenCutoff: 1, beamWidth: 1 });
    expect(kept.tokens).toEqual([1, 2]);
    const [alone] = await search(repeated, 3, {
      tokenCutoff: 1,
      beamWidth: 1,
      pruneLogProb: Math.log(0.9),
    });
    expect(alone.tokens).toEqual([]);
    expect(alone.score).toBeCloseTo(Math.log(0.1) * 2, 6);
  });

  test.prop([utterance(continuous)])(
    'reports, for each token, an increasing frame within the input',
    async ({ V, blank, logProbs }) => {
      for (const h of await search(logProbs, V, { blank, nBest: 3 })) {
        expect(h.frames).toHaveLength(h.tokens.length);
        h.frames.forEach((frame, i) => {
          expect(frame).toBeLessThan(logProbs.length);
          if (i > 0) expect(frame).toBeGreaterThan(h.frames[i - 1]);
        });
      }
    },
  );

  it('reports the same tokens and frames as greedy decoding on a peaked input', async () => {
    const path = [0, 3, 3, 0, 0, 1, 2, 2, 0, 2, 0, 0, 4, 4, 4, 0];
    const V = 5;
    const logProbs = logSoftmaxRows(
      path.map((token) => Array.from({ length: V }, (_, v) => (v === token ? 8 : 0))),
    );
    const input = toTensor3d(
      logProbs.map((row) => [row]),
      1,
      V,
    );
    const [greedy] = await ctcGreedyDecode(input);
    const [[best]] = await ctcBeamSearch(input);
    input.dispose();
    expect(best.tokens).toEqual([3, 1, 2, 2, 4]);
    expect(best.tokens).toEqual(greedy.tokens);
    expect(best.frames).toEqual(greedy.frames);
  });

  test.prop([
    fc.integer({ min: 2, max: 4 }).chain((V) =>
      fc.record({
        V: fc.constant(V),
        T: fc.integer({ min: 0, max: 5 }),
        items: fc.array(
          fc.array(fc.array(continuous, { minLength: V, maxLength: V }), { maxLength: 5 }),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
      }),
    ),
  ])(
    'decodes each batch item as on its own, never reading frames past its length',
    async ({ V, T, items }) => {
      const utterances = items.map((logits) => logSoftmaxRows(logits.slice(0, T)));
      const frames = Array.from({ length: T }, (_, t) =>
        utterances.map((u) => (t < u.length ? u[t] : new Array<number>(V).fill(NaN))),
      );
      const batch = toTensor3d(frames, utterances.length, V);
      const options = { nBest: 2, beamWidth: 3 };
      const batched = await ctcBeamSearch(
        batch,
        utterances.map((u) => u.length),
        options,
      );
      batch.dispose();
      for (const [b, logProbs] of utterances.entries()) {
        expect(batched[b]).toEqual(await search(logProbs, V, options));
        for (const h of batched[b]) expect(Number.isFinite(h.score)).toBe(true);
      }
    },
  );

  it('returns the empty hypothesis for zero frames, with the LM end of sentence', async () => {
    const empty = tf.zeros<tf.Rank.R3>([0, 2, 4]);
    const lm = NGramLanguageModel.fromArpa(ARPA, { vocabulary: VOCABULARY });
    const [[plain], [withLm]] = await ctcBeamSearch(empty, undefined, {
      lm: undefined,
      nBest: 1,
    }).then(async (a) => [a[0], (await ctcBeamSearch(empty, undefined, { lm, lmWeight: 2 }))[1]]);
    empty.dispose();
    expect(plain).toEqual({ tokens: [], frames: [], score: 0, acousticScore: 0, lmScore: 0 });
    // ln P(</s> | <s>) = bow(<s>) + P(</s>) = -0.4 - 0.8 (log10)
    expect(withLm.lmScore).toBeCloseTo(-1.2 * Math.LN10, 9);
    expect(withLm.score).toBeCloseTo(-2.4 * Math.LN10, 9);
  });

  it('drops zero-probability prefixes but always returns a hypothesis', async () => {
    const oneHot = [
      [-Infinity, 0, -Infinity],
      [0, -Infinity, -Infinity],
    ];
    const hypotheses = await search(oneHot, 3, { nBest: 5 });
    expect(hypotheses.map((h) => h.tokens)).toEqual([[1]]);
    expect(hypotheses[0].score).toBe(0);
    const impossible = await search([[-Infinity, -Infinity]], 2, { nBest: 2, beamWidth: 2 });
    expect(impossible).toHaveLength(1);
    expect(impossible[0].score).toBe(-Infinity);
  });

  it('decodes a sign-language-sized input', async () => {
    const logProbs = tf.tidy(() =>
      tf.logSoftmax<tf.Tensor3D>(tf.randomNormal([150, 2, 1296], 0, 2, 'float32', 3)),
    );
    const results = await ctcBeamSearch(logProbs, [150, 90], { nBest: 3 });
    logProbs.dispose();
    expect(results).toHaveLength(2);
    for (const hypotheses of results) {
      expect(hypotheses).toHaveLength(3);
      expect(hypotheses[0].score).toBeGreaterThanOrEqual(hypotheses[1].score);
      expect(hypotheses[1].score).toBeGreaterThanOrEqual(hypotheses[2].score);
    }
  });

  it('creates no tensors', async () => {
    const logProbs = tf.tidy(() =>
      tf.logSoftmax<tf.Tensor3D>(tf.randomNormal([20, 3, 7], 0, 1, 'float32', 1)),
    );
    const lm: LanguageModel<null> = {
      initialState: () => null,
      score: () => ({ logProb: -1, state: null }),
      finish: () => 0,
    };
    const before = tf.memory().numTensors;
    await ctcBeamSearch(logProbs, [20, 5, 0], { nBest: 2, lm });
    expect(tf.memory().numTensors).toBe(before);
    logProbs.dispose();
  });

  describe('argument checks', () => {
    const check = async (
      options: CtcBeamSearchOptions,
      message: string,
      inputLengths?: Lengths,
    ) => {
      const logProbs = tf.zeros<tf.Rank.R3>([4, 2, 3]);
      try {
        await expect(ctcBeamSearch(logProbs, inputLengths, options)).rejects.toThrow(message);
      } finally {
        logProbs.dispose();
      }
    };
    const arg = (name: string) => `Argument '${name}' passed to 'ctcBeamSearch'`;

    it('rejects a logProbs tensor that is not rank 3', async () => {
      const flat = tf.zeros([4, 3]);
      await expect(ctcBeamSearch(flat as unknown as tf.Tensor3D)).rejects.toThrow(
        `${arg('logProbs')} must have rank 3 [frames, batch, classes], but got a float32 tensor of shape [4, 3].`,
      );
      flat.dispose();
    });

    it('rejects bad inputLengths and blank', async () => {
      await check(
        {},
        `${arg('inputLengths')} must have one length per batch item (2), but got 3 lengths.`,
        [1, 2, 3],
      );
      await check(
        {},
        `${arg('inputLengths')} must hold integers in [0, 4] (4: the frames of logProbs), but got -2 at batch item 0.`,
        [-2, 1],
      );
      await check(
        {},
        `${arg('inputLengths')} must hold integers in [0, 4] (4: the frames of logProbs), but got 9 at batch item 1.`,
        [1, 9],
      );
      await check({ blank: 3 }, `${arg('options.blank')} must be an integer in [0, 2], but got 3.`);
    });

    it('rejects null options', async () => {
      await check(
        null as unknown as CtcBeamSearchOptions,
        "Argument 'options' passed to 'ctcBeamSearch' must be an object or undefined, but got null.",
      );
    });

    it('rejects a language model score that is NaN or positive, naming the value, leaking nothing', async () => {
      const model = (score: number, end = 0): LanguageModel<null> => ({
        initialState: () => null,
        score: () => ({ logProb: score, state: null }),
        finish: () => end,
      });
      const logProbs = tf.tidy(() =>
        tf.logSoftmax<tf.Tensor3D>(tf.randomNormal([4, 2, 3], 0, 1, 'float32', 2)),
      );
      const must =
        'must return log-probabilities (numbers at most 0: finite, or -Infinity for impossible)';
      const cases: [LanguageModel, string][] = [
        [model(NaN), `${arg('options.lm')} ${must}, but got NaN from score(state, 1).`],
        [model(0.5), `${arg('options.lm')} ${must}, but got 0.5 from score(state, 1).`],
        [model(Infinity), `${arg('options.lm')} ${must}, but got Infinity from score(state, 1).`],
        [model(-1, NaN), `${arg('options.lm')} ${must}, but got NaN from finish(state).`],
        [model(-1, 2), `${arg('options.lm')} ${must}, but got 2 from finish(state).`],
        [
          { ...model(-1), score: () => undefined } as unknown as LanguageModel,
          `${arg('options.lm')} must return { logProb, state } from score(), but got undefined from score(state, 1).`,
        ],
      ];
      const before = tf.memory().numTensors;
      for (const [lm, message] of cases) {
        await expect(
          ctcBeamSearch(logProbs, [4, 4], { lm, tokenCutoff: Infinity, beamWidth: 4 }),
        ).rejects.toThrow(message);
      }
      expect(tf.memory().numTensors).toBe(before);
      // -Infinity (impossible) and 0 (certain) are log-probabilities.
      const [[best]] = await ctcBeamSearch(logProbs, [4, 4], { lm: model(-Infinity, 0) });
      expect(best.tokens).toEqual([]);
      await expect(ctcBeamSearch(logProbs, [4, 4], { lm: model(0, 0) })).resolves.toHaveLength(2);
      logProbs.dispose();
    });

    it('takes lengths as a number[], an Int32Array or a tensor, as ctcLoss does', async () => {
      const logProbs = tf.tidy(() =>
        tf.logSoftmax<tf.Tensor3D>(tf.randomNormal([6, 3, 5], 0, 2, 'float32', 5)),
      );
      const lengths = [6, 3, 0];
      const tensorLengths = tf.tensor1d(lengths, 'int32');
      const expected = await ctcBeamSearch(logProbs, lengths, { nBest: 2 });
      expect(await ctcBeamSearch(logProbs, Int32Array.from(lengths), { nBest: 2 })).toEqual(
        expected,
      );
      expect(await ctcBeamSearch(logProbs, tensorLengths, { nBest: 2 })).toEqual(expected);
      tf.dispose([logProbs, tensorLengths]);
      const matrix = tf.tensor2d([[4, 4]], [1, 2], 'int32');
      await check(
        {},
        `${arg('inputLengths')} must have rank 1 [batch], but got an int32 tensor of shape [1, 2].`,
        matrix as unknown as tf.Tensor1D,
      );
      matrix.dispose();
    });

    it('rejects a beamWidth below 1', async () => {
      await check(
        { beamWidth: 0 },
        `${arg('options.beamWidth')} must be an integer >= 1, but got 0.`,
      );
      await check(
        { beamWidth: 2.5 },
        `${arg('options.beamWidth')} must be an integer >= 1, but got 2.5.`,
      );
    });

    it('rejects an nBest outside [1, beamWidth]', async () => {
      await check(
        { beamWidth: 4, nBest: 5 },
        `${arg('options.nBest')} must be an integer in [1, beamWidth = 4], but got 5.`,
      );
      await check(
        { nBest: 0 },
        `${arg('options.nBest')} must be an integer in [1, beamWidth = 10], but got 0.`,
      );
    });

    it('rejects bad pruning, weights and LM', async () => {
      await check(
        { tokenCutoff: 0 },
        `${arg('options.tokenCutoff')} must be an integer >= 1 or Infinity, but got 0.`,
      );
      await check(
        { pruneLogProb: NaN },
        `${arg('options.pruneLogProb')} must be a number (a log-probability), but got NaN.`,
      );
      await check(
        { lmWeight: Infinity },
        `${arg('options.lmWeight')} must be a finite number, but got Infinity.`,
      );
      await check(
        { insertionBonus: NaN },
        `${arg('options.insertionBonus')} must be a finite number, but got NaN.`,
      );
      await check(
        { lm: {} as LanguageModel },
        `${arg('options.lm')} must be a LanguageModel with initialState(), score() and finish(), but got an object.`,
      );
    });
  });
});
