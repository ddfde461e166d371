/**
 * Language models for the CTC beam search: the {@link LanguageModel} interface and a back-off
 * n-gram model read from an ARPA file.
 */
import { ArgumentError, checkOptions } from '@slr/core';
import { parseArpa, type ArpaModel } from './arpa';
import { arpaText } from './arpa-text';

/** What {@link LanguageModel.score} returns. */
export interface LanguageModelScore<State> {
  /** Natural-log probability of the token given the history. */
  logProb: number;
  /** History after the token. */
  state: State;
}

/**
 * A left-to-right language model over the decoder's token ids. The decoder treats `State` as
 * opaque: it calls {@link initialState} once per utterance, {@link score} once for every new
 * prefix it makes (never for the blank), and {@link finish} once per final hypothesis.
 *
 * All scores are natural-log probabilities, so at most 0: the beam search relies on that to
 * skip extensions before scoring them (a model returning positive scores, a bonus, could lose
 * hypotheses; use the decoder's `insertionBonus` instead). Implementations must be pure: the
 * same state and token always give the same result, and a state is never mutated.
 *
 * @example
 * ```ts
 * // A unigram model that prefers token 1.
 * const lm: LanguageModel<null> = {
 *   initialState: () => null,
 *   score: (state, token) => ({ logProb: token === 1 ? Math.log(0.9) : Math.log(0.1), state }),
 *   finish: () => 0,
 * };
 * await ctcBeamSearch(logProbs, undefined, { lm });
 * ```
 */
export interface LanguageModel<State = unknown> {
  /** History at the start of a sentence (after `<s>`). */
  initialState(): State;
  /** Natural-log probability of `token` following the history `state`, and the new history. */
  score(state: State, token: number): LanguageModelScore<State>;
  /** Natural-log probability of the end of the sentence (`</s>`) after the history `state`. */
  finish(state: State): number;
}

/**
 * History of an {@link NGramLanguageModel}: the longest suffix of the words so far (at most
 * `order - 1`, oldest first) that the model can still use, i.e. that is an n-gram or the start
 * of one. Longer histories score every next word the same way (KenLM's state minimisation),
 * so equal states mean equal futures.
 *
 * @example
 * ```ts
 * declare const bigramArpa: string; // the text of an ARPA file of order 2
 * const lm = NGramLanguageModel.fromArpa(bigramArpa, { vocabulary: [null, 'HELLO', 'WORLD'] });
 * const state: NGramState = lm.score(lm.initialState(), 1).state;
 * state.context; // ['HELLO']: a bigram model keeps one word of history
 * ```
 */
export interface NGramState {
  /** The words of the history the model can still use, oldest first (`<s>` at a sentence start). */
  readonly context: readonly string[];
}

/** Options of {@link NGramLanguageModel}. */
export interface NGramLanguageModelOptions {
  /**
   * Word of each token id: `vocabulary[id]`, with `null` for ids that are not words (the
   * blank), e.g. `[null, ...glosses]` when the blank is 0. Words must be non-empty, free of
   * whitespace and distinct. Default: the token id in decimal (`7` ↔ `'7'`).
   */
  vocabulary?: readonly (string | null)[];
  /**
   * Natural-log probability of a word the LM lacks. Default: the LM's `<unk>` probability
   * (with back-off, like any word), or an error when it has no `<unk>`.
   */
  unknownLogProb?: number;
}

const SENTENCE_START = '<s>';
const SENTENCE_END = '</s>';
const UNKNOWN = '<unk>';

/**
 * The n-grams of a model, as a trie of word sequences over interned word ids: sequence ids
 * are dense (0 is the empty sequence), so scoring builds no strings.
 */
class NGramTable {
  /** Word → word id. */
  readonly wordIds = new Map<string, number>();
  /** Child sequence id, keyed by `sequence * wordCount + word`. */
  private readonly children = new Map<number, number>();
  /** Per sequence: its parent (its words but the last), -1 for the empty sequence. */
  private readonly parents: number[] = [-1];
  /** Per sequence: its last word id, -1 for the empty sequence. */
  private readonly lastWords: number[] = [-1];
  /** Per sequence: ln P(last word | the others); NaN when the sequence is not listed. */
  readonly logProbs: number[] = [NaN];
  /** Per sequence: ln back-off weight; 0 when none is listed. */
  readonly backoffs: number[] = [0];
  /**
   * Per sequence: whether a history may usefully end with it, i.e. it is an n-gram below the
   * top order or the start of one.
   */
  readonly usable: boolean[] = [true];

