import { describe, expect, it } from 'vitest';
import { ArpaParseError, parseArpa } from './arpa';
import { NGramLanguageModel, type NGramState } from './language-model';
import { TRIGRAM_ARPA, TRIGRAM_VOCABULARY } from '@slr/test-utils';

/** The shared trigram model, with text around it that the parser must ignore. */
const TRIGRAM = `This preamble is ignored, as are the trailing lines.\n${TRIGRAM_ARPA}trailing text\n`;
const VOCABULARY = TRIGRAM_VOCABULARY;
const [A, B, C] = [1, 2, 3];

/** Natural log of a log10 value. */
const ln = (log10: number) => log10 * Math.LN10;

/** Scores `tokens` from `<s>` one at a time, returning each ln P and the final state. */
function walk(lm: NGramLanguageModel, tokens: number[]): { logProbs: number[]; state: NGramState } {
  let state = lm.initialState();
  const logProbs = tokens.map((token) => {
    const scored = lm.score(state, token);
    state = scored.state;
    return scored.logProb;
  });
  return { logProbs, state };
}

/** ARPA text from its sections, counts computed. */
function arpa(...sections: string[][]): string {
  const counts = sections.map((lines, i) => `ngram ${i + 1}=${lines.length}`);
  const bodies = sections.flatMap((lines, i) => ['', `\\${i + 1}-grams:`, ...lines]);
  return ['\\data\\', ...counts, ...bodies, '', '\\end\\', ''].join('\n');
}

describe('parseArpa', () => {
  it('reads orders, counts, log10 probabilities and back-off weights', () => {
    const model = parseArpa(TRIGRAM);
    expect(model.order).toBe(3);
    expect(model.counts).toEqual([6, 5, 2]);
    expect(model.ngrams.size).toBe(13);
    expect(model.ngrams.get('<s>')).toEqual({ log10Prob: -99, log10Backoff: -0.4 });
    expect(model.ngrams.get('</s>')).toEqual({ log10Prob: -0.8, log10Backoff: 0 });
    expect(model.ngrams.get('A B')).toEqual({ log10Prob: -0.6, log10Backoff: -0.25 });
    expect(model.ngrams.get('A B </s>')).toEqual({ log10Prob: -0.05, log10Backoff: 0 });
  });

  it('accepts CRLF line ends, spaces or tabs, and -inf', () => {
    const lines = [
      '\\data\\',
      'ngram 1=2',
      'ngram 2=1',
      '',
      '\\1-grams:',
      '-inf  <s>   -0.5',
      '-0.3 A',
      '',
    ];
    const text = [...lines, '\\2-grams:', '-0.1 <s>\tA', '\\end\\', ''].join('\r\n');
    const model = parseArpa(text);
    expect(model.ngrams.get('<s>')).toEqual({ log10Prob: -Infinity, log10Backoff: -0.5 });
    expect(model.ngrams.get('A')).toEqual({ log10Prob: -0.3, log10Backoff: 0 });
    expect(model.ngrams.get('<s> A')).toEqual({ log10Prob: -0.1, log10Backoff: 0 });
  });

  describe('rejects malformed input, naming the line', () => {
    /** [what is wrong, the lines, the line the error names, the message]. */
    const cases: [string, string[], number, RegExp][] = [
      [
        'no \\data\\',
        ['ngram 1=1', '\\1-grams:', '-1 A', '\\end\\'],
        4,
        /no \\data\\ header found/,
      ],
      [
        'a bad count line',
        ['\\data\\', 'ngram 1=1', 'ngram two=3'],
        3,
        /expected 'ngram N=count' or '\\1-grams:', but got 'ngram two=3'/,
      ],
      [
        'counts out of order',
        ['\\data\\', 'ngram 2=1'],
        2,
        /expected the count of order 1, but got 'ngram 2=\.\.\.'/,
      ],
      [
        'a section out of order',
        ['\\data\\', 'ngram 1=1', 'ngram 2=1', '\\1-grams:', '-1 A', '\\3-grams:'],
        6,
        /expected \\2-grams:, but got '\\3-grams:'/,
      ],
      [
        'too few words',
        [
          '\\data\\',
          'ngram 1=1',
          'ngram 2=1',
          'ngram 3=1',
          '\\1-grams:',
          '-1 A',
          '\\2-grams:',
          '-1 A',
        ],
        8,
        /a 2-gram entry must be a log10 probability, 2 word\(s\) and an optional log10 back-off, but got 2 field\(s\): '-1 A'/,
      ],
      [
        'a back-off on the highest order',
        ['\\data\\', 'ngram 1=1', '\\1-grams:', '-1 A -0.5'],
        4,
        /a 1-gram entry .* \(the highest order has no back-off\), but got 3 field\(s\)/,
      ],
      [
        'a probability that is not a number',
        ['\\data\\', 'ngram 1=1', '\\1-grams:', 'minus A'],
        4,
        /expected a log10 probability \(a number\), but got 'minus'/,
      ],
      [
        'a back-off that is not a number',
        ['\\data\\', 'ngram 1=1', 'ngram 2=1', '\\1-grams:', '-1 A x'],
        5,
        /expected a log10 back-off \(a number\), but got 'x'/,
      ],
      [
        'a positive log10 probability',
        ['\\data\\', 'ngram 1=1', '\\1-grams:', '0.5 A'],
        4,
        /a log10 probability must be <= 0, but got 0.5/,
      ],
      [
        'a duplicate n-gram',
        ['\\data\\', 'ngram 1=2', '\\1-grams:', '-1 A', '-2 A'],
        5,
        /duplicate 1-gram 'A' \(first on line 4\)/,
      ],
      [
        'a count that does not match',
        ['\\data\\', 'ngram 1=3', '\\1-grams:', '-1 A', '-1 B', '', '\\end\\'],
        7,
        /the \\1-grams: section has 2 entries, but line 2 declared 'ngram 1=3'/,
      ],
      [
        'a missing section',
        ['\\data\\', 'ngram 1=1', 'ngram 2=1', '\\1-grams:', '-1 A', '\\end\\'],
        6,
        /\\end\\ after the \\1-grams: section, but the header declares order 2/,
      ],
      [
        'a missing \\end\\',
        ['\\data\\', 'ngram 1=1', '\\1-grams:', '-1 A', ''],
        5,
        /reached the end of the text without \\end\\/,
      ],
    ];
    it.each(cases)('%s', (_, lines, line, message) => {
      let error: unknown;
      try {
        parseArpa(lines.join('\n'));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ArpaParseError);
      expect((error as ArpaParseError).line).toBe(line);
      expect((error as ArpaParseError).message).toMatch(new RegExp(`^ARPA line ${line}: `));
      expect((error as ArpaParseError).message).toMatch(message);
    });
  });
});

