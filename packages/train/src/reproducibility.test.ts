import { expect, it } from 'vitest';
import { SeededRandom, type SignSample } from '@slr/data';
import type { SequenceModel } from '@slr/layers';
import { buildI3DTeacher } from '@slr/models-i3d';
import { buildMobileNetV3Student } from '@slr/models-mobilenetv3';
import { describeWithBackends } from '@slr/test-utils';
import { train } from './trainer';
import type { TrainOptions } from './train-options';

const KEYPOINTS = 3;

/** Four clips of `frames` frames of `size`×`size` pixels with keypoints, one or two glosses each. */
function clips(size: number, frames: number): SignSample[] {
  const rng = new SeededRandom(17);
  return [[1], [2, 3], [3], [1, 2]].map((glossIds, i) => ({
    id: `clip${i}`,
    signer: 'a',
    frameShape: [frames, size, size, 3],
    frames: Float32Array.from({ length: frames * size * size * 3 }, () => rng.next()),
    glosses: glossIds.map((id) => `G${id}`),
    glossIds,
    keypoints: Float32Array.from({ length: frames * KEYPOINTS * 2 }, () => rng.next()),
  }));
}

/** What a run leaves: every epoch's loss and every final weight, as bit patterns. */
interface RunBits {
  losses: number[];
  weights: Uint32Array[];
}

type Build = (seed: number) => { model: SequenceModel } & Partial<TrainOptions>;

const MODELS: [string, Build, SignSample[]][] = [
  [
    'the I3D teacher (pose stream, attention dropout, dropout)',
    (seed) => ({
      model: buildI3DTeacher({
        numClasses: 4,
        inputShape: [null, 16, 16, 3],
        widthMultiplier: 1 / 16,
        lstmUnits: 4,
        attentionHeads: 2,
        attentionKeyDim: 4,
        attentionDropout: 0.3,
        dropout: 0.3,
        pose: { keypoints: KEYPOINTS, units: 6 },
        seed,
      }),
      inputs: (batch) => [batch.videos, batch.keypoints!],
    }),
    clips(16, 12),
  ],
  [
    'the MobileNetV3 student (dropout)',
    (seed) => ({
      model: buildMobileNetV3Student({
        variant: 'small',
        widthMultiplier: 0.25,
        numClasses: 4,
        inputShape: [null, 32, 32, 3],
        temporalHead: 'K3',
        temporalChannels: 8,
        lstmUnits: 4,
        dropout: 0.3,
        seed,
      }),
    }),
    clips(32, 10),
  ],
];

async function runOnce(build: Build, samples: SignSample[], seed: number): Promise<RunBits> {
  const built = build(seed);
  const { history } = await train({
    ...built,
    trainSamples: samples,
    epochs: 2,
    batchSize: 2,
    seed,
    augment: { timeScale: 0.2, cropScale: [0.7, 1], brightness: 0.1 },
    optimizer: { name: 'adam', learningRate: 0.01 },
    advice: false,
  });
  const weights: Uint32Array[] = [];
  for (const weight of built.model.model.getWeights())
    weights.push(new Uint32Array(new Float32Array(await weight.data()).buffer));
  built.model.model.dispose();
  return {
    losses: history.map((record) => record.loss),
    weights,
  };
}

function asFloats(bits: Uint32Array): Float32Array {
  return new Float32Array(bits.buffer);
}

describeWithBackends('one seed makes a run repeatable', (backend) => {
  const exact = backend !== 'webgpu';
  it.each(MODELS)(`${backend}: %s`, async (_name, build, samples) => {
    const first = await runOnce(build, samples, 5);
    const second = await runOnce(build, samples, 5);
    expect(first.losses.every(Number.isFinite)).toBe(true);
    if (exact) {
      // Bit for bit: every epoch's loss and every weight.
      expect(second.losses).toEqual(first.losses);
      expect(second.weights).toEqual(first.weights);
    } else {
      // Float32 tolerance: the kernels may reorder sums between runs.
      second.losses.forEach((loss, i) => expect(loss).toBeCloseTo(first.losses[i], 4));
      let worst = 0;
      second.weights.forEach((bits, i) => {
        const [a, b] = [asFloats(first.weights[i]), asFloats(bits)];
        for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
      });
      expect(worst).toBeLessThan(1e-4);
    }
    const other = await runOnce(build, samples, 6);
    expect(other.losses).not.toEqual(first.losses);
  });
});