  constructor(model: ArpaModel) {
    for (const key of model.ngrams.keys()) {
      for (const word of key.split(' '))
        if (!this.wordIds.has(word)) this.wordIds.set(word, this.wordIds.size);
    }
    for (const [key, entry] of model.ngrams) {
      const words = key.split(' ');
      let sequence = 0;
      words.forEach((word, i) => {
        sequence = this.childOrCreate(sequence, this.wordIds.get(word)!);
        if (i < model.order - 1) this.usable[sequence] = true;
      });
      this.logProbs[sequence] = entry.log10Prob * Math.LN10;
      this.backoffs[sequence] = entry.log10Backoff * Math.LN10;
    }
  }

  /** The id of `sequence` followed by `word`, or -1 when no n-gram starts with it. */
  child(sequence: number, word: number): number {
    return this.children.get(sequence * this.wordIds.size + word) ?? -1;
  }

  /** The id of a word sequence, or -1 when no n-gram starts with it. */
  find(words: readonly number[]): number {
    let sequence = 0;
    for (let i = 0; i < words.length && sequence >= 0; i++)
      sequence = this.child(sequence, words[i]);
    return sequence;
  }

  /** The word ids of a sequence. */
  words(sequence: number): number[] {
    const words: number[] = [];
    for (let s = sequence; s > 0; s = this.parents[s]) words.push(this.lastWords[s]);
    return words.reverse();
  }

  private childOrCreate(sequence: number, word: number): number {
    const key = sequence * this.wordIds.size + word;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.parents.length;
      this.children.set(key, child);
      this.parents.push(sequence);
      this.lastWords.push(word);
      this.logProbs.push(NaN);
      this.backoffs.push(0);
      this.usable.push(false);
    }
    return child;
  }
}

/** An interned {@link NGramState}: one per usable sequence, with what scoring needs precomputed. */
class Context implements NGramState {
  readonly context: readonly string[];
  /** The table whose sequence ids these are. */
  readonly table: NGramTable;
  /** Sequence id of each suffix of the context, longest first, ending with 0 (empty); -1 when absent. */
  readonly suffixes: number[] = [];
  /** ln back-off weight of each suffix, aligned with `suffixes`. */
  readonly suffixBackoffs: number[] = [];

  constructor(table: NGramTable, sequence: number, wordList: readonly string[]) {
    this.table = table;
    const words = table.words(sequence);
    this.context = words.map((word) => wordList[word]);
    for (let j = 0; j <= words.length; j++) {
      const suffix = j === 0 ? sequence : table.find(words.slice(j));
      this.suffixes.push(suffix);
      this.suffixBackoffs.push(suffix >= 0 ? table.backoffs[suffix] : 0);
    }
  }
}

/**
 * A back-off n-gram language model (ARPA semantics) over token ids, in natural log:
 * `P(w | h) = P(w | h)` when the n-gram `h w` is listed, otherwise `backoff(h) · P(w | h')`
 * with `h'` = `h` without its oldest word (a missing context has back-off 1). Sentences start
 * after `<s>` and end with `</s>` (when the model lists it; otherwise the end costs nothing).
 * Words the model lacks are scored as `<unk>` (see {@link NGramLanguageModelOptions}).
 *
 * @example
 * ```ts
 * const lm = NGramLanguageModel.fromArpa(arpaText, { vocabulary: [null, 'HELLO', 'WORLD'] });
 * lm.scoreTokens([1, 2]); // ln P(HELLO | <s>) + ln P(WORLD | <s> HELLO) + ln P(</s> | HELLO WORLD)
 * const hyps = await ctcBeamSearch(logProbs, undefined, { lm, lmWeight: 0.8 });
 * ```
 */
export class NGramLanguageModel implements LanguageModel<NGramState> {
  /** Highest n-gram order. */
  readonly order: number;
  private readonly table: NGramTable;
  /** Word of each word id. */
  private readonly wordList: string[];
  private readonly vocabulary: readonly (string | null)[] | undefined;
  private readonly tokensByWord = new Map<string, number>();
  private readonly unknownLogProb: number | undefined;
  /** Interned states by sequence id. */
  private readonly contexts = new Map<number, Context>();
  /** Word id of each token scored so far: -1 for a word the model lacks. */
  private readonly tokenWordIds = new Map<number, number>();
  private readonly unknownWordId: number;
  private readonly endWordId: number;
  private readonly start: Context;