describe('NGramLanguageModel', () => {
  const lm = NGramLanguageModel.fromArpa(TRIGRAM, { vocabulary: VOCABULARY });

  it('scores listed 3-grams, 2-grams and 1-grams directly, in natural log', () => {
    // P(A | <s>) is a listed 2-gram, P(B | <s> A) a listed 3-gram, P(</s> | A B) too.
    const { logProbs, state } = walk(lm, [A, B]);
    expect(logProbs[0]).toBeCloseTo(ln(-0.2), 12);
    expect(logProbs[1]).toBeCloseTo(ln(-0.1), 12);
    expect(lm.finish(state)).toBeCloseTo(ln(-0.05), 12);
    expect(lm.scoreTokens([A, B])).toBeCloseTo(ln(-0.2 - 0.1 - 0.05), 12);
    expect(lm.scoreTokens([A, B], { endOfSentence: false })).toBeCloseTo(ln(-0.3), 12);
  });

  it('backs off 3-gram → 2-gram, adding the back-off weight of the context', () => {
    // P(A | A B): no 3-gram 'A B A' → bow(A B) + P(A | B) = -0.25 + -0.3 ('B A' is listed).
    const { logProbs } = walk(lm, [A, B, A]);
    expect(logProbs[2]).toBeCloseTo(ln(-0.25 - 0.3), 12);
  });

  it('backs off 3-gram → 2-gram → 1-gram, adding every back-off weight', () => {
    // P(C | A B) = bow(A B) + bow(B) + P(C) = -0.25 - 0.2 - 0.9.
    const { logProbs } = walk(lm, [A, B, C]);
    expect(logProbs[2]).toBeCloseTo(ln(-0.25 - 0.2 - 0.9), 12);
    // P(C | <s>) = bow(<s>) + P(C) = -0.4 - 0.9.
    expect(walk(lm, [C]).logProbs[0]).toBeCloseTo(ln(-0.4 - 0.9), 12);
  });

  it('treats a listed context without a back-off weight as weight 1', () => {
    // P(C | B A): 'B A' is listed without a back-off → 0; then bow(A) + P(C) = -0.3 - 0.9.
    const { logProbs } = walk(lm, [B, A, C]);
    expect(logProbs[2]).toBeCloseTo(ln(0 - 0.3 - 0.9), 12);
  });

  it('scores a whole sentence as the sum of its back-off scores, ending with </s>', () => {
    // A | <s>: -0.2; B | <s> A: -0.1; A | A B: -0.55; C | B A: -1.2; </s> | A C → </s> | C: -0.35.
    expect(lm.scoreTokens([A, B, A, C])).toBeCloseTo(ln(-0.2 - 0.1 - 0.55 - 1.2 - 0.35), 12);
    // The empty sentence: </s> | <s> = bow(<s>) + P(</s>).
    expect(lm.scoreTokens([])).toBeCloseTo(ln(-0.4 - 0.8), 12);
  });

  it('keeps only the usable part of the history in its state', () => {
    expect(lm.initialState().context).toEqual(['<s>']);
    expect(walk(lm, [A, B]).state.context).toEqual(['A', 'B']);
    // 'A C' is no n-gram nor the start of one: only 'C' matters afterwards.
    const afterAC = walk(lm, [A, C]).state;
    expect(afterAC.context).toEqual(['C']);
    expect(walk(lm, [B, C]).state).toBe(afterAC);
    // A state built by hand is reduced the same way.
    const handMade: NGramState = { context: ['A', 'C'] };
    expect(lm.finish(handMade)).toBe(lm.finish(afterAC));
    expect(lm.score({ context: ['<s>', 'A'] }, B).logProb).toBeCloseTo(ln(-0.1), 12);
  });

  it('maps token ids to words and back', () => {
    expect(lm.wordOf(A)).toBe('A');
    expect(lm.wordOf(0)).toBeUndefined();
    expect(lm.wordOf(9)).toBeUndefined();
    expect(lm.tokenOf('C')).toBe(C);
    expect(lm.tokenOf('D')).toBeUndefined();
    expect(lm.hasWord('<unk>')).toBe(true);
    expect(lm.order).toBe(3);
    const byId = NGramLanguageModel.fromArpa(arpa(['-0.5\t7', '-0.5\t</s>']));
    expect(byId.wordOf(7)).toBe('7');
    expect(byId.tokenOf('7')).toBe(7);
    expect(byId.tokenOf('07')).toBeUndefined();
    expect(byId.scoreTokens([7])).toBeCloseTo(ln(-1), 12);
  });

  it('scores a word the model lacks as <unk>, with back-off', () => {
    const withD = NGramLanguageModel.fromArpa(TRIGRAM, { vocabulary: [...VOCABULARY, 'D'] });
    const { logProbs, state } = walk(withD, [4, A]);
    expect(logProbs[0]).toBeCloseTo(ln(-0.4 - 1.5), 12); // bow(<s>) + P(<unk>)
    expect(logProbs[1]).toBeCloseTo(ln(-0.5), 12); // no '<unk> A', <unk> has no back-off
    // '<unk> A' is no n-gram nor the start of one, so the history keeps just 'A'.
    expect(state.context).toEqual(['A']);
    expect(walk(withD, [4]).state.context).toEqual(['<unk>']);
  });

  it('uses unknownLogProb, when given, for words the model lacks', () => {
    const withD = NGramLanguageModel.fromArpa(TRIGRAM, {
      vocabulary: [...VOCABULARY, 'D'],
      unknownLogProb: -7,
    });
    const { logProbs, state } = walk(withD, [4]);
    expect(logProbs[0]).toBe(-7);
    expect(state.context).toEqual(['<unk>']);
    const noUnk = NGramLanguageModel.fromArpa(arpa(['-0.5\tA', '-0.5\t</s>']), {
      vocabulary: [null, 'A', 'Z'],
      unknownLogProb: -9,
    });
    const scored = noUnk.score(noUnk.initialState(), 2);
    expect(scored).toEqual({ logProb: -9, state: expect.objectContaining({ context: [] }) });
  });

  it('handles a unigram model, with or without </s>', () => {
    const unigram = NGramLanguageModel.fromArpa(
      arpa(['-0.6\tA', '-1\tB', '-0.7\t</s>', '-99\t<s>']),
      {
        vocabulary: VOCABULARY.slice(0, 3),
      },
    );
    expect(unigram.initialState().context).toEqual([]);
    expect(unigram.scoreTokens([A, B, A])).toBeCloseTo(ln(-0.6 - 1 - 0.6 - 0.7), 12);
    const noEnd = NGramLanguageModel.fromArpa(arpa(['-0.6\tA']), { vocabulary: [null, 'A'] });
    expect(noEnd.scoreTokens([A])).toBeCloseTo(ln(-0.6), 12);
  });

  describe('errors', () => {
    it('rejects a vocabulary word the model lacks when it has no <unk> and no unknownLogProb', () => {
      expect(() =>
        NGramLanguageModel.fromArpa(arpa(['-0.5\tA']), { vocabulary: [null, 'A', 'Z'] }),
      ).toThrow(
        "Argument 'options.vocabulary' passed to 'NGramLanguageModel' must hold only words the language model has, " +
          'as the model has no <unk> (pass options.unknownLogProb, or remove the word), but got ' +
          "the word 'Z' (token 2).",
      );
      const byId = NGramLanguageModel.fromArpa(arpa(['-0.5\t1']));
      expect(() => byId.score(byId.initialState(), 2)).toThrow(
        "Argument 'token' passed to 'NGramLanguageModel.score' must be a token whose word the language model has, " +
          "as the model has no <unk> (pass options.unknownLogProb), but got token 2, the word '2'.",
      );
    });

    it('rejects tokens without a word', () => {
      const message = (token: number) =>
        `Argument 'token' passed to 'NGramLanguageModel.score' must be a token with a word in ` +
        `the vocabulary (length 4), but got ${token}.`;
      expect(() => lm.score(lm.initialState(), 0)).toThrow(message(0));
      expect(() => lm.score(lm.initialState(), 4)).toThrow(message(4));
    });

    it('rejects a malformed vocabulary or unknownLogProb', () => {
      expect(() => NGramLanguageModel.fromArpa(TRIGRAM, { vocabulary: [null, 'A', 'A'] })).toThrow(
        "Argument 'options.vocabulary' passed to 'NGramLanguageModel' must hold distinct words, " +
          "but got 'A' as both token 1 and token 2.",
      );
      expect(() => NGramLanguageModel.fromArpa(TRIGRAM, { vocabulary: [null, 'A B'] })).toThrow(
        `Argument 'options.vocabulary' passed to 'NGramLanguageModel' must hold non-empty words ` +
          `without whitespace (or null), but got vocabulary[1] = "A B".`,
      );
      expect(() => NGramLanguageModel.fromArpa(TRIGRAM, { unknownLogProb: 1 })).toThrow(
        "Argument 'options.unknownLogProb' passed to 'NGramLanguageModel' must be a natural-log " +
          'probability <= 0, but got 1.',
      );
    });

    it('reads UTF-8 bytes (a Buffer or a Uint8Array) as the text, and rejects anything else', () => {
      const fromText = NGramLanguageModel.fromArpa(TRIGRAM, { vocabulary: VOCABULARY });
      const bytes = new TextEncoder().encode(TRIGRAM);
      for (const input of [bytes, Buffer.from(TRIGRAM, 'utf8')]) {
        const fromBytes = NGramLanguageModel.fromArpa(input, { vocabulary: VOCABULARY });
        expect(fromBytes.scoreTokens([A, B, C])).toBe(fromText.scoreTokens([A, B, C]));
      }
      // Words outside ASCII survive the decoding.
      const accented = NGramLanguageModel.fromArpa(
        new TextEncoder().encode(arpa(['-0.5\tÉCOLE', '-0.5\t</s>'])),
        { vocabulary: [null, 'ÉCOLE'] },
      );
      expect(accented.scoreTokens([1])).toBeCloseTo(ln(-1), 12);
      expect(parseArpa(bytes).order).toBe(parseArpa(TRIGRAM).order);
      const must =
        'be the text of an ARPA file: a string, or its UTF-8 bytes (a Uint8Array or Buffer)';
      for (const [value, shown] of [
        [42, '42'],
        [null, 'null'],
        [new ArrayBuffer(4), 'an ArrayBuffer'],
      ] as const) {
        expect(() => NGramLanguageModel.fromArpa(value as unknown as string)).toThrow(
          `Argument 'text' passed to 'NGramLanguageModel.fromArpa' must ${must}, but got ${shown}.`,
        );
      }
      expect(() => parseArpa({} as unknown as string)).toThrow(
        `Argument 'text' passed to 'parseArpa' must ${must}, but got an object.`,
      );
      expect(() => NGramLanguageModel.fromArpa(new Uint8Array([0x5c, 0xff, 0xfe]))).toThrow(
        "Argument 'text' passed to 'NGramLanguageModel.fromArpa' must be UTF-8 text, but got a " +
          'Uint8Array of length 3 with bytes that are not UTF-8.',
      );
    });

    it('rejects null options', () => {
      expect(() => NGramLanguageModel.fromArpa(TRIGRAM, null as unknown as undefined)).toThrow(
        "Argument 'options' passed to 'NGramLanguageModel' must be an object or undefined, but got null.",
      );
    });

    it('passes ARPA errors through', () => {
      expect(() => NGramLanguageModel.fromArpa('\\data\\\nngram 1=1\n\\1-grams:\nA -1\n')).toThrow(
        ArpaParseError,
      );
    });
  });
});
