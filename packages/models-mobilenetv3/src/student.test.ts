import * as tf from '@tensorflow/tfjs';
import { ctcLoss } from '@slr/ctc';
import { HardSwish, LogSoftmax, SqueezeExcite } from '@slr/layers';
import { afterAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import {
  buildMobileNetV3Student,
  FoldTime,
  UnfoldTime,
  wrapMobileNetV3Student,
  type MobileNetV3StudentOptions,
} from './index';

/** The tiny configuration of the tests: Small ×0.25 at 32×32, V = 6 (blank 0). */
const TINY: MobileNetV3StudentOptions = {
  variant: 'small',
  widthMultiplier: 0.25,
  numClasses: 6,
  inputShape: [null, 32, 32, 3],
  temporalHead: 'K3-P2',
  temporalChannels: 16,
  lstmUnits: 16,
  dropout: 0,
  seed: 11,
};

const BATCH = 2;
const FRAMES = 8;
const videos = tf.randomUniform([BATCH, FRAMES, 32, 32, 3], -1, 1, 'float32', 21);
const targets = tf.tensor2d(
  [
    [1, 2],
    [3, -1],
  ],
  [2, 2],
  'int32',
);
const targetLengths = [2, 1];

afterAll(() => tf.dispose([videos, targets]));

async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
      });
    }),
  );
  return saved!;
}

function logSumExpOverClasses(logProbs: tf.Tensor3D): number[] {
  return Array.from(tf.tidy(() => tf.logSumExp(logProbs, 2)).dataSync());
}

