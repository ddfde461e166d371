import { describe, expect, it } from 'vitest';
import { ArgumentError } from '@slr/core';
import { fc, test } from '@fast-check/vitest';
import { editDistance } from './edit-distance';
import type { AlignmentOp, AlignmentStep } from './edit-distance';

/** Small alphabet so that matches, repeats and ties are frequent. */
const seq = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 12 });

/** Plain full-table Levenshtein, the independent oracle. */
function referenceTable(a: readonly unknown[], b: readonly unknown[]): number[][] {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
      );
    }
  }
  return d;
}

/** Applies an alignment to `ref`, checking its bookkeeping on the way; returns the hypothesis it builds. */
function replay<T>(ref: readonly T[], alignment: readonly AlignmentStep<T>[]): T[] {
  const out: T[] = [];
  let i = 0;
  for (const step of alignment) {
    switch (step.op) {
      case 'match':
        expect(step.refIndex).toBe(i);
        expect(step.ref).toBe(ref[i]);
        expect(step.hyp).toBe(step.ref);
        out.push(ref[i]);
        i++;
        break;
      case 'substitution':
        expect(step.refIndex).toBe(i);
        expect(step.ref).toBe(ref[i]);
        expect(step.hyp).not.toBe(step.ref);
        out.push(step.hyp);
        i++;
        break;
      case 'deletion':
        expect(step.refIndex).toBe(i);
        expect(step.ref).toBe(ref[i]);
        expect(step.hyp).toBeUndefined();
        expect(step.hypIndex).toBeUndefined();
        i++;
        break;
      case 'insertion':
        expect(step.ref).toBeUndefined();
        expect(step.refIndex).toBeUndefined();
        out.push(step.hyp);
        break;
    }
    if (step.op !== 'deletion') expect(step.hypIndex).toBe(out.length - 1);
  }
  expect(i).toBe(ref.length);
  return out;
}

function ops<T>(alignment: readonly AlignmentStep<T>[]): AlignmentOp[] {
  return alignment.map((s) => s.op);
}

describe('editDistance: hand examples', () => {
  it('kitten → sitting: 2 substitutions, 1 insertion', () => {
    const r = editDistance([...'kitten'], [...'sitting']);
    expect(r).toMatchObject({ distance: 3, substitutions: 2, deletions: 0, insertions: 1 });
    expect(replay([...'kitten'], r.alignment).join('')).toBe('sitting');
  });

  it('empty sequences', () => {
    expect(editDistance([], [])).toEqual({
      distance: 0,
      substitutions: 0,
      deletions: 0,
      insertions: 0,
      alignment: [],
    });
    expect(editDistance([], ['a', 'b'])).toEqual({
      distance: 2,
      substitutions: 0,
      deletions: 0,
      insertions: 2,
      alignment: [
        { op: 'insertion', hyp: 'a', hypIndex: 0 },
        { op: 'insertion', hyp: 'b', hypIndex: 1 },
      ],
    });
    expect(editDistance(['a', 'b'], [])).toEqual({
      distance: 2,
      substitutions: 0,
      deletions: 2,
      insertions: 0,
      alignment: [
        { op: 'deletion', ref: 'a', refIndex: 0 },
        { op: 'deletion', ref: 'b', refIndex: 1 },
      ],
    });
  });

  it('the documented examples', () => {
    const r = editDistance('the cat sat'.split(' '), 'the bat sat down'.split(' '));
    expect(r).toMatchObject({ distance: 2, substitutions: 1, deletions: 0, insertions: 1 });
    expect(ops(r.alignment)).toEqual(['match', 'substitution', 'match', 'insertion']);

    expect(editDistance(['a', 'b'], ['a', 'c', 'b']).alignment).toEqual([
      { op: 'match', ref: 'a', hyp: 'a', refIndex: 0, hypIndex: 0 },
      { op: 'insertion', hyp: 'c', hypIndex: 1 },
      { op: 'match', ref: 'b', hyp: 'b', refIndex: 1, hypIndex: 2 },
    ]);
    expect(editDistance([1, 2, 3], [1, 3])).toMatchObject({
      distance: 1,
      substitutions: 0,
      deletions: 1,
      insertions: 0,
    });
    expect(
      editDistance(['Hello'], ['hello'], { equals: (a, b) => a.toLowerCase() === b.toLowerCase() })
        .distance,
    ).toBe(0);
  });

  it('one deletion in the middle', () => {
    const r = editDistance([1, 2, 3, 4], [1, 2, 4]);
    expect(r).toMatchObject({ distance: 1, deletions: 1 });
    expect(r.alignment[2]).toEqual({ op: 'deletion', ref: 3, refIndex: 2 });
  });

  it('completely different sequences of equal length are all substitutions', () => {
    const r = editDistance(['a', 'b', 'c'], ['x', 'y', 'z']);
    expect(r).toMatchObject({ distance: 3, substitutions: 3, deletions: 0, insertions: 0 });
  });
});

