/**
 * CTC prefix beam search (Hannun et al., 2014) in log space, with an optional language model.
 *
 * Implementation: the prefixes of a search form a trie stored column-wise in typed arrays (a
 * prefix is a row number), so a frame allocates next to nothing and the LM scores each prefix
 * once. While a frame's candidates are made, a lower bound on the `beamWidth`-th best score
 * is kept, and extensions that provably cannot reach it are never made.
 */
import type * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkNumber, checkOptions, describeValue } from '@slr/core';
import type { Lengths } from '../checks';
import type { LanguageModel } from '../lm/language-model';
import { checkDecoderInput, type CtcBeamSearchOptions, type CtcHypothesis } from './types';

/** Default {@link CtcBeamSearchOptions.beamWidth}. */
export const DEFAULT_BEAM_WIDTH = 10;
/** Default {@link CtcBeamSearchOptions.tokenCutoff}. */
export const DEFAULT_TOKEN_CUTOFF = 40;
/** Default {@link CtcBeamSearchOptions.lmWeight}. */
export const DEFAULT_LM_WEIGHT = 0.5;

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

function compareTokens(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function doubled<T extends Int32Array | Float64Array | Uint8Array>(array: T): T {
  const next = new (array.constructor as new (length: number) => T)(array.length * 2);
  next.set(array);
  return next;
}

const INITIAL_CAPACITY = 1024;
/**
 * A frame's tokens are first tried `beamWidth + FIRST_ROUND_EXTRA` at a time (see
 * `searchItem`): about what the best prefix needs to fill the beam on its own.
 */
const FIRST_ROUND_EXTRA = 6;
const STOPPED = -1;
const ROOT = 0;

/**
 * The prefixes (labelings so far) of one search: a trie whose node `p` is row `p` of every
 * column; row 0 is the empty prefix. For each prefix the search tracks the total probability
 * of its paths ending in blank / in its last token, and the same for the single most probable
 * such path (a Viterbi score) with that path's emission record, from which `frames` come.
 * Beam columns hold the state after the last processed frame, `next*` columns accumulate the
 * frame being processed.
 */
class PrefixTrie {
  size = 0;
  /** Last token; -1 for the root. */
  token = new Int32Array(INITIAL_CAPACITY);
  parent = new Int32Array(INITIAL_CAPACITY);
  /** Unweighted ln P_LM of the tokens, end of sentence excluded. */
  lmLogProb = new Float64Array(INITIAL_CAPACITY);
  /** lmWeight · lmLogProb + insertionBonus · length. */
  bonus = new Float64Array(INITIAL_CAPACITY);
  lmState: unknown[] = [];

  /** ln P(prefix, paths ending in blank). */
  blank = new Float64Array(INITIAL_CAPACITY);
  /** ln P(prefix, paths ending in its last token). */
  nonBlank = new Float64Array(INITIAL_CAPACITY);
  /** ln P of the most probable path ending in blank, and its emission record. */
  bestBlank = new Float64Array(INITIAL_CAPACITY);
  blankEmission = new Int32Array(INITIAL_CAPACITY);
  /** ln P of the most probable path ending in the last token, and its emission record. */
  bestNonBlank = new Float64Array(INITIAL_CAPACITY);
  nonBlankEmission = new Int32Array(INITIAL_CAPACITY);

  /** Frame whose candidates the prefix is among; -1 when none yet. */
  stamp = new Int32Array(INITIAL_CAPACITY);
  /** For a prefix in the beam, during a frame: `logAddExp(blank, nonBlank)`, its best path and that path's record. */
  total = new Float64Array(INITIAL_CAPACITY);
  best = new Float64Array(INITIAL_CAPACITY);
  bestEmission = new Int32Array(INITIAL_CAPACITY);
  nextBlank = new Float64Array(INITIAL_CAPACITY);
  nextNonBlank = new Float64Array(INITIAL_CAPACITY);
  nextBestBlank = new Float64Array(INITIAL_CAPACITY);
  nextBlankEmission = new Int32Array(INITIAL_CAPACITY);
  nextBestNonBlank = new Float64Array(INITIAL_CAPACITY);
  /** With `nextEmitted` 0, the record itself; with 1, the record a new one (emitting now) links to. */
  nextNonBlankEmission = new Int32Array(INITIAL_CAPACITY);
  nextEmitted = new Uint8Array(INITIAL_CAPACITY);
  /** Candidate score: acoustic + bonus, NaN stored as -Infinity. */
  score = new Float64Array(INITIAL_CAPACITY);

  /** Emission records, linked lists sharing tails: the frame of a token, and the previous token's record (-1: none). */
  emissionFrame: number[] = [];
  emissionPrevious: number[] = [];
  /** Child row by `parent * vocabularySize + token`. */
  private readonly children = new Map<number, number>();

  constructor(private readonly vocabularySize: number) {}

  /** Empties the trie down to a root with the given LM state. */
  reset(rootLmState: unknown): void {
    this.size = 0;
    this.children.clear();
    this.lmState.length = 0;
    this.emissionFrame.length = 0;
    this.emissionPrevious.length = 0;
    this.add(-1, -1, rootLmState, 0, 0);
    this.blank[ROOT] = 0;
    this.bestBlank[ROOT] = 0;
  }

  /** Row of `prefix` + `token`, or -1 when not made yet. */
  child(prefix: number, token: number): number {
    return this.children.get(prefix * this.vocabularySize + token) ?? -1;
  }

  add(parent: number, token: number, lmState: unknown, lmLogProb: number, bonus: number): number {
    if (this.size === this.token.length) this.grow();
    const row = this.size++;
    this.token[row] = token;
    this.parent[row] = parent;
    this.lmLogProb[row] = lmLogProb;
    this.bonus[row] = bonus;
    this.lmState[row] = lmState;
    this.blank[row] = -Infinity;
    this.nonBlank[row] = -Infinity;
    this.bestBlank[row] = -Infinity;
    this.bestNonBlank[row] = -Infinity;
    this.blankEmission[row] = -1;
    this.nonBlankEmission[row] = -1;
    this.stamp[row] = -1;
    if (parent >= 0) this.children.set(parent * this.vocabularySize + token, row);
    return row;
  }

  /**
   * Adds a path into `row`'s paths ending in its last token, with `logProb` the probability of
   * all of them and `best` that of the most probable, whose last token is emitted now after
   * the tokens of record `previous`. On equal `best`, the path already there stays.
   */
  addEmittingPaths(row: number, logProb: number, best: number, previous: number): void {
    this.nextNonBlank[row] = logAddExp(this.nextNonBlank[row], logProb);
    if (best > this.nextBestNonBlank[row]) {
      this.nextBestNonBlank[row] = best;
      this.nextNonBlankEmission[row] = previous;
      this.nextEmitted[row] = 1;
    }
  }

  /** Moves the `next*` columns of `row` into its beam state, at frame `t`. */
  commit(row: number, t: number): void {
    this.blank[row] = this.nextBlank[row];
    this.nonBlank[row] = this.nextNonBlank[row];
    this.bestBlank[row] = this.nextBestBlank[row];
    this.blankEmission[row] = this.nextBlankEmission[row];
    this.bestNonBlank[row] = this.nextBestNonBlank[row];
    const emission = this.nextNonBlankEmission[row];
    this.nonBlankEmission[row] =
      this.nextEmitted[row] === 1 ? this.addEmission(t, emission) : emission;
  }

  tokens(row: number): number[] {
    const tokens: number[] = [];
    for (let p = row; p !== ROOT; p = this.parent[p]) tokens.push(this.token[p]);
    return tokens.reverse();
  }

  /** Emission frames along the prefix's most probable path. */
  frames(row: number): number[] {
    const frames: number[] = [];
    const first =
      this.bestBlank[row] >= this.bestNonBlank[row]
        ? this.blankEmission[row]
        : this.nonBlankEmission[row];
    for (let e = first; e >= 0; e = this.emissionPrevious[e]) frames.push(this.emissionFrame[e]);
    return frames.reverse();
  }

  /** Ranking rule: higher score first; equal scores → lexicographically smaller tokens first. */
  ranksBefore(a: number, b: number): boolean {
    if (this.score[a] !== this.score[b]) return this.score[a] > this.score[b];
    return compareTokens(this.tokens(a), this.tokens(b)) < 0;
  }

  private addEmission(frame: number, previous: number): number {
    this.emissionFrame.push(frame);
    this.emissionPrevious.push(previous);
    return this.emissionFrame.length - 1;
  }

  private grow(): void {
    this.token = doubled(this.token);
    this.parent = doubled(this.parent);
    this.lmLogProb = doubled(this.lmLogProb);
    this.bonus = doubled(this.bonus);
    this.blank = doubled(this.blank);
    this.nonBlank = doubled(this.nonBlank);
    this.bestBlank = doubled(this.bestBlank);
    this.blankEmission = doubled(this.blankEmission);
    this.bestNonBlank = doubled(this.bestNonBlank);
    this.nonBlankEmission = doubled(this.nonBlankEmission);
    this.stamp = doubled(this.stamp);
    this.total = doubled(this.total);
    this.best = doubled(this.best);
    this.bestEmission = doubled(this.bestEmission);
    this.nextBlank = doubled(this.nextBlank);
    this.nextNonBlank = doubled(this.nextNonBlank);
    this.nextBestBlank = doubled(this.nextBestBlank);
    this.nextBlankEmission = doubled(this.nextBlankEmission);
    this.nextBestNonBlank = doubled(this.nextBestNonBlank);
    this.nextNonBlankEmission = doubled(this.nextNonBlankEmission);
    this.nextEmitted = doubled(this.nextEmitted);
    this.score = doubled(this.score);
  }
}

/** Whether frame token `i` ranks before `j`: higher log-probability, then lower id. */
function tokenBefore(tokens: Int32Array, logProbs: Float64Array, i: number, j: number): boolean {
  return logProbs[i] > logProbs[j] || (logProbs[i] === logProbs[j] && tokens[i] < tokens[j]);
}

function swapTokens(tokens: Int32Array, logProbs: Float64Array, i: number, j: number): void {
  const token = tokens[i];
  tokens[i] = tokens[j];
  tokens[j] = token;
  const logProb = logProbs[i];
  logProbs[i] = logProbs[j];
  logProbs[j] = logProb;
}

/** Reorders `[0, count)` so that its best `k` tokens (see `tokenBefore`) come first. */
function selectBest(tokens: Int32Array, logProbs: Float64Array, count: number, k: number): void {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    // Lomuto partition around the middle element.
    swapTokens(tokens, logProbs, (lo + hi) >> 1, hi);
    let store = lo;
    for (let i = lo; i < hi; i++) {
      if (tokenBefore(tokens, logProbs, i, hi)) swapTokens(tokens, logProbs, i, store++);
    }
    swapTokens(tokens, logProbs, store, hi);
    if (store === k - 1 || store === k) return;
    if (store > k) hi = store - 1;
    else lo = store + 1;
  }
}

