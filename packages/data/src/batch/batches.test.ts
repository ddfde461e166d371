import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { SignSample } from '../types';
import { type BatchSource, type BatchesOptions, batches } from './batches';
import { type SignBatch, disposeBatch, makeBatch } from './make-batch';
import { SeededRandom } from './random';

/** A tiny sample (1×1 frames unless told) whose values encode its index. */
function sample(
  index: number,
  frames: number,
  o: { size?: number; glosses?: number } = {},
): SignSample {
  const { size = 1, glosses = 1 + (index % 3) } = o;
  const names = Array.from({ length: glosses }, (_, g) => `G${g + 1}`);
  return {
    id: `s${index}`,
    signer: 'Signer01',
    frameShape: [frames, size, size, 3],
    frames: new Float32Array(frames * size * size * 3).fill(((index % 50) + 1) / 51),
    glosses: names,
    glossIds: names.map((_, g) => g + 1),
  };
}

/** Samples with lengths drawn from [minT, maxT]. */
function corpus(count: number, seed = 1, minT = 1, maxT = 12): SignSample[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, (_, i) => sample(i, minT + rng.int(maxT - minT + 1)));
}

/** Runs an epoch, disposing each batch; returns what the consumer saw. */
async function collect(source: BatchSource, options: BatchesOptions, read = false) {
  const seen: { ids: string[]; inputLengths: number[]; paddedFrames: number; videos?: number[] }[] =
    [];
  for await (const batch of batches(source, options)) {
    seen.push({
      ids: batch.ids,
      inputLengths: batch.inputLengths,
      paddedFrames: batch.videos.shape[0] * batch.videos.shape[1],
      videos: read ? Array.from(await batch.videos.data()) : undefined,
    });
    disposeBatch(batch);
  }
  return seen;
}

