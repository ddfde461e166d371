/**
 * A streaming batch pipeline for CTC training: source → shuffle buffer → augmentation →
 * grouping (plain, or bucketed by length) → {@link makeBatch} → bounded prefetch.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkBoolean, checkInteger, checkOptions } from '@slr/core';
import type { SignSample } from '../types';
import type { AugmentOptions } from './augment';
import { applyAugmentation } from './augment-impl';
import { buildBatch } from './build-batch';
import { type MakeBatchOptions, type SignBatch, disposeBatch } from './make-batch';
import { SeededRandom } from './random';
import {
  checkAugmentOptions,
  checkMakeBatchOptions,
  checkSafeInteger,
  checkSample,
} from './sample-checks';

/**
 * How {@link batches} groups samples of similar length to cut padding (padding costs compute
 * and memory: a batch is as long as its longest sample). Either:
 *
 * - `{ boundaries: [b1, b2, …] }` (strictly increasing positive integers): bucket 0 holds
 *   samples with T < b1, bucket i those with b_i ≤ T < b_(i+1), the last those with T ≥ the
 *   last boundary. A bucket becomes a batch as soon as it holds `batchSize` samples; at the end
 *   the partial buckets are emitted in bucket order (or dropped with `dropRemainder`, which can
 *   then drop up to `(buckets) · (batchSize − 1)` samples). Holds at most that many samples.
 * - `{ sortWindow: n }`: takes `n · batchSize` samples from the (shuffled) stream, sorts them
 *   by T (stable, so ties keep the shuffled order), cuts them into n batches and emits those in
 *   a random order (in sorted order without `shuffle`). Only the very last batch of an epoch can
 *   be partial. Holds at most `n · batchSize` samples.
 *
 * Both see samples after the shuffle buffer, so randomness comes from shuffling and the
 * grouping only picks which shuffled samples share a batch.
 *
 * @example
 * ```ts
 * const sorted = batches(trainSamples, { batchSize: 8, shuffle: true, bucketing: { sortWindow: 16 } });
 * const bucketed = batches(trainSamples, {
 *   batchSize: 8,
 *   shuffle: true,
 *   bucketing: { boundaries: [64, 128, 192] }, // T < 64, 64 ≤ T < 128, 128 ≤ T < 192, T ≥ 192
 * });
 * ```
 */
export type BucketingOptions =
  | {
      /** Ascending frame-count boundaries between buckets. */
      boundaries: number[];
      /** Absent. */
      sortWindow?: undefined;
    }
  | {
      /** Batches per sorted window. */
      sortWindow: number;
      /** Absent. */
      boundaries?: undefined;
    };

/**
 * Options of {@link batches}: the batch options of {@link makeBatch} (`padTo`, `keypoints`,
 * `vocabulary`) plus the pipeline's own.
 */
export interface BatchesOptions extends MakeBatchOptions {
  /** Samples per batch, a positive integer. */
  batchSize: number;
  /** Shuffle the samples (through a buffer of `shuffleBuffer` samples). Default false: source order. */
  shuffle?: boolean;
  /** Seed of shuffling, bucket order and augmentation (a safe integer). Default 0. */
  seed?: number;
  /**
   * Epoch index (a non-negative integer), mixed with `seed`: each epoch gets its own order and
   * augmentation, and the same `(seed, epoch)` always the same ones. Default 0.
   */
  epoch?: number;
  /**
   * Samples held for shuffling (a positive integer). A sample is emitted, drawn uniformly from
   * the buffer, whenever the buffer is full, so a buffer at least as large as the source gives
   * a uniform permutation and a buffer of 1 keeps the source order. Default: the array's length
   * for an array source (it is in memory already; only references are held), otherwise
   * `4 · batchSize` (a lazy source's samples are only read as the buffer needs them). Ignored
   * without `shuffle`.
   */
  shuffleBuffer?: number;
  /** Group samples of similar length; see {@link BucketingOptions}. Default: none (consecutive samples). */
  bucketing?: BucketingOptions;
  /** Drop batches with fewer than `batchSize` samples. Default false. */
  dropRemainder?: boolean;
  /**
   * Batches prepared ahead while the consumer works (a non-negative integer): never more than
   * this many built batches wait for the consumer, besides the one it holds. 0 builds each
   * batch when it is asked for. Default 2.
   */
  prefetch?: number;
  /** Training augmentation applied to each sample as it leaves the shuffle buffer. Default: none. */
  augment?: AugmentOptions;
}

