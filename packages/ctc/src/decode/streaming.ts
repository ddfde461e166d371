/**
 * Streaming CTC decoders: frames are pushed as they arrive, a partial result is available at
 * any time, and `finish()` gives what the offline decoder gives for the whole stream. The shape
 * of the API is begin / step / end as in flashlight's decoders (`createCtcStreaming…` begins,
 * `push` steps over a chunk of frames, `finish` ends).
 */
import type * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkOptions } from '@slr/core';
import { checkBlank, isTensorLike, readSyncIfPossible } from '../checks';
import { GreedyPath } from './greedy-path';
import { PrefixBeamSearch, resolveBeamSearchOptions } from './prefix-search';
import type { CtcBeamSearchOptions, CtcGreedyDecodeOptions, CtcHypothesis } from './types';

/**
 * A chunk of log-probabilities of ONE stream, `t >= 0` frames (0 is allowed and does
 * nothing): a float32 `[t, V]` `tf.Tensor2D`, a `[t, 1, V]` `tf.Tensor3D` (a batch of one, as
 * a time-major model gives it), or a `Float32Array` of `t * V` values, frame after frame (what
 * `await tensor.data()` gives). `V` is the decoder's `classes`. A tensor is read synchronously
 * (always possible on the `cpu` backend); for a tensor on a GPU, push `await chunk.data()`.
 * The decoder never disposes a chunk and keeps no reference to it.
 */
export type CtcStreamChunk = tf.Tensor2D | tf.Tensor3D | Float32Array;

/** The best hypothesis of a stream so far, as `partial()` returns it. */
export interface CtcStreamingHypothesis extends CtcHypothesis {
  /**
   * How many leading tokens (with their frames) are final: every hypothesis `finish()` can
   * still return starts with them, whatever frames come next. For the greedy decoder, all.
   */
  stableTokens: number;
}

/** Sizes of a streaming beam search's state, to check that it stays bounded. */
export interface CtcStreamingStats {
  /** Frames pushed since the decoder was made or reset. */
  frames: number;
  /**
   * Tokens moved out of the per-prefix state because every prefix of the beam has them (kept
   * only as the transcript `finish()` returns).
   */
  committedTokens: number;
  /** Prefixes held: the beam, the prefixes between it and the committed one, cached extensions. */
  prefixes: number;
  /** Emission records held: frames of tokens that the beam's best paths do not all share yet. */
  emissionRecords: number;
  /**
   * Times the beam was made to agree with its best prefix on tokens more than
   * `maxPendingTokens` back (hypotheses dropped, or frames of old tokens rewritten). While 0,
   * `finish()` equals `ctcBeamSearch`'s result exactly.
   */
  forcedCommits: number;
}

/** What both streaming decoders do. `Final` is what `finish()` returns. */
export interface CtcStreamingDecoder<Final> {
  /** V: the classes of every frame, blank included. */
  readonly classes: number;
  /** Frames pushed since the decoder was made or reset. */
  readonly frames: number;
  /**
   * Decodes the frames of `logProbs` (see {@link CtcStreamChunk}), after those pushed before.
   * A chunk that is not valid (wrong shape or class count, a NaN) throws an `ArgumentError`
   * before any of its frames is decoded, and the decoder stays usable; after `finish()`, push
   * throws until `reset()`.
   */
  push(logProbs: CtcStreamChunk): void;
  /** The best hypothesis so far, without ending the stream (no end-of-sentence LM score). */
  partial(): CtcStreamingHypothesis;
  /** Ends the stream and returns its result; later calls but `reset()` throw. */
  finish(): Final;
  /** Starts a new stream with the same options (the state of the last one is dropped). */
  reset(): void;
}

/** A streaming prefix beam search; see {@link createCtcStreamingBeamSearch}. */
export interface CtcStreamingBeamSearch extends CtcStreamingDecoder<CtcHypothesis[]> {
  /** Sizes of the state (they do not grow with the stream; see {@link createCtcStreamingBeamSearch}). */
  stats(): CtcStreamingStats;
}

/** A streaming greedy decoder; see {@link createCtcStreamingGreedyDecoder}. */
export type CtcStreamingGreedyDecoder = CtcStreamingDecoder<CtcHypothesis>;

/** Default {@link CtcStreamingBeamSearchOptions.maxPendingTokens}. */
export const DEFAULT_MAX_PENDING_TOKENS = 32;

