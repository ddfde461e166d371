/**
 * Gloss vocabularies: blank at id 0, glosses from 1 in a stable order, saved and loaded as
 * JSON so that ids never shift between runs.
 */

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
    readonly blank = '<blank>',
  ) {
    glosses.forEach((gloss, index) => {
      if (gloss === '' || /\s/.test(gloss))
        throw new Error(`A gloss must be a non-empty word without spaces, but got '${gloss}'.`);
      if (gloss === blank) throw new Error(`The gloss '${gloss}' is the blank's name.`);
      if (this.ids.has(gloss))
        throw new Error(`The gloss '${gloss}' appears twice in the vocabulary.`);
      this.ids.set(gloss, index + 1);
    });
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
    const distinct = [...new Set(glosses)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new GlossVocabulary(distinct, blank);
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
    return new GlossVocabulary([...glosses], blank);
  }

  /**
   * Reads the JSON written by {@link GlossVocabulary.toJSON}.
   *
   * @example
   * ```ts
   * const vocabulary = GlossVocabulary.fromJSON(JSON.parse(text));
   * ```
   */
  static fromJSON(json: unknown, source = 'vocabulary JSON'): GlossVocabulary {
    const value = json as Partial<GlossVocabularyJson> | null;
    if (
      value == null ||
      value.format !== 'slr-gloss-vocabulary' ||
      value.version !== 1 ||
      !Array.isArray(value.glosses)
    ) {
      throw new Error(
        `${source} is not a gloss vocabulary (expected { format: 'slr-gloss-vocabulary', version: 1, glosses: [...] }).`,
      );
    }
    if (!value.glosses.every((gloss) => typeof gloss === 'string'))
      throw new Error(`${source}: every gloss must be a string.`);
    return new GlossVocabulary(
      value.glosses,
      typeof value.blank === 'string' ? value.blank : '<blank>',
    );
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
   * vocabulary.idOf('REGEN', 'train.corpus.csv line 12');
   * ```
   */
  idOf(gloss: string, where?: string): number {
    const id = this.ids.get(gloss);
    if (id === undefined)
      throw new Error(
        `Unknown gloss '${gloss}'${where ? ` in ${where}` : ''}: it is not in the vocabulary of ${this.glosses.length} glosses.`,
      );
    return id;
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
   * vocabulary.glossOf(0); // '<blank>'
   * ```
   */
  glossOf(id: number): string {
    if (id === 0) return this.blank;
    const gloss = this.glosses[id - 1];
    if (gloss === undefined)
      throw new Error(`Gloss id ${id} is outside the vocabulary [0, ${this.size}).`);
    return gloss;
  }

  /**
   * Ids of a gloss sequence.
   *
   * @example
   * ```ts
   * vocabulary.encode(['MORGEN', 'REGEN']); // [1, 2]
   * ```
   */
  encode(glosses: readonly string[], where?: string): number[] {
    return glosses.map((gloss) => this.idOf(gloss, where));
  }

  /**
   * Glosses of an id sequence (blanks dropped).
   *
   * @example
   * ```ts
   * vocabulary.decode([1, 0, 2]); // ['MORGEN', 'REGEN']
   * ```
   */
  decode(ids: readonly number[]): string[] {
    return ids.filter((id) => id !== 0).map((id) => this.glossOf(id));
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
