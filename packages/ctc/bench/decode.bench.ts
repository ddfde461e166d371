/**
 * Decoder timings on random log-softmax'd logits shaped like a sign-language model's output
 * (T = 150 frames, V = 1296 glosses + blank).
 *
 * Run: `npx tsx packages/ctc/bench/decode.bench.ts` (from the repository root).
 * Env: `T` (default 150), `V` (1296), `B` (utterances per call, 16), `REPEATS` (5).
 *
 * "N(0, 1) logits" is the worst case for pruning: every frame is nearly flat over 1296
 * tokens. "CTC-like" frames are peaked the way trained models are: mostly blank, with runs
 * of one gloss.
 */
import * as tf from '@tensorflow/tfjs';
import { ctcBeamSearch } from '../src/decode/beam-search';
import { ctcGreedyDecode } from '../src/decode/greedy';
import type { CtcBeamSearchOptions } from '../src/decode/types';
import { NGramLanguageModel } from '../src/lm/language-model';
import { randomBigramArpa } from './random-arpa';

const T = Number(process.env.T ?? 150);
const V = Number(process.env.V ?? 1296);
const B = Number(process.env.B ?? 16);
const REPEATS = Number(process.env.REPEATS ?? 5);

/** Logits of a trained-looking CTC model: 60% blank frames, the rest runs of one gloss, plus N(0, 1) noise. */
function ctcLikeLogits(seed = 11): tf.Tensor3D {
  let state = seed;
  const random = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const gaussian = (): number =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const values = new Float32Array(T * B * V);
  for (let b = 0; b < B; b++) {
    let token = 0;
    for (let t = 0; t < T; t++) {
      if (t % 3 === 0) token = random() < 0.6 ? 0 : 1 + Math.floor(random() * (V - 1));
      const offset = (t * B + b) * V;
      for (let v = 0; v < V; v++) values[offset + v] = gaussian() + (v === token ? 8 : 0);
    }
  }
  return tf.tidy(() => tf.logSoftmax<tf.Tensor3D>(tf.tensor3d(values, [T, B, V])));
}

async function time(label: string, run: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 2; i++) await run(); // warm-up (JIT)
  const start = performance.now();
  for (let i = 0; i < REPEATS; i++) await run();
  const perUtterance = (performance.now() - start) / (REPEATS * B);
  console.log(`${label.padEnd(58)} ${perUtterance.toFixed(3)} ms/utterance`);
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  console.log(`T=${T} V=${V} B=${B} repeats=${REPEATS} backend=${tf.getBackend()}`);
  const flat = tf.tidy(() =>
    tf.logSoftmax<tf.Tensor3D>(tf.randomNormal([T, B, V], 0, 1, 'float32', 7)),
  );
  const peaked = ctcLikeLogits();
  const lm = NGramLanguageModel.fromArpa(randomBigramArpa(V, 20));

  const beam = (logProbs: tf.Tensor3D, options: CtcBeamSearchOptions) => () =>
    ctcBeamSearch(logProbs, undefined, options);
  await time('greedy, N(0, 1) logits', () => ctcGreedyDecode(flat));
  await time('beam width 10 (defaults), N(0, 1) logits', beam(flat, { beamWidth: 10 }));
  await time('beam width 10 (defaults), CTC-like logits', beam(peaked, { beamWidth: 10 }));
  await time('beam width 10, nBest 5, N(0, 1) logits', beam(flat, { beamWidth: 10, nBest: 5 }));
  await time(
    'beam width 10, no tokenCutoff, N(0, 1) logits',
    beam(flat, { beamWidth: 10, tokenCutoff: Infinity }),
  );
  await time('beam width 32, N(0, 1) logits', beam(flat, { beamWidth: 32 }));
  await time('beam width 10, bigram LM, N(0, 1) logits', beam(flat, { beamWidth: 10, lm }));
  await time('beam width 10, bigram LM, CTC-like logits', beam(peaked, { beamWidth: 10, lm }));
  flat.dispose();
  peaked.dispose();
}

void main();
