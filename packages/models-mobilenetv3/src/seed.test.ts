import * as tf from '@tensorflow/tfjs';
import { Dropout, setRandomStep } from '@slr/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildMobileNetV3Classifier,
  buildMobileNetV3Features,
  buildMobileNetV3Student,
  type MobileNetV3StudentOptions,
} from './index';

const TINY: MobileNetV3StudentOptions = {
  variant: 'small',
  widthMultiplier: 0.25,
  numClasses: 6,
  inputShape: [null, 32, 32, 3],
  temporalHead: 'K3-P2',
  temporalChannels: 8,
  lstmUnits: 4,
  dropout: 0.3,
};

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((weight) => weight.dataSync() as Float32Array);
}

/** The indices of the weights drawn at random (kernels; not biases or normalisation). */
function randomWeights(model: tf.LayersModel): number[] {
  return model.weights.flatMap((weight, i) => (/kernel/.test(weight.originalName) ? [i] : []));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('seeded MobileNetV3 builders', () => {
  it.each([0, 11, -2])(
    'give the same weights for the same seed, others for another (%i)',
    (seed) => {
      const builds = [
        (s: number) => buildMobileNetV3Student({ ...TINY, seed: s }).model,
        (s: number) =>
          buildMobileNetV3Classifier({
            variant: 'small',
            widthMultiplier: 0.25,
            inputShape: [32, 32, 3],
            numClasses: 3,
            seed: s,
          }),
        (s: number) =>
          buildMobileNetV3Features({
            variant: 'large',
            widthMultiplier: 0.25,
            inputShape: [32, 32, 3],
            seed: s,
          }),
      ];
      for (const build of builds) {
        const [a, b, c] = [build(seed), build(seed), build(seed + 1)];
        const [wa, wb, wc] = [a, b, c].map(weightsOf);
        expect(wb).toEqual(wa);
        for (const i of randomWeights(a))
          expect(wc[i], a.weights[i].originalName).not.toEqual(wa[i]);
        for (const model of [a, b, c]) model.dispose();
      }
    },
  );

  it('draws no two kernels from the same seed (squeeze-excite and LSTM take theirs apart)', () => {
    // Same-seeded draws share their leading random numbers: compare the first few values.
    const { model } = buildMobileNetV3Student({ ...TINY, seed: 3 });
    const heads = model.weights
      .filter((weight) => /kernel/.test(weight.originalName))
      .map((weight) => {
        // Draws of one seed are proportional (each initialiser scales the same standard draws).
        const values = weight.read().dataSync();
        return Array.from(values.slice(1, 5), (v) => Math.round((v / values[0]) * 1e4));
      });
    const keys = heads.map((head) => head.join(','));
    expect(new Set(keys).size).toBe(keys.length);
    model.dispose();
  });

  it('use reproducible dropout layers, seeded by the builder and positioned by setRandomStep', () => {
    const student = buildMobileNetV3Student({ ...TINY, seed: 4 });
    const classifier = buildMobileNetV3Classifier({
      variant: 'small',
      widthMultiplier: 0.25,
      inputShape: [32, 32, 3],
      numClasses: 3,
      seed: 4,
    });
    expect(student.model.getLayer('dropout')).toBeInstanceOf(Dropout);
    expect(classifier.getLayer('classifier_dropout')).toBeInstanceOf(Dropout);
    const videos = tf.randomUniform([1, 7, 32, 32, 3], 0, 1, 'float32', 1);
    const run = () => tf.tidy(() => Array.from(student.apply(videos, true).dataSync()));
    const first = run();
    expect(run()).not.toEqual(first);
    expect(setRandomStep(student.model, 1, 0)).toEqual(['dropout']);
    const positioned = run();
    setRandomStep(student.model, 1, 0);
    expect(run()).toEqual(positioned);
    videos.dispose();
    student.model.dispose();
    classifier.dispose();
  });
});