describe('editDistance: tie-breaking', () => {
  it('prefers substitutions over a deletion plus an insertion of the same cost', () => {
    // a b → b c: two substitutions, or delete a / insert c. Both cost 2.
    const r = editDistance(['a', 'b'], ['b', 'c']);
    expect(r).toMatchObject({ distance: 2, substitutions: 2, deletions: 0, insertions: 0 });
    const swapped = editDistance(['b', 'a'], ['a', 'b']);
    expect(swapped).toMatchObject({ distance: 2, substitutions: 2 });
  });

  it('takes the match at the end when tracing back (a → a a)', () => {
    expect(editDistance(['a'], ['a', 'a']).alignment).toEqual([
      { op: 'insertion', hyp: 'a', hypIndex: 0 },
      { op: 'match', ref: 'a', hyp: 'a', refIndex: 0, hypIndex: 1 },
    ]);
    expect(editDistance(['a', 'a'], ['a']).alignment).toEqual([
      { op: 'deletion', ref: 'a', refIndex: 0 },
      { op: 'match', ref: 'a', hyp: 'a', refIndex: 1, hypIndex: 0 },
    ]);
  });

  it('prefers a deletion over an insertion when the diagonal is not optimal', () => {
    // 0 1 0 → 1 0 1: either drop the first 0 and add a 1 at the end, or add a 1 in front and
    // drop the last 0. Tracing back from the end, the deletion is taken first.
    const r = editDistance([0, 1, 0], [1, 0, 1]);
    expect(r).toMatchObject({ distance: 2, substitutions: 0, deletions: 1, insertions: 1 });
    expect(r.alignment).toEqual([
      { op: 'insertion', hyp: 1, hypIndex: 0 },
      { op: 'match', ref: 0, hyp: 0, refIndex: 0, hypIndex: 1 },
      { op: 'match', ref: 1, hyp: 1, refIndex: 1, hypIndex: 2 },
      { op: 'deletion', ref: 0, refIndex: 2 },
    ]);
  });

  test.prop([seq, seq])(
    'every backtrace step is the first optimal move in match/substitution > deletion > insertion order',
    (a, b) => {
      const d = referenceTable(a, b);
      const { alignment } = editDistance(a, b);
      let i = a.length;
      let j = b.length;
      for (let k = alignment.length - 1; k >= 0; k--) {
        const here = d[i][j];
        const diagonal =
          i > 0 && j > 0 && d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1) === here;
        const deletion = i > 0 && d[i - 1][j] + 1 === here;
        const expected: AlignmentOp = diagonal
          ? a[i - 1] === b[j - 1]
            ? 'match'
            : 'substitution'
          : deletion
            ? 'deletion'
            : 'insertion';
        expect(alignment[k].op).toBe(expected);
        if (expected !== 'insertion') i--;
        if (expected !== 'deletion') j--;
      }
      expect([i, j]).toEqual([0, 0]);
    },
  );

  test.prop([seq, seq])('is deterministic', (a, b) => {
    expect(editDistance(a, b)).toEqual(editDistance(a, b));
  });
});

