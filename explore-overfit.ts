import * as tf from '@tensorflow/tfjs';
import { ctcLoss, ctcGreedyDecode, wordErrorRate } from './packages/ctc/src/index';
import { generateSignCorpus, makeBatch } from './packages/data/src/index';
import { buildI3DTeacher } from './packages/models-i3d/src/index';
await tf.setBackend('cpu');
const size = Number(process.argv[2] ?? 32), fps = Number(process.argv[3] ?? 8), lr = Number(process.argv[4] ?? 0.003);
const corpus = generateSignCorpus({ seed: 1, glosses: 10, trainSamples: 5, devSamples: 1, testSamples: 1 });
const samples = [...corpus.samples('train', { height: size, width: size, fps, noise: 1 })];
console.log('T', samples.map((s) => s.frameShape[0]), 'glosses', samples.map((s) => s.glosses.length));
const teacher = buildI3DTeacher({ numClasses: corpus.vocabulary.size, inputShape: [null, size, size, 3], widthMultiplier: 1 / 8, lstmUnits: 64, dropout: 0.1, batchNormMomentum: Number(process.argv[5] ?? 0.9) });
const batch = makeBatch(samples, { padTo: 4 });
const outLengths = teacher.outputLengths(batch.inputLengths);
console.log('out lengths', outLengths, 'params', teacher.model.countParams());
const optimizer = tf.train.adam(lr);
const refs = samples.map((s) => s.glossIds);
const start = performance.now();
for (let epoch = 1; epoch <= 400; epoch++) {
  const warm = Math.min(1, epoch / 20);
  (optimizer as any).learningRate = lr * warm;
  const loss = optimizer.minimize(() => ctcLoss(teacher.apply(batch.videos, true), batch.targets, outLengths, batch.targetLengths) as tf.Scalar, true) as tf.Scalar;
  const value = (await loss.data())[0]; loss.dispose();
  if (epoch % 10 === 0) {
    const lp = teacher.apply(batch.videos, false);
    const hyps = await ctcGreedyDecode(lp, outLengths); lp.dispose();
    const wer = wordErrorRate(refs, hyps.map((h) => h.tokens)).wer;
    console.log(`epoch ${epoch} loss ${value.toFixed(3)} wer ${(wer * 100).toFixed(1)}% ${((performance.now() - start) / 1000).toFixed(1)}s`);
    if (wer === 0 && value < 0.1) break;
  }
}
