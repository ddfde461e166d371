/**
 * The synthetic corpus: a vocabulary of signs, signers, a sentence grammar with held-out
 * compositions, and per-split sample specs that render to {@link SignSample}s on demand.
 */
import {
  ArgumentError,
  checkBoolean,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkOptions,
} from '@slr/core';
import type { SignSample, Split } from '../types';
import { GlossVocabulary } from '../vocabulary';
import { checkGlossList, isArray } from '../checks';
import { checkGrammarOptions, checkRenderOptions, checkSignOptions } from './checks';
import { syntheticGlossNames } from './glosses';
import { createSyntheticGrammar, type SyntheticGrammar } from './grammar';
import { mixSeed, Mulberry32 } from './random';
import { renderSyntheticVideo, type SyntheticRenderOptions } from './render';
import { generateSyntheticSigners, type SyntheticSigner } from './signers';
import { generateSyntheticSigns, type SyntheticSign } from './signs';
import { planSyntheticTimeline, type SyntheticTimeline } from './timeline';

/** Options of {@link generateSignCorpus}; every field is optional. */
export interface SignCorpusOptions {
  /** Seed of everything (default 0): the same options always give the same corpus. */
  seed?: number;
  /** Vocabulary size G (default 20; at least 2; PHOENIX-2014 has 1,295). Ignored when `glossNames` is given. */
  glosses?: number;
  /** Explicit gloss names (ids follow this order); default {@link syntheticGlossNames}(G). */
  glossNames?: readonly string[];
  /** In [0, 1] (default 0.3): how close the nearest signs are (see {@link SyntheticSignOptions.difficulty}). */
  difficulty?: number;
  /** Signs per family of similar signs (default 3). */
  familySize?: number;
  /** Number of signers (default 9, as PHOENIX); every split uses all of them. */
  signers?: number;
  /** Samples in train (default 1000). */
  trainSamples?: number;
  /** Samples in dev (default 100). */
  devSamples?: number;
  /** Samples in test (default 100). */
  testSamples?: number;
  /** Successors per gloss in the bigram grammar (default 8). */
  successors?: number;
  /** Fraction of bigrams held out of train for dev and test (default 0.1; see {@link SyntheticGrammar}). */
  heldOutFraction?: number;
  /** Longest sentence, 2 … 8 glosses (default 8; shorter sentences make quicker experiments). */
  maxSentenceLength?: number;
  /**
   * Make train sentence i (i < G) contain gloss π(i), for a seeded permutation π, so every
   * gloss occurs in train when `trainSamples ≥ G` (default true).
   */
  coverAllGlosses?: boolean;
}

/**
 * A sample before rendering: everything needed to render it, and nothing heavy. Rendering
 * it with the same {@link SyntheticRenderOptions} always gives the same frames.
 *
 * @example
 * ```ts
 * const spec: SyntheticSampleSpec = corpus.splits.dev[0];
 * spec.glosses; // e.g. ['MORGEN', 'NORD', 'REGEN']
 * ```
 */
export interface SyntheticSampleSpec {
  /** `train_000042`, `dev_000007`, … (`custom_…` for {@link SyntheticSignCorpus.specFor}). */
  id: string;
  /** The split it belongs to. */
  split: Split;
  /** Position in its split. */
  index: number;
  /** The sentence. */
  glosses: string[];
  /** Its ids in {@link SyntheticSignCorpus.vocabulary} (≥ 1). */
  glossIds: number[];
  /** Signer id (`Signer01` …). */
  signer: string;
  /** Index of the signer in {@link SyntheticSignCorpus.signers}. */
  signerIndex: number;
  /** Seed of this sample's variation: timing, placement / lighting jitter and pixel noise. */
  seed: number;
}

const SPLITS: readonly Split[] = ['train', 'dev', 'test'];
const SPLIT_CODE: Record<Split, number> = { train: 1, dev: 2, test: 3 };

/**
 * A generated synthetic corpus (see {@link generateSignCorpus}). Holds only specs; frames are
 * rendered per sample, on demand.
 *
 * @example
 * ```ts
 * const corpus = generateSignCorpus({ seed: 1, glosses: 50 });
 * for (const sample of corpus.samples('dev', { height: 112, width: 112 })) {
 *   console.log(sample.id, sample.glosses.join(' '));
 * }
 * ```
 */