/**
 * Gathers the tokens a prefix may be extended with at one frame into `tokens`/`logProbs` and
 * returns how many: non-blank, `>= minLogProb` (NaN never), and with a cutoff below `classes - 1`
 * only the best `cutoff` (ties → lower id), sorted best first; without one, in id order. With
 * a cutoff the arrays must hold `2 * cutoff`: tokens are appended until full, then compacted
 * to the best `cutoff`, after which only tokens beating the worst kept one are appended.
 */
function selectFrameTokens(
  data: Float32Array,
  offset: number,
  classes: number,
  blank: number,
  minLogProb: number,
  cutoff: number,
  tokens: Int32Array,
  logProbs: Float64Array,
): number {
  let count = 0;
  if (cutoff >= classes - 1) {
    for (let v = 0; v < classes; v++) {
      const logProb = data[offset + v];
      if (v === blank || !(logProb >= minLogProb)) continue;
      tokens[count] = v;
      logProbs[count++] = logProb;
    }
    return count;
  }
  const capacity = 2 * cutoff;
  let threshold = minLogProb;
  let admitEqual = true;
  for (let v = 0; v < classes; v++) {
    const logProb = data[offset + v];
    if (v === blank || !(logProb > threshold || (admitEqual && logProb === threshold))) continue;
    if (count === capacity) {
      selectBest(tokens, logProbs, count, cutoff);
      count = cutoff;
      threshold = logProbs[0];
      for (let i = 1; i < cutoff; i++) if (logProbs[i] < threshold) threshold = logProbs[i];
      // Later tokens have higher ids, so they must beat the worst kept token strictly.
      admitEqual = false;
      if (!(logProb > threshold)) continue;
    }
    tokens[count] = v;
    logProbs[count++] = logProb;
  }
  if (count > cutoff) {
    selectBest(tokens, logProbs, count, cutoff);
    count = cutoff;
  }
  insertionSort(tokens, logProbs, count);
  return count;
}