describe('editDistance: properties', () => {
  test.prop([seq])('is zero on equal sequences, with an all-match alignment', (a) => {
    const r = editDistance(a, [...a]);
    expect(r).toMatchObject({ distance: 0, substitutions: 0, deletions: 0, insertions: 0 });
    expect(r.alignment).toHaveLength(a.length);
    expect(r.alignment.every((s) => s.op === 'match')).toBe(true);
  });

  test.prop([seq, seq])('agrees with a plain dynamic-programming oracle', (a, b) => {
    expect(editDistance(a, b).distance).toBe(referenceTable(a, b)[a.length][b.length]);
  });

  test.prop([seq, seq])(
    'distance = substitutions + deletions + insertions, and the counts match the alignment',
    (a, b) => {
      const r = editDistance(a, b);
      expect(r.distance).toBe(r.substitutions + r.deletions + r.insertions);
      const count = (op: AlignmentOp) => r.alignment.filter((s) => s.op === op).length;
      expect(count('substitution')).toBe(r.substitutions);
      expect(count('deletion')).toBe(r.deletions);
      expect(count('insertion')).toBe(r.insertions);
      expect(count('match') + r.substitutions + r.deletions).toBe(a.length);
      expect(count('match') + r.substitutions + r.insertions).toBe(b.length);
    },
  );

  test.prop([seq, seq])('the alignment replays ref into hyp', (a, b) => {
    expect(replay(a, editDistance(a, b).alignment)).toEqual(b);
  });

  test.prop([seq, seq])('is symmetric: same distance, and D − I changes sign', (a, b) => {
    const ab = editDistance(a, b);
    const ba = editDistance(b, a);
    expect(ba.distance).toBe(ab.distance);
    // D − I = len(ref) − len(hyp) on every alignment.
    expect(ba.deletions - ba.insertions).toBe(ab.insertions - ab.deletions);
    expect(ab.deletions - ab.insertions).toBe(a.length - b.length);
  });

  test.prop([seq, seq])(
    'the mirrored alignment (S kept, D ↔ I) is an optimal alignment of hyp into ref',
    (a, b) => {
      const ab = editDistance(a, b);
      const mirrored = ab.alignment.map((s): AlignmentStep<number> => {
        switch (s.op) {
          case 'deletion':
            return { op: 'insertion', hyp: s.ref, hypIndex: s.refIndex };
          case 'insertion':
            return { op: 'deletion', ref: s.hyp, refIndex: s.hypIndex };
          default:
            return { op: s.op, ref: s.hyp, hyp: s.ref, refIndex: s.hypIndex, hypIndex: s.refIndex };
        }
      });
      expect(replay(b, mirrored)).toEqual(a);
      expect(mirrored.filter((s) => s.op !== 'match')).toHaveLength(editDistance(b, a).distance);
    },
  );

  it('swapping ref and hyp can change the counts (not the distance) through tie-breaking', () => {
    // Both alignments cost 3; the backtrace from the end picks different ones.
    const ab = editDistance([0, 1, 0], [1, 2, 0, 1]);
    const ba = editDistance([1, 2, 0, 1], [0, 1, 0]);
    expect(ab).toMatchObject({ distance: 3, substitutions: 0, deletions: 1, insertions: 2 });
    expect(ba).toMatchObject({ distance: 3, substitutions: 2, deletions: 1, insertions: 0 });
  });

  test.prop([seq, seq, seq])('satisfies the triangle inequality', (a, b, c) => {
    expect(editDistance(a, c).distance).toBeLessThanOrEqual(
      editDistance(a, b).distance + editDistance(b, c).distance,
    );
  });

  test.prop([seq, seq])('is bounded by |len(a) − len(b)| ≤ d ≤ max(len(a), len(b))', (a, b) => {
    const { distance } = editDistance(a, b);
    expect(distance).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
    expect(distance).toBeLessThanOrEqual(Math.max(a.length, b.length));
  });

  test.prop([seq, seq])(
    'a custom equals that matches the default gives the same result',
    (a, b) => {
      expect(editDistance(a, b, { equals: (x, y) => x === y })).toEqual(editDistance(a, b));
    },
  );

  test.prop([seq, seq])('does not modify its inputs', (a, b) => {
    const fa = Object.freeze([...a]);
    const fb = Object.freeze([...b]);
    editDistance(fa, fb);
    expect(fa).toEqual(a);
    expect(fb).toEqual(b);
  });
});

