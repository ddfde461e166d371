/**
 * The PyTorch twins of the models (`python/slr_torch`): runs their unittest suite
 * (`python/tests`, which fails this test with its own output), and checks, option for option,
 * that each twin has exactly the trainable and non-trainable parameter counts of the JS model
 * built with the same options (`python/tests/count_parameters.py` builds the twins from the JS
 * options, turned into snake_case).
 *
 * Needs PyTorch and torchvision at `/usr/bin/python3` (Debian: `python3-torch`,
 * `python3-torchvision`): without them the suite is skipped, saying so; under CI=true it fails.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import {
  buildI3DBackbone,
  buildI3DTeacher,
  type I3DBackboneOptions,
  type I3DTeacherOptions,
} from '@slr/models-i3d';
import { buildMobileNetV3Student, type MobileNetV3StudentOptions } from '@slr/models-mobilenetv3';
import { describeRequiring, PYTHON_PATH } from '@slr/test-utils';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs `/usr/bin/python3 args` in the repository root; throws with its output when it fails. */
function python(args: string[], input?: string): string {
  const result = spawnSync(PYTHON_PATH, args, {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    const status = result.status ?? `signal ${result.signal}`;
    throw new Error(
      `${PYTHON_PATH} ${args.join(' ')} failed (exit ${status}):\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

type Case =
  | { model: 'teacher'; options: I3DTeacherOptions }
  | { model: 'backbone'; options: I3DBackboneOptions }
  | { model: 'student'; options: MobileNetV3StudentOptions };

const TEACHER: I3DTeacherOptions = {
  numClasses: 7,
  inputShape: [null, 32, 32, 3],
  widthMultiplier: 1 / 8,
  lstmUnits: 12,
  attentionHeads: 2,
  attentionKeyDim: 8,
};
const STUDENT: MobileNetV3StudentOptions = {
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

const CASES: Case[] = [
  { model: 'backbone', options: { inputShape: [null, 32, 32, 3], widthMultiplier: 1 / 8 } },
  {
    model: 'backbone',
    options: { inputShape: [null, 32, 32, 3], widthMultiplier: 0.25, logitsClasses: 10 },
  },
  { model: 'teacher', options: TEACHER },
  {
    model: 'teacher',
    options: { ...TEACHER, pose: { keypoints: 5, channels: 3, units: 12, layers: 3 } },
  },
  { model: 'teacher', options: { ...TEACHER, lstmLayers: 2, temporalStride: 8 } },
  { model: 'teacher', options: { ...TEACHER, normalization: 'group', groups: 4, minChannels: 2 } },
  {
    model: 'teacher',
    options: { numClasses: 1296, inputShape: [null, 112, 112, 3], pose: { keypoints: 27 } },
  },
  { model: 'student', options: STUDENT },
  { model: 'student', options: { ...STUDENT, variant: 'large', temporalHead: 'K5-P2-K5-P2' } },
  { model: 'student', options: { ...STUDENT, lstmUnits: 0, temporalHead: 'none' } },
  {
    model: 'student',
    options: {
      ...STUDENT,
      widthMultiplier: 0.5,
      temporalHead: [
        { type: 'conv', kernelSize: 2, padding: 'same' },
        { type: 'pool', size: 3, stride: 2 },
      ],
    },
  },
  {
    model: 'student',
    options: { variant: 'small', numClasses: 1296, inputShape: [null, 112, 112, 3] },
  },
];

/** Trainable and non-trainable (moving statistics) weight counts of a JS model. */
function jsCounts(model: tf.LayersModel): { trainable: number; statistics: number } {
  const trainable = model.trainableWeights.reduce(
    (sum, weight) => sum + weight.shape.reduce<number>((size, d) => size * (d as number), 1),
    0,
  );
  return { trainable, statistics: model.countParams() - trainable };
}

function buildJs(testCase: Case): tf.LayersModel {
  switch (testCase.model) {
    case 'teacher':
      return buildI3DTeacher(testCase.options).model;
    case 'backbone':
      return buildI3DBackbone(testCase.options);
    case 'student':
      return buildMobileNetV3Student(testCase.options).model;
  }
}

describeRequiring('pytorch', 'the PyTorch twins of the models (python/slr_torch)', () => {
  it('pass their unittest suite (python/tests)', () => {
    const output = python(['-m', 'unittest', 'discover', '-s', 'python/tests', '-v']);
    expect(output).toBe(''); // unittest reports on stderr; a passing run prints nothing else
  }, 300_000);

  it("have the JS models' parameter counts, option for option", () => {
    const expected = CASES.map((testCase) => {
      const model = buildJs(testCase);
      const counts = jsCounts(model);
      model.dispose();
      return counts;
    });
    const actual = JSON.parse(
      python(['python/tests/count_parameters.py'], JSON.stringify(CASES)),
    ) as unknown;
    expect(actual).toEqual(expected);
  }, 300_000);
});
