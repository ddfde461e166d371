/**
 * The one implementation of the CTC prefix beam search (Hannun et al., 2014) in log space, with
 * an optional language model, that `ctcBeamSearch` and `createCtcStreamingBeamSearch` share: a
 * search is fed one frame at a time ({@link PrefixBeamSearch.step}) and ranks its beam at the
 * end ({@link PrefixBeamSearch.finish}).
 *
 * Implementation: the prefixes of a search form a trie stored column-wise in typed arrays (a
 * prefix is a row number), so a frame allocates next to nothing and the LM scores a prefix
 * once (while it or its parent stays in the beam). While a frame's candidates are made, a lower
 * bound on the `beamWidth`-th best score is kept, and extensions that provably cannot reach it
 * are never made. Between frames the trie is compacted now and then (when it has doubled):
 * the prefix every beam entry shares is committed (moved out of the trie), and rows no later
 * frame can reach are dropped, which changes no result. A streaming search may also set
 * `maxPendingTokens`, beyond which the beam is forced to agree with its best prefix on older
 * tokens, so that its state stays bounded whatever the input.
 */
import { ArgumentError, checkInteger, checkNumber, describeValue } from '@slr/core';
import type { LanguageModel } from '../lm/language-model';
import type { CtcBeamSearchOptions, CtcHypothesis } from './types';

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
 * `PrefixBeamSearch.step`): about what the best prefix needs to fill the beam on its own.
 */
const FIRST_ROUND_EXTRA = 6;
const STOPPED = -1;
const ROOT = 0;

/**
 * The prefixes (labelings so far) of one search: a trie whose node `p` is row `p` of every
 * column. Row 0, the root, is the committed prefix: the tokens every prefix of the beam starts
 * with, held in `committedTokens` (the empty prefix until a token is committed); a row's
 * `tokens` are those after it. For each prefix the search tracks the total probability of its
 * paths ending in blank / in its last token, and the same for the single most probable such
 * path (a Viterbi score) with that path's emission record, from which `frames` come. Beam
 * columns hold the state after the last processed frame, `next*` columns accumulate the frame
 * being processed. A row's parent always has a smaller row number.
 */
class PrefixTrie {
  size = 0;
  /** Last token; -1 for the root while nothing is committed. */
  token = new Int32Array(INITIAL_CAPACITY);
  /** Parent row; -1 for the root. */
  parent = new Int32Array(INITIAL_CAPACITY);
  /** Tokens after the root. */
  depth = new Int32Array(INITIAL_CAPACITY);
  /** Unweighted ln P_LM of all the tokens (committed ones included), end of sentence excluded. */
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

  /**
   * Emission records, linked lists sharing tails: the frame of a token, the previous token's
   * record (-1: none after the committed frames) and the length of the list.
   */
  emissionFrame: number[] = [];
  emissionPrevious: number[] = [];
  emissionDepth: number[] = [];
  /** Tokens of the root, and the frames of the records every beam path shares. */
  committedTokens: number[] = [];
  committedFrames: number[] = [];
  /** Child row by `parent * vocabularySize + token`. */
  private children = new Map<number, number>();

  constructor(private readonly vocabularySize: number) {}

