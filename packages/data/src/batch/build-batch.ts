/**
 * Internal: the batch builder behind {@link makeBatch} and {@link batches} (not exported from
 * the package).
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import type { SignSample } from '../types';
import type { MakeBatchOptions, SignBatch } from './make-batch';
import { checkSample, nameOf, targetIds } from './sample-checks';

/**
 * {@link makeBatch} for `fn` (makeBatch itself, or batches), whose argument `argumentOf(b)`
 * held sample b; `options` are checked already.
 */
export function buildBatch(
  samples: readonly SignSample[],
  options: MakeBatchOptions,
  fn: string,
  argumentOf: (index: number) => string,
): SignBatch {
  const { padTo = 1, vocabulary } = options;
  const dims = samples.map((sample, b) => checkSample(sample, fn, argumentOf(b)));
  const [{ height, width }] = dims;
  const first = nameOf(samples[0]);
  const mismatch = (b: number, must: string, got: string): ArgumentError =>
    new ArgumentError(fn, argumentOf(b), must, samples[b], {
      actualText: `${nameOf(samples[b])} ${got}`,
    });
  dims.forEach((d, b) => {
    if (d.height !== height || d.width !== width) {
      throw mismatch(
        b,
        `have frames of ${height}×${width} like ${first} (a batch has one H×W)`,
        `with frames of ${d.height}×${d.width}`,
      );
    }
  });

  let withKeypoints = options.keypoints;
  if (withKeypoints === undefined) {
    const having = dims.filter((d) => d.keypoints !== undefined).length;
    if (having > 0 && having < dims.length) {
      throw mismatch(
        dims.findIndex((d) => d.keypoints === undefined),
        'have keypoints like the other samples of its batch (pass keypoints: false to leave them out)',
        'without keypoints',
      );
    }
    withKeypoints = having > 0;
  }
  let keypointCount = 0;
  if (withKeypoints) {
    dims.forEach((d, b) => {
      if (d.keypoints === undefined)
        throw mismatch(b, 'have keypoints (options.keypoints is true)', 'without keypoints');
    });
    keypointCount = dims[0].keypoints!;
    dims.forEach((d, b) => {
      if (d.keypoints !== keypointCount) {
        throw mismatch(
          b,
          `have ${keypointCount} keypoints per frame like ${first}`,
          `with ${d.keypoints} keypoints per frame`,
        );
      }
    });
  }

  const ids = samples.map((sample, b) => targetIds(sample, vocabulary, fn, argumentOf(b)));
  const batchSize = samples.length;
  const inputLengths = dims.map((d) => d.frames);
  const targetLengths = ids.map((sequence) => sequence.length);
  const maxFrames = Math.ceil(Math.max(...inputLengths) / padTo) * padTo;
  const maxTargets = Math.max(1, ...targetLengths);

  const frameSize = height * width * 3;
  const videoData = new Float32Array(batchSize * maxFrames * frameSize);
  samples.forEach((sample, b) => videoData.set(sample.frames, b * maxFrames * frameSize));
  const targetData = new Int32Array(batchSize * maxTargets).fill(-1);
  ids.forEach((sequence, b) => targetData.set(sequence, b * maxTargets));

  const batch: SignBatch = {
    videos: tf.tensor5d(videoData, [batchSize, maxFrames, height, width, 3], 'float32'),
    inputLengths,
    targets: tf.tensor2d(targetData, [batchSize, maxTargets], 'int32'),
    targetLengths,
    ids: samples.map((sample) => sample.id),
    glosses: samples.map((sample) => [...sample.glosses]),
  };
  if (withKeypoints) {
    const keypointData = new Float32Array(batchSize * maxFrames * keypointCount * 2);
    samples.forEach((sample, b) =>
      keypointData.set(sample.keypoints!, b * maxFrames * keypointCount * 2),
    );
    batch.keypoints = tf.tensor4d(
      keypointData,
      [batchSize, maxFrames, keypointCount, 2],
      'float32',
    );
  }
  return batch;
}