  /**
   * Builds the model from a parsed ARPA file; see {@link NGramLanguageModel.fromArpa}.
   *
   * @example
   * ```ts
   * const lm = new NGramLanguageModel(parseArpa(arpaText), { vocabulary: [null, 'HELLO', 'WORLD'] });
   * ```
   */
  constructor(model: ArpaModel, options?: NGramLanguageModelOptions) {
    const fn = 'NGramLanguageModel';
    const { vocabulary, unknownLogProb } = checkOptions(fn, options);
    this.order = model.order;
    this.table = new NGramTable(model);
    this.wordList = [...this.table.wordIds.keys()];
    this.unknownWordId = this.unigram(UNKNOWN);
    this.endWordId = this.unigram(SENTENCE_END);
    if (
      unknownLogProb !== undefined &&
      (typeof unknownLogProb !== 'number' || !(unknownLogProb <= 0))
    ) {
      throw new ArgumentError(
        fn,
        'options.unknownLogProb',
        'be a natural-log probability <= 0',
        unknownLogProb,
      );
    }
    this.unknownLogProb = unknownLogProb;
    if (vocabulary !== undefined) {
      if (!Array.isArray(vocabulary)) {
        throw new ArgumentError(
          fn,
          'options.vocabulary',
          'be an array of words indexed by token id',
          vocabulary,
        );
      }
      vocabulary.forEach((word, token) => {
        if (word == null) return;
        if (typeof word !== 'string' || word === '' || /\s/.test(word)) {
          throw new ArgumentError(
            fn,
            'options.vocabulary',
            'hold non-empty words without whitespace (or null)',
            word,
            { actualText: `vocabulary[${token}] = ${JSON.stringify(word)}` },
          );
        }
        const first = this.tokensByWord.get(word);
        if (first !== undefined) {
          throw new ArgumentError(fn, 'options.vocabulary', 'hold distinct words', word, {
            actualText: `'${word}' as both token ${first} and token ${token}`,
          });
        }
        if (!this.hasWord(word) && this.unknownWordId < 0 && unknownLogProb === undefined) {
          throw new ArgumentError(
            fn,
            'options.vocabulary',
            `hold only words the language model has, as the model has no ${UNKNOWN} ` +
              '(pass options.unknownLogProb, or remove the word)',
            word,
            { actualText: `the word '${word}' (token ${token})` },
          );
        }
        this.tokensByWord.set(word, token);
      });
    }
    this.vocabulary = vocabulary;
    const start = this.unigram(SENTENCE_START);
    const startSequence = start >= 0 ? this.table.child(0, start) : -1;
    this.start = this.context(
      startSequence >= 0 && this.table.usable[startSequence] ? startSequence : 0,
    );
  }

  /**
   * Parses ARPA text (see {@link parseArpa}) into a model; throws on malformed input, naming
   * the line. `text` is the file's text, or its bytes (a `Uint8Array` or Node.js `Buffer`, as
   * `readFileSync` returns without an encoding), decoded as UTF-8.
   *
   * @example
   * ```ts
   * import { readFileSync } from 'node:fs';
   *
   * declare const glosses: string[]; // the word of each token id from 1 (0 is the blank)
   * const lm = NGramLanguageModel.fromArpa(readFileSync('glosses.arpa', 'utf8'), {
   *   vocabulary: [null, ...glosses],
   * });
   * ```
   */
  static fromArpa(
    text: string | Uint8Array,
    options?: NGramLanguageModelOptions,
  ): NGramLanguageModel {
    return new NGramLanguageModel(
      parseArpa(arpaText('NGramLanguageModel.fromArpa', text)),
      options,
    );
  }

  /**
   * The word of a token id, or `undefined` when the id is not a word (the blank, or past the
   * vocabulary).
   *
   * @example
   * ```ts
   * lm.wordOf(1); // 'HELLO'
   * ```
   */
  wordOf(token: number): string | undefined {
    if (this.vocabulary === undefined)
      return Number.isInteger(token) && token >= 0 ? String(token) : undefined;
    return this.vocabulary[token] ?? undefined;
  }

  /**
   * The token id of a word, or `undefined` when no token maps to it.
   *
   * @example
   * ```ts
   * lm.tokenOf('HELLO'); // 1
   * ```
   */
  tokenOf(word: string): number | undefined {
    if (this.vocabulary !== undefined) return this.tokensByWord.get(word);
    const token = Number(word);
    return Number.isInteger(token) && token >= 0 && String(token) === word ? token : undefined;
  }

  /**
   * Whether the model lists `word` as a unigram.
   *
   * @example
   * ```ts
   * lm.hasWord('<unk>'); // true for KenLM models
   * ```
   */
  hasWord(word: string): boolean {
    return this.unigram(word) >= 0;
  }

  /**
   * The history at the start of a sentence: `<s>`.
   *
   * @example
   * ```ts
   * lm.initialState().context; // ['<s>']
   * ```
   */
  initialState(): NGramState {
    return this.start;
  }

