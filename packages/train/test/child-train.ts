// Trains the tiny model with a checkpoint every step; used by trainer.test.ts (killed and resumed).
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { train } from '../src/node/train';
import { tinySamples, tinySequenceModel } from './tiny';

await tf.setBackend('cpu');
const [dir, outFile, delayMs = '0'] = process.argv.slice(2);
const samples = tinySamples([
  [1, 2],
  [3, 4],
  [2, 3],
  [4, 1],
]);
const model = tinySequenceModel({ features: 12, numClasses: 5 });
const result = await train({
  model,
  trainSamples: samples,
  epochs: 6,
  batchSize: 2,
  seed: 3,
  optimizer: { name: 'adam', learningRate: 0.02 },
  schedule: { base: 'cosine', warmupSteps: 2 },
  checkpointDir: dir,
  checkpointEverySteps: 1,
  historyFile: `${dir}/history.jsonl`,
  callbacks: {
    onBatchEnd: () => {
      const end = Date.now() + Number(delayMs);
      while (Date.now() < end);
    },
  },
});
writeFileSync(
  outFile,
  JSON.stringify({
    step: result.state.step,
    epochs: result.history.length,
    resumedFrom: result.resumedFrom ?? null,
    weights: model.model.getWeights().map((w) => Array.from(w.dataSync())),
  }),
);