export class SyntheticSignCorpus {
  /** The options with every default filled in. */
  readonly options: Readonly<Required<Omit<SignCorpusOptions, 'glossNames'>>>;
  /** The glosses' vocabulary (`GlossVocabulary.ordered`: gloss i has id i + 1, blank is 0). */
  readonly vocabulary: GlossVocabulary;
  /** The sign of every gloss, index = id − 1. */
  readonly signs: readonly SyntheticSign[];
  /** The signers, `Signer01` first. */
  readonly signers: readonly SyntheticSigner[];
  /** The sentence grammar (gloss indices = id − 1), with the held-out bigrams. */
  readonly grammar: SyntheticGrammar;
  /** Sample specs of each split. */
  readonly splits: Readonly<Record<Split, readonly SyntheticSampleSpec[]>>;

  constructor(options: SignCorpusOptions = {}) {
    const fn = 'generateSignCorpus';
    const given = checkOptions(fn, options);
    let names: string[];
    if (given.glossNames !== undefined) {
      if (!isArray(given.glossNames))
        throw new ArgumentError(
          fn,
          'options.glossNames',
          'be an array of glosses',
          given.glossNames,
        );
      checkGlossList(given.glossNames, '<blank>', { fn, argument: 'options.glossNames' });
      names = [...given.glossNames];
    } else {
      names = syntheticGlossNames(
        checkInteger(fn, 'options.glosses', given.glosses ?? 20, { min: 2 }),
      );
    }
    const signOptions = checkSignOptions(given, fn);
    const grammarOptions = checkGrammarOptions(names.length, given, fn, 'options.glossNames');
    this.options = {
      seed: signOptions.seed,
      glosses: names.length,
      difficulty: signOptions.difficulty,
      familySize: signOptions.familySize,
      signers: checkInteger(fn, 'options.signers', given.signers ?? 9, { min: 1 }),
      trainSamples: checkInteger(fn, 'options.trainSamples', given.trainSamples ?? 1000, {
        min: 0,
      }),
      devSamples: checkInteger(fn, 'options.devSamples', given.devSamples ?? 100, { min: 0 }),
      testSamples: checkInteger(fn, 'options.testSamples', given.testSamples ?? 100, { min: 0 }),
      successors: grammarOptions.successors,
      heldOutFraction: grammarOptions.heldOutFraction,
      maxSentenceLength: grammarOptions.maxSentenceLength,
      coverAllGlosses: checkBoolean(fn, 'options.coverAllGlosses', given.coverAllGlosses ?? true),
    };
    const o = this.options;
    this.vocabulary = GlossVocabulary.ordered(names);
    this.signs = generateSyntheticSigns(names, {
      seed: mixSeed(o.seed, 1),
      difficulty: o.difficulty,
      familySize: o.familySize,
    });
    this.signers = generateSyntheticSigners(o.signers, mixSeed(o.seed, 2));
    this.grammar = createSyntheticGrammar(names, {
      seed: mixSeed(o.seed, 3),
      successors: o.successors,
      heldOutFraction: o.heldOutFraction,
      maxSentenceLength: o.maxSentenceLength,
    });
    for (const split of ['dev', 'test'] as const) {
      const count = split === 'dev' ? o.devSamples : o.testSamples;
      if (count > 0 && this.grammar.heldOut[split].length === 0) {
        throw new ArgumentError(
          fn,
          `options.${split}Samples`,
          `be 0 when the grammar holds out no ${split} bigrams (raise options.heldOutFraction or the gloss count)`,
          count,
        );
      }
    }
    const pivots = o.coverAllGlosses
      ? new Mulberry32(mixSeed(o.seed, 4)).shuffle([...names.keys()])
      : [];
    const counts: Record<Split, number> = {
      train: o.trainSamples,
      dev: o.devSamples,
      test: o.testSamples,
    };
    const splits = {} as Record<Split, SyntheticSampleSpec[]>;
    for (const split of SPLITS) {
      splits[split] = Array.from({ length: counts[split] }, (_, index) => {
        const seed = mixSeed(o.seed, SPLIT_CODE[split], index);
        const pivot = split === 'train' ? pivots[index] : undefined;
        const sentence = this.grammar.sample(split, mixSeed(seed, 5), pivot);
        const signerIndex = new Mulberry32(mixSeed(seed, 6)).int(this.signers.length);
        return {
          id: `${split}_${String(index).padStart(6, '0')}`,
          split,
          index,
          glosses: sentence.map((g) => names[g]),
          glossIds: sentence.map((g) => g + 1),
          signer: this.signers[signerIndex].id,
          signerIndex,
          seed,
        };
      });
    }
    this.splits = splits;
  }