describe('buildMobileNetV3Student: shapes and lengths', () => {
  const student = buildMobileNetV3Student(TINY);
  afterAll(() => student.model.dispose());

  it('returns time-major [T′, B, V] log-probabilities', () => {
    const logProbs = expectNoLeaks(() => student.apply(videos, false), 1);
    expect(logProbs.shape).toEqual([3, BATCH, 6]); // 8 → K3 → 6 → P2 → 3
    expect(student.outputLengths([FRAMES])).toEqual([3]);
    logProbs.dispose();
  });

  it('is made of the per-frame MobileNetV3, the temporal head, a BiLSTM and LogSoftmax', () => {
    const classes = student.model.layers.map((l) => l.getClassName());
    expect(student.model.layers[1]).toBeInstanceOf(FoldTime);
    expect(student.model.layers.some((l) => l instanceof UnfoldTime)).toBe(true);
    expect(student.model.layers.some((l) => l instanceof SqueezeExcite)).toBe(true);
    expect(student.model.layers.some((l) => l instanceof HardSwish)).toBe(true);
    expect(classes).toContain('Conv1D');
    expect(classes).toContain('MaxPooling1D');
    expect(classes).toContain('Bidirectional');
    expect(student.model.layers[student.model.layers.length - 1]).toBeInstanceOf(LogSoftmax);
    expect(student.model.outputShape).toEqual([null, null, 6]);
  });

  it('emits log-probabilities: every value ≤ 0 and logsumexp over V = 0, in training and inference', () => {
    for (const training of [false, true]) {
      const logProbs = student.apply(videos, training);
      expect(Math.max(...Array.from(logProbs.dataSync()))).toBeLessThanOrEqual(0);
      for (const lse of logSumExpOverClasses(logProbs)) expect(Math.abs(lse)).toBeLessThan(1e-4);
      logProbs.dispose();
    }
  });

  it('outputLengths equals the T′ the model produces, for several T and heads', () => {
    const cases: [MobileNetV3StudentOptions['temporalHead'], number[]][] = [
      ['K3-P2', [4, 5, 9, 10]],
      ['K5-P2-K5-P2', [16, 17, 19, 22]],
      ['none', [1, 3]],
      [
        [
          { type: 'conv', kernelSize: 3, padding: 'same' },
          { type: 'pool', size: 3, stride: 2 },
        ],
        [3, 6],
      ],
    ];
    for (const [temporalHead, lengths] of cases) {
      const model =
        temporalHead === 'K3-P2'
          ? student
          : buildMobileNetV3Student({ ...TINY, temporalHead, lstmUnits: 8 });
      for (const frames of lengths) {
        const x = tf.randomUniform([1, frames, 32, 32, 3], -1, 1, 'float32', frames);
        const logProbs = model.apply(x, false);
        expect(logProbs.shape[0], `${JSON.stringify(temporalHead)} T=${frames}`).toBe(
          model.outputLengths([frames])[0],
        );
        tf.dispose([x, logProbs]);
      }
      expect(model.outputLengths(lengths)).toEqual(lengths.map((t) => model.outputLengths([t])[0]));
      if (model !== student) model.model.dispose();
    }
    expect(student.outputLengths([8, 7, 3, 2, 0])).toEqual([3, 2, 0, 0, 0]);
  });

  it('builds with a fixed T and rejects clips the temporal head cannot take', () => {
    const fixed = buildMobileNetV3Student({
      ...TINY,
      inputShape: [20, 32, 32, 3],
      temporalHead: 'K5-P2-K5-P2',
    });
    expect(fixed.model.outputShape).toEqual([null, 2, 6]);
    expect(fixed.model.countParams()).toBe(
      buildMobileNetV3Student({ ...TINY, temporalHead: 'K5-P2-K5-P2' }).model.countParams(),
    );
    fixed.model.dispose();
    expect(() =>
      buildMobileNetV3Student({
        ...TINY,
        inputShape: [12, 32, 32, 3],
        temporalHead: 'K5-P2-K5-P2',
      }),
    ).toThrow(
      "Argument 'options.inputShape' passed to 'buildMobileNetV3Student' must have T ≥ 16: the " +
        'temporal head leaves no frame of fewer, but got T = 12.',
    );
    expect(() => student.apply(tf.zeros([1, 2, 32, 32, 3]), false)).toThrow(
      "Argument 'videos' passed to 'MobileNetV3Student.apply' must have T ≥ 4 frames (the " +
        'temporal head leaves none of fewer), but got T = 2.',
    );
    expect(() => student.apply(tf.zeros([1, 8, 32, 32, 3]), 'false' as never)).toThrow(
      "Argument 'training' passed to 'MobileNetV3Student.apply' must be a boolean, but got 'false'.",
    );
    expect(() => student.apply(tf.zeros([1, 32, 32, 3]), false)).toThrow(
      "Argument 'videos' passed to 'MobileNetV3Student.apply' must be a tensor [B, T, H, W, C], " +
        'but got a float32 tensor of shape [1, 32, 32, 3].',
    );
    expect(() => buildMobileNetV3Student({ ...TINY, numClasses: 1 })).toThrow(
      "Argument 'options.numClasses' passed to 'buildMobileNetV3Student' must be an integer >= 2, but got 1.",
    );
    expect(() => buildMobileNetV3Student({ ...TINY, temporalHead: 'K5-X2' })).toThrow(
      "Argument 'options.temporalHead' passed to 'buildMobileNetV3Student' must be made of " +
        "K<kernel> and P<pool> tokens joined by '-' (e.g. 'K5-P2-K5-P2'), but got 'K5-X2' (token " +
        "2, 'X2', is neither).",
    );
    // outputLengths takes every form of Lengths.
    const lengths = tf.tensor1d([8, 9], 'int32');
    expect(student.outputLengths(lengths)).toEqual(student.outputLengths([8, 9]));
    expect(student.outputLengths(new Int32Array([8, 9]))).toEqual(student.outputLengths([8, 9]));
    lengths.dispose();
  });

  it('checks every option before building any layer: a rejected build leaves no tensor behind', () => {
    const fn = 'buildMobileNetV3Student';
    const cases: [Record<string, unknown>, string][] = [
      [
        { numClasses: 1 },
        `'options.numClasses' passed to '${fn}' must be an integer >= 2, but got 1`,
      ],
      [
        { variant: 'tiny' },
        `'options.variant' passed to '${fn}' must be one of 'large', 'small', but got 'tiny'`,
      ],
      [
        { widthMultiplier: 0 },
        `'options.widthMultiplier' passed to '${fn}' must be a finite number > 0, but got 0`,
      ],
      [
        { batchNormMomentum: 1.5 },
        `'options.batchNormMomentum' passed to '${fn}' must be a finite number in [0, 1], but got 1.5`,
      ],
      [
        { inputShape: [null, 32, 32] },
        `'options.inputShape' passed to '${fn}' must be [T, H, W, C]`,
      ],
      [{ inputShape: [2, 32, 32, 3] }, `'options.inputShape' passed to '${fn}' must have T ≥ 4`],
      [
        { temporalHead: 'K0' },
        `'options.temporalHead[0].kernelSize' passed to '${fn}' must be an integer >= 1, but got 0`,
      ],
      [
        { temporalChannels: 0 },
        `'options.temporalChannels' passed to '${fn}' must be an integer >= 1, but got 0`,
      ],
      [
        { lstmUnits: -1 },
        `'options.lstmUnits' passed to '${fn}' must be an integer >= 0, but got -1`,
      ],
      [
        { dropout: 1 },
        `'options.dropout' passed to '${fn}' must be a finite number in [0, 1), but got 1`,
      ],
      [{ seed: 1.5 }, `'options.seed' passed to '${fn}' must be a safe integer, but got 1.5`],
      [{ name: 7 }, `'options.name' passed to '${fn}' must be a non-empty string, but got 7`],
    ];
    for (const [invalid, message] of cases) {
      const before = tf.memory().numTensors;
      expect(() => buildMobileNetV3Student({ ...TINY, ...invalid })).toThrow(`Argument ${message}`);
      expect(tf.memory().numTensors, JSON.stringify(invalid)).toBe(before);
    }
    for (const options of [undefined, null, 3]) {
      expect(() => buildMobileNetV3Student(options as never)).toThrow(
        `Argument 'options' passed to '${fn}' must be an object, but got ${String(options)}.`,
      );
    }
    const named = buildMobileNetV3Student({ ...TINY, name: 'my_student' });
    expect(named.model.name).toBe('my_student');
    named.model.dispose();
  });

  it('leaves the LSTM out with lstmUnits 0, and seeds initialise reproducibly with distinct LSTM directions', () => {
    const noLstm = buildMobileNetV3Student({ ...TINY, lstmUnits: 0, temporalHead: 'none' });
    expect(noLstm.model.layers.some((l) => l.getClassName() === 'Bidirectional')).toBe(false);
    noLstm.model.dispose();
    const again = buildMobileNetV3Student(TINY);
    // Trainable weights only: earlier training-mode passes moved this student's BatchNorm statistics.
    const values = (s: typeof student) =>
      s.model.getWeights(true).map((w) => Array.from(w.dataSync()));
    expect(values(again)).toEqual(values(student));
    const bilstm = student.model.getLayer('bilstm').getWeights();
    expect(Array.from(bilstm[3].dataSync())).not.toEqual(Array.from(bilstm[0].dataSync()));
    expect(Array.from(bilstm[4].dataSync())).not.toEqual(Array.from(bilstm[1].dataSync()));
    again.model.dispose();
  });
});