/** Options of {@link createCtcStreamingBeamSearch}: `ctcBeamSearch`'s, and the class count. */
export interface CtcStreamingBeamSearchOptions extends CtcBeamSearchOptions {
  /** V: classes per frame, blank included (an integer >= 1). Required. */
  classes: number;
  /**
   * Most tokens the best prefix may have past the committed ones (those every prefix of the
   * beam shares): beyond, the beam keeps only the prefixes that agree with the best one on all
   * but its last `maxPendingTokens` tokens, and their paths take the best path's frames for
   * the older tokens (flashlight's decoders prune their look-back the same way). This bounds
   * the state; `stats().forcedCommits` counts the times it changed anything, and while it is
   * 0 the result is exactly `ctcBeamSearch`'s. An integer >= 1, or `Infinity` for an exact
   * search whose state may grow while the beam disagrees about old tokens. Default
   * {@link DEFAULT_MAX_PENDING_TOKENS}.
   */
  maxPendingTokens?: number;
}

/** Options of {@link createCtcStreamingGreedyDecoder}: `ctcGreedyDecode`'s, and the class count. */
export interface CtcStreamingGreedyDecoderOptions extends CtcGreedyDecodeOptions {
  /** V: classes per frame, blank included (an integer >= 1). Required. */
  classes: number;
}

const CHUNK_KINDS =
  'be a float32 [frames, classes] Tensor2D, a [frames, 1, classes] Tensor3D or a Float32Array';

/**
 * Checks a chunk and returns its values, `frames * classes` of them, frame after frame. Throws
 * an `ArgumentError` naming `fn` for anything else, and for a NaN or +Infinity (the offline
 * decoders rank a NaN as impossible; a stream fails loudly instead, naming the frame).
 */
function readChunk(
  fn: string,
  chunk: unknown,
  classes: number,
  framesBefore: number,
): { data: Float32Array; frames: number } {
  let data: Float32Array;
  if (chunk instanceof Float32Array) {
    if (chunk.length % classes !== 0) {
      throw new ArgumentError(
        fn,
        'logProbs',
        `hold whole frames of ${classes} classes (options.classes): a length that is a multiple of ${classes}`,
        chunk,
        { actualText: `a Float32Array of length ${chunk.length}` },
      );
    }
    data = chunk;
  } else if (isTensorLike(chunk)) {
    if (chunk.dtype !== 'float32') throw new ArgumentError(fn, 'logProbs', 'be float32', chunk);
    if (chunk.rank !== 2 && chunk.rank !== 3)
      throw new ArgumentError(fn, 'logProbs', CHUNK_KINDS, chunk);
    if (chunk.rank === 3 && chunk.shape[1] !== 1) {
      throw new ArgumentError(
        fn,
        'logProbs',
        'have a batch of 1 ([frames, 1, classes]): a streaming decoder decodes one stream',
        chunk,
      );
    }
    if (chunk.shape[chunk.rank - 1] !== classes) {
      throw new ArgumentError(
        fn,
        'logProbs',
        `have ${classes} classes (options.classes) in its last dimension`,
        chunk,
      );
    }
    const values = readSyncIfPossible(chunk);
    if (values === undefined) {
      throw new ArgumentError(
        fn,
        'logProbs',
        'be readable synchronously, which this tensor (on a GPU) is not: push ' +
          '`await logProbs.data()` (a Float32Array) instead',
        chunk,
      );
    }
    data = values instanceof Float32Array ? values : Float32Array.from(values);
  } else {
    throw new ArgumentError(fn, 'logProbs', CHUNK_KINDS, chunk);
  }
  for (let i = 0; i < data.length; i++) {
    if (!(data[i] < Infinity)) {
      const frame = Math.floor(i / classes);
      throw new ArgumentError(
        fn,
        'logProbs',
        'hold log-probabilities (numbers below Infinity; -Infinity for impossible)',
        data[i],
        {
          actualText:
            `${data[i]} at frame ${frame} of the chunk (frame ${framesBefore + frame} of the ` +
            `stream), class ${i % classes}`,
        },
      );
    }
  }
  return { data, frames: data.length / classes };
}

/** The state machine both decoders share: open, finished, or broken by an error partway. */
abstract class StreamingDecoder<Final> implements CtcStreamingDecoder<Final> {
  private state: 'open' | 'finished' | 'failed' = 'open';
  private failure: unknown;

  protected constructor(
    private readonly name: string,
    readonly classes: number,
  ) {}