/** Sorts `[0, count)` best first (see `tokenBefore`). */
function insertionSort(tokens: Int32Array, logProbs: Float64Array, count: number): void {
  for (let i = 1; i < count; i++) {
    const token = tokens[i];
    const logProb = logProbs[i];
    let j = i;
    for (
      ;
      j > 0 &&
      (logProbs[j - 1] < logProb || (logProbs[j - 1] === logProb && tokens[j - 1] > token));
      j--
    ) {
      tokens[j] = tokens[j - 1];
      logProbs[j] = logProbs[j - 1];
    }
    tokens[j] = token;
    logProbs[j] = logProb;
  }
}

const LM_MUST_RETURN =
  'return log-probabilities (numbers at most 0: finite, or -Infinity for impossible)';

/**
 * `value`, a score the language model returned from `call`, if it is a log-probability (≤ 0,
 * -Infinity included); otherwise throws: a NaN would silently rank the hypothesis last, and a
 * positive score would break the search's pruning, which assumes LM scores ≤ 0.
 */
function checkLmScore(value: unknown, call: string): number {
  if (typeof value === 'number' && value <= 0) return value;
  throw new ArgumentError('ctcBeamSearch', 'options.lm', LM_MUST_RETURN, value, {
    actualText: `${describeValue(value)} from ${call}`,
  });
}

