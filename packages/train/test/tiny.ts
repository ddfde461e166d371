import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach } from 'vitest';
import { SeededRandom, type SignSample } from '@slr/data';
import { Dropout, LogSoftmax, type SequenceModel } from '@slr/layers';
import type { TrainOptions } from '../src/train-options';

/**
 * A tiny {@link SequenceModel} for tests: frames `[B, T, H, W, 3]` flattened per frame, a
 * hidden dense layer, optionally `@slr/layers`' (unseeded) `Dropout`, a dense layer to
 * `numClasses` and a log-softmax (left out with `logSoftmax: false`: the raw-logits bug); no
 * downsampling.
 *
 * @example
 * ```ts
 * const model = tinySequenceModel({ features: 12, numClasses: 5, seed: 1 });
 * ```
 */
export function tinySequenceModel(options: {
  features: number;
  numClasses: number;
  hidden?: number;
  seed?: number;
  dropout?: number;
  logSoftmax?: boolean;
}): SequenceModel {
  const seed = options.seed ?? 1;
  const input = tf.input({ shape: [null, options.features] });
  let x = tf.layers
    .dense({
      units: options.hidden ?? 16,
      activation: 'tanh',
      name: 'hidden',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    })
    .apply(input) as tf.SymbolicTensor;
  if (options.dropout !== undefined)
    x = new Dropout({ rate: options.dropout, name: 'drop' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({
      units: options.numClasses,
      name: 'classifier',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
    })
    .apply(x) as tf.SymbolicTensor;
  const output =
    options.logSoftmax === false ? x : (new LogSoftmax().apply(x) as tf.SymbolicTensor);
  const model = tf.model({ inputs: input, outputs: output });
  return {
    model,
    apply(inputs, training) {
      return tf.tidy(() => {
        const videos = inputs as tf.Tensor;
        const [b, t] = videos.shape;
        const flat = tf.reshape(videos, [b, t, options.features]);
        const out = model.apply(flat, { training }) as tf.Tensor3D;
        return tf.transpose<tf.Tensor3D>(out, [1, 0, 2]);
      });
    },
    outputLengths: (lengths) =>
      Array.from(lengths instanceof tf.Tensor ? lengths.dataSync() : lengths),
  };
}

/**
 * Synthetic samples for tests: each gloss id `g` is shown for `framesPerGloss` frames of a
 * `2×2×3` image whose pattern depends on `g` (plus a little seeded noise).
 *
 * @example
 * ```ts
 * const samples = tinySamples([[1, 2], [3, 1]], 3); // 12 features per frame
 * ```
 */
export function tinySamples(sequences: number[][], framesPerGloss = 3, seed = 5): SignSample[] {
  const rng = new SeededRandom(seed);
  return sequences.map((ids, i) => {
    const t = ids.length * framesPerGloss;
    const frames = new Float32Array(t * 12);
    ids.forEach((g, k) => {
      for (let f = 0; f < framesPerGloss; f++) {
        for (let j = 0; j < 12; j++)
          frames[(k * framesPerGloss + f) * 12 + j] =
            Math.sin((g + 1) * (j + 1)) + 0.05 * rng.normal();
      }
    });
    return {
      id: `s${i}`,
      signer: 'a',
      frameShape: [t, 2, 2, 3],
      frames,
      glosses: ids.map((g) => `G${g}`),
      glossIds: ids,
    };
  });
}

/**
 * A function that makes a fresh temporary folder (`prefix` in its name), every one removed after
 * each test of the file that calls this.
 *
 * @example
 * ```ts
 * const temporaryFolder = useTemporaryFolders('slr-train-');
 * it('checkpoints', async () => { const dir = temporaryFolder(); … });
 * ```
 */
export function useTemporaryFolders(prefix: string): () => string {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    const folder = mkdtempSync(join(tmpdir(), prefix));
    folders.push(folder);
    return folder;
  };
}

/** Four tiny samples over glosses 1–4 (see {@link tinySamples}). */
export const TINY_SAMPLES = tinySamples([
  [1, 2],
  [3, 4],
  [2, 3],
  [4, 1],
]);

/**
 * Options of a short run of a tiny model on {@link TINY_SAMPLES} (2 epochs of 2 batches, Adam),
 * with `over` on top.
 *
 * @example
 * ```ts
 * await train(tinyTrainOptions({ epochs: 3 }));
 * ```
 */
export function tinyTrainOptions<T extends TrainOptions>(over: Partial<T> = {}): T {
  return {
    model: tinySequenceModel({ features: 12, numClasses: 5 }),
    trainSamples: TINY_SAMPLES,
    epochs: 2,
    batchSize: 2,
    seed: 3,
    optimizer: { name: 'adam', learningRate: 0.02 },
    ...over,
  } as unknown as T;
}

/** Every weight of the options' model, as plain arrays. */
export function weightsOf(options: TrainOptions): number[][] {
  return options.model.model.getWeights().map((weight) => Array.from(weight.dataSync()));
}

/**
 * The run of the kill test (6 epochs of 2 steps of {@link TINY_SAMPLES}, Adam with warmup and
 * cosine decay), which `test/child-train.ts` trains with a checkpoint every step.
 */
export const KILL_TEST_RUN = {
  epochs: 6,
  batchSize: 2,
  seed: 3,
  optimizer: { name: 'adam', learningRate: 0.02 },
  schedule: { base: 'cosine', warmupSteps: 2 },
} as const satisfies Partial<TrainOptions>;
