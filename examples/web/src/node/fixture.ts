/**
 * What the browser test serves: a tiny MobileNetV3 student overfitted on a few samples of the
 * synthetic corpus (seeded, on the cpu backend), its `vocabulary.json`, a unigram `lm.arpa`, and
 * a clip of one training sample as `clip.y4m` for Chromium's fake camera. Node.js only.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setupBackend } from '@slr/backend/node';
import { writeFileAtomic } from '@slr/core/node';
import { generateSignCorpus, type SignSample } from '@slr/data';
import { writeY4mFile } from '@slr/data/node';
import { saveModel } from '@slr/layers/node';
import { buildMobileNetV3Student } from '@slr/models-mobilenetv3';
import { train } from '@slr/train/node';

/** The clip's size and rate: the overfit example's tiny student's. */
export const VIDEO = { height: 32, width: 32, fps: 4 } as const;

/** What {@link writeFixture} wrote. */
export interface Fixture {
  /** The model folder (model.json, weights, vocabulary.json, lm.arpa). */
  modelDir: string;
  /** The fake camera's clip. */
  clipPath: string;
  /** The sample the clip shows. */
  sample: SignSample;
  /** Every training sample, one after the other: the video file the test opens. */
  longClipPath: string;
  /** The glosses of the long clip. */
  longClipGlosses: string[];
  /** The last epoch's loss, the last evaluation's WER and the epochs trained. */
  loss: number;
  wer: number;
  epochs: number;
}

/** A unigram ARPA LM over `glosses`, every gloss equally likely. */
export function uniformArpa(glosses: readonly string[]): string {
  const words = ['<s>', '</s>', '<unk>', ...glosses];
  const logProb = Math.log10(1 / (glosses.length + 2));
  const lines = words.map((word) => `${word === '<s>' ? -99 : logProb.toFixed(4)}\t${word}`);
  return `\\data\\\nngram 1=${words.length}\n\n\\1-grams:\n${lines.join('\n')}\n\n\\end\\\n`;
}

/** Trains the student and writes the model folder and the clip under `dir`. */
export async function writeFixture(dir: string): Promise<Fixture> {
  await setupBackend('cpu', { quiet: true });
  const seed = 7;
  const corpus = generateSignCorpus({
    seed,
    glosses: 6,
    trainSamples: 4,
    devSamples: 0,
    testSamples: 0,
    maxSentenceLength: 4,
  });
  const samples = [...corpus.samples('train', VIDEO)];
  const model = buildMobileNetV3Student({
    numClasses: corpus.vocabulary.size,
    inputShape: [null, VIDEO.height, VIDEO.width, 3],
    variant: 'small',
    widthMultiplier: 0.25,
    temporalHead: 'K3-P2',
    temporalChannels: 64,
    lstmUnits: 64,
    dropout: 0.1,
    seed,
    batchNormMomentum: 0.3,
  });
  const result = await train({
    model,
    trainSamples: samples,
    evalSamples: samples,
    vocabulary: corpus.vocabulary,
    epochs: 300,
    batchSize: samples.length,
    shuffle: false,
    seed,
    optimizer: { name: 'adam', learningRate: 0.003 },
    schedule: { base: 'constant', warmupEpochs: 20 },
    clipNorm: 1,
    evalEvery: 10,
    earlyStop: { lossBelow: 0.1, werZero: true },
  });
  const modelDir = join(dir, 'model');
  await saveModel(model.model, modelDir);
  await writeFileAtomic(
    join(modelDir, 'vocabulary.json'),
    JSON.stringify(corpus.vocabulary.toJSON()),
  );
  await writeFile(join(modelDir, 'lm.arpa'), uniformArpa(corpus.vocabulary.glosses));
  const sample = samples[0];
  const clipPath = join(dir, 'clip.y4m');
  await writeY4mFile(clipPath, sample.frames, VIDEO);
  const longClipPath = join(dir, 'clip-long.y4m');
  const all = new Float32Array(samples.reduce((n, s) => n + s.frames.length, 0));
  samples.reduce((offset, s) => (all.set(s.frames, offset), offset + s.frames.length), 0);
  await writeY4mFile(longClipPath, all, VIDEO);
  model.model.dispose();
  const last = result.history[result.history.length - 1];
  return {
    modelDir,
    clipPath,
    sample,
    longClipPath,
    longClipGlosses: samples.flatMap((s) => s.glosses),
    loss: last?.loss ?? NaN,
    wer: result.lastEvaluation?.wer ?? NaN,
    epochs: result.history.length,
  };
}