interface ResolvedOptions {
  blank: number;
  beamWidth: number;
  nBest: number;
  tokenCutoff: number;
  pruneLogProb: number;
  lm: LanguageModel | undefined;
  lmWeight: number;
  insertionBonus: number;
}

function resolveOptions(options: CtcBeamSearchOptions, blank: number): ResolvedOptions {
  const fn = 'ctcBeamSearch';
  const beamWidth = checkInteger(fn, 'options.beamWidth', options.beamWidth ?? DEFAULT_BEAM_WIDTH, {
    min: 1,
  });
  const nBest = options.nBest ?? 1;
  if (typeof nBest !== 'number' || !Number.isInteger(nBest) || nBest < 1 || nBest > beamWidth)
    throw new ArgumentError(
      fn,
      'options.nBest',
      `be an integer in [1, beamWidth = ${beamWidth}]`,
      nBest,
    );
  const tokenCutoff = options.tokenCutoff ?? DEFAULT_TOKEN_CUTOFF;
  if (!(Number.isInteger(tokenCutoff) || tokenCutoff === Infinity) || tokenCutoff < 1)
    throw new ArgumentError(
      fn,
      'options.tokenCutoff',
      'be an integer >= 1 or Infinity',
      tokenCutoff,
    );
  const pruneLogProb = options.pruneLogProb ?? -Infinity;
  if (typeof pruneLogProb !== 'number' || Number.isNaN(pruneLogProb))
    throw new ArgumentError(
      fn,
      'options.pruneLogProb',
      'be a number (a log-probability)',
      pruneLogProb,
    );
  const lmWeight = checkNumber(fn, 'options.lmWeight', options.lmWeight ?? DEFAULT_LM_WEIGHT);
  const insertionBonus = checkNumber(fn, 'options.insertionBonus', options.insertionBonus ?? 0);
  const { lm } = options;
  if (
    lm != null &&
    (typeof lm.initialState !== 'function' ||
      typeof lm.score !== 'function' ||
      typeof lm.finish !== 'function')
  ) {
    throw new ArgumentError(
      fn,
      'options.lm',
      'be a LanguageModel with initialState(), score() and finish()',
      lm,
    );
  }
  return {
    blank,
    beamWidth,
    nBest,
    tokenCutoff,
    pruneLogProb,
    lm: lm ?? undefined,
    lmWeight,
    insertionBonus,
  };
}