  abstract get frames(): number;
  protected abstract stepFrames(data: Float32Array, frames: number): void;
  protected abstract best(): CtcStreamingHypothesis;
  protected abstract result(): Final;
  protected abstract restart(): void;

  private checkOpen(method: string): void {
    if (this.state === 'finished') {
      throw new Error(
        `${this.name}.${method}: the stream is finished (finish() was called); call reset() to ` +
          'decode a new stream.',
      );
    }
    if (this.state === 'failed') {
      const cause = this.failure instanceof Error ? this.failure.message : String(this.failure);
      throw new Error(
        `${this.name}.${method}: an earlier call failed partway through a chunk, so the ` +
          `decoder's state is incomplete; call reset() to decode a new stream. (${cause})`,
        { cause: this.failure },
      );
    }
  }

  push(logProbs: CtcStreamChunk): void {
    this.checkOpen('push');
    const { data, frames } = readChunk(`${this.name}.push`, logProbs, this.classes, this.frames);
    try {
      this.stepFrames(data, frames);
    } catch (error) {
      this.state = 'failed';
      this.failure = error;
      throw error;
    }
  }

  partial(): CtcStreamingHypothesis {
    this.checkOpen('partial');
    return this.best();
  }

  finish(): Final {
    this.checkOpen('finish');
    try {
      const result = this.result();
      this.state = 'finished';
      return result;
    } catch (error) {
      this.state = 'failed';
      this.failure = error;
      throw error;
    }
  }

  reset(): void {
    this.restart();
    this.state = 'open';
    this.failure = undefined;
  }
}

class StreamingBeamSearch
  extends StreamingDecoder<CtcHypothesis[]>
  implements CtcStreamingBeamSearch
{
  constructor(
    classes: number,
    private readonly search: PrefixBeamSearch,
  ) {
    super('CtcStreamingBeamSearch', classes);
  }

  get frames(): number {
    return this.search.stats().frames;
  }

  protected stepFrames(data: Float32Array, frames: number): void {
    for (let t = 0; t < frames; t++) this.search.step(data, t * this.classes);
  }

  protected best(): CtcStreamingHypothesis {
    return this.search.best();
  }

  protected result(): CtcHypothesis[] {
    return this.search.finish();
  }

  protected restart(): void {
    this.search.reset();
  }

  stats(): CtcStreamingStats {
    return this.search.stats();
  }
}

class StreamingGreedyDecoder
  extends StreamingDecoder<CtcHypothesis>
  implements CtcStreamingGreedyDecoder
{
  constructor(
    classes: number,
    private readonly path: GreedyPath,
  ) {
    super('CtcStreamingGreedyDecoder', classes);
  }

  get frames(): number {
    return this.path.t;
  }

  protected stepFrames(data: Float32Array, frames: number): void {
    for (let t = 0; t < frames; t++) this.path.step(data, t * this.classes);
  }

  protected best(): CtcStreamingHypothesis {
    return { ...this.path.hypothesis(), stableTokens: this.path.tokens.length };
  }

  protected result(): CtcHypothesis {
    return this.path.hypothesis();
  }

  protected restart(): void {
    this.path.reset();
  }
}

/** Checks `options` and its `classes` and `blank`. */
function checkStreamingOptions<T extends { classes: number; blank?: number }>(
  fn: string,
  options: T | undefined,
): { checked: T; classes: number; blank: number } {
  const checked = checkOptions<T>(fn, options);
  const classes = checkInteger(fn, 'options.classes', checked.classes, { min: 1 });
  const blank = checkBlank(fn, checked.blank ?? 0, classes);
  return { checked, classes, blank };
}