  /** Empties the trie down to a root with the given LM state. */
  reset(rootLmState: unknown): void {
    this.size = 0;
    this.children.clear();
    this.lmState.length = 0;
    this.emissionFrame.length = 0;
    this.emissionPrevious.length = 0;
    this.emissionDepth.length = 0;
    this.committedTokens = [];
    this.committedFrames = [];
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
    this.depth[row] = parent >= 0 ? this.depth[parent] + 1 : 0;
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

  /** The tokens after the root. */
  tokens(row: number): number[] {
    const tokens: number[] = [];
    for (let p = row; p !== ROOT; p = this.parent[p]) tokens.push(this.token[p]);
    return tokens.reverse();
  }

  /** The record of the prefix's most probable path. */
  bestRecord(row: number): number {
    return this.bestBlank[row] >= this.bestNonBlank[row]
      ? this.blankEmission[row]
      : this.nonBlankEmission[row];
  }

  /** Emission frames of a record's list, oldest first (committed frames excluded). */
  recordFrames(record: number): number[] {
    const frames: number[] = [];
    for (let e = record; e >= 0; e = this.emissionPrevious[e]) frames.push(this.emissionFrame[e]);
    return frames.reverse();
  }

  /** Ranking rule: higher score first; equal scores → lexicographically smaller tokens first. */
  ranksBefore(a: number, b: number): boolean {
    if (this.score[a] !== this.score[b]) return this.score[a] > this.score[b];
    // Both extend the root: comparing the tokens after it compares the whole labelings.
    return compareTokens(this.tokens(a), this.tokens(b)) < 0;
  }

  /** The deepest row that is `rows` or an ancestor of each of them (the root at least). */
  commonAncestor(rows: readonly number[]): number {
    return commonAncestor(rows, this.parent, this.depth);
  }

  /** The longest record list every one of `records` ends with (-1: the empty list). */
  commonRecord(records: readonly number[]): number {
    return commonAncestor(records, this.emissionPrevious, this.emissionDepth);
  }

  /**
   * Keeps the rows a later frame can reach: the beam, the rows between it and its deepest
   * common ancestor (the new root; the tokens down to it are committed), and the children
   * already made of beam rows (their LM scores are kept). Keeps the records the beam's paths
   * end with, and commits the frames of the list they all share. Returns the beam's new rows.
   * Changes no result: a dropped row would be made again as it was (LMs are pure), and a
   * dropped record is on no path that can still be reported.
   */
  compact(beam: readonly number[]): number[] {
    const root = this.commonAncestor(beam);
    this.committedTokens.push(...this.tokens(root));

    const records: number[] = [];
    for (const p of beam) records.push(this.blankEmission[p], this.nonBlankEmission[p]);
    const sharedRecord = this.commonRecord(records);
    this.committedFrames.push(...this.recordFrames(sharedRecord));

    // Rows: new numbers, in the old order (so parents stay below their children).
    const newRow = new Int32Array(this.size).fill(-1);
    const inBeam = new Uint8Array(this.size);
    for (const p of beam) {
      inBeam[p] = 1;
      for (let q = p; newRow[q] < 0; q = this.parent[q]) {
        newRow[q] = 0;
        if (q === root) break;
      }
    }
    for (let r = root + 1; r < this.size; r++) {
      const parent = this.parent[r];
      if (parent >= 0 && inBeam[parent] === 1) newRow[r] = 0;
    }
    // Records: those on the beam's lists below the shared one, in the old order.
    const newRecord = new Int32Array(this.emissionFrame.length).fill(-1);
    for (const record of records) {
      for (let e = record; e >= 0 && e !== sharedRecord && newRecord[e] < 0;) {
        newRecord[e] = 0;
        e = this.emissionPrevious[e];
      }
    }
    let recordCount = 0;
    for (let e = 0; e < newRecord.length; e++) if (newRecord[e] >= 0) newRecord[e] = recordCount++;
    const depthOffset = sharedRecord >= 0 ? this.emissionDepth[sharedRecord] : 0;
    for (let e = 0; e < newRecord.length; e++) {
      if (newRecord[e] < 0) continue;
      const previous = this.emissionPrevious[e];
      const record = newRecord[e];
      this.emissionFrame[record] = this.emissionFrame[e];
      this.emissionPrevious[record] =
        previous < 0 || previous === sharedRecord ? -1 : newRecord[previous];
      this.emissionDepth[record] = this.emissionDepth[e] - depthOffset;
    }
    this.emissionFrame.length = recordCount;
    this.emissionPrevious.length = recordCount;
    this.emissionDepth.length = recordCount;
    const recordOf = (e: number): number => (e < 0 || e === sharedRecord ? -1 : newRecord[e]);

    let rowCount = 0;
    const rootDepth = this.depth[root];
    this.children.clear();
    for (let r = root; r < this.size; r++) {
      if (newRow[r] < 0) continue;
      const row = rowCount++;
      newRow[r] = row;
      const parent = r === root ? -1 : newRow[this.parent[r]];
      this.token[row] = this.token[r];
      this.parent[row] = parent;
      this.depth[row] = this.depth[r] - rootDepth;
      this.lmLogProb[row] = this.lmLogProb[r];
      this.bonus[row] = this.bonus[r];
      this.lmState[row] = this.lmState[r];
      this.stamp[row] = -1;
      if (inBeam[r] === 1) {
        this.blank[row] = this.blank[r];
        this.nonBlank[row] = this.nonBlank[r];
        this.bestBlank[row] = this.bestBlank[r];
        this.bestNonBlank[row] = this.bestNonBlank[r];
        this.blankEmission[row] = recordOf(this.blankEmission[r]);
        this.nonBlankEmission[row] = recordOf(this.nonBlankEmission[r]);
      } else {
        // Outside the beam a row's paths are never read (they are set up again if it returns).
        this.blank[row] = -Infinity;
        this.nonBlank[row] = -Infinity;
        this.bestBlank[row] = -Infinity;
        this.bestNonBlank[row] = -Infinity;
        this.blankEmission[row] = -1;
        this.nonBlankEmission[row] = -1;
      }
      if (parent >= 0) this.children.set(parent * this.vocabularySize + this.token[row], row);
    }
    this.size = rowCount;
    this.lmState.length = rowCount;
    return beam.map((p) => newRow[p]);
  }

  /**
   * Forgets what the beam disagrees on more than `keep` tokens back (the best prefix's): keeps
   * only the beam rows that extend the best row's ancestor `keep` tokens up (the anchor), and
   * makes every path of the beam go through the best row's best path up to the anchor's last
   * token. Then {@link compact} commits at least the anchor. Returns the kept beam, and whether
   * anything changed (a row dropped, a path's frames rewritten). Only for inputs free of NaN
   * and +Infinity, where a path of probability 0 never becomes a result.
   */
  forceCommit(beam: readonly number[], keep: number): { beam: number[]; changed: boolean } {
    const best = beam[0];
    let anchor = best;
    const anchorTarget = Math.max(0, this.depth[best] - keep);
    while (this.depth[anchor] > anchorTarget) anchor = this.parent[anchor];
    const anchorDepth = this.depth[anchor];
    const kept = beam.filter((p) => {
      let q = p;
      while (this.depth[q] > anchorDepth) q = this.parent[q];
      return q === anchor;
    });
    let changed = kept.length < beam.length;
    // Records per path: one per token after the committed frames.
    const target = this.committedTokens.length + anchorDepth - this.committedFrames.length;
    if (target <= 0) return { beam: kept, changed };
    let shared = this.bestRecord(best);
    while (this.emissionDepth[shared] > target) shared = this.emissionPrevious[shared];
    /** The record to use in place of `record`, a path's with probability `logProb`. */
    const aligned = (record: number, logProb: number): number => {
      // A path of probability 0 is never reported (nor extended): any record will do.
      if (logProb === -Infinity || this.emissionDepth[record] === target) {
        changed ||= logProb > -Infinity && record !== shared;
        return shared;
      }
      let e = record;
      while (this.emissionDepth[e] > target + 1) e = this.emissionPrevious[e];
      if (this.emissionPrevious[e] !== shared) {
        this.emissionPrevious[e] = shared;
        changed = true;
      }
      return record;
    };
    for (const p of kept) {
      this.blankEmission[p] = aligned(this.blankEmission[p], this.bestBlank[p]);
      this.nonBlankEmission[p] = aligned(this.nonBlankEmission[p], this.bestNonBlank[p]);
    }
    return { beam: kept, changed };
  }

  private addEmission(frame: number, previous: number): number {
    this.emissionFrame.push(frame);
    this.emissionPrevious.push(previous);
    this.emissionDepth.push(previous < 0 ? 1 : this.emissionDepth[previous] + 1);
    return this.emissionFrame.length - 1;
  }

  private grow(): void {
    this.token = doubled(this.token);
    this.parent = doubled(this.parent);
    this.depth = doubled(this.depth);
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

/**
 * The deepest node that is each of `nodes` or an ancestor of it, in a forest given by parent
 * and depth columns (depth 0: no parent); -1 when any node is -1 or they share no ancestor.
 */
function commonAncestor(
  nodes: readonly number[],
  parent: ArrayLike<number>,
  depth: ArrayLike<number>,
): number {
  if (nodes.length === 0) return -1;
  let minDepth = Infinity;
  for (const node of nodes) {
    if (node < 0) return -1;
    minDepth = Math.min(minDepth, depth[node]);
  }
  const lifted = nodes.map((node) => {
    let q = node;
    for (let d = depth[node]; d > minDepth; d--) q = parent[q];
    return q;
  });
  for (;;) {
    const first = lifted[0];
    if (first < 0 || lifted.every((q) => q === first)) return first;
    for (let i = 0; i < lifted.length; i++) lifted[i] = parent[lifted[i]];
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
function checkLmScore(fn: string, value: unknown, call: string): number {
  if (typeof value === 'number' && value <= 0) return value;
  throw new ArgumentError(fn, 'options.lm', LM_MUST_RETURN, value, {
    actualText: `${describeValue(value)} from ${call}`,
  });
}

/** Checked beam-search options, defaults applied. */
export interface ResolvedBeamSearchOptions {
  blank: number;
  beamWidth: number;
  nBest: number;
  tokenCutoff: number;
  pruneLogProb: number;
  lm: LanguageModel | undefined;
  lmWeight: number;
  insertionBonus: number;
}

/** Checks the options of a beam search whose blank is checked already, on behalf of `fn`. */
export function resolveBeamSearchOptions(
  fn: string,
  options: CtcBeamSearchOptions,
  blank: number,
): ResolvedBeamSearchOptions {
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

/** The best prefix of a search so far, end of sentence not scored. */
export interface PrefixSearchBest extends CtcHypothesis {
  /** Leading tokens (and their frames) that every hypothesis the search can still return has. */
  stableTokens: number;
}

/** Sizes of a search's state. */
export interface PrefixSearchStats {
  /** Frames processed. */
  frames: number;
  /** Tokens moved out of the per-prefix state. */
  committedTokens: number;
  /** Rows of the prefix trie (prefixes held, the committed one and cached children included). */
  prefixes: number;
  /** Emission records held (frames of tokens not yet shared by every path of the beam). */
  emissionRecords: number;
  /** Times the beam was forced to agree with its best prefix (see `maxPendingTokens`). */
  forcedCommits: number;
}

/**
 * One prefix beam search over one stream of frames: {@link step} per frame, then
 * {@link finish}. `fn` names the public function in errors about the LM.
 */
export class PrefixBeamSearch {
  private readonly trie: PrefixTrie;
  private beam: number[] = [ROOT];
  /** Frames processed. */
  private t = 0;
  /** Compaction runs once the trie or the records reach these sizes. */
  private rowLimit = INITIAL_CAPACITY;
  private recordLimit = INITIAL_CAPACITY;
  private readonly cutoff: number;
  private readonly sortedTokens: boolean;
  private readonly frameTokens: Int32Array;
  private readonly frameLogProbs: Float64Array;
  private readonly candidates: number[] = [];
  private readonly top: number[] = [];
  /** Per beam index: the next token to try, or STOPPED by the bound. */
  private readonly resume: Int32Array;
  /** The `beamWidth` best lower bounds of this frame's candidate scores, best first. */
  private readonly bounds: Float64Array;
  private boundCount = 0;
  /**
   * Most the LM can add to an appended token's score: 0, as its log-probabilities are <= 0
   * (unbounded with a negative weight).
   */
  private readonly lmHeadroom: number;

  /** Times {@link compact} dropped or rewrote something to stay within `maxPendingTokens`. */
  private forcedCommits = 0;

  /**
   * `maxPendingTokens`: how many tokens the best prefix may have past the committed prefix
   * before the beam is forced to agree with it on the older ones (see `forceCommit`);
   * Infinity (exact) unless the frames are free of NaN and +Infinity.
   */
  constructor(
    private readonly fn: string,
    private readonly classes: number,
    private readonly options: ResolvedBeamSearchOptions,
    private readonly maxPendingTokens = Infinity,
  ) {
    const { tokenCutoff, beamWidth, lm, lmWeight } = options;
    this.trie = new PrefixTrie(classes);
    this.cutoff = Math.min(tokenCutoff, classes - 1);
    this.sortedTokens = this.cutoff < classes - 1;
    // Room for twice the cutoff: `selectFrameTokens` gathers tokens there before compacting.
    this.frameTokens = new Int32Array(this.sortedTokens ? 2 * this.cutoff : classes);
    this.frameLogProbs = new Float64Array(this.frameTokens.length);
    this.resume = new Int32Array(beamWidth);
    this.bounds = new Float64Array(beamWidth);
    this.lmHeadroom = lm !== undefined && lmWeight < 0 ? Infinity : 0;
    this.reset();
  }

  /** Starts a new stream. */
  reset(): void {
    this.trie.reset(this.options.lm?.initialState() ?? null);
    this.beam = [ROOT];
    this.t = 0;
    this.rowLimit = INITIAL_CAPACITY;
    this.recordLimit = INITIAL_CAPACITY;
    this.forcedCommits = 0;
  }

  /** Whether the state is past `maxPendingTokens`: the best prefix's tokens or frames. */
  private pastPending(): boolean {
    const { trie } = this;
    return (
      trie.depth[this.beam[0]] > this.maxPendingTokens ||
      trie.committedTokens.length - trie.committedFrames.length > this.maxPendingTokens
    );
  }

  private weighted(logProb: number): number {
    return this.options.lmWeight === 0 ? 0 : this.options.lmWeight * logProb;
  }

  /** Row of `prefix` + `token`, made (and scored by the LM) on first use. */
  private childOf(prefix: number, token: number): number {
    const { trie } = this;
    const child = trie.child(prefix, token);
    if (child >= 0) return child;
    const { lm, insertionBonus } = this.options;
    let lmState: unknown = null;
    let lmLogProb = 0;
    if (lm !== undefined) {
      const scored = lm.score(trie.lmState[prefix], token);
      const call = `score(state, ${token})`;
      if (scored == null || typeof scored !== 'object') {
        throw new ArgumentError(
          this.fn,
          'options.lm',
          'return { logProb, state } from score()',
          scored,
          { actualText: `${describeValue(scored)} from ${call}` },
        );
      }
      lmState = scored.state;
      lmLogProb = checkLmScore(this.fn, scored.logProb, call);
    }
    const bonus = trie.bonus[prefix] + this.weighted(lmLogProb) + insertionBonus;
    return trie.add(prefix, token, lmState, trie.lmLogProb[prefix] + lmLogProb, bonus);
  }

  private addBound(score: number): void {
    const { bounds } = this;
    const { beamWidth } = this.options;
    if (!(score > -Infinity) || (this.boundCount === beamWidth && score <= bounds[beamWidth - 1]))
      return;
    let i = this.boundCount < beamWidth ? this.boundCount++ : beamWidth - 1;
    for (; i > 0 && bounds[i - 1] < score; i--) bounds[i] = bounds[i - 1];
    bounds[i] = score;
  }

  private belowBeam(score: number): boolean {
    const { beamWidth } = this.options;
    return this.boundCount === beamWidth && score < this.bounds[beamWidth - 1];
  }

  /** Makes `prefix` + `token` a candidate of frame `t`, unless it is one already or below the beam. */
  private extend(prefix: number, token: number, tokenLogProb: number, t: number): void {
    const { trie } = this;
    const repeat = token === trie.token[prefix];
    const logProb = (repeat ? trie.blank[prefix] : trie.total[prefix]) + tokenLogProb;
    if (logProb === -Infinity) return;
    const child = this.childOf(prefix, token);
    // Children in the beam were extended already; the LM may still sink a new one.
    if (trie.stamp[child] === t || this.belowBeam(logProb + trie.bonus[child])) return;
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
    this.candidates.push(child);
    this.addBound(logProb + trie.bonus[child]);
  }

  /** Processes one frame: the `classes` log-probabilities at `data[offset…]`. */
  step(data: Float32Array, offset: number): void {
    const { trie, candidates, top, resume, frameTokens, frameLogProbs, bounds, cutoff } = this;
    const { blank, beamWidth, pruneLogProb, insertionBonus } = this.options;
    const { classes, sortedTokens, lmHeadroom } = this;
    const t = this.t;
    const beam = this.beam;
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
      const repeat = trie.token[p] < 0 ? -Infinity : data[offset + trie.token[p]];
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
      if (parent < 0 || trie.stamp[parent] !== t) continue;
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
    this.boundCount = 0;
    let bestScore = -Infinity;
    for (const p of beam) {
      this.addBound(logAddExp(trie.nextBlank[p], trie.nextNonBlank[p]) + trie.bonus[p]);
      bestScore = Math.max(bestScore, trie.total[p] + trie.bonus[p]);
    }

    // Tokens that may make new prefixes. Once the beam's own prefixes fill it, a token too
    // improbable to lift even the best prefix past them is not worth selecting (the margin
    // keeps rounding from making this stricter than the exact test below).
    let minLogProb = pruneLogProb;
    if (this.boundCount === beamWidth) {
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
          if (this.belowBeam(trie.total[p] + frameLogProbs[k] + headroom)) {
            if (!sortedTokens) continue;
            k = STOPPED;
            break;
          }
          this.extend(p, frameTokens[k], frameLogProbs[k], t);
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
        if (this.belowBeam(best)) resume[i] = STOPPED;
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
    const next: number[] = [];
    for (const p of top) {
      // Zero-probability prefixes are dropped, but the beam never empties.
      if (trie.score[p] === -Infinity && next.length > 0) break;
      trie.commit(p, t);
      next.push(p);
    }
    this.beam = next;
    this.t = t + 1;
    if (
      trie.size >= this.rowLimit ||
      trie.emissionFrame.length >= this.recordLimit ||
      this.pastPending()
    ) {
      this.compact();
    }
  }

  /**
   * Commits what the beam shares and drops what no later frame can reach (see
   * `PrefixTrie.compact`); the next compaction waits until the state has doubled.
   */
  compact(): void {
    const { trie } = this;
    this.beam = trie.compact(this.beam);
    // Beyond `maxPendingTokens`, and unless every prefix is impossible (then nothing grows).
    const best = this.beam[0];
    if (this.pastPending() && logAddExp(trie.blank[best], trie.nonBlank[best]) > -Infinity) {
      const forced = trie.forceCommit(this.beam, this.maxPendingTokens);
      if (forced.changed) this.forcedCommits++;
      this.beam = trie.compact(forced.beam);
    }
    this.rowLimit = Math.max(INITIAL_CAPACITY, 2 * this.trie.size);
    this.recordLimit = Math.max(INITIAL_CAPACITY, 2 * this.trie.emissionFrame.length);
  }

  /** The whole labeling of row `p`. */
  private labeling(p: number): number[] {
    return [...this.trie.committedTokens, ...this.trie.tokens(p)];
  }

  /** The emission frames of row `p`'s most probable path. */
  private frames(p: number): number[] {
    return [...this.trie.committedFrames, ...this.trie.recordFrames(this.trie.bestRecord(p))];
  }

  /** The best prefix so far (the first of the beam), without the end of the sentence. */
  best(): PrefixSearchBest {
    const { trie, beam } = this;
    const p = beam[0];
    const acousticScore = logAddExp(trie.blank[p], trie.nonBlank[p]);
    const score = acousticScore + trie.bonus[p];
    const records: number[] = [];
    for (const q of beam) records.push(trie.blankEmission[q], trie.nonBlankEmission[q]);
    const shared = trie.commonRecord(records);
    const stableTokens = Math.min(
      trie.committedTokens.length + trie.depth[trie.commonAncestor(beam)],
      trie.committedFrames.length + (shared >= 0 ? trie.emissionDepth[shared] : 0),
    );
    return {
      tokens: this.labeling(p),
      score: Number.isNaN(score) ? -Infinity : score,
      frames: this.frames(p),
      acousticScore,
      lmScore: trie.lmLogProb[p],
      stableTokens,
    };
  }

  /** The final ranking, with the end of the sentence: up to `nBest` hypotheses, best first. */
  finish(): CtcHypothesis[] {
    const { trie, beam } = this;
    const { lm, nBest } = this.options;
    const finals = beam.map((p) => {
      const acousticScore = logAddExp(trie.blank[p], trie.nonBlank[p]);
      const endLogProb =
        lm === undefined ? 0 : checkLmScore(this.fn, lm.finish(trie.lmState[p]), 'finish(state)');
      const score = acousticScore + trie.bonus[p] + this.weighted(endLogProb);
      trie.score[p] = Number.isNaN(score) ? -Infinity : score;
      return { p, acousticScore, lmScore: trie.lmLogProb[p] + endLogProb };
    });
    finals.sort((x, y) => (trie.ranksBefore(x.p, y.p) ? -1 : trie.ranksBefore(y.p, x.p) ? 1 : 0));
    const hypotheses: CtcHypothesis[] = [];
    for (const { p, acousticScore, lmScore } of finals) {
      if (hypotheses.length === nBest || (trie.score[p] === -Infinity && hypotheses.length > 0))
        break;
      hypotheses.push({
        tokens: this.labeling(p),
        score: trie.score[p],
        frames: this.frames(p),
        acousticScore,
        lmScore,
      });
    }
    return hypotheses;
  }

  /** Sizes of the state, for tests of its bound. */
  stats(): PrefixSearchStats {
    return {
      frames: this.t,
      committedTokens: this.trie.committedTokens.length,
      prefixes: this.trie.size,
      emissionRecords: this.trie.emissionFrame.length,
      forcedCommits: this.forcedCommits,
    };
  }
}
