/**
 * Levenshtein edit distance with unit costs, the operation counts behind it and one
 * optimal alignment, for any token type (word ids, glosses, characters).
 *
 * Tie-breaking: many alignments can share the minimal cost. The one returned is found by
 * tracing back from the ends of both sequences and, at every step, taking the first move
 * that stays on an optimal path in this order: **match/substitution** (diagonal), then
 * **deletion**, then **insertion**, as sclite-style scoring does. The result is therefore
 * deterministic, and substitutions win over deletion/insertion pairs of the same cost:
 * reference `a b` against hypothesis `b c` scores as two substitutions, not as a deletion
 * (`a`) plus an insertion (`c`).
 *
 * The rule is local, so it does not maximise or minimise any count globally, and swapping
 * `ref` and `hyp` keeps the distance but not always the mirrored counts: `0 1 0 → 1 2 0 1`
 * gives S=0, D=1, I=2 while `1 2 0 1 → 0 1 0` gives S=2, D=1, I=0 (both cost 3).
 */
import { ArgumentError, checkOptions } from '@slr/core';
import { checkArray } from '../checks';

/** The kind of one alignment step. */
export type AlignmentOp = 'match' | 'substitution' | 'deletion' | 'insertion';

/**
 * One step of an alignment between a reference and a hypothesis, in reading order.
 *
 * - `match` / `substitution`: `ref[refIndex]` is aligned with `hyp[hypIndex]` (equal for a
 *   match, different for a substitution).
 * - `deletion`: `ref[refIndex]` has no counterpart in the hypothesis (`hyp`/`hypIndex` absent).
 * - `insertion`: `hyp[hypIndex]` has no counterpart in the reference (`ref`/`refIndex` absent).
 *
 * Every field can be read without narrowing (absent ones are `undefined`); switch on `op` to
 * narrow.
 *
 * @example
 * ```ts
 * const { alignment } = editDistance(['a', 'b'], ['a', 'c', 'b']);
 * // [ { op: 'match', ref: 'a', hyp: 'a', refIndex: 0, hypIndex: 0 },
 * //   { op: 'insertion', hyp: 'c', hypIndex: 1 },
 * //   { op: 'match', ref: 'b', hyp: 'b', refIndex: 1, hypIndex: 2 } ]
 * for (const step of alignment) if (step.op === 'insertion') console.log('extra', step.hyp);
 * ```
 */
export type AlignmentStep<T> =
  | {
      /** A match or a substitution. */
      op: 'match' | 'substitution';
      /** The reference token. */
      ref: T;
      /** The hypothesis token. */
      hyp: T;
      /** Index of `ref` in the reference. */
      refIndex: number;
      /** Index of `hyp` in the hypothesis. */
      hypIndex: number;
    }
  | {
      /** A reference token missing from the hypothesis. */
      op: 'deletion';
      /** The missing reference token. */
      ref: T;
      /** Absent. */
      hyp?: undefined;
      /** Index of `ref` in the reference. */
      refIndex: number;
      /** Absent. */
      hypIndex?: undefined;
    }
  | {
      /** A hypothesis token not in the reference. */
      op: 'insertion';
      /** Absent. */
      ref?: undefined;
      /** The extra hypothesis token. */
      hyp: T;
      /** Absent. */
      refIndex?: undefined;
      /** Index of `hyp` in the hypothesis. */
      hypIndex: number;
    };

/** Options of {@link editDistance}. */
export interface EditDistanceOptions<T> {
  /**
   * Token equality. Default: SameValueZero (`===`, except that `NaN` equals `NaN`), as
   * `Array.prototype.includes` uses. Must be deterministic.
   */
  equals?: (a: T, b: T) => boolean;
}

/**
 * Result of {@link editDistance}. `distance === substitutions + deletions + insertions`,
 * and `alignment` holds exactly that many non-`match` steps.
 */
export interface EditDistanceResult<T> {
  /** Minimal number of unit-cost edits turning `ref` into `hyp`. */
  distance: number;
  /** Reference tokens replaced by a different hypothesis token. */
  substitutions: number;
  /** Reference tokens missing from the hypothesis. */
  deletions: number;
  /** Hypothesis tokens not in the reference. */
  insertions: number;
  /** One optimal alignment, in reading order (see the module's tie-breaking rule). */
  alignment: AlignmentStep<T>[];
}

/** Operation counts of one alignment, without the alignment itself. */
interface EditCounts {
  distance: number;
  substitutions: number;
  deletions: number;
  insertions: number;
}

type Equals<T> = (a: T, b: T) => boolean;

function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

// Scratch table reused across calls (WER scores many short sentences); a call made while it
// is in use — from inside a user `equals` — gets its own table.
const SCRATCH_MAX_CELLS = 1 << 20;
let scratch = new Uint32Array(1024);
let scratchBusy = false;

/**
 * Fills the (n+1)×(m+1) cost table row-major: `d[i*(m+1)+j]` is the distance between the
 * first `i` reference tokens and the first `j` hypothesis tokens.
 */
function fillTable<T>(ref: readonly T[], hyp: readonly T[], eq: Equals<T>, d: Uint32Array): void {
  const n = ref.length;
  const m = hyp.length;
  const w = m + 1;
  for (let j = 0; j <= m; j++) d[j] = j;
  for (let i = 1; i <= n; i++) {
    const r = ref[i - 1];
    const row = i * w;
    const prev = row - w;
    let left = i; // d[i][j-1]
    d[row] = i;
    for (let j = 1; j <= m; j++) {
      let best = d[prev + j - 1] + (eq(r, hyp[j - 1]) ? 0 : 1);
      const del = d[prev + j] + 1;
      if (del < best) best = del;
      const ins = left + 1;
      if (ins < best) best = ins;
      d[row + j] = best;
      left = best;
    }
  }
}

