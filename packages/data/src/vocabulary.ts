/**
 * Gloss vocabularies: blank at id 0, glosses from 1 in a stable order, saved and loaded as
 * JSON so that ids never shift between runs.
 */
import { ArgumentError, describeValue } from '@slr/core';
import { checkGlossList, glossProblem, isArray, type GlossListContext } from './checks';

/**
 * The JSON form of a {@link GlossVocabulary}.
 *
 * @example
 * ```ts
 * const json: GlossVocabularyJson = GlossVocabulary.fromGlosses(['REGEN', 'MORGEN']).toJSON();
 * // { format: 'slr-gloss-vocabulary', version: 1, blank: '<blank>', glosses: ['MORGEN', 'REGEN'] }
 * ```
 */
export interface GlossVocabularyJson {
  /** Always `'slr-gloss-vocabulary'`. */
  format: 'slr-gloss-vocabulary';
  /** Format version, 1. */
  version: 1;
  /** The blank's name (id 0). */
  blank: string;
  /** Glosses in id order; the gloss at index i has id i + 1. */
  glosses: string[];
}

/**
 * A gloss ↔ id map with the CTC blank at id 0.
 *
 * @example
 * ```ts
 * const vocabulary = GlossVocabulary.fromGlosses(['REGEN', 'MORGEN', 'REGEN']);
 * vocabulary.idOf('MORGEN'); // 1 (sorted: MORGEN, REGEN)
 * vocabulary.size;           // 3, blank included
 * ```
 */
export class GlossVocabulary {
  private readonly ids = new Map<string, number>();

  private constructor(
    /** Glosses in id order, without the blank. */
    readonly glosses: readonly string[],
    /** The blank's name (id 0). */
    readonly blank: string,
    /** For errors: the function called, its argument that held the glosses, and where from. */
    context: GlossListContext,
  ) {
    checkGlossList(glosses, blank, context);
    glosses.forEach((gloss, index) => this.ids.set(gloss, index + 1));
  }