describe('editDistance: token types and options', () => {
  it('compares with SameValueZero by default (NaN equals NaN, 0 equals -0)', () => {
    expect(editDistance([NaN, 0], [NaN, -0]).distance).toBe(0);
    expect(editDistance(['1'], [1] as unknown as string[]).distance).toBe(1);
  });

  it('uses a custom equals', () => {
    const r = editDistance(['The', 'CAT'], ['the', 'cat', 'sat'], {
      equals: (a, b) => a.toLowerCase() === b.toLowerCase(),
    });
    expect(r).toMatchObject({ distance: 1, insertions: 1 });
    expect(r.alignment[0]).toEqual({
      op: 'match',
      ref: 'The',
      hyp: 'the',
      refIndex: 0,
      hypIndex: 0,
    });
  });

  it('works on object tokens compared by a key', () => {
    const ref = [{ id: 1 }, { id: 2 }];
    const hyp = [{ id: 1 }, { id: 3 }];
    expect(editDistance(ref, hyp).distance).toBe(2); // identity
    expect(editDistance(ref, hyp, { equals: (x, y) => x.id === y.id }).distance).toBe(1);
  });

  it('handles sequences larger than the reused scratch table', () => {
    const a = Array.from({ length: 1200 }, (_, i) => i % 7);
    const b = a.filter((_, i) => i % 100 !== 0); // 12 deletions
    expect(editDistance(a, b)).toMatchObject({
      distance: 12,
      deletions: 12,
      insertions: 0,
      substitutions: 0,
    });
  });

  it('is re-entrant (an equals that calls editDistance)', () => {
    const equals = (x: string, y: string) => editDistance([...x], [...y]).distance <= 1;
    const r = editDistance(['cat', 'dog', 'bird'], ['bat', 'dig', 'fish'], { equals });
    expect(r).toMatchObject({ distance: 1, substitutions: 1 });
    expect(editDistance(['x', 'y'], ['x', 'z'])).toMatchObject({ distance: 1 });
  });
});

describe('editDistance: argument errors', () => {
  it('rejects a ref or hyp that is not an array', () => {
    expect(() => editDistance('abc' as unknown as string[], [])).toThrow(
      "Argument 'ref' passed to 'editDistance' must be an array, but got 'abc'.",
    );
    expect(() => editDistance([], null as unknown as number[])).toThrow(
      "Argument 'hyp' passed to 'editDistance' must be an array, but got null.",
    );
    expect(() => editDistance([], new Set() as unknown as number[])).toThrow(
      /'hyp'.*must be an array, but got a Set\./,
    );
    expect(() => editDistance(undefined as unknown as number[], [])).toThrow(ArgumentError);
  });

  it('rejects an equals that is not a function', () => {
    expect(() =>
      editDistance([1], [1], { equals: 1 as unknown as (a: number, b: number) => boolean }),
    ).toThrow("Argument 'options.equals' passed to 'editDistance' must be a function, but got 1.");
    expect(() => editDistance([1], [1], 'x' as never)).toThrow(
      "Argument 'options' passed to 'editDistance' must be an object or undefined, but got 'x'.",
    );
    expect(() => editDistance([1], [1], null as never)).toThrow(
      "Argument 'options' passed to 'editDistance' must be an object or undefined, but got null.",
    );
  });
});