/**
 * A source of samples for {@link batches}: an array, or any sync or async iterable (for
 * example a generator that renders samples on demand).
 *
 * @example
 * ```ts
 * // Renders the samples on demand, anew for each epoch (a generator object is read only once).
 * const source: BatchSource = {
 *   [Symbol.iterator]: () => corpus.samples('train', { height: 112, width: 112 }),
 * };
 * for await (const batch of batches(source, { batchSize: 8 })) disposeBatch(batch);
 * ```
 */
export type BatchSource = Iterable<SignSample> | AsyncIterable<SignSample> | readonly SignSample[];

interface CheckedOptions {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  epoch: number;
  shuffleBuffer: number;
  bucketing?: BucketingOptions;
  dropRemainder: boolean;
  prefetch: number;
  augment?: AugmentOptions;
  batch: MakeBatchOptions;
}

const FN = 'batches';

function checkBatchesOptions(source: BatchSource, options: BatchesOptions): CheckedOptions {
  const isArray = Array.isArray(source);
  if (
    !isArray &&
    (source == null ||
      (typeof (source as Iterable<SignSample>)[Symbol.iterator] !== 'function' &&
        typeof (source as AsyncIterable<SignSample>)[Symbol.asyncIterator] !== 'function'))
  ) {
    throw new ArgumentError(
      FN,
      'source',
      'be an array or a (sync or async) iterable of SignSamples',
      source,
    );
  }
  const {
    batchSize,
    shuffle = false,
    seed = 0,
    epoch = 0,
    bucketing,
    dropRemainder = false,
    prefetch = 2,
    augment,
    padTo,
    keypoints,
    vocabulary,
  } = checkOptions<Partial<BatchesOptions>>(FN, options);
  checkInteger(FN, 'options.batchSize', batchSize, { min: 1 });
  checkBoolean(FN, 'options.shuffle', shuffle);
  checkSafeInteger(FN, 'options.seed', seed);
  checkSafeInteger(FN, 'options.epoch', epoch, 0);
  const shuffleBuffer =
    options.shuffleBuffer ??
    (isArray ? Math.max(1, (source as readonly SignSample[]).length) : 4 * batchSize!);
  checkInteger(FN, 'options.shuffleBuffer', shuffleBuffer, { min: 1 });
  checkBoolean(FN, 'options.dropRemainder', dropRemainder);
  checkInteger(FN, 'options.prefetch', prefetch, { min: 0 });
  if (bucketing !== undefined) {
    if (
      bucketing === null ||
      typeof bucketing !== 'object' ||
      (bucketing.boundaries === undefined) === (bucketing.sortWindow === undefined)
    ) {
      throw new ArgumentError(
        FN,
        'options.bucketing',
        'be { boundaries: number[] } or { sortWindow: number }',
        bucketing,
        typeof bucketing === 'object' && bucketing !== null
          ? { actualText: JSON.stringify(bucketing) }
          : undefined,
      );
    }
    if (bucketing.boundaries !== undefined) {
      const { boundaries } = bucketing;
      const ok =
        Array.isArray(boundaries) &&
        boundaries.length > 0 &&
        boundaries.every(
          (b, i) => Number.isSafeInteger(b) && b >= 1 && (i === 0 || b > boundaries[i - 1]),
        );
      if (!ok) {
        throw new ArgumentError(
          FN,
          'options.bucketing.boundaries',
          'be a non-empty list of strictly increasing integers >= 1',
          boundaries,
        );
      }
    } else checkInteger(FN, 'options.bucketing.sortWindow', bucketing.sortWindow, { min: 1 });
  }
  if (augment !== undefined) checkAugmentOptions(augment, FN, 'options.augment');
  const batch = checkMakeBatchOptions({ padTo, keypoints, vocabulary }, FN);
  return {
    batchSize: batchSize!,
    shuffle,
    seed,
    epoch,
    shuffleBuffer,
    bucketing,
    dropRemainder,
    prefetch,
    augment,
    batch,
  };
}