  /**
   * A spec for any gloss sentence (not part of a split), e.g. to render single signs.
   * `signer` is an index or an id (default 0); `seed` defaults to 0.
   *
   * @example
   * ```ts
   * const spec = corpus.specFor(['REGEN'], { signer: 'Signer02', seed: 5 });
   * const sample = corpus.renderSample(spec, { height: 64, width: 64 });
   * ```
   */
  specFor(
    glosses: readonly string[],
    options: { signer?: number | string; seed?: number; id?: string; split?: Split } = {},
  ): SyntheticSampleSpec {
    const fn = 'SyntheticSignCorpus.specFor';
    if (!isArray(glosses))
      throw new ArgumentError(fn, 'glosses', 'be an array of glosses', glosses);
    glosses.forEach((gloss, index) => {
      if (!this.vocabulary.has(gloss)) {
        throw new ArgumentError(
          fn,
          `glosses[${index}]`,
          `be a gloss of the corpus (${this.vocabulary.glosses.length} glosses)`,
          gloss,
        );
      }
    });
    const { signer, seed = 0 } = checkOptions(fn, options);
    const signerIndex =
      typeof signer === 'string'
        ? this.signers.findIndex((candidate) => candidate.id === signer)
        : (signer ?? 0);
    if (!Number.isInteger(signerIndex) || !this.signers[signerIndex]) {
      throw new ArgumentError(
        fn,
        'options.signer',
        `be a signer index in [0, ${this.signers.length - 1}] or the id of one ('Signer01' …)`,
        signer,
      );
    }
    checkInteger(fn, 'options.seed', seed);
    return {
      id: options.id ?? `custom_${seed}_${glosses.join('-')}`.slice(0, 120),
      split: options.split ?? 'test',
      index: -1,
      glosses: [...glosses],
      glossIds: this.vocabulary.encode(glosses),
      signer: this.signers[signerIndex].id,
      signerIndex,
      seed,
    };
  }

  /**
   * The timing of a spec at `fps` (the spans {@link renderSample} returns, plus core sign frames).
   *
   * @example
   * ```ts
   * corpus.timeline(corpus.splits.train[0], 25).coreSpans;
   * ```
   */
  timeline(spec: SyntheticSampleSpec, fps = 25): SyntheticTimeline {
    const fn = 'SyntheticSignCorpus.timeline';
    checkNumber(fn, 'fps', fps, { min: 0, minExclusive: true });
    const signs = this.signsOf(spec, fn, 'spec');
    return planSyntheticTimeline(signs, this.signers[spec.signerIndex], spec.seed, fps);
  }

  /**
   * Renders a spec into a {@link SignSample} (frames `[T, H, W, 3]`, glosses, ids, spans, and
   * keypoints when asked).
   *
   * @example
   * ```ts
   * const sample = corpus.renderSample(corpus.splits.train[0], { height: 224, width: 224, fps: 25, keypoints: true });
   * ```
   */
  renderSample(spec: SyntheticSampleSpec, options: SyntheticRenderOptions = {}): SignSample {
    const fn = 'SyntheticSignCorpus.renderSample';
    checkRenderOptions(options, fn);
    const signs = this.signsOf(spec, fn, 'spec');
    return renderSyntheticVideo(
      {
        id: spec.id,
        signs,
        glossIds: spec.glossIds,
        signer: this.signers[spec.signerIndex],
        seed: spec.seed,
      },
      options,
    );
  }