  /**
   * The vocabulary of every distinct gloss in `glosses`, sorted by code point (a stable order
   * that does not depend on the order samples were read in).
   *
   * @example
   * ```ts
   * GlossVocabulary.fromGlosses(['B', 'A']).glosses; // ['A', 'B']
   * ```
   */
  static fromGlosses(glosses: Iterable<string>, blank = '<blank>'): GlossVocabulary {
    const fn = 'GlossVocabulary.fromGlosses';
    if (
      glosses == null ||
      typeof (glosses as Partial<Iterable<string>>)[Symbol.iterator] !== 'function'
    )
      throw new ArgumentError(fn, 'glosses', 'be an iterable of glosses', glosses);
    const list = [...glosses];
    // Checked here, in the caller's order, so that an error names the caller's index.
    list.forEach((gloss, index) => {
      const problem = typeof blank === 'string' ? glossProblem(gloss, blank) : undefined;
      if (problem !== undefined) throw new ArgumentError(fn, `glosses[${index}]`, problem, gloss);
    });
    const distinct = [...new Set(list)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new GlossVocabulary(distinct, blank, { fn, argument: 'glosses' });
  }

  /**
   * The vocabulary with exactly these glosses in this order (ids 1…n).
   *
   * @example
   * ```ts
   * GlossVocabulary.ordered(['HELLO', 'WORLD']).idOf('WORLD'); // 2
   * ```
   */
  static ordered(glosses: readonly string[], blank = '<blank>'): GlossVocabulary {
    const fn = 'GlossVocabulary.ordered';
    if (!isArray(glosses))
      throw new ArgumentError(fn, 'glosses', 'be an array of glosses', glosses);
    return new GlossVocabulary([...glosses], blank, { fn, argument: 'glosses' });
  }

  /**
   * Reads the JSON written by {@link GlossVocabulary.toJSON}. `source` (for example the file the
   * JSON was read from) is named in errors.
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   *
   * const path = 'corpus/annotations/vocabulary.json';
   * const vocabulary = GlossVocabulary.fromJSON(JSON.parse(readFileSync(path, 'utf8')), path);
   * ```
   */
  static fromJSON(json: unknown, source?: string): GlossVocabulary {
    const fn = 'GlossVocabulary.fromJSON';
    const from = source === undefined ? '' : ` (from ${source})`;
    const value = json as Partial<GlossVocabularyJson> | null;
    if (
      value == null ||
      typeof value !== 'object' ||
      value.format !== 'slr-gloss-vocabulary' ||
      value.version !== 1 ||
      !Array.isArray(value.glosses)
    ) {
      throw new ArgumentError(
        fn,
        'json',
        "be a gloss vocabulary, { format: 'slr-gloss-vocabulary', version: 1, glosses: [...] }",
        json,
        { actualText: `${describeValue(json)}${from}` },
      );
    }
    return new GlossVocabulary(value.glosses, value.blank ?? '<blank>', {
      fn,
      argument: 'json.glosses',
      blankArgument: 'json.blank',
      from,
    });
  }

  /** Number of classes, blank included (the models' `numClasses`). */
  get size(): number {
    return this.glosses.length + 1;
  }

  /**
   * The id of `gloss`; an unknown gloss is an error that names it (and `where` it was found).
   *
   * @example
   * ```ts
   * const vocabulary = GlossVocabulary.fromGlosses(['REGEN', 'MORGEN']);
   * vocabulary.idOf('REGEN'); // 2
   * vocabulary.idOf('SONNE', 'train.corpus.csv line 12'); // throws, naming 'SONNE' and the line
   * ```
   */
  idOf(gloss: string, where?: string): number {
    return this.lookupId('GlossVocabulary.idOf', 'gloss', gloss, where);
  }

  /** Whether `gloss` is in the vocabulary. */
  has(gloss: string): boolean {
    return this.ids.has(gloss);
  }

  /**
   * The gloss with id `id` (the blank's name for 0).
   *
   * @example
   * ```ts
   * const vocabulary = GlossVocabulary.fromGlosses(['REGEN', 'MORGEN']);
   * vocabulary.glossOf(0); // '<blank>'
   * vocabulary.glossOf(1); // 'MORGEN'
   * ```
   */
  glossOf(id: number): string {
    return this.lookupGloss('GlossVocabulary.glossOf', 'id', id);
  }

  /**
   * Ids of a gloss sequence; an unknown gloss is an error that names it (and `where` the
   * sequence was found).
   *
   * @example
   * ```ts
   * const vocabulary = GlossVocabulary.fromGlosses(['REGEN', 'MORGEN']);
   * vocabulary.encode(['MORGEN', 'REGEN']); // [1, 2]
   * ```
   */
  encode(glosses: readonly string[], where?: string): number[] {
    return glosses.map((gloss, index) =>
      this.lookupId('GlossVocabulary.encode', `glosses[${index}]`, gloss, where),
    );
  }

  /**
   * Glosses of an id sequence (blanks dropped).
   *
   * @example
   * ```ts
   * const vocabulary = GlossVocabulary.fromGlosses(['REGEN', 'MORGEN']);
   * vocabulary.decode([1, 0, 2]); // ['MORGEN', 'REGEN']
   * ```
   */
  decode(ids: readonly number[]): string[] {
    return ids
      .map((id, index) =>
        id === 0 ? '' : this.lookupGloss('GlossVocabulary.decode', `ids[${index}]`, id),
      )
      .filter((gloss) => gloss !== '');
  }

  /** The vocabulary's size in words, for messages: `3 glosses`, `1 gloss`. */
  private describeSize(): string {
    return `${this.glosses.length} ${this.glosses.length === 1 ? 'gloss' : 'glosses'}`;
  }

  private lookupId(fn: string, argument: string, gloss: string, where?: string): number {
    const id = this.ids.get(gloss);
    if (id === undefined) {
      throw new ArgumentError(
        fn,
        argument,
        `be a gloss of the vocabulary (${this.describeSize()})`,
        gloss,
        {
          actualText: `${describeValue(gloss)}${where ? ` in ${where}` : ''}`,
        },
      );
    }
    return id;
  }

  private lookupGloss(fn: string, argument: string, id: number): string {
    if (id === 0) return this.blank;
    const gloss = Number.isInteger(id) ? this.glosses[id - 1] : undefined;
    if (gloss === undefined) {
      throw new ArgumentError(
        fn,
        argument,
        `be a gloss id of the vocabulary, an integer in [0, ${this.size - 1}]`,
        id,
      );
    }
    return gloss;
  }

  /** The JSON form (stable: the same vocabulary always gives the same text). */
  toJSON(): GlossVocabularyJson {
    return {
      format: 'slr-gloss-vocabulary',
      version: 1,
      blank: this.blank,
      glosses: [...this.glosses],
    };
  }
}
