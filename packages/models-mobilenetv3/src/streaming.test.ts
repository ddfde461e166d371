import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import type { SequenceModel } from '@slr/layers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildMobileNetV3Classifier,
  buildMobileNetV3Student,
  createStreamingStudent,
  wrapMobileNetV3Student,
  type MobileNetV3StudentOptions,
  type StreamingStudent,
} from './index';

/** Small ×0.25 at 32×32, V = 6: the tests' students differ in their heads and LSTMs. */
const TINY: MobileNetV3StudentOptions = {
  variant: 'small',
  widthMultiplier: 0.25,
  numClasses: 6,
  inputShape: [null, 32, 32, 3],
  temporalHead: 'K3-P2',
  temporalChannels: 8,
  lstmUnits: 0,
  dropout: 0.1,
  seed: 5,
};

const convolutional = buildMobileNetV3Student(TINY); // stride 2, receptive field 4
const recurrent = buildMobileNetV3Student({ ...TINY, lstmUnits: 8, seed: 6 });
// A 'same' convolution, a pooling whose stride exceeds its window, then a valid convolution.
const irregular = buildMobileNetV3Student({
  ...TINY,
  temporalHead: [
    { type: 'conv', kernelSize: 4, padding: 'same' },
    { type: 'pool', size: 2, stride: 3 },
    { type: 'conv', kernelSize: 2 },
  ],
  seed: 7,
});

const FRAMES = 45;
const clip = tf.randomUniform([FRAMES, 32, 32, 3], -1, 1, 'float32', 8);

afterAll(() => {
  for (const s of [convolutional, recurrent, irregular]) s.model.dispose();
  clip.dispose();
});

/** `[T′, V]` offline log-probabilities of the first `frames` frames of the clip. */
function offline(student: SequenceModel, frames = FRAMES): tf.Tensor2D {
  return tf.tidy(() => {
    const videos = tf.expandDims(tf.slice(clip, 0, frames), 0);
    return tf.squeeze<tf.Tensor2D>(student.apply(videos, false), [1]);
  });
}