/**
 * Walks back from (n, m) with the preference diagonal > deletion > insertion. Records the
 * steps into `steps` (reversed) when given; always returns the counts.
 */
function backtrace<T>(
  ref: readonly T[],
  hyp: readonly T[],
  eq: Equals<T>,
  d: Uint32Array,
  steps: AlignmentStep<T>[] | null,
): EditCounts {
  const w = hyp.length + 1;
  let i = ref.length;
  let j = hyp.length;
  let substitutions = 0;
  let deletions = 0;
  let insertions = 0;
  while (i > 0 || j > 0) {
    const here = d[i * w + j];
    if (i > 0 && j > 0) {
      const same = eq(ref[i - 1], hyp[j - 1]);
      if (here === d[(i - 1) * w + j - 1] + (same ? 0 : 1)) {
        i--;
        j--;
        if (!same) substitutions++;
        if (steps) {
          steps.push({
            op: same ? 'match' : 'substitution',
            ref: ref[i],
            hyp: hyp[j],
            refIndex: i,
            hypIndex: j,
          });
        }
        continue;
      }
    }
    if (i > 0 && here === d[(i - 1) * w + j] + 1) {
      i--;
      deletions++;
      if (steps) steps.push({ op: 'deletion', ref: ref[i], refIndex: i });
      continue;
    }
    j--;
    insertions++;
    if (steps) steps.push({ op: 'insertion', hyp: hyp[j], hypIndex: j });
  }
  return { distance: substitutions + deletions + insertions, substitutions, deletions, insertions };
}

/** Counts (and, given `steps`, records in reverse) one optimal alignment of validated inputs. */
function alignSequences<T>(
  ref: readonly T[],
  hyp: readonly T[],
  eq: Equals<T>,
  steps: AlignmentStep<T>[] | null,
): EditCounts {
  const n = ref.length;
  const m = hyp.length;
  // Trivial cases need no table.
  if (n === 0 || m === 0) {
    if (steps) {
      // Reverse order, like the backtrace.
      for (let i = n - 1; i >= 0; i--) steps.push({ op: 'deletion', ref: ref[i], refIndex: i });
      for (let j = m - 1; j >= 0; j--) steps.push({ op: 'insertion', hyp: hyp[j], hypIndex: j });
    }
    return { distance: n + m, substitutions: 0, deletions: n, insertions: m };
  }
  const cells = (n + 1) * (m + 1);
  let table: Uint32Array;
  const useScratch = !scratchBusy && cells <= SCRATCH_MAX_CELLS;
  if (useScratch) {
    if (scratch.length < cells) scratch = new Uint32Array(Math.max(cells, scratch.length * 2));
    table = scratch;
    scratchBusy = true;
  } else {
    table = new Uint32Array(cells);
  }
  try {
    fillTable(ref, hyp, eq, table);
    return backtrace(ref, hyp, eq, table, steps);
  } finally {
    if (useScratch) scratchBusy = false;
  }
}

/** Validates the options and returns the equality to use. */
function resolveEquals<T>(options: EditDistanceOptions<T> | undefined, fn: string): Equals<T> {
  const { equals } = checkOptions(fn, options);
  if (equals === undefined) return sameValueZero;
  if (typeof equals !== 'function')
    throw new ArgumentError(fn, 'options.equals', 'be a function', equals);
  return equals;
}

/**
 * Levenshtein distance between `ref` and `hyp` with unit costs for substitution, deletion
 * (a `ref` token missing from `hyp`) and insertion (an extra `hyp` token), the counts of each
 * and one optimal alignment. Ties between optimal alignments are broken deterministically:
 * match/substitution, then deletion, then insertion, tracing back from the ends (see the
 * module comment). Time O(n·m), memory O(n·m) in a typed array.
 *
 * @param ref - Reference tokens.
 * @param hyp - Hypothesis tokens.
 * @param options - `equals`: token equality (default SameValueZero).
 * @throws ArgumentError when `ref` or `hyp` is not an array, `options` is not an object, or
 *   `options.equals` is not a function.
 *
 * @example
 * ```ts
 * const r = editDistance('the cat sat'.split(' '), 'the bat sat down'.split(' '));
 * r.distance;      // 2
 * r.substitutions; // 1 (cat → bat)
 * r.insertions;    // 1 (down)
 * r.alignment.map((s) => s.op); // ['match', 'substitution', 'match', 'insertion']
 *
 * const caseless = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
 * editDistance(['Hello'], ['hello'], { equals: caseless }).distance; // 0
 * ```
 */
export function editDistance<T>(
  ref: readonly T[],
  hyp: readonly T[],
  options?: EditDistanceOptions<T>,
): EditDistanceResult<T> {
  checkArray('editDistance', 'ref', ref);
  checkArray('editDistance', 'hyp', hyp);
  const eq = resolveEquals(options, 'editDistance');
  const alignment: AlignmentStep<T>[] = [];
  const counts = alignSequences(ref, hyp, eq, alignment);
  alignment.reverse();
  return { ...counts, alignment };
}