  /**
   * ln P(token | history) with back-off, and the history after it. Throws when the token has
   * no word in the vocabulary.
   *
   * @example
   * ```ts
   * const { logProb, state } = lm.score(lm.initialState(), 1); // ln P(HELLO | <s>)
   * ```
   */
  score(state: NGramState, token: number): LanguageModelScore<NGramState> {
    let word = this.tokenWordIds.get(token);
    if (word === undefined) {
      const text = this.wordOf(token);
      if (text === undefined) {
        const size = this.vocabulary?.length;
        const length = size === undefined ? '' : ` (length ${size})`;
        throw new ArgumentError(
          'NGramLanguageModel.score',
          'token',
          `be a token with a word in the vocabulary${length}`,
          token,
        );
      }
      word = this.unigram(text);
      if (word < 0 && this.unknownWordId < 0 && this.unknownLogProb === undefined) {
        throw new ArgumentError(
          'NGramLanguageModel.score',
          'token',
          `be a token whose word the language model has, as the model has no ${UNKNOWN} ` +
            '(pass options.unknownLogProb)',
          token,
          { actualText: `token ${token}, the word '${text}'` },
        );
      }
      this.tokenWordIds.set(token, word);
    }
    const history = this.intern(state);
    if (word < 0) {
      if (this.unknownLogProb !== undefined) {
        const next =
          this.unknownWordId >= 0 ? this.next(history, this.unknownWordId) : this.context(0);
        return { logProb: this.unknownLogProb, state: next };
      }
      word = this.unknownWordId;
    }
    return { logProb: this.logProb(history, word), state: this.next(history, word) };
  }

  /**
   * ln P(`</s>` | history); 0 when the model does not list `</s>`.
   *
   * @example
   * ```ts
   * lm.finish(lm.score(lm.initialState(), 1).state); // ln P(</s> | <s> HELLO)
   * ```
   */
  finish(state: NGramState): number {
    return this.endWordId >= 0 ? this.logProb(this.intern(state), this.endWordId) : 0;
  }

  /**
   * ln P of a whole token sequence from `<s>`, including `</s>` unless `endOfSentence` is
   * false.
   *
   * @example
   * ```ts
   * lm.scoreTokens([1, 2]);                          // with </s>
   * lm.scoreTokens([1, 2], { endOfSentence: false }); // without
   * ```
   */
  scoreTokens(tokens: readonly number[], options: { endOfSentence?: boolean } = {}): number {
    let state = this.initialState();
    let total = 0;
    for (const token of tokens) {
      const scored = this.score(state, token);
      total += scored.logProb;
      state = scored.state;
    }
    return options.endOfSentence === false ? total : total + this.finish(state);
  }

  /** ln P(word | history), backing off: ln P(w | h) = ln bow(h) + ln P(w | h minus its oldest word). */
  private logProb(history: Context, word: number): number {
    const { suffixes, suffixBackoffs } = history;
    let backoff = 0;
    for (let j = 0; j < suffixes.length; j++) {
      const ngram = suffixes[j] >= 0 ? this.table.child(suffixes[j], word) : -1;
      if (ngram >= 0 && !Number.isNaN(this.table.logProbs[ngram]))
        return backoff + this.table.logProbs[ngram];
      backoff += suffixBackoffs[j];
    }
    return -Infinity; // unreachable for a listed word: its unigram ends the loop
  }

  /** The state after `word` follows `history`: the longest usable suffix of both (at most `order - 1` words). */
  private next(history: Context, word: number): Context {
    const { suffixes } = history;
    for (let j = Math.max(0, suffixes.length - (this.order - 1)); j < suffixes.length; j++) {
      const sequence = suffixes[j] >= 0 ? this.table.child(suffixes[j], word) : -1;
      if (sequence >= 0 && this.table.usable[sequence]) return this.context(sequence);
    }
    return this.context(0);
  }

  /** The word id of a unigram, or -1 when the model does not list it. */
  private unigram(word: string): number {
    const id = this.table.wordIds.get(word);
    if (id === undefined) return -1;
    const sequence = this.table.child(0, id);
    return sequence >= 0 && !Number.isNaN(this.table.logProbs[sequence]) ? id : -1;
  }

  /** The interned equivalent of a state (states made elsewhere are reduced to their usable suffix). */
  private intern(state: NGramState): Context {
    if (state instanceof Context && state.table === this.table) return state;
    const words = state.context.map((word) => this.table.wordIds.get(word) ?? -1);
    for (let j = Math.max(0, words.length - (this.order - 1)); j < words.length; j++) {
      const sequence = words.slice(j).includes(-1) ? -1 : this.table.find(words.slice(j));
      if (sequence >= 0 && this.table.usable[sequence]) return this.context(sequence);
    }
    return this.context(0);
  }

  /** The interned state of a usable sequence (0 for the empty history). */
  private context(sequence: number): Context {
    let context = this.contexts.get(sequence);
    if (context === undefined) {
      context = new Context(this.table, sequence, this.wordList);
      this.contexts.set(sequence, context);
    }
    return context;
  }
}
