// Trains the tiny model with a checkpoint every step and writes the outcome; used by the kill
// test (checkpoints-kill.test.ts), which kills it with SIGKILL and starts it again to resume.
// Arguments: the checkpoint folder, the result file.
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerFastCpuKernels } from '@slr/backend';
import { train } from '../src/node/train';
import { KILL_TEST_RUN, tinySequenceModel, TINY_SAMPLES } from './tiny';

// The kernels the test process uses (vitest.setup.ts), so that weights compare bit for bit.
registerFastCpuKernels();
await tf.setBackend('cpu');
const [dir, outFile] = process.argv.slice(2);
// A step of this tiny model takes a few milliseconds on the fast kernels: each step also waits
// this long, so that the test's kills land before the run ends. It changes no value.
const STEP_PAUSE_MS = 40;
const model = tinySequenceModel({ features: 12, numClasses: 5 });
const result = await train({
  model,
  trainSamples: TINY_SAMPLES,
  ...KILL_TEST_RUN,
  checkpointDir: dir,
  checkpointEverySteps: 1,
  historyFile: join(dir, 'history.jsonl'),
  callbacks: {
    onWarning: () => undefined,
    onBatchEnd: () => new Promise<void>((resolve) => setTimeout(resolve, STEP_PAUSE_MS)),
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