/** Emits a uniformly drawn buffered sample whenever the buffer is full; then drains it. */
async function* shuffled(
  source: BatchSource,
  size: number,
  rng: SeededRandom,
): AsyncGenerator<SignSample> {
  const buffer: SignSample[] = [];
  const take = (): SignSample => {
    const i = rng.int(buffer.length);
    const sample = buffer[i];
    buffer[i] = buffer[buffer.length - 1];
    buffer.pop();
    return sample;
  };
  for await (const sample of source) {
    buffer.push(sample);
    if (buffer.length >= size) yield take();
  }
  while (buffer.length > 0) yield take();
}

async function* augmented(
  samples: AsyncIterable<SignSample>,
  options: AugmentOptions,
  rng: SeededRandom,
): AsyncGenerator<SignSample> {
  for await (const sample of samples) {
    const dims = checkSample(sample, FN, 'source');
    yield applyAugmentation(sample, dims, options, rng.fork());
  }
}

function lengthOf(sample: SignSample): number {
  return Number(sample?.frameShape?.[0]) || 0;
}

/** Groups of up to batchSize samples (full ones, then at most the remainder). */
async function* grouped(
  samples: AsyncIterable<SignSample>,
  o: CheckedOptions,
  rng: SeededRandom,
): AsyncGenerator<SignSample[]> {
  const { batchSize, bucketing } = o;
  if (bucketing?.boundaries !== undefined) {
    const { boundaries } = bucketing;
    const buckets: SignSample[][] = Array.from({ length: boundaries.length + 1 }, () => []);
    for await (const sample of samples) {
      const length = lengthOf(sample);
      let index = 0;
      while (index < boundaries.length && length >= boundaries[index]) index++;
      buckets[index].push(sample);
      if (buckets[index].length === batchSize) {
        const group = buckets[index];
        buckets[index] = [];
        yield group;
      }
    }
    for (const bucket of buckets) if (bucket.length > 0) yield bucket;
    return;
  }
  if (bucketing?.sortWindow !== undefined) {
    const windowSize = bucketing.sortWindow * batchSize;
    let pool: SignSample[] = [];
    const flush = function* (window: SignSample[]): Generator<SignSample[]> {
      const sorted = window.map((sample, index) => ({ sample, index, length: lengthOf(sample) }));
      sorted.sort((a, b) => a.length - b.length || a.index - b.index);
      const groups: SignSample[][] = [];
      for (let i = 0; i < sorted.length; i += batchSize)
        groups.push(sorted.slice(i, i + batchSize).map((entry) => entry.sample));
      if (o.shuffle) rng.shuffle(groups);
      yield* groups;
    };
    for await (const sample of samples) {
      pool.push(sample);
      if (pool.length === windowSize) {
        const window = pool;
        pool = [];
        yield* flush(window);
      }
    }
    if (pool.length > 0) yield* flush(pool);
    return;
  }
  let group: SignSample[] = [];
  for await (const sample of samples) {
    group.push(sample);
    if (group.length === batchSize) {
      yield group;
      group = [];
    }
  }
  if (group.length > 0) yield group;
}

async function* built(
  groups: AsyncIterable<SignSample[]>,
  o: CheckedOptions,
): AsyncGenerator<SignBatch> {
  for await (const group of groups) {
    if (o.dropRemainder && group.length < o.batchSize) continue;
    const batch = buildBatch(group, o.batch, FN, () => 'source');
    // Built asynchronously, perhaps while the consumer has a tfjs scope open (startScope …
    // await … endScope): keep() stops such a scope from disposing batches it did not create.
    tf.keep(batch.videos);
    tf.keep(batch.targets);
    if (batch.keypoints !== undefined) tf.keep(batch.keypoints);
    yield batch;
  }
}

