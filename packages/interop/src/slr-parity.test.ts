/**
 * Parity with the PyTorch twins of the whole @slr models (`python/slr_torch`, run at test time
 * by `test-fixtures/slr_parity.py` with `/usr/bin/python3`): the tiny teacher (with and without
 * its pose stream, batch and group norm, temporal strides 4 and 8, one and two LSTM layers) and
 * the tiny student (Small with its temporal head and LSTM, Large without either), the option
 * sets of `python/tests`. Built in PyTorch with random weights, biases and BatchNorm statistics,
 * saved as zip and legacy `torch.save` files and as safetensors; loaded here with
 * `loadTorchWeights` (naming `'slr'`, told from the keys), the @slr model's eval-mode
 * log-probabilities equal the twin's within 1e-4 × max(1, max |output|). And back: an @slr
 * model's random weights, saved with `saveTorchWeights`, load into the twin with `strict=True`
 * and give the same output.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildI3DTeacher, type I3DTeacherOptions } from '@slr/models-i3d';
import { buildMobileNetV3Student, type MobileNetV3StudentOptions } from '@slr/models-mobilenetv3';
import { describeRequiring, PYTHON_PATH } from '@slr/test-utils';
import { compare, randomiseBiasesAndStatistics, within } from '../test/parity';
import { loadTorchWeights as loadFromBytes, torchStateDict } from './index';
import { loadTorchWeights, saveTorchWeights } from './node/index';

const SCRIPT = fileURLToPath(new URL('../test-fixtures/slr_parity.py', import.meta.url));

/** A case of `slr_parity.py`: a model, its JS options, and the video shapes `[B, T, H, W, C]` it runs. */
type Case = { name: string; seed: number; inputs: number[][] } & (
  | { model: 'teacher'; options: I3DTeacherOptions }
  | { model: 'student'; options: MobileNetV3StudentOptions }
);

/** The tiny teacher of `python/tests/test_i3d.py`. */
const TINY_TEACHER = {
  numClasses: 7,
  inputShape: [null, 32, 32, 3],
  widthMultiplier: 1 / 8,
  lstmUnits: 12,
  attentionHeads: 2,
  attentionKeyDim: 8,
  dropout: 0,
} satisfies I3DTeacherOptions;

/** The tiny student of `python/tests/test_mobilenetv3.py`. */
const TINY_STUDENT = {
  variant: 'small',
  numClasses: 6,
  inputShape: [null, 32, 32, 3],
  widthMultiplier: 0.25,
  temporalHead: 'K3-P2',
  temporalChannels: 16,
  lstmUnits: 16,
  dropout: 0,
} satisfies MobileNetV3StudentOptions;

const CASES: Case[] = [
  {
    name: 'teacher_pose_batch_stride4_2lstm',
    model: 'teacher',
    options: {
      ...TINY_TEACHER,
      pose: { keypoints: 5, units: 12 },
      lstmLayers: 2,
      temporalStride: 4,
    },
    seed: 1,
    inputs: [
      [2, 13, 32, 32, 3],
      [1, 8, 32, 32, 3],
    ],
  },
  {
    name: 'teacher_group_stride8',
    model: 'teacher',
    options: { ...TINY_TEACHER, normalization: 'group', groups: 4, temporalStride: 8 },
    seed: 2,
    inputs: [
      [2, 17, 32, 32, 3],
      [1, 9, 32, 32, 3],
    ],
  },
  {
    name: 'teacher_pose_group_stride8',
    model: 'teacher',
    options: {
      ...TINY_TEACHER,
      pose: { keypoints: 5, units: 12 },
      normalization: 'group',
      groups: 4,
      temporalStride: 8,
    },
    seed: 3,
    inputs: [[2, 11, 32, 32, 3]],
  },
  {
    name: 'student_small',
    model: 'student',
    options: { ...TINY_STUDENT, temporalHead: 'K3-P2-K2' },
    seed: 4,
    inputs: [
      [2, 9, 32, 32, 3],
      [1, 14, 32, 32, 3],
    ],
  },
  {
    name: 'student_large_no_head_no_lstm',
    model: 'student',
    options: { ...TINY_STUDENT, variant: 'large', temporalHead: 'none', lstmUnits: 0 },
    seed: 5,
    inputs: [
      [2, 5, 32, 32, 3],
      [1, 7, 32, 32, 3],
    ],
  },
];

