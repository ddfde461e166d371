/**
 * Internal: checks shared by the package's modules (not exported from the package): gloss
 * lists (GlossVocabulary, the synthetic corpus's `glossNames`), arrays.
 */
import { ArgumentError, describeValue } from '@slr/core';

/**
 * Whether `value` is an array. Unlike `Array.isArray`, it does not narrow a typed argument to
 * `any[]`, so an argument checked with it keeps its declared type.
 */
export function isArray(value: unknown): boolean {
  return Array.isArray(value);
}

/** What is wrong with `gloss` as a gloss of a vocabulary whose blank is `blank`, if anything. */
export function glossProblem(gloss: unknown, blank: string): string | undefined {
  if (typeof gloss !== 'string' || gloss === '' || /\s/.test(gloss))
    return 'be a non-empty word without spaces';
  if (gloss === blank) return "differ from the blank's name";
  return undefined;
}

/** Where a list of glosses came from, for errors. */
export interface GlossListContext {
  /** The function the user called. */
  fn: string;
  /** Its argument that held the glosses. */
  argument: string;
  /** Its argument that held the blank's name (default `'blank'`). */
  blankArgument?: string;
  /** Appended to the value shown, e.g. `' (from corpus/annotations/vocabulary.json)'`. */
  from?: string;
}

/**
 * Checks that `blank` and every gloss are non-empty words without spaces, that no gloss is the
 * blank, and that no gloss appears twice; errors name `context.argument[index]`.
 */
export function checkGlossList(
  glosses: readonly unknown[],
  blank: unknown,
  context: GlossListContext,
): asserts glosses is readonly string[] {
  const { fn, argument, from = '' } = context;
  const fail = (at: string, must: string, value: unknown, actualText?: string): ArgumentError =>
    new ArgumentError(fn, at, must, value, {
      actualText: `${actualText ?? describeValue(value)}${from}`,
    });
  if (typeof blank !== 'string' || blank === '' || /\s/.test(blank))
    throw fail(context.blankArgument ?? 'blank', 'be a non-empty word without spaces', blank);
  const first = new Map<string, number>();
  glosses.forEach((gloss, index) => {
    const at = `${argument}[${index}]`;
    const problem = glossProblem(gloss, blank);
    if (problem !== undefined) throw fail(at, problem, gloss);
    const word = gloss as string;
    const earlier = first.get(word);
    if (earlier !== undefined) {
      throw fail(
        at,
        'differ from every gloss before it',
        word,
        `'${word}', which is ${argument}[${earlier}] too`,
      );
    }
    first.set(word, index);
  });
}