/**
 * Runs `inner` ahead of the consumer, holding at most `limit` finished batches; disposes the
 * held batches if the consumer stops early.
 */
async function* prefetched(
  inner: AsyncGenerator<SignBatch>,
  limit: number,
): AsyncGenerator<SignBatch, void, undefined> {
  if (limit === 0) {
    yield* inner;
    return;
  }
  const queue: SignBatch[] = [];
  let finished = false;
  let failed = false;
  let failure: unknown;
  let stopped = false;
  let spaceFreed: (() => void) | undefined;
  let batchReady: (() => void) | undefined;
  const wakeProducer = (): void => {
    spaceFreed?.();
    spaceFreed = undefined;
  };
  const wakeConsumer = (): void => {
    batchReady?.();
    batchReady = undefined;
  };
  const producer = (async (): Promise<void> => {
    try {
      while (!stopped) {
        if (queue.length >= limit) {
          await new Promise<void>((resolve) => (spaceFreed = resolve));
          continue;
        }
        const result = await inner.next();
        if (result.done) break;
        if (stopped) {
          disposeBatch(result.value);
          break;
        }
        queue.push(result.value);
        wakeConsumer();
      }
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      finished = true;
      wakeConsumer();
    }
  })();
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue.shift()!;
        wakeProducer();
        yield batch;
      } else if (finished) {
        if (failed) throw failure;
        return;
      } else {
        await new Promise<void>((resolve) => (batchReady = resolve));
      }
    }
  } finally {
    stopped = true;
    wakeProducer();
    await producer;
    for (const batch of queue.splice(0)) disposeBatch(batch);
    await inner.return(undefined);
  }
}

/**
 * Streams one epoch of padded CTC batches from `source`. Samples are read lazily: besides the
 * shuffle buffer, the bucketing pool and the batches being prefetched, nothing is read ahead,
 * so a source that renders samples on demand works for any dataset size. Everything random
 * (order, bucket order, augmentation) comes from `(seed, epoch)` through independent streams,
 * so a run is reproducible and turning augmentation on does not change the order.
 *
 * Each batch's tensors belong to the consumer: call {@link disposeBatch} when done with it
 * (they are `tf.keep`-ed, so no tfjs scope that happens to be open while they are built
 * disposes them). Leaving the loop early (`break`, an exception) disposes the batches prepared
 * ahead and closes the source's iterator.
 * Invalid options throw at once, with an error naming the option; a bad sample throws from
 * the loop, with an error naming it.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ctcLoss } from '@slr/ctc';
 * import { batches, disposeBatch } from '@slr/data';
 *
 * const optimizer = tf.train.adam(1e-3);
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for await (const batch of batches(trainSamples, {
 *     batchSize: 8,
 *     shuffle: true,
 *     seed: 42,
 *     epoch,
 *     bucketing: { sortWindow: 8 },
 *     augment: { timeScale: 0.2, cropScale: [0.8, 1], brightness: 0.1 },
 *   })) {
 *     const frames = model.outputLengths(batch.inputLengths);
 *     optimizer.minimize(() =>
 *       ctcLoss(model.apply(batch.videos, true), batch.targets, frames, batch.targetLengths),
 *     );
 *     disposeBatch(batch);
 *   }
 * }
 * ```
 */
export function batches(
  source: BatchSource,
  options: BatchesOptions,
): AsyncGenerator<SignBatch, void, undefined> {
  const o = checkBatchesOptions(source, options);
  const root = new SeededRandom([o.seed, o.epoch]);
  const shuffleRng = root.fork();
  const augmentRng = root.fork();
  const bucketRng = root.fork();
  let samples: AsyncIterable<SignSample> = o.shuffle
    ? shuffled(source, o.shuffleBuffer, shuffleRng)
    : toAsync(source);
  if (o.augment !== undefined) samples = augmented(samples, o.augment, augmentRng);
  return prefetched(built(grouped(samples, o, bucketRng), o), o.prefetch);
}

async function* toAsync(source: BatchSource): AsyncGenerator<SignSample> {
  yield* source as AsyncIterable<SignSample>;
}