const FORMATS = ['zip.pt', 'legacy.pt', 'safetensors'] as const;

let dir: string;
/** Every comparison made, for the summary printed at the end. */
const report: string[] = [];

/** The @slr model of a case. */
function buildModel(testCase: Case): tf.LayersModel {
  return testCase.model === 'teacher'
    ? buildI3DTeacher(testCase.options).model
    : buildMobileNetV3Student(testCase.options).model;
}

/** A float32 file as a tensor of `shape`. */
function readTensor(path: string, shape: number[]): tf.Tensor {
  const bytes = readFileSync(path);
  return tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), shape);
}

/** The model's eval-mode log-probabilities for input `i` of a case, as the twin's `[T', B, V]`. */
function outputFor(testCase: Case, model: tf.LayersModel, i: number): tf.Tensor {
  return tf.tidy(() => {
    const shape = testCase.inputs[i];
    const inputs = [readTensor(join(dir, `${testCase.name}.input${i}.bin`), shape)];
    const pose = testCase.model === 'teacher' ? testCase.options.pose : undefined;
    if (pose != null) {
      const poseShape = [shape[0], shape[1], pose.keypoints, pose.channels ?? 2];
      inputs.push(readTensor(join(dir, `${testCase.name}.pose${i}.bin`), poseShape));
    }
    return tf.transpose(model.predict(inputs) as tf.Tensor, [1, 0, 2]);
  });
}

describeRequiring('pytorch', "parity with the slr_torch twins: naming 'slr'", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'slr-interop-twins-'));
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(CASES));
    execFileSync(PYTHON_PATH, [SCRIPT, 'make', dir, join(dir, 'cases.json')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (report.length > 0) console.log(report.join('\n'));
  });

  for (const testCase of CASES) {
    it(`${testCase.name}: loaded from zip, legacy and safetensors files, outputs the twin's`, async () => {
      const model = buildModel(testCase);
      // The twin's state_dict keys, in its order, are the names this model is saved under.
      const keys = JSON.parse(
        readFileSync(join(dir, `${testCase.name}.keys.json`), 'utf8'),
      ) as string[];
      expect([...torchStateDict(model).keys()]).toEqual(keys);
      for (const format of FORMATS) {
        const file = join(dir, `${testCase.name}.${format}`);
        const before = tf.memory().numTensors;
        const result =
          format === 'safetensors'
            ? await loadFromBytes(model, readFileSync(file), { file })
            : await loadTorchWeights(model, file);
        expect(tf.memory().numTensors, 'tensors after loading').toBe(before);
        expect(result.naming).toBe('slr');
        expect(result.unusedKeys).toEqual([]);
        expect(result.missingWeights).toEqual([]);
        testCase.inputs.forEach((shape, i) => {
          const output = outputFor(testCase, model, i);
          const expected = readTensor(join(dir, `${testCase.name}.output${i}.bin`), output.shape);
          within(
            report,
            compare(output, expected),
            `${testCase.name} ${format} input [${shape.join('×')}]`,
          );
          tf.dispose([output, expected]);
        });
      }
      model.dispose();
    });
  }

  it('saveTorchWeights: the twins load the files with strict=True and compute the same outputs', async () => {
    for (const testCase of CASES) {
      const model = buildModel(testCase);
      randomiseBiasesAndStatistics(model, 1000 * testCase.seed);
      const before = tf.memory().numTensors;
      await saveTorchWeights(model, join(dir, `${testCase.name}.ours.safetensors`));
      expect(tf.memory().numTensors, 'tensors after saving').toBe(before);
      testCase.inputs.forEach((_, i) => {
        const output = outputFor(testCase, model, i);
        writeFileSync(join(dir, `${testCase.name}.ours.output${i}.bin`), output.dataSync());
        output.dispose();
      });
      model.dispose();
    }
    writeFileSync(join(dir, 'check.json'), JSON.stringify(CASES));
    const results = JSON.parse(
      execFileSync(PYTHON_PATH, [SCRIPT, 'check', dir, join(dir, 'check.json')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      }),
    ) as Record<string, { maxError: number; maxAbs: number }[]>;
    for (const testCase of CASES) {
      results[testCase.name].forEach((error, i) => {
        within(
          report,
          error,
          `${testCase.name} saved, in PyTorch, input [${testCase.inputs[i].join('×')}]`,
        );
      });
    }
  });
});
