/**
 * CTC demo: a tiny sequence model (one trainable logit table per frame, behind a log-softmax)
 * learns to emit three gloss sequences of different lengths with `ctcLoss`, then the greedy
 * and beam-search decoders read them back and the word error rate is reported.
 *
 *   pnpm start            (from the repository root: builds the packages, then runs this)
 */
import * as tf from '@tensorflow/tfjs';
import { ctcBeamSearch, ctcGreedyDecode, ctcLoss, logSoftmax, wordErrorRate } from '@slr/ctc';

const GLOSSES = ['<blank>', 'MORGEN', 'REGEN', 'NORD', 'SONNE', 'WIND', 'KALT', 'WARM'];
const SENTENCES = [
  ['MORGEN', 'REGEN', 'NORD'],
  ['SONNE', 'WARM'],
  ['WIND', 'WIND', 'KALT', 'NORD'],
];
const FRAMES = 24;

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const ids = SENTENCES.map((sentence) => sentence.map((gloss) => GLOSSES.indexOf(gloss)));
  const width = Math.max(...ids.map((sentence) => sentence.length));
  const targets = tf.tensor2d(
    ids.map((sentence) => [...sentence, ...new Array<number>(width - sentence.length).fill(-1)]),
    [ids.length, width],
    'int32',
  );
  const inputLengths = [24, 18, 22];
  const targetLengths = ids.map((sentence) => sentence.length);

  // [T, B, V] trainable logits: the simplest "model" that CTC can train.
  const logits = tf.variable(
    tf.randomNormal([FRAMES, ids.length, GLOSSES.length], 0, 0.1, 'float32', 42),
  );
  const optimizer = tf.train.adam(0.1);
  const loss = () =>
    ctcLoss(logSoftmax(logits as unknown as tf.Tensor3D), targets, inputLengths, targetLengths);

  const started = performance.now();
  for (let step = 1; step <= 150; step++) {
    const value = optimizer.minimize(loss, true) as tf.Scalar;
    if (step === 1 || step % 25 === 0)
      console.log(`step ${String(step).padStart(3)}  ctc loss ${value.dataSync()[0].toFixed(4)}`);
    value.dispose();
  }

  const logProbs = tf.tidy(() => logSoftmax(logits as unknown as tf.Tensor3D));
  const greedy = await ctcGreedyDecode(logProbs, inputLengths);
  const beams = await ctcBeamSearch(logProbs, inputLengths, { beamWidth: 8 });
  const decoded = greedy.map((hypothesis) => hypothesis.tokens.map((id) => GLOSSES[id]));
  decoded.forEach((glosses, b) => {
    const beam = beams[b][0].tokens.map((id) => GLOSSES[id]);
    console.log(
      `sample ${b}: reference "${SENTENCES[b].join(' ')}"  greedy "${glosses.join(' ')}"  ` +
        `beam "${beam.join(' ')}" (frames ${greedy[b].frames.join(',')})`,
    );
  });
  const { wer } = wordErrorRate(SENTENCES, decoded);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `word error rate ${(100 * wer).toFixed(1)}% after ${seconds} s on backend '${tf.getBackend()}'`,
  );
  tf.dispose([logProbs, logits, targets]);
  optimizer.dispose();
  if (wer !== 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
