import { describe, expect, it } from 'vitest';
import { describePrediction } from './prediction';

describe('describePrediction', () => {
  it('counts S/D/I and renders the alignment like sclite', () => {
    const d = describePrediction('the cat sat'.split(' '), 'the bat sat down'.split(' '));
    expect(d).toMatchObject({ wer: 2 / 3, substitutions: 1, deletions: 0, insertions: 1 });
    expect(d.alignmentText).toBe(
      ['REF:  the cat sat ****', 'HYP:  the bat sat down', 'EVAL:     S       I'].join('\n'),
    );
  });

  it('marks deletions and pads columns to the longest token', () => {
    const d = describePrediction(['HELLO', 'MY', 'NAME'], ['HELLO', 'NAMES']);
    // Tracing back from the ends, the diagonal wins: NAME→NAMES (S), then MY is deleted (D).
    expect(d).toMatchObject({ wer: 2 / 3, substitutions: 1, deletions: 1, insertions: 0 });
    expect(d.alignmentText).toBe(
      ['REF:  HELLO MY NAME', 'HYP:  HELLO ** NAMES', 'EVAL:       D  S'].join('\n'),
    );
  });

  it('handles empty sides', () => {
    expect(describePrediction([], [])).toEqual({
      wer: 0,
      substitutions: 0,
      deletions: 0,
      insertions: 0,
      alignmentText: 'REF:\nHYP:\nEVAL:',
    });
    const ins = describePrediction([], ['a']);
    expect(ins.wer).toBe(Infinity);
    expect(ins.alignmentText).toBe('REF:  *\nHYP:  a\nEVAL: I');
    const del = describePrediction(['a', 'b'], []);
    expect(del).toMatchObject({ wer: 1, deletions: 2 });
    expect(del.alignmentText).toBe('REF:  a b\nHYP:  * *\nEVAL: D D');
    expect(() => describePrediction('a' as unknown as string[], [])).toThrow(
      "Argument 'reference' passed to 'describePrediction' must be an array of strings, but got 'a'.",
    );
  });

  it('rejects token ids that are not strings, and non-arrays, in the project format', () => {
    // Numeric ids (a decoder's raw output) once failed deep inside with "padEnd is not a function".
    expect(() => describePrediction([1, 2] as unknown as string[], ['a'])).toThrow(
      "Argument 'reference' passed to 'describePrediction' must be an array of strings, but got [1, 2].",
    );
    expect(() => describePrediction(['a'], [3] as unknown as string[])).toThrow(
      "Argument 'hypothesis' passed to 'describePrediction' must be an array of strings, but got [3].",
    );
    expect(() => describePrediction(null as unknown as string[], [])).toThrow(
      "Argument 'reference' passed to 'describePrediction' must be an array of strings, but got null.",
    );
  });
});
