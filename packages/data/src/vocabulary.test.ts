import { describe, expect, it } from 'vitest';
import { GlossVocabulary } from './vocabulary';

describe('GlossVocabulary', () => {
  it('maps glosses to ids from 1 in a stable order, with the blank at 0', () => {
    const vocabulary = GlossVocabulary.fromGlosses(['REGEN', 'MORGEN', 'REGEN']);
    expect(vocabulary.glosses).toEqual(['MORGEN', 'REGEN']);
    expect(vocabulary.size).toBe(3);
    expect(vocabulary.encode(['REGEN', 'MORGEN'])).toEqual([2, 1]);
    expect(vocabulary.decode([2, 0, 1])).toEqual(['REGEN', 'MORGEN']);
    expect(vocabulary.glossOf(0)).toBe('<blank>');
    expect(GlossVocabulary.fromJSON(vocabulary.toJSON()).toJSON()).toEqual(vocabulary.toJSON());
  });

  it('names the argument and the gloss at fault when it is built', () => {
    expect(() => GlossVocabulary.ordered(['A', 'B', 'A'])).toThrow(
      "Argument 'glosses[2]' passed to 'GlossVocabulary.ordered' must differ from every gloss before it, " +
        "but got 'A', which is glosses[0] too.",
    );
    expect(() => GlossVocabulary.fromGlosses(['B', 'A', 'TWO WORDS'])).toThrow(
      "Argument 'glosses[2]' passed to 'GlossVocabulary.fromGlosses' must be a non-empty word without spaces, " +
        "but got 'TWO WORDS'.",
    );
    expect(() => GlossVocabulary.ordered(['A', '<blank>'])).toThrow(
      "Argument 'glosses[1]' passed to 'GlossVocabulary.ordered' must differ from the blank's name, but got '<blank>'.",
    );
    expect(() => GlossVocabulary.ordered(['A'], '')).toThrow(
      "Argument 'blank' passed to 'GlossVocabulary.ordered' must be a non-empty word without spaces, but got ''.",
    );
    expect(() => GlossVocabulary.ordered(null as unknown as string[])).toThrow(
      "Argument 'glosses' passed to 'GlossVocabulary.ordered' must be an array of glosses, but got null.",
    );
  });

  it('names the JSON, and where it came from, when it is not a vocabulary', () => {
    expect(() => GlossVocabulary.fromJSON({ glosses: ['A'] }, 'corpus/vocabulary.json')).toThrow(
      "Argument 'json' passed to 'GlossVocabulary.fromJSON' " +
        "must be a gloss vocabulary, { format: 'slr-gloss-vocabulary', version: 1, glosses: [...] }, " +
        'but got an object (from corpus/vocabulary.json).',
    );
    const json = { format: 'slr-gloss-vocabulary', version: 1, glosses: ['A', 7] };
    expect(() => GlossVocabulary.fromJSON(json, 'corpus/vocabulary.json')).toThrow(
      "Argument 'json.glosses[1]' passed to 'GlossVocabulary.fromJSON' must be a non-empty word without spaces, " +
        'but got 7 (from corpus/vocabulary.json).',
    );
    expect(() => GlossVocabulary.fromJSON(null)).toThrow(/'json' .* but got null\.$/);
  });

  it('names an unknown gloss or id, and where it was found', () => {
    const vocabulary = GlossVocabulary.ordered(['A', 'B']);
    expect(() => vocabulary.idOf('C', 'train.corpus.csv:12')).toThrow(
      "Argument 'gloss' passed to 'GlossVocabulary.idOf' must be a gloss of the vocabulary (2 glosses), " +
        "but got 'C' in train.corpus.csv:12.",
    );
    expect(() => vocabulary.encode(['A', 'C'])).toThrow(
      "Argument 'glosses[1]' passed to 'GlossVocabulary.encode' must be a gloss of the vocabulary (2 glosses), " +
        "but got 'C'.",
    );
    expect(() => vocabulary.glossOf(3)).toThrow(
      "Argument 'id' passed to 'GlossVocabulary.glossOf' " +
        'must be a gloss id of the vocabulary, an integer in [0, 2], but got 3.',
    );
    expect(() => vocabulary.decode([1, 1.5])).toThrow(
      "Argument 'ids[1]' passed to 'GlossVocabulary.decode' " +
        'must be a gloss id of the vocabulary, an integer in [0, 2], but got 1.5.',
    );
  });
});