/**
 * Decodes one batch item; `data` is the whole `[T, B, V]` buffer, of which only the item's
 * first `length` frames are read.
 */
function searchItem(
  trie: PrefixTrie,
  data: Float32Array,
  b: number,
  batch: number,
  classes: number,
  length: number,
  options: ResolvedOptions,
): CtcHypothesis[] {
  const { blank, beamWidth, nBest, tokenCutoff, pruneLogProb, lm, lmWeight, insertionBonus } =
    options;
  const weighted = (logProb: number): number => (lmWeight === 0 ? 0 : lmWeight * logProb);
  /** Row of `prefix` + `token`, made (and scored by the LM) on first use. */
  const childOf = (prefix: number, token: number): number => {
    const child = trie.child(prefix, token);
    if (child >= 0) return child;
    let lmState: unknown = null;
    let lmLogProb = 0;
    if (lm !== undefined) {
      const scored = lm.score(trie.lmState[prefix], token);
      const call = `score(state, ${token})`;
      if (scored == null || typeof scored !== 'object') {
        throw new ArgumentError(
          'ctcBeamSearch',
          'options.lm',
          'return { logProb, state } from score()',
          scored,
          { actualText: `${describeValue(scored)} from ${call}` },
        );
      }
      lmState = scored.state;
      lmLogProb = checkLmScore(scored.logProb, call);
    }
    const bonus = trie.bonus[prefix] + weighted(lmLogProb) + insertionBonus;
    return trie.add(prefix, token, lmState, trie.lmLogProb[prefix] + lmLogProb, bonus);
  };

  trie.reset(lm?.initialState() ?? null);
  let beam: number[] = [ROOT];
  const cutoff = Math.min(tokenCutoff, classes - 1);
  const sortedTokens = cutoff < classes - 1;
  // Room for twice the cutoff: `selectFrameTokens` gathers tokens there before compacting.
  const frameTokens = new Int32Array(sortedTokens ? 2 * cutoff : classes);
  const frameLogProbs = new Float64Array(frameTokens.length);
  const candidates: number[] = [];
  const top: number[] = [];
  /** Per beam index: the next token to try, or STOPPED by the bound. */
  const resume = new Int32Array(beamWidth);
  // The `beamWidth` best lower bounds of this frame's candidate scores, best first.
  const bounds = new Float64Array(beamWidth);
  let boundCount = 0;
  const addBound = (score: number): void => {
    if (!(score > -Infinity) || (boundCount === beamWidth && score <= bounds[beamWidth - 1]))
      return;
    let i = boundCount < beamWidth ? boundCount++ : beamWidth - 1;
    for (; i > 0 && bounds[i - 1] < score; i--) bounds[i] = bounds[i - 1];
    bounds[i] = score;
  };
  const belowBeam = (score: number): boolean =>
    boundCount === beamWidth && score < bounds[beamWidth - 1];
  // Most the LM can add to an appended token's score: 0, as its log-probabilities are <= 0
  // (unbounded with a negative weight).
  const lmHeadroom = lm !== undefined && lmWeight < 0 ? Infinity : 0;

  /** Makes `prefix` + `token` a candidate of frame `t`, unless it is one already or below the beam. */
  const extend = (prefix: number, token: number, tokenLogProb: number, t: number): void => {
    const repeat = token === trie.token[prefix];
    const logProb = (repeat ? trie.blank[prefix] : trie.total[prefix]) + tokenLogProb;
    if (logProb === -Infinity) return;
    const child = childOf(prefix, token);
    // Children in the beam were extended already; the LM may still sink a new one.
    if (trie.stamp[child] === t || belowBeam(logProb + trie.bonus[child])) return;
    trie.stamp[child] = t;
    trie.nextBlank[child] = -Infinity;
    trie.nextBestBlank[child] = -Infinity;
    trie.nextBlankEmission[child] = -1;
    trie.nextNonBlank[child] = -Infinity;
    trie.nextBestNonBlank[child] = -Infinity;
    trie.nextNonBlankEmission[child] = -1;
    trie.nextEmitted[child] = 0;
    if (repeat) {
      trie.addEmittingPaths(
        child,
        logProb,
        trie.bestBlank[prefix] + tokenLogProb,
        trie.blankEmission[prefix],
      );
    } else {
      trie.addEmittingPaths(
        child,
        logProb,
        trie.best[prefix] + tokenLogProb,
        trie.bestEmission[prefix],
      );
    }
    candidates.push(child);
    addBound(logProb + trie.bonus[child]);
  };

  for (let t = 0; t < length; t++) {
    const offset = (t * batch + b) * classes;
    candidates.length = 0;

    // The prefixes of the beam continue: by blank, and by their last token repeated.
    const blankLogProb = data[offset + blank];
    for (const p of beam) {
      const total = logAddExp(trie.blank[p], trie.nonBlank[p]);
      const blankBest = trie.bestBlank[p] >= trie.bestNonBlank[p];
      trie.total[p] = total;
      trie.best[p] = blankBest ? trie.bestBlank[p] : trie.bestNonBlank[p];
      trie.bestEmission[p] = blankBest ? trie.blankEmission[p] : trie.nonBlankEmission[p];
      trie.stamp[p] = t;
      trie.nextBlank[p] = total + blankLogProb;
      trie.nextBestBlank[p] = trie.best[p] + blankLogProb;
      trie.nextBlankEmission[p] = trie.bestEmission[p];
      const repeat = p === ROOT ? -Infinity : data[offset + trie.token[p]];
      trie.nextNonBlank[p] = trie.nonBlank[p] + repeat;
      trie.nextBestNonBlank[p] = trie.bestNonBlank[p] + repeat;
      trie.nextNonBlankEmission[p] = trie.nonBlankEmission[p];
      trie.nextEmitted[p] = 0;
      candidates.push(p);
    }
    // A prefix of the beam whose parent is in the beam too also gains the parent's paths
    // extended by its last token (after a blank when the parent ends with the same token).
    for (const p of beam) {
      const parent = trie.parent[p];
      if (p === ROOT || trie.stamp[parent] !== t) continue;
      const logProb = data[offset + trie.token[p]];
      const afterBlank = trie.token[parent] === trie.token[p];
      trie.addEmittingPaths(
        p,
        (afterBlank ? trie.blank[parent] : trie.total[parent]) + logProb,
        (afterBlank ? trie.bestBlank[parent] : trie.best[parent]) + logProb,
        afterBlank ? trie.blankEmission[parent] : trie.bestEmission[parent],
      );
    }
    // Those scores are final: they bound the beam from below.
    boundCount = 0;
    let bestScore = -Infinity;
    for (const p of beam) {
      addBound(logAddExp(trie.nextBlank[p], trie.nextNonBlank[p]) + trie.bonus[p]);
      bestScore = Math.max(bestScore, trie.total[p] + trie.bonus[p]);
    }

    // Tokens that may make new prefixes. Once the beam's own prefixes fill it, a token too
    // improbable to lift even the best prefix past them is not worth selecting (the margin
    // keeps rounding from making this stricter than the exact test below).
    let minLogProb = pruneLogProb;
    if (boundCount === beamWidth) {
      const floor = bounds[beamWidth - 1] - bestScore - insertionBonus - lmHeadroom;
      minLogProb = Math.max(minLogProb, floor - 1e-6 * (1 + Math.abs(floor)));
    }

    // New prefixes: a beam prefix + a token. One whose best possible score is below the bound
    // cannot enter the beam and is skipped, and with sorted tokens so are the ones after it.
    // Sorted tokens come in two rounds: the best few, which usually raise the bound enough to
    // stop every prefix; then, only if one was not stopped, all of them (the same order).
    let limit = sortedTokens ? Math.min(cutoff, beamWidth + FIRST_ROUND_EXTRA) : cutoff;
    resume.fill(0, 0, beam.length);
    for (;;) {
      const tokenCount = selectFrameTokens(
        data,
        offset,
        classes,
        blank,
        minLogProb,
        limit,
        frameTokens,
        frameLogProbs,
      );
      for (let i = 0; i < beam.length; i++) {
        const p = beam[i];
        const headroom = trie.bonus[p] + insertionBonus + lmHeadroom;
        let k = resume[i];
        if (k === STOPPED) continue;
        for (; k < tokenCount; k++) {
          if (belowBeam(trie.total[p] + frameLogProbs[k] + headroom)) {
            if (!sortedTokens) continue;
            k = STOPPED;
            break;
          }
          extend(p, frameTokens[k], frameLogProbs[k], t);
        }
        resume[i] = k;
      }
      if (limit === cutoff || tokenCount < limit) break;
      // Tokens left out are at most as probable as the last one: with the bound as it is now,
      // which prefixes could they still lift into the beam?
      let unfinished = false;
      for (let i = 0; i < beam.length; i++) {
        const p = beam[i];
        if (resume[i] === STOPPED) continue;
        const best =
          trie.total[p] +
          frameLogProbs[tokenCount - 1] +
          trie.bonus[p] +
          insertionBonus +
          lmHeadroom;
        if (belowBeam(best)) resume[i] = STOPPED;
        else unfinished = true;
      }
      if (!unfinished) break;
      limit = cutoff;
    }

    // Keep the best `beamWidth` candidates (bounded insertion; see `PrefixTrie.ranksBefore`).
    top.length = 0;
    for (const p of candidates) {
      const score = logAddExp(trie.nextBlank[p], trie.nextNonBlank[p]) + trie.bonus[p];
      trie.score[p] = Number.isNaN(score) ? -Infinity : score;
      if (top.length === beamWidth && !trie.ranksBefore(p, top[beamWidth - 1])) continue;
      let i = top.length < beamWidth ? top.length : beamWidth - 1;
      if (top.length < beamWidth) top.push(p);
      for (; i > 0 && trie.ranksBefore(p, top[i - 1]); i--) top[i] = top[i - 1];
      top[i] = p;
    }
    beam = [];
    for (const p of top) {
      // Zero-probability prefixes are dropped, but the beam never empties.
      if (trie.score[p] === -Infinity && beam.length > 0) break;
      trie.commit(p, t);
      beam.push(p);
    }
  }

  // Final ranking, with the end of the sentence.
  const finals = beam.map((p) => {
    const acousticScore = logAddExp(trie.blank[p], trie.nonBlank[p]);
    const endLogProb =
      lm === undefined ? 0 : checkLmScore(lm.finish(trie.lmState[p]), 'finish(state)');
    const score = acousticScore + trie.bonus[p] + weighted(endLogProb);
    trie.score[p] = Number.isNaN(score) ? -Infinity : score;
    return { p, acousticScore, lmScore: trie.lmLogProb[p] + endLogProb };
  });
  finals.sort((x, y) => (trie.ranksBefore(x.p, y.p) ? -1 : trie.ranksBefore(y.p, x.p) ? 1 : 0));
  const hypotheses: CtcHypothesis[] = [];
  for (const { p, acousticScore, lmScore } of finals) {
    if (hypotheses.length === nBest || (trie.score[p] === -Infinity && hypotheses.length > 0))
      break;
    hypotheses.push({
      tokens: trie.tokens(p),
      score: trie.score[p],
      frames: trie.frames(p),
      acousticScore,
      lmScore,
    });
  }
  return hypotheses;
}