/** Pushes the first `frames` frames in pieces of the given sizes (cycled), then flushes. */
function stream(s: StreamingStudent, sizes: number[], frames = FRAMES): tf.Tensor2D {
  const outputs: tf.Tensor2D[] = [];
  for (let at = 0, i = 0; at < frames; i++) {
    const n = Math.min(sizes[i % sizes.length], frames - at);
    const piece = tf.slice(clip, at, n);
    outputs.push(s.push(piece));
    piece.dispose();
    at += n;
  }
  outputs.push(s.flush());
  const all = tf.concat(outputs, 0);
  tf.dispose(outputs);
  return all;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('createStreamingStudent: without an LSTM, the offline output', () => {
  it.each([
    ['K3-P2', () => convolutional],
    ["a 'same' convolution and a pooling of stride 3 > window 2", () => irregular],
  ])('equals the offline output on the whole clip, every frame (%s)', (_, student) => {
    const expected = offline(student());
    for (const sizes of [[1], [3, 7, 2], [FRAMES]]) {
      const s = createStreamingStudent(student(), { chunkFrames: student() === irregular ? 3 : 4 });
      const streamed = stream(s, sizes);
      expect(streamed.shape[0]).toBe(student().outputLengths([FRAMES])[0]);
      expect(maxAbsDiff(streamed, expected)).toBeLessThan(1e-5);
      streamed.dispose();
    }
    expected.dispose();
  });

  it('emits student.outputLengths([T]) frames for every T, none for a stream too short', () => {
    const s = createStreamingStudent(irregular, { chunkFrames: 6 });
    for (const frames of [0, 1, 2, 4, 5, 9, 13, 20]) {
      const streamed = stream(s, [2, 5], frames);
      const expected = frames === 0 ? 0 : irregular.outputLengths([frames])[0];
      expect(streamed.shape, `T = ${frames}`).toEqual([expected, 6]);
      streamed.dispose();
    }
  });
});

describe('createStreamingStudent: the bidirectional LSTM', () => {
  it('equals the offline output when the lookahead covers the stream', () => {
    const expected = offline(recurrent);
    const s = createStreamingStudent(recurrent, { chunkFrames: 4, lookahead: 2 * FRAMES });
    const streamed = stream(s, [1, 6]);
    expect(maxAbsDiff(streamed, expected)).toBeLessThan(1e-5);
    tf.dispose([streamed, expected]);
  });

  it('approaches the offline output as the lookahead grows; the last chunk is exact', () => {
    const expected = offline(recurrent);
    const errors = [0, 8, 24].map((lookahead) => {
      const s = createStreamingStudent(recurrent, { chunkFrames: 4, lookahead });
      const streamed = stream(s, [FRAMES]);
      // Frames of the flush (the last chunk and its lookahead) see the true end: exact.
      const tail = streamed.shape[0] - (4 + lookahead) / 2;
      const flushed = [
        tf.slice(streamed, Math.max(0, tail)),
        tf.slice(expected, Math.max(0, tail)),
      ];
      expect(maxAbsDiff(flushed[0], flushed[1])).toBeLessThan(1e-5);
      const error = maxAbsDiff(streamed, expected);
      tf.dispose([streamed, ...flushed]);
      return error;
    });
    expected.dispose();
    // The backward direction starts from zero past the lookahead: not exact, and less so with
    // less lookahead (documented tolerance for this untrained model: 1e-3).
    expect(errors[0]).toBeGreaterThan(0);
    expect(errors[0]).toBeLessThan(1e-3);
    expect(errors[2]).toBeLessThanOrEqual(errors[0]);
  });

  it('does not depend on how the frames are split into push calls', () => {
    const outputs = [[1], [5, 2, 9], [FRAMES]].map((sizes) =>
      stream(createStreamingStudent(recurrent, { chunkFrames: 4, lookahead: 4 }), sizes),
    );
    expect(maxAbsDiff(outputs[0], outputs[2])).toBeLessThan(1e-6);
    expect(maxAbsDiff(outputs[1], outputs[2])).toBeLessThan(1e-6);
    tf.dispose(outputs);
  });

  it('emits a chunk once framesToFirstChunk frames came, then every chunkFrames frames', () => {
    const s = createStreamingStudent(recurrent, { chunkFrames: 6, lookahead: 4 });
    // chunk 6 + lookahead 4 + receptive field 4 − stride 2
    expect(s).toMatchObject({ stride: 2, chunkFrames: 6, lookahead: 4, framesToFirstChunk: 12 });
    const emittedAt: number[] = [];
    for (let t = 1; t <= 30; t++) {
      const frame = tf.slice(clip, t - 1, 1);
      const out = s.push(frame);
      frame.dispose();
      if (out.shape[0] > 0) {
        expect(out.shape).toEqual([3, 6]);
        emittedAt.push(t);
      }
      out.dispose();
    }
    expect(emittedAt).toEqual([12, 18, 24, 30]);
    expect(s.framesEmitted).toBe(12);
    s.reset();
  });
});

describe('createStreamingStudent: bounded state, no leaks', () => {
  it('holds at most maxBufferedFrames and the same tensors however long it runs', () => {
    for (const student of [recurrent, irregular]) {
      const before = tf.memory().numTensors;
      const s = createStreamingStudent(student, { chunkFrames: 6 });
      const counts: number[] = [];
      const frame = tf.slice(clip, 0, 1);
      for (let i = 0; i < 120; i++) {
        tf.dispose(s.push(frame));
        expect(s.bufferedFrames).toBeLessThanOrEqual(s.maxBufferedFrames);
        if (i >= 40) counts.push(tf.memory().numTensors);
      }
      // Buffers come and go with the chunk and pooling phases, but never pile up.
      const [early, late] = [counts.slice(0, 40), counts.slice(40)];
      expect(Math.max(...late)).toBe(Math.max(...early));
      expect(Math.min(...late)).toBe(Math.min(...early));
      expect(Math.max(...late) - Math.min(...late)).toBeLessThanOrEqual(3);
      expect(s.framesPushed).toBe(120);
      tf.dispose(s.flush());
      frame.dispose();
      expect(s.bufferedFrames).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('frees its tensors on reset, and keeps its state when a push fails midway', () => {
    const before = tf.memory().numTensors;
    const s = createStreamingStudent(recurrent, { chunkFrames: 4, lookahead: 4 });
    const expected = stream(
      createStreamingStudent(recurrent, { chunkFrames: 4, lookahead: 4 }),
      [10],
    );
    const first = tf.slice(clip, 0, 10);
    const firstOut = s.push(first);
    // A layer of the head failing mid-push: nothing leaks, nothing of the state changes.
    const classifier = recurrent.model.getLayer('classifier');
    const apply = classifier.apply.bind(classifier);
    classifier.apply = () => {
      throw new Error('simulated failure');
    };
    const rest = tf.slice(clip, 10);
    const held = tf.memory().numTensors;
    try {
      expect(() => s.push(rest)).toThrow('simulated failure');
    } finally {
      classifier.apply = apply;
    }
    expect(tf.memory().numTensors).toBe(held);
    expect(s.framesPushed).toBe(10);
    // The stream goes on as if the failed push never happened.
    const outputs = [firstOut, s.push(rest), s.flush()];
    const streamed = tf.concat(outputs, 0);
    expect(maxAbsDiff(streamed, expected)).toBe(0);
    tf.dispose([...outputs, streamed, expected, rest]);
    s.push(first).dispose();
    first.dispose();
    s.reset();
    expect(s.framesPushed).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('createStreamingStudent: errors', () => {
  it('works on a student saved and reloaded', async () => {
    let saved: tf.io.ModelArtifacts | undefined;
    await recurrent.model.save(
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({
          modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
        });
      }),
    );
    const restored = wrapMobileNetV3Student(await tf.loadLayersModel(tf.io.fromMemory(saved!)));
    const a = stream(createStreamingStudent(restored, { lookahead: 8 }), [7]);
    const b = stream(createStreamingStudent(recurrent, { lookahead: 8 }), [7]);
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([a, b]);
    restored.model.dispose();
  });

  it('rejects what is not a student, and options it cannot use', () => {
    const classifier = buildMobileNetV3Classifier({
      variant: 'small',
      widthMultiplier: 0.25,
      numClasses: 4,
      inputShape: [32, 32, 3],
    });
    const wrapped: SequenceModel = {
      model: classifier,
      apply: () => tf.zeros<tf.Rank.R3>([1, 1, 1]),
      outputLengths: () => [],
    };
    expect(() => createStreamingStudent(wrapped)).toThrow(
      /^Argument 'student' passed to 'createStreamingStudent' must be a MobileNetV3 student .*, but got a model without a single UnfoldTime layer/,
    );
    classifier.dispose();
    expect(() => createStreamingStudent(null as never)).toThrow(ArgumentError);
    expect(() => createStreamingStudent(recurrent, null as never)).toThrow(
      "Argument 'options' passed to 'createStreamingStudent' must be an object or undefined",
    );
    expect(() => createStreamingStudent(recurrent, { chunkFrames: 5 })).toThrow(
      "Argument 'options.chunkFrames' passed to 'createStreamingStudent' must be a multiple of 2, " +
        "the temporal head's stride, but got 5.",
    );
    expect(() => createStreamingStudent(recurrent, { chunkFrames: 0 })).toThrow(/chunkFrames/);
    expect(() => createStreamingStudent(recurrent, { lookahead: -2 })).toThrow(/lookahead/);
    expect(() => createStreamingStudent(convolutional, { lookahead: 2 })).toThrow(
      "Argument 'options.lookahead' passed to 'createStreamingStudent' must be 0 for a student without an LSTM",
    );
  });

  it('rejects frames of the wrong shape or type, leaving the stream as it was', () => {
    const s = createStreamingStudent(convolutional);
    const bad = [
      tf.zeros([2, 16, 32, 3]),
      tf.zeros([1, 2, 32, 32, 3]),
      tf.zeros([2, 32, 32, 3], 'int32'),
    ];
    const before = tf.memory().numTensors;
    for (const frames of bad) {
      expect(() => s.push(frames)).toThrow(
        /^Argument 'frames' passed to 'StreamingStudent.push' must be a float32 tensor \[t, 32, 32, 3\], but got a (float32|int32) tensor of shape/,
      );
    }
    expect(() => s.push([[1]] as never)).toThrow(ArgumentError);
    const disposed = tf.zeros([1, 32, 32, 3]);
    disposed.dispose();
    expect(() => s.push(disposed)).toThrow(/must be a live tensor, but got a disposed tensor/);
    expect(tf.memory().numTensors).toBe(before);
    expect(s.framesPushed).toBe(0);
    tf.dispose(bad);
  });
});
