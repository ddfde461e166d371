/**
 * Per-sample prediction monitor: the WER of one reference/hypothesis pair and its alignment
 * rendered as sclite renders it.
 */
import { ArgumentError } from '@slr/core';
import { editDistance } from '@slr/ctc';

/** Result of {@link describePrediction}. */
export interface PredictionDescription {
  /** `(S + D + I) / reference.length`; 0 or `Infinity` for an empty reference (as `wordErrorRate`). */
  wer: number;
  /** Reference tokens replaced by another. */
  substitutions: number;
  /** Reference tokens missing from the hypothesis. */
  deletions: number;
  /** Extra hypothesis tokens. */
  insertions: number;
  /**
   * Three lines, `REF:`, `HYP:` and `EVAL:`, one column per alignment step, each column as
   * wide as its longest token: a missing token is shown as `*` repeated to the column width,
   * and the `EVAL:` row marks `S`, `D` or `I` under each error (blank under a match).
   * Trailing spaces are trimmed.
   */
  alignmentText: string;
}

/**
 * Scores one hypothesis against its reference with `editDistance` from `@slr/ctc` (unit
 * costs, its deterministic tie-breaking) and renders the alignment sclite-style, so that
 * printing it every few epochs shows what the model gets wrong.
 *
 * @throws ArgumentError when an argument is not an array of strings.
 *
 * @example
 * ```ts
 * const d = describePrediction('the cat sat'.split(' '), 'the bat sat down'.split(' '));
 * d.wer; // 2 / 3
 * console.log(d.alignmentText);
 * // REF:  the cat sat ****
 * // HYP:  the bat sat down
 * // EVAL:     S       I
 * ```
 */
export function describePrediction(
  reference: readonly string[],
  hypothesis: readonly string[],
): PredictionDescription {
  for (const [argument, tokens] of [
    ['reference', reference],
    ['hypothesis', hypothesis],
  ] as const) {
    if (!Array.isArray(tokens) || !tokens.every((token) => typeof token === 'string'))
      throw new ArgumentError('describePrediction', argument, 'be an array of strings', tokens);
  }
  const r = editDistance(reference, hypothesis);
  const ref: string[] = [];
  const hyp: string[] = [];
  const evals: string[] = [];
  for (const step of r.alignment) {
    const width = Math.max(step.ref?.length ?? 0, step.hyp?.length ?? 0, 1);
    ref.push((step.ref ?? '*'.repeat(width)).padEnd(width));
    hyp.push((step.hyp ?? '*'.repeat(width)).padEnd(width));
    const mark =
      step.op === 'match'
        ? ' '
        : step.op === 'substitution'
          ? 'S'
          : step.op === 'deletion'
            ? 'D'
            : 'I';
    evals.push(mark.padEnd(width));
  }
  const line = (label: string, cells: string[]) => `${label.padEnd(6)}${cells.join(' ')}`.trimEnd();
  const alignmentText = [line('REF:', ref), line('HYP:', hyp), line('EVAL:', evals)].join('\n');
  const errors = r.distance;
  const wer = reference.length > 0 ? errors / reference.length : errors === 0 ? 0 : Infinity;
  return {
    wer,
    substitutions: r.substitutions,
    deletions: r.deletions,
    insertions: r.insertions,
    alignmentText,
  };
}