/**
 * CTC prefix beam search. Each prefix (labeling so far) carries the log-probabilities of its
 * paths ending in blank and in its last token. Per frame, every prefix of the beam continues
 * (by blank, or by repeating its last token) and is extended by one more token into a new
 * prefix, then the best `beamWidth` prefixes are kept. `tokenCutoff` and `pruneLogProb` limit
 * which tokens may make new prefixes; they never drop probability of prefixes already in the
 * beam (blank, repeats and a parent's paths into a child in the beam are always counted).
 * With an LM, a new prefix `prefix + c` scores `lmWeight · ln P_LM(c | prefix) +
 * insertionBonus` on top of its parent (the bonus applies without an LM too), and the final
 * ranking adds `lmWeight · ln P_LM(</s> | prefix)`.
 *
 * Ranking (beam and n-best) is by score, highest first; equal scores put the
 * lexicographically smaller token sequence first (a prefix before its extensions), so results
 * never depend on evaluation order. Prefixes of probability zero are dropped, except that at
 * least one hypothesis is always returned. `frames` are the first frames of the token runs on
 * the hypothesis' most probable path (among the paths the beam kept); on a peaked input they
 * match `ctcGreedyDecode`'s.
 *
 * With `beamWidth` at least the number of labelings, `tokenCutoff: Infinity` and no
 * `pruneLogProb`, the search is exact: it returns the most probable labelings with their total
 * probabilities (LM and bonus included). Pruning between frames is exact too: an extension is
 * skipped only when it provably could not enter the beam, as LM log-probabilities are <= 0 (a
 * language model that returns NaN or a positive score is an error that names the value).
 * Frames past an item's input length are never read; the tensor is read once and no tensors
 * are created.
 *
 * @param logProbs `[T, B, V]` (frames, batch, classes) time-major log-probabilities
 *   (log-softmax output).
 * @param inputLengths Frames to decode per batch item, each in `[0, T]`, as `ctcLoss` takes
 *   them (a `number[]`, an `Int32Array` or a `Tensor1D`). Default: all `T`.
 * @param options See {@link CtcBeamSearchOptions}; defaults: blank 0, beamWidth
 *   {@link DEFAULT_BEAM_WIDTH}, nBest 1, tokenCutoff {@link DEFAULT_TOKEN_CUTOFF}, pruneLogProb
 *   -Infinity, lmWeight {@link DEFAULT_LM_WEIGHT}, insertionBonus 0.
 * @returns Per batch item, up to `nBest` hypotheses, best first.
 *
 * @example
 * ```ts
 * const logProbs = tf.tidy(() => tf.logSoftmax(logits)); // [T, B, V]
 * const results = await ctcBeamSearch(logProbs, [120, 97], { beamWidth: 16, nBest: 3 });
 * results[0][0].tokens; // best labeling of the first utterance
 *
 * declare const glosses: string[]; // the word of each token id from 1 (0 is the blank)
 * const lm = NGramLanguageModel.fromArpa(arpaText, { vocabulary: [null, ...glosses] });
 * const withLm = await ctcBeamSearch(logProbs, [120, 97], {
 *   lm,
 *   lmWeight: 0.8,
 *   insertionBonus: 1,
 * });
 * ```
 */
export async function ctcBeamSearch(
  logProbs: tf.Tensor3D,
  inputLengths?: Lengths,
  options?: CtcBeamSearchOptions,
): Promise<CtcHypothesis[][]> {
  const fn = 'ctcBeamSearch';
  const checkedOptions = checkOptions(fn, options);
  const { batch, classes, lengths, blank } = await checkDecoderInput(
    fn,
    logProbs,
    inputLengths,
    checkedOptions.blank,
  );
  const resolved = resolveOptions(checkedOptions, blank);
  const data = await logProbs.data<'float32'>();
  const results: CtcHypothesis[][] = [];
  const trie = new PrefixTrie(classes);
  for (let b = 0; b < batch; b++)
    results.push(searchItem(trie, data, b, batch, classes, lengths[b], resolved));
  return results;
}
