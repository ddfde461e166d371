import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { SignSample } from '../types';
import { generateSignCorpus } from './corpus';
import { SYNTHETIC_KEYPOINT_NAMES } from './render';

const small = { height: 32, width: 32 };

function expectSpansPartition(sample: SignSample): void {
  const spans = sample.spans!;
  expect(spans.map((span) => span.gloss)).toEqual(sample.glosses);
  expect(spans.length).toBe(sample.glossIds.length);
  expect(spans[0].start).toBe(0);
  expect(spans[spans.length - 1].end).toBe(sample.frameShape[0]);
  spans.forEach((span, i) => {
    expect(span.end).toBeGreaterThan(span.start);
    if (i > 0) expect(span.start).toBe(spans[i - 1].end);
  });
}

describe('generateSignCorpus', () => {
  it('is deterministic for a seed: same specs, identical frames; another seed differs', () => {
    const options = { seed: 7, glosses: 25, trainSamples: 40, devSamples: 8, testSamples: 8 };
    const a = generateSignCorpus(options);
    const b = generateSignCorpus(options);
    const c = generateSignCorpus({ ...options, seed: 8 });
    expect(a.splits).toEqual(b.splits);
    expect(c.splits.train.map((spec) => spec.glosses)).not.toEqual(
      a.splits.train.map((spec) => spec.glosses),
    );
    const renderA = a.renderSample(a.splits.dev[0], { ...small, keypoints: true });
    const renderB = b.renderSample(b.splits.dev[0], { ...small, keypoints: true });
    expect(renderB.glosses).toEqual(renderA.glosses);
    expect(renderB.frameShape).toEqual(renderA.frameShape);
    expect(Buffer.from(renderB.frames.buffer).equals(Buffer.from(renderA.frames.buffer))).toBe(
      true,
    );
    expect(renderB.keypoints).toEqual(renderA.keypoints);
    // The same sentence and signer with a different seed: different frames.
    const spec = a.splits.dev[0];
    const other = a.renderSample({ ...spec, seed: spec.seed + 1 }, small);
    expect(other.glosses).toEqual(renderA.glosses);
    expect(
      other.frameShape[0] !== renderA.frameShape[0] ||
        !Buffer.from(other.frames.buffer).equals(Buffer.from(renderA.frames.buffer)),
    ).toBe(true);
    // Another corpus seed: different signs, so different frames for the same spec.
    const differentSigns = c.renderSample(
      c.specFor(spec.glosses, { signer: spec.signerIndex, seed: spec.seed }),
      small,
    );
    expect(
      Buffer.from(differentSigns.frames.buffer).equals(Buffer.from(renderA.frames.buffer)),
    ).toBe(false);
  });

  it('keeps dev and test sentences out of train (held-out bigrams) and covers every gloss in train', () => {
    for (const [glosses, seed] of [
      [20, 0],
      [60, 1],
      [1295, 2],
    ] as const) {
      const corpus = generateSignCorpus({
        seed,
        glosses,
        trainSamples: Math.max(1500, glosses),
        devSamples: 150,
        testSamples: 150,
      });
      const key = (glossList: readonly string[]): string => glossList.join(' ');
      const train = new Set(corpus.splits.train.map((spec) => key(spec.glosses)));
      const dev = new Set(corpus.splits.dev.map((spec) => key(spec.glosses)));
      for (const spec of [...corpus.splits.dev, ...corpus.splits.test])
        expect(train.has(key(spec.glosses)), `${spec.id}: ${key(spec.glosses)}`).toBe(false);
      for (const spec of corpus.splits.test) expect(dev.has(key(spec.glosses))).toBe(false);
      const trainBigrams = new Set(
        corpus.splits.train.flatMap((spec) =>
          spec.glosses.slice(1).map((gloss, i) => `${spec.glosses[i]} ${gloss}`),
        ),
      );
      for (const [a, b] of [...corpus.grammar.heldOut.dev, ...corpus.grammar.heldOut.test]) {
        expect(
          trainBigrams.has(
            `${corpus.vocabulary.glossOf(a + 1)} ${corpus.vocabulary.glossOf(b + 1)}`,
          ),
        ).toBe(false);
      }
      const seen = new Set(corpus.splits.train.flatMap((spec) => spec.glosses));
      expect(seen.size).toBe(glosses);
      for (const spec of [...corpus.splits.train, ...corpus.splits.dev, ...corpus.splits.test]) {
        expect(spec.glosses.length).toBeGreaterThanOrEqual(1);
        expect(spec.glosses.length).toBeLessThanOrEqual(8);
        expect(spec.glossIds).toEqual(corpus.vocabulary.encode(spec.glosses));
      }
    }
  });

  test.prop(
    [
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.constantFrom('train', 'dev', 'test' as const),
      fc.integer({ min: 0, max: 19 }),
      fc.double({ min: 2, max: 60, noNaN: true }),
    ],
    { numRuns: 60 },
  )(
    'plans spans that partition the frames in order, one per gloss, at any fps',
    (seed, split, index, fps) => {
      const corpus = generateSignCorpus({
        seed,
        glosses: 15,
        trainSamples: 20,
        devSamples: 20,
        testSamples: 20,
      });
      const spec = corpus.splits[split][index];
      const timeline = corpus.timeline(spec, fps);
      expectSpansPartition({
        ...spec,
        frameShape: [timeline.frameCount, 1, 1, 3],
        frames: new Float32Array(0),
        spans: timeline.spans,
      });
      timeline.coreSpans.forEach((core, i) => {
        expect(core.start).toBeGreaterThanOrEqual(timeline.spans[i].start);
        expect(core.end).toBeLessThanOrEqual(timeline.spans[i].end);
      });
    },
  );

  it('renders samples whose spans partition the frames and whose metadata matches the spec', () => {
    const corpus = generateSignCorpus({
      seed: 3,
      glosses: 30,
      trainSamples: 10,
      devSamples: 5,
      testSamples: 5,
    });
    for (const spec of [...corpus.splits.train.slice(0, 4), ...corpus.splits.test.slice(0, 2)]) {
      const sample = corpus.renderSample(spec, small);
      expect(sample.id).toBe(spec.id);
      expect(sample.signer).toBe(spec.signer);
      expect(sample.glosses).toEqual(spec.glosses);
      expect(sample.glossIds).toEqual(spec.glossIds);
      expect(sample.glossIds.every((id) => id >= 1)).toBe(true);
      expectSpansPartition(sample);
      expect(sample.spans).toEqual(corpus.timeline(spec, 25).spans);
    }
  });

  it('renders any H×W, and T scales with fps', () => {
    const corpus = generateSignCorpus({
      seed: 4,
      glosses: 20,
      trainSamples: 5,
      devSamples: 1,
      testSamples: 1,
    });
    const spec = corpus.splits.train[2];
    const wide = corpus.renderSample(spec, { height: 32, width: 48, fps: 25 });
    const square = corpus.renderSample(spec, { height: 112, width: 112, fps: 25 });
    const [T, H, W, C] = wide.frameShape;
    expect([H, W, C]).toEqual([32, 48, 3]);
    expect(wide.frames.length).toBe(T * 32 * 48 * 3);
    expect(square.frameShape[0]).toBe(T);
    let min = Infinity;
    let max = -Infinity;
    for (const value of wide.frames) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(0.3);
    const timeline = corpus.timeline(spec, 25);
    for (const fps of [12.5, 50, 100]) {
      const sample = corpus.renderSample(spec, { height: 16, width: 24, fps });
      expect(sample.frameShape[0]).toBe(corpus.timeline(spec, fps).frameCount);
      expect(Math.abs(sample.frameShape[0] - (T * fps) / 25)).toBeLessThanOrEqual(1);
      expect(sample.frameShape[0] / fps).toBeCloseTo(timeline.duration, 1);
    }
  });

  it('returns keypoints [T, 20, 2] in [0, 1] that follow the hands', () => {
    const corpus = generateSignCorpus({
      seed: 5,
      glosses: 20,
      trainSamples: 6,
      devSamples: 1,
      testSamples: 1,
    });
    for (const size of [
      [48, 48],
      [40, 64],
    ] as const) {
      const sample = corpus.renderSample(corpus.splits.train[1], {
        height: size[0],
        width: size[1],
        keypoints: true,
        noise: 0,
      });
      const [T, H, W] = sample.frameShape;
      const K = SYNTHETIC_KEYPOINT_NAMES.length;
      expect(K).toBe(20);
      expect(sample.keypointNames).toEqual([...SYNTHETIC_KEYPOINT_NAMES]);
      expect(sample.keypoints!.length).toBe(T * K * 2);
      for (const value of sample.keypoints!) expect(value >= 0 && value <= 1).toBe(true);
      const at = (k: number, name: string): [number, number] => {
        const p = SYNTHETIC_KEYPOINT_NAMES.indexOf(name);
        return [sample.keypoints![(k * K + p) * 2], sample.keypoints![(k * K + p) * 2 + 1]];
      };
      // The dominant wrist moves; the shoulders do not; the head is above the shoulders.
      const wristX = Array.from({ length: T }, (_, k) => at(k, 'rightWrist')[0]);
      expect(Math.max(...wristX) - Math.min(...wristX)).toBeGreaterThan(0.03);
      expect(at(0, 'rightShoulder')).toEqual(at(T - 1, 'rightShoulder'));
      expect(at(0, 'head')[1]).toBeLessThan(at(0, 'rightShoulder')[1]);
      expect(at(0, 'rightShoulder')[0]).toBeLessThan(at(0, 'leftShoulder')[0]); // the signer faces the camera
      // The pixel under the dominant palm is skin-coloured (red > green > blue) where it is inside the frame.
      let checked = 0;
      for (let k = 0; k < T; k++) {
        const [x, y] = at(k, 'rightHand');
        if (x <= 0.02 || x >= 0.98 || y <= 0.02 || y >= 0.98) continue;
        const i = ((k * H + Math.floor(y * H)) * W + Math.floor(x * W)) * 3;
        expect(sample.frames[i]).toBeGreaterThan(sample.frames[i + 1]);
        expect(sample.frames[i + 1]).toBeGreaterThan(sample.frames[i + 2]);
        checked++;
      }
      expect(checked).toBeGreaterThan(T / 2);
    }
  });

  it('works with G = 1295 (PHOENIX-size vocabulary)', () => {
    const corpus = generateSignCorpus({ seed: 6, glosses: 1295, difficulty: 0.5 });
    expect(corpus.vocabulary.size).toBe(1296);
    expect(corpus.vocabulary.glossOf(1)).toBe('REGEN');
    expect(corpus.vocabulary.glossOf(1295)).toBe('GLOSS_1294');
    expect(corpus.splits.train.length).toBe(1000);
    expect(corpus.splits.dev.length).toBe(100);
    expect(corpus.splits.test.length).toBe(100);
    const ids = corpus.splits.test.flatMap((spec) => spec.glossIds);
    expect(Math.max(...ids)).toBeGreaterThan(125);
    for (const spec of [corpus.splits.train[0], corpus.splits.test[0]]) {
      const sample = corpus.renderSample(spec, { height: 24, width: 24, keypoints: true });
      expectSpansPartition(sample);
      expect(sample.glossIds).toEqual(spec.glossIds);
    }
    const single = corpus.renderSample(corpus.specFor(['GLOSS_1294']), small);
    expect(single.glossIds).toEqual([1295]);
  });

  it('iterates splits lazily, sync and async, in spec order', async () => {
    const corpus = generateSignCorpus({
      seed: 8,
      glosses: 10,
      trainSamples: 3,
      devSamples: 2,
      testSamples: 2,
    });
    const ids = [...corpus.samples('train', small)].map((sample) => sample.id);
    expect(ids).toEqual(corpus.splits.train.map((spec) => spec.id));
    const streamed: string[] = [];
    for await (const sample of corpus.stream('dev', small)) streamed.push(sample.id);
    expect(streamed).toEqual(['dev_000000', 'dev_000001']);
    const iterator = corpus.samples('test', small);
    expect(iterator.next().value?.id).toBe('test_000000');
  });

  it('varies signers: positions, colours and speed differ between them', () => {
    const corpus = generateSignCorpus({
      seed: 9,
      glosses: 10,
      signers: 4,
      trainSamples: 1,
      devSamples: 1,
      testSamples: 1,
    });
    expect(corpus.signers.map((signer) => signer.id)).toEqual([
      'Signer01',
      'Signer02',
      'Signer03',
      'Signer04',
    ]);
    expect(new Set(corpus.signers.map((signer) => signer.speed)).size).toBe(4);
    const renders = [0, 1].map((signer) =>
      corpus.renderSample(corpus.specFor(['REGEN'], { signer, seed: 1 }), { ...small, noise: 0 }),
    );
    expect(renders[0].signer).toBe('Signer01');
    expect(renders[1].signer).toBe('Signer02');
    expect(
      Buffer.from(renders[0].frames.buffer).equals(Buffer.from(renders[1].frames.buffer)),
    ).toBe(false);
  });

  it('rejects bad options and mismatched specs with clear errors', () => {
    expect(() => generateSignCorpus({ glosses: 1 })).toThrow(
      "Argument 'options.glosses' passed to 'generateSignCorpus' must be an integer >= 2, but got 1.",
    );
    expect(() => generateSignCorpus({ glossNames: ['REGEN'] })).toThrow(
      "Argument 'options.glossNames' passed to 'generateSignCorpus' " +
        'must hold at least 2 glosses (held-out bigrams need two), but got 1 gloss.',
    );
    expect(() => generateSignCorpus({ glossNames: ['REGEN', 'SONNE', 'REGEN'] })).toThrow(
      "Argument 'options.glossNames[2]' passed to 'generateSignCorpus' must differ from every gloss before it, " +
        "but got 'REGEN', which is options.glossNames[0] too.",
    );
    expect(() => generateSignCorpus({ difficulty: 2 })).toThrow(
      "Argument 'options.difficulty' passed to 'generateSignCorpus' must be a finite number in [0, 1], but got 2.",
    );
    expect(() => generateSignCorpus({ trainSamples: -1 })).toThrow(
      "Argument 'options.trainSamples' passed to 'generateSignCorpus' must be an integer >= 0, but got -1.",
    );
    expect(() => generateSignCorpus(null as never)).toThrow(
      "Argument 'options' passed to 'generateSignCorpus' must be an object or undefined, but got null.",
    );
    const corpus = generateSignCorpus({
      glosses: 10,
      trainSamples: 1,
      devSamples: 1,
      testSamples: 1,
    });
    expect(() => corpus.specFor(['NOPE'])).toThrow(
      "Argument 'glosses[0]' passed to 'SyntheticSignCorpus.specFor' must be a gloss of the corpus (10 glosses), " +
        "but got 'NOPE'.",
    );
    expect(() => corpus.specFor(['REGEN'], { signer: 'Signer10' })).toThrow(
      /'options.signer' passed to 'SyntheticSignCorpus.specFor' must be a signer index in \[0, 8\] .*, but got 'Signer10'\./,
    );
    const spec = corpus.splits.train[0];
    expect(() =>
      corpus.renderSample({ ...spec, glosses: spec.glosses.map(() => 'X') }, small),
    ).toThrow(
      new RegExp(
        `^Argument 'spec.glossIds\\[0\\]' passed to 'SyntheticSignCorpus.renderSample' ` +
          `must be the id of spec.glosses\\[0\\], 'X', in this corpus, ` +
          `but got ${spec.glossIds[0]}, which is '${spec.glosses[0]}'\\.$`,
      ),
    );
    expect(() => corpus.renderSample(spec, { height: 0 })).toThrow(
      "Argument 'options.height' passed to 'SyntheticSignCorpus.renderSample' must be an integer >= 1, but got 0.",
    );
  });
});