  /**
   * Renders a split's samples one at a time, in order (only one sample's frames are alive
   * unless the caller keeps them).
   *
   * @example
   * ```ts
   * let frames = 0;
   * for (const sample of corpus.samples('train', { height: 112, width: 112 })) {
   *   frames += sample.frameShape[0];
   * }
   * ```
   */
  *samples(
    split: Split,
    options: SyntheticRenderOptions = {},
  ): Generator<SignSample, void, undefined> {
    checkOneOf('SyntheticSignCorpus.samples', 'split', split, SPLITS);
    checkRenderOptions(options, 'SyntheticSignCorpus.samples');
    for (const spec of this.splits[split]) yield this.renderSample(spec, options);
  }

  /**
   * The same as {@link samples}, as an async iterator that yields to the event loop between
   * samples (so a long render does not starve timers and I/O).
   *
   * @example
   * ```ts
   * for await (const sample of corpus.stream('dev', { height: 224, width: 224 })) {
   *   console.log(sample.id, sample.frameShape); // timers and I/O run between samples
   * }
   * ```
   */
  async *stream(
    split: Split,
    options: SyntheticRenderOptions = {},
  ): AsyncGenerator<SignSample, void, undefined> {
    checkOneOf('SyntheticSignCorpus.stream', 'split', split, SPLITS);
    checkRenderOptions(options, 'SyntheticSignCorpus.stream');
    for (const spec of this.splits[split]) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      yield this.renderSample(spec, options);
    }
  }

  /** The signs of `spec`, after checking it against the corpus (`fn` and `argument` for errors). */
  private signsOf(spec: SyntheticSampleSpec, fn: string, argument: string): SyntheticSign[] {
    if (spec == null || typeof spec !== 'object')
      throw new ArgumentError(fn, argument, 'be a SyntheticSampleSpec', spec);
    if (!Number.isInteger(spec.signerIndex) || !this.signers[spec.signerIndex]) {
      throw new ArgumentError(
        fn,
        `${argument}.signerIndex`,
        `be a signer index of the corpus, in [0, ${this.signers.length - 1}]`,
        spec.signerIndex,
      );
    }
    if (
      !isArray(spec.glossIds) ||
      !isArray(spec.glosses) ||
      spec.glossIds.length !== spec.glosses.length ||
      spec.glosses.length === 0
    ) {
      throw new ArgumentError(
        fn,
        `${argument}.glossIds`,
        `hold one id per gloss of ${argument}.glosses (at least one)`,
        spec.glossIds,
      );
    }
    checkInteger(fn, `${argument}.seed`, spec.seed);
    return spec.glossIds.map((id, i) => {
      const sign = this.signs[id - 1];
      if (!sign || sign.gloss !== spec.glosses[i]) {
        throw new ArgumentError(
          fn,
          `${argument}.glossIds[${i}]`,
          `be the id of ${argument}.glosses[${i}], '${spec.glosses[i]}', in this corpus`,
          id,
          { actualText: `${id}, which is ${sign ? `'${sign.gloss}'` : 'no gloss'}` },
        );
      }
      return sign;
    });
  }
}

/**
 * Generates a synthetic continuous sign-language corpus (specs only; see
 * {@link SyntheticSignCorpus}). Deterministic for the options.
 *
 * - Glosses: {@link syntheticGlossNames} (PHOENIX-style words, then `GLOSS_nnnn`), ids from
 *   `GlossVocabulary.ordered`.
 * - Signs: {@link generateSyntheticSigns} with `difficulty` and `familySize`.
 * - Sentences: 1–8 glosses from {@link SyntheticGrammar}. Held-out rule: a fraction
 *   `heldOutFraction` of the grammar's bigrams is held out; train never contains one, every dev
 *   (test) sentence contains a dev (test) bigram and no test (dev) one — so no dev or test
 *   sentence occurs in train.
 * - Samples: a signer and a seed each; render with {@link SyntheticSignCorpus.renderSample}.
 *
 * @example
 * ```ts
 * const corpus = generateSignCorpus({ seed: 42, glosses: 1295, difficulty: 0.5 });
 * corpus.vocabulary.size;       // 1296 (blank included)
 * corpus.splits.test.length;    // 100
 * const sample = corpus.renderSample(corpus.splits.test[0], { height: 112, width: 112, keypoints: true });
 * ```
 */
export function generateSignCorpus(options: SignCorpusOptions = {}): SyntheticSignCorpus {
  return new SyntheticSignCorpus(options);
}