/** A lazy source that counts the samples pulled from it and whether it was closed. */
function countingSource(
  samples: readonly SignSample[] | ((i: number) => SignSample),
  count = Infinity,
) {
  const state = { pulled: 0, closed: false };
  const source = {
    async *[Symbol.asyncIterator]() {
      try {
        for (let i = 0; i < count; i++) {
          await Promise.resolve();
          const s = typeof samples === 'function' ? samples(i) : samples[i];
          if (s === undefined) return;
          state.pulled++;
          yield s;
        }
      } finally {
        state.closed = true;
      }
    },
  };
  return { source, state };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

describe('batches', () => {
  it('keeps the source order without shuffle, with a partial last batch unless dropRemainder', async () => {
    const samples = corpus(7);
    const seen = await collect(samples, { batchSize: 3 });
    expect(seen.map((b) => b.ids)).toEqual([['s0', 's1', 's2'], ['s3', 's4', 's5'], ['s6']]);
    expect(seen.flatMap((b) => b.inputLengths)).toEqual(samples.map((s) => s.frameShape[0]));
    const dropped = await collect(samples, { batchSize: 3, dropRemainder: true });
    expect(dropped.map((b) => b.ids.length)).toEqual([3, 3]);
    expect(await collect(samples.slice(0, 2), { batchSize: 3, dropRemainder: true })).toEqual([]);
  });

  it('yields batches equal to makeBatch of the same samples (no augmentation by default)', async () => {
    const samples = Array.from({ length: 5 }, (_, i) => sample(i, 2 + i, { size: 2 }));
    const iterator = batches(samples, { batchSize: 5, shuffle: true, seed: 3, padTo: 4 });
    const { value: batch } = (await iterator.next()) as { value: SignBatch };
    const byId = new Map(samples.map((s) => [s.id, s]));
    const expected = makeBatch(
      batch.ids.map((id) => byId.get(id)!),
      { padTo: 4 },
    );
    expect(batch.videos.shape).toEqual([5, 8, 2, 2, 3]);
    expect(Array.from(await batch.videos.data())).toEqual(Array.from(await expected.videos.data()));
    expect(await batch.targets.array()).toEqual(await expected.targets.array());
    expect(batch.targetLengths).toEqual(expected.targetLengths);
    disposeBatch(batch);
    disposeBatch(expected);
    expect((await iterator.next()).done).toBe(true);
  });

  it('is deterministic for (seed, epoch): order and augmented values', async () => {
    const samples = Array.from({ length: 24 }, (_, i) => sample(i, 6 + (i % 5), { size: 4 }));
    const options: BatchesOptions = {
      batchSize: 4,
      shuffle: true,
      seed: 11,
      shuffleBuffer: 8,
      augment: { timeScale: 0.2, cropScale: [0.7, 1], brightness: 0.1 },
    };
    const a = await collect(samples, options, true);
    const b = await collect(countingSource(samples).source, options, true); // lazy source: same result
    expect(b).toEqual(a);
    const order = (seen: typeof a) => seen.flatMap((batch) => batch.ids).join(',');
    expect(order(await collect(samples, { ...options, seed: 12 }))).not.toBe(order(a));
    expect(order(await collect(samples, { ...options, epoch: 1 }))).not.toBe(order(a));
    // Augmentation changes values, not the order.
    expect(order(await collect(samples, { ...options, augment: undefined }))).toBe(order(a));
    const plain = await collect(samples, { ...options, augment: undefined }, true);
    expect(plain.map((x) => x.videos)).not.toEqual(a.map((x) => x.videos));
  });

  test.prop(
    [
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 1, max: 8 }),
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom('none', 'boundaries', 'sortWindow'),
      fc.constantFrom('array', 'iterable', 'async'),
      fc.integer({ min: 0, max: 3 }),
      fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
      fc.integer(),
    ],
    { numRuns: 80 },
  )(
    'every sample appears exactly once per epoch',
    async (
      count,
      batchSize,
      dropRemainder,
      shuffle,
      bucketKind,
      kind,
      prefetch,
      shuffleBuffer,
      seed,
    ) => {
      const samples = corpus(count, seed);
      const source: BatchSource =
        kind === 'array'
          ? samples
          : kind === 'iterable'
            ? { [Symbol.iterator]: () => samples[Symbol.iterator]() }
            : countingSource(samples).source;
      const bucketing =
        bucketKind === 'boundaries'
          ? { boundaries: [4, 8] }
          : bucketKind === 'sortWindow'
            ? { sortWindow: 2 }
            : undefined;
      const before = tf.memory().numTensors;
      const seen = await collect(source, {
        batchSize,
        dropRemainder,
        shuffle,
        seed,
        bucketing,
        prefetch,
        shuffleBuffer,
      });
      expect(tf.memory().numTensors).toBe(before);
      const ids = seen.flatMap((b) => b.ids);
      expect(new Set(ids).size).toBe(ids.length);
      for (const b of seen) {
        expect(b.ids.length).toBeGreaterThan(0);
        expect(b.ids.length).toBeLessThanOrEqual(batchSize);
        if (dropRemainder) expect(b.ids.length).toBe(batchSize);
      }
      if (!dropRemainder) expect([...ids].sort()).toEqual(samples.map((s) => s.id).sort());
      else {
        const buckets = bucketKind === 'boundaries' ? 3 : 1;
        expect(count - ids.length).toBeLessThan(Math.max(1, buckets * batchSize));
        if (bucketKind !== 'boundaries')
          expect(ids.length).toBe(Math.floor(count / batchSize) * batchSize);
      }
    },
  );

  it('bucketing by length cuts padding', async () => {
    const samples = corpus(96, 5, 5, 60);
    const real = samples.reduce((sum, s) => sum + s.frameShape[0], 0);
    const padding = async (bucketing?: BatchesOptions['bucketing']) =>
      (await collect(samples, { batchSize: 8, shuffle: true, seed: 2, bucketing })).reduce(
        (sum, b) => sum + b.paddedFrames,
        0,
      ) - real;
    const none = await padding();
    const window = await padding({ sortWindow: 4 });
    const boundaries = await padding({ boundaries: [15, 30, 45] });
    expect(window).toBeLessThan(none * 0.6);
    expect(boundaries).toBeLessThan(none * 0.6);
  });

  it('prefetches a bounded number of batches and reads a lazy source only as needed', async () => {
    const batchSize = 4;
    const prefetch = 2;
    const { source, state } = countingSource((i) => sample(i, 3), 40);
    const before = tf.memory().numTensors;
    let received = 0;
    for await (const batch of batches(source, { batchSize, prefetch })) {
      received++;
      await settle(); // the consumer "trains"; the producer runs ahead as far as it may
      expect(state.pulled).toBe(Math.min(40, (received + prefetch) * batchSize));
      // The consumer's batch plus at most `prefetch` prepared ones (2 tensors each).
      expect(tf.memory().numTensors - before).toBeLessThanOrEqual(2 * (1 + prefetch));
      disposeBatch(batch);
    }
    expect(received).toBe(10);
    expect(tf.memory().numTensors).toBe(before);

    // prefetch 0: nothing is built ahead.
    const lazy = countingSource((i) => sample(i, 3), 12);
    for await (const batch of batches(lazy.source, { batchSize, prefetch: 0 })) {
      await settle();
      expect(lazy.state.pulled).toBe(batch.ids.length + Number(batch.ids[0].slice(1)));
      disposeBatch(batch);
    }
  });

  it('holds at most the shuffle buffer of an endless source, and cleans up when the consumer stops', async () => {
    const { source, state } = countingSource((i) => sample(i, 2 + (i % 4)));
    const before = tf.memory().numTensors;
    let received = 0;
    for await (const batch of batches(source, {
      batchSize: 4,
      shuffle: true,
      shuffleBuffer: 10,
      prefetch: 2,
      bucketing: { sortWindow: 2 },
    })) {
      received++;
      await settle();
      // shuffle buffer + the sort window + the batches in flight
      expect(state.pulled).toBeLessThanOrEqual(10 + 2 * 4 + (received + 2) * 4);
      disposeBatch(batch);
      if (received === 3) break;
    }
    expect(state.closed).toBe(true);
    expect(tf.memory().numTensors).toBe(before); // prefetched batches were disposed
  });

  it('keeps prefetched batches alive across a scope the consumer opened', async () => {
    const iterator = batches(corpus(12), { batchSize: 2, prefetch: 3 });
    tf.engine().startScope();
    const first = (await iterator.next()).value as SignBatch;
    await settle(); // the producer builds ahead inside the consumer's scope
    tf.engine().endScope();
    expect(first.videos.isDisposed).toBe(false);
    disposeBatch(first);
    for await (const batch of { [Symbol.asyncIterator]: () => iterator }) {
      expect(batch.videos.isDisposed || batch.targets.isDisposed).toBe(false);
      disposeBatch(batch);
    }
  });

  it('reports a bad sample from inside the pipeline, naming it, without leaking', async () => {
    const samples = [
      sample(0, 2, { size: 2 }),
      sample(1, 2, { size: 2 }),
      sample(2, 2, { size: 3 }),
      sample(3, 2, { size: 2 }),
    ];
    const before = tf.memory().numTensors;
    await expect(collect(samples, { batchSize: 4 })).rejects.toThrow(
      "Argument 'source' passed to 'batches' must have frames of 2×2 like sample 's0' (a batch has one H×W), " +
        "but got sample 's2' with frames of 3×3.",
    );
    await expect(collect(samples, { batchSize: 2, prefetch: 3 })).rejects.toThrow(
      /must have frames of 3×3 like sample 's2' .*, but got sample 's3' with frames of 2×2\./,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the bad option, at the call', () => {
    const samples = corpus(3);
    const cases: [Partial<BatchesOptions>, string][] = [
      [
        { batchSize: 0 },
        "'options.batchSize' passed to 'batches' must be an integer >= 1, but got 0.",
      ],
      [
        { batchSize: 2.5 },
        "'options.batchSize' passed to 'batches' must be an integer >= 1, but got 2.5.",
      ],
      [
        { batchSize: 2, shuffleBuffer: 0 },
        "'options.shuffleBuffer' passed to 'batches' must be an integer >= 1, but got 0.",
      ],
      [
        { batchSize: 2, prefetch: -1 },
        "'options.prefetch' passed to 'batches' must be an integer >= 0, but got -1.",
      ],
      [
        { batchSize: 2, seed: 0.5 },
        "'options.seed' passed to 'batches' must be a safe integer, but got 0.5.",
      ],
      [
        { batchSize: 2, epoch: -1 },
        "'options.epoch' passed to 'batches' must be a safe integer >= 0, but got -1.",
      ],
      [
        { batchSize: 2, shuffle: 1 as unknown as boolean },
        "'options.shuffle' passed to 'batches' must be a boolean, but got 1.",
      ],
      [
        { batchSize: 2, dropRemainder: 'no' as unknown as boolean },
        "'options.dropRemainder' passed to 'batches' must be a boolean, but got 'no'.",
      ],
      [
        { batchSize: 2, bucketing: {} as BatchesOptions['bucketing'] },
        "'options.bucketing' passed to 'batches' must be { boundaries: number[] } or { sortWindow: number }, " +
          'but got {}.',
      ],
      [
        { batchSize: 2, bucketing: { boundaries: [5, 3] } },
        "'options.bucketing.boundaries' passed to 'batches' " +
          'must be a non-empty list of strictly increasing integers >= 1, but got [5, 3].',
      ],
      [
        { batchSize: 2, bucketing: { sortWindow: 0 } },
        "'options.bucketing.sortWindow' passed to 'batches' must be an integer >= 1, but got 0.",
      ],
      [
        { batchSize: 2, augment: { timeScale: 1.5 } },
        "'options.augment.timeScale' passed to 'batches' must be a finite number in [0, 1), but got 1.5.",
      ],
      [
        { batchSize: 2, augment: { cropScale: [0.5, 2] } },
        "'options.augment.cropScale' passed to 'batches' must be [min, max] with 0 < min <= max <= 1, " +
          'but got [0.5, 2].',
      ],
      [
        { batchSize: 2, padTo: 0 },
        "'options.padTo' passed to 'batches' must be an integer >= 1, but got 0.",
      ],
    ];
    for (const [options, message] of cases)
      expect(() => batches(samples, options as BatchesOptions)).toThrow(`Argument ${message}`);
    expect(() => batches(null as unknown as BatchSource, { batchSize: 1 })).toThrow(
      "Argument 'source' passed to 'batches' must be an array or a (sync or async) iterable of SignSamples, " +
        'but got null.',
    );
    expect(() => batches(samples, null as unknown as BatchesOptions)).toThrow(
      "Argument 'options' passed to 'batches' must be an object or undefined, but got null.",
    );
  });
});