describe('buildMobileNetV3Student: training with ctcLoss', () => {
  it('gives every trainable weight a non-zero gradient', () => {
    const student = buildMobileNetV3Student({ ...TINY, dropout: 0.1 });
    const variables = student.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () =>
        ctcLoss(
          student.apply(videos, true),
          targets,
          student.outputLengths([FRAMES, FRAMES]),
          targetLengths,
        ),
      variables,
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const silent = variables.filter(
      (v) =>
        grads[v.name] == null || tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0]) === 0,
    );
    expect(silent.map((v) => v.name)).toEqual([]);
    expect(Object.keys(grads)).toHaveLength(variables.length);
    tf.dispose([value, ...Object.values(grads)]);
    student.model.dispose();
  });

  it('lowers the CTC loss with Adam (1e-3) on a tiny batch', () => {
    const student = buildMobileNetV3Student(TINY);
    const variables = student.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const optimizer = tf.train.adam(1e-3);
    const loss = () =>
      ctcLoss(
        student.apply(videos, true),
        targets,
        student.outputLengths([FRAMES, FRAMES]),
        targetLengths,
      );
    const before = tf.tidy(() => loss().dataSync()[0]);
    for (let step = 0; step < 3; step++) optimizer.minimize(loss, false, variables);
    const after = tf.tidy(() => loss().dataSync()[0]);
    expect(after).toBeLessThan(before);
    optimizer.dispose();
    student.model.dispose();
  });
});

describe('buildMobileNetV3Student: serialisation', () => {
  it('round-trips the model through withSaveHandler → fromMemory with the same outputs and lengths', async () => {
    const student = buildMobileNetV3Student({ ...TINY, temporalHead: 'K3-P2-K2-P1' });
    const artifacts = await saveToMemory(student.model);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const wrapped = wrapMobileNetV3Student(loaded);
    expect(loaded.countParams()).toBe(student.model.countParams());
    expect(loaded.layers[loaded.layers.length - 1]).toBeInstanceOf(LogSoftmax);
    const expected = student.apply(videos, false);
    const actual = wrapped.apply(videos, false);
    expect(actual.shape).toEqual(expected.shape);
    const e = expected.dataSync();
    Array.from(actual.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(e[i], 5));
    expect(wrapped.outputLengths([8, 9, 12, 30])).toEqual(student.outputLengths([8, 9, 12, 30]));
    tf.dispose([expected, actual]);
    student.model.dispose();
    loaded.dispose();
  });
});
