import * as tf from '@tensorflow/tfjs';
import { Dropout, setRandomStep } from '@slr/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyI3DBackbone,
  buildI3DBackbone,
  buildI3DTeacher,
  I3D_INCEPTION_BLOCKS,
  type I3DTeacherOptions,
} from './index';
import { BACKBONE_SEEDS } from './backbone-options';

/** The teacher with every randomly initialised part: pose stream, attention, two LSTMs. */
const TINY: I3DTeacherOptions = {
  numClasses: 5,
  inputShape: [null, 16, 16, 3],
  widthMultiplier: 1 / 16,
  lstmUnits: 4,
  lstmLayers: 2,
  attentionHeads: 2,
  attentionKeyDim: 4,
  attentionDropout: 0.2,
  dropout: 0.3,
  pose: { keypoints: 3, units: 6 },
};

/** Every weight of `model`, by name (the names differ between builds only in tfjs's counters). */
function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((weight) => weight.dataSync() as Float32Array);
}

/** The indices of the weights that tfjs draws at random (kernels; not biases or norms). */
function randomWeights(model: tf.LayersModel): number[] {
  return model.weights.flatMap((weight, i) => (/kernel/.test(weight.originalName) ? [i] : []));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('seeded I3D builders', () => {
  it('hand each backbone convolution one seed', () => {
    expect(BACKBONE_SEEDS).toBe(3 + 6 * I3D_INCEPTION_BLOCKS.length);
    const input = tf.input({ shape: [null, 16, 16, 3] });
    const { features } = applyI3DBackbone(input, { inputShape: [null, 16, 16, 3], seed: 1 });
    const model = tf.model({ inputs: input, outputs: features });
    const convs = model.layers.filter((layer) => layer.getClassName() === 'Conv3D');
    expect(convs).toHaveLength(BACKBONE_SEEDS);
    model.dispose();
  });

  it.each([0, 7, -3])(
    'buildI3DTeacher (pose stream, attention, 2 LSTMs) and the backbones: seed %i',
    (seed) => {
      const builds = [
        (s: number) => buildI3DTeacher({ ...TINY, seed: s }).model,
        (s: number) =>
          buildI3DBackbone({ inputShape: [4, 16, 16, 3], widthMultiplier: 1 / 16, seed: s }),
        (s: number) =>
          buildI3DBackbone({
            inputShape: [16, 193, 193, 3],
            widthMultiplier: 1 / 32,
            minChannels: 2,
            logitsClasses: 3,
            logitsHead: 'pytorch-i3d',
            seed: s,
          }),
      ];
      for (const build of builds) {
        const [a, b, c] = [build(seed), build(seed), build(seed + 1)];
        const [wa, wb, wc] = [a, b, c].map(weightsOf);
        expect(wb).toEqual(wa);
        // Every randomly drawn weight depends on the seed (none left unseeded or shared).
        for (const i of randomWeights(a))
          expect(wc[i], a.weights[i].originalName).not.toEqual(wa[i]);
        for (const model of [a, b, c]) model.dispose();
      }
    },
  );

  it('draws its weights anew without a seed, as tfjs and PyTorch', () => {
    const [a, b] = [buildI3DTeacher(TINY).model, buildI3DTeacher(TINY).model];
    const [wa, wb] = [a, b].map(weightsOf);
    for (const i of randomWeights(a)) expect(wb[i]).not.toEqual(wa[i]);
    a.dispose();
    b.dispose();
  });

  it('gives both directions of each LSTM their own weights', () => {
    const { model } = buildI3DTeacher({ ...TINY, seed: 1 });
    const lstm = model
      .getLayer('bilstm_1')
      .getWeights()
      .map((w) => w.dataSync());
    expect(lstm[3]).not.toEqual(lstm[0]); // kernels
    expect(lstm[4]).not.toEqual(lstm[1]); // recurrent kernels
    model.dispose();
  });

  it("uses reproducible dropout, positioned by setRandomStep: the teacher's and the attention's", () => {
    const teacher = buildI3DTeacher({ ...TINY, seed: 2 });
    expect(teacher.model.getLayer('dropout')).toBeInstanceOf(Dropout);
    expect(setRandomStep(teacher.model, 5, 0)).toEqual(['video_pose_attention', 'dropout']);
    const inputs = [
      tf.randomUniform([1, 8, 16, 16, 3], 0, 1, 'float32', 1),
      tf.randomUniform([1, 8, 3, 2], 0, 1, 'float32', 2),
    ];
    const run = () => tf.tidy(() => Array.from(teacher.apply(inputs, true).dataSync()));
    const first = run();
    expect(run()).not.toEqual(first);
    setRandomStep(teacher.model, 5, 0);
    expect(run()).toEqual(first);
    tf.dispose(inputs);
    teacher.model.dispose();
  });

  it('refuses a seed that is not a safe integer', () => {
    expect(() => buildI3DTeacher({ ...TINY, seed: 0.5 })).toThrow(
      "Argument 'options.seed' passed to 'buildI3DTeacher' must be a safe integer, but got 0.5.",
    );
    expect(() => buildI3DBackbone({ inputShape: [4, 16, 16, 3], seed: '1' as never })).toThrow(
      "Argument 'options.seed' passed to 'buildI3DBackbone' must be a safe integer, but got '1'.",
    );
  });
});