/**
 * A CTC prefix beam search over a stream of frames (begin / step / end, as flashlight's
 * decoders): `push` chunks of `[t, V]` log-probabilities as they arrive (see
 * {@link CtcStreamChunk}; any chunking, empty chunks included), read the best hypothesis so
 * far with `partial()`, and end with `finish()`, which returns what `ctcBeamSearch` returns
 * for the whole stream as one batch item (same hypotheses, frames and scores, bit for bit,
 * whatever the chunking, as long as `stats().forcedCommits` is 0, see below): both run the
 * same per-frame step. The options are `ctcBeamSearch`'s (beam width, n-best, `tokenCutoff`,
 * `pruneLogProb`, LM, weights; same defaults) plus the required `classes` and
 * `maxPendingTokens`. A NaN or +Infinity in a chunk throws (`ctcBeamSearch` ranks a NaN as
 * impossible).
 *
 * Bounded state: once every prefix of the beam starts with the same tokens, those tokens are
 * committed: moved out of the per-prefix state (the committed prefix keeps only its LM state,
 * which for an n-gram model is its last `order - 1` words), and so are the emission frames that
 * all of the beam's best paths share; prefixes that no later frame can reach are dropped. A
 * beam of the top `beamWidth` prefixes can, however, keep an alternative that differs from the
 * best in a token long past (its score then trails by a constant), so beyond
 * `maxPendingTokens` uncommitted tokens the beam is made to agree with its best prefix on the
 * older ones (which is where an exact search and this one can differ; `stats().forcedCommits`
 * counts it). The state (see `stats()`) is thus at most a few times `beamWidth · (V +
 * maxPendingTokens)` prefixes and records, independent of the stream's length; only the
 * committed transcript (the `tokens`/`frames` that `finish()` returns) grows with it.
 * `partial().stableTokens` says how many leading tokens are final. The search creates no
 * tensors.
 *
 * @param options See {@link CtcStreamingBeamSearchOptions}.
 * @returns A decoder for one stream at a time.
 *
 * @example
 * ```ts
 * const decoder = createCtcStreamingBeamSearch({ classes: 1296, beamWidth: 10, lm });
 * declare const chunks: AsyncIterable<tf.Tensor2D>; // [t, 1296] log-probabilities per chunk
 * for await (const chunk of chunks) {
 *   decoder.push(await chunk.data<'float32'>()); // a Float32Array: works on every backend
 *   chunk.dispose();
 *   const { tokens, stableTokens } = decoder.partial();
 *   console.log(tokens.slice(0, stableTokens).map((id) => lm.wordOf(id)).join(' '));
 * }
 * const [best] = decoder.finish(); // what ctcBeamSearch gives on the whole stream
 * ```
 */
export function createCtcStreamingBeamSearch(
  options: CtcStreamingBeamSearchOptions,
): CtcStreamingBeamSearch {
  const fn = 'createCtcStreamingBeamSearch';
  const { checked, classes, blank } = checkStreamingOptions(fn, options);
  const resolved = resolveBeamSearchOptions(fn, checked, blank);
  const maxPendingTokens = checked.maxPendingTokens ?? DEFAULT_MAX_PENDING_TOKENS;
  if (
    !(Number.isInteger(maxPendingTokens) || maxPendingTokens === Infinity) ||
    maxPendingTokens < 1
  )
    throw new ArgumentError(
      fn,
      'options.maxPendingTokens',
      'be an integer >= 1 or Infinity',
      maxPendingTokens,
    );
  return new StreamingBeamSearch(
    classes,
    new PrefixBeamSearch(fn, classes, resolved, maxPendingTokens),
  );
}

/**
 * Greedy (best-path) CTC decoding over a stream of frames: `push` chunks of `[t, V]`
 * log-probabilities (see {@link CtcStreamChunk}), read the path so far with `partial()` (every
 * token of it is final), end with `finish()`, which returns exactly what `ctcGreedyDecode`
 * returns for the whole stream (both run the same per-frame step). Repeats collapse across
 * chunk boundaries: a token whose run is split between two chunks is emitted once, a token
 * repeated after a blank twice. State: the last frame's token and the transcript. A NaN in a
 * chunk throws (where `ctcGreedyDecode` never picks it).
 *
 * @param options `classes` (V, required) and `blank` (default 0).
 * @returns A decoder for one stream at a time.
 *
 * @example
 * ```ts
 * const decoder = createCtcStreamingGreedyDecoder({ classes: 2 });
 * decoder.push(tf.tensor2d([[-0.1, -2.4], [-2.4, -0.1]])); // frames 0 and 1
 * decoder.push(new Float32Array([-2.4, -0.1])); // frame 2 repeats token 1: collapsed
 * decoder.partial().tokens; // [1]
 * const best = decoder.finish(); // tokens [1], frames [1], as ctcGreedyDecode
 * ```
 */
export function createCtcStreamingGreedyDecoder(
  options: CtcStreamingGreedyDecoderOptions,
): CtcStreamingGreedyDecoder {
  const fn = 'createCtcStreamingGreedyDecoder';
  const { classes, blank } = checkStreamingOptions(fn, options);
  return new StreamingGreedyDecoder(classes, new GreedyPath(classes, blank));
}
