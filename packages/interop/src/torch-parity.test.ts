/**
 * Parity with PyTorch itself (`/usr/bin/python3` with torch and torchvision, run at test time):
 * torchvision's MobileNetV3-Large and -Small (1000 classes and a custom count) and pytorch-i3d's
 * `InceptionI3d` (`test-fixtures/pytorch_i3d.py`: the backbone up to `Mixed_5c` at width 1, and
 * with its logits head at 224×224-class frames), built in PyTorch with random weights, random
 * biases and random BatchNorm statistics, saved as zip and legacy `torch.save` files and as
 * safetensors; loaded here with `loadTorchWeights`, the @slr model's eval-mode outputs equal
 * PyTorch's within 1e-4 × max(1, max |output|). And back: an @slr model's own random weights,
 * saved with `saveTorchWeights`, load into the PyTorch model with `strict=True` and give the
 * same outputs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildI3DBackbone } from '@slr/models-i3d';
import { buildMobileNetV3Classifier } from '@slr/models-mobilenetv3';
import { describeRequiring, PYTHON_PATH } from '@slr/test-utils';
import { compare, randomiseBiasesAndStatistics, within } from '../test/parity';
import { loadTorchWeights as loadFromBytes, type TorchNaming } from './index';
import { loadTorchWeights, saveTorchWeights } from './node/index';

const SCRIPT = fileURLToPath(new URL('../test-fixtures/torch_parity.py', import.meta.url));

/** A case of `torch_parity.py`: a PyTorch model and the input shapes (PyTorch's layout) it runs. */
interface Case {
  name: string;
  model: 'mobilenet_v3_large' | 'mobilenet_v3_small' | 'i3d';
  num_classes?: number;
  width?: number;
  head?: boolean;
  seed: number;
  inputs: number[][];
}

const CASES: Case[] = [
  {
    name: 'large',
    model: 'mobilenet_v3_large',
    seed: 1,
    inputs: [
      [2, 3, 64, 64],
      [1, 3, 96, 80],
    ],
  },
  {
    name: 'large_10_classes',
    model: 'mobilenet_v3_large',
    num_classes: 10,
    seed: 2,
    inputs: [[1, 3, 72, 72]],
  },
  {
    name: 'small',
    model: 'mobilenet_v3_small',
    seed: 3,
    inputs: [
      [2, 3, 64, 64],
      [1, 3, 80, 96],
    ],
  },
  {
    name: 'small_7_classes',
    model: 'mobilenet_v3_small',
    num_classes: 7,
    seed: 4,
    inputs: [[1, 3, 96, 96]],
  },
  // Width 1, up to Mixed_5c; sizes that no stride divides exercise the asymmetric 'same' padding.
  {
    name: 'i3d_backbone',
    model: 'i3d',
    seed: 5,
    inputs: [
      [1, 3, 6, 40, 56],
      [2, 3, 5, 33, 24],
    ],
  },
  // The head needs a 7×7 Mixed_5c map (frames of 193 to 224 pixels): width 1/16 keeps it quick.
  // 17 frames leave 3 after the backbone, 2 after the head's 2-frame average pool.
  {
    name: 'i3d_head',
    model: 'i3d',
    width: 1 / 16,
    head: true,
    num_classes: 7,
    seed: 6,
    inputs: [
      [1, 3, 9, 193, 200],
      [1, 3, 17, 224, 193],
    ],
  },
];

const FORMATS = ['zip.pt', 'legacy.pt', 'safetensors'] as const;

let dir: string;
/** Every comparison made, for the summary printed at the end. */
const report: string[] = [];

/** The @slr model of a case for one input shape (the I3D head needs the frame size). */
function buildModel(testCase: Case, inputShape: number[]): tf.LayersModel {
  if (testCase.model === 'i3d') {
    const [, , , height, width] = inputShape;
    return buildI3DBackbone({
      inputShape: testCase.head ? [null, height, width, 3] : [null, null, null, 3],
      widthMultiplier: testCase.width ?? 1,
      ...(testCase.head
        ? { logitsClasses: testCase.num_classes ?? 400, logitsHead: 'pytorch-i3d' as const }
        : {}),
    });
  }
  return buildMobileNetV3Classifier({
    variant: testCase.model === 'mobilenet_v3_large' ? 'large' : 'small',
    numClasses: testCase.num_classes ?? 1000,
    inputShape: [null, null, 3],
    seed: testCase.seed,
  });
}

/** The case's naming. */
function namingOf(testCase: Case): TorchNaming {
  return testCase.model === 'i3d' ? 'pytorch-i3d' : 'torchvision';
}

/** A float32 file as a tensor of `shape`. */
function readTensor(path: string, shape: number[]): tf.Tensor {
  const bytes = readFileSync(path);
  return tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), shape);
}

/** NCHW / NCDHW (PyTorch) → NHWC / NDHWC (tfjs). */
function channelsLast(x: tf.Tensor): tf.Tensor {
  return tf.transpose(x, x.rank === 4 ? [0, 2, 3, 1] : [0, 2, 3, 4, 1]);
}

/** The @slr model's output in PyTorch's layout: `[B, C, T', H', W']` features, `[B, classes, T'']` logits. */
function torchLayout(testCase: Case, y: tf.Tensor): tf.Tensor {
  if (testCase.model !== 'i3d') return y;
  return tf.transpose(y, testCase.head ? [0, 2, 1] : [0, 4, 1, 2, 3]);
}

/** The model's eval-mode output for input `i` of a case, in PyTorch's layout. */
function outputFor(testCase: Case, model: tf.LayersModel, i: number): tf.Tensor {
  return tf.tidy(() => {
    const x = readTensor(join(dir, `${testCase.name}.input${i}.bin`), testCase.inputs[i]);
    return torchLayout(testCase, model.predict(channelsLast(x)) as tf.Tensor);
  });
}

describeRequiring(
  'pytorch',
  'parity with PyTorch: torchvision MobileNetV3, pytorch-i3d InceptionI3d',
  () => {
    beforeAll(async () => {
      await tf.setBackend('cpu');
      dir = mkdtempSync(join(tmpdir(), 'slr-interop-parity-'));
      writeFileSync(join(dir, 'cases.json'), JSON.stringify(CASES));
      execFileSync(PYTHON_PATH, [SCRIPT, 'make', dir, join(dir, 'cases.json')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (report.length > 0) console.log(report.join('\n'));
    });

    for (const testCase of CASES) {
      it(`${testCase.name}: loaded from zip, legacy and safetensors files, outputs PyTorch's`, async () => {
        // One model per input shape where the shape is built in (the I3D head), else one for all.
        const models = testCase.inputs.map((shape, i) =>
          testCase.head || i === 0 ? buildModel(testCase, shape) : undefined,
        );
        const modelFor = (i: number) => models[i] ?? models[0]!;
        for (const format of FORMATS) {
          const file = join(dir, `${testCase.name}.${format}`);
          for (const model of models) {
            if (model === undefined) continue;
            const before = tf.memory().numTensors;
            // The path (Node) for the files torch.save wrote, the bytes for safetensors.
            const result =
              format === 'safetensors'
                ? await loadFromBytes(model, readFileSync(file), { file })
                : await loadTorchWeights(model, file);
            expect(tf.memory().numTensors, 'tensors after loading').toBe(before);
            expect(result.naming).toBe(namingOf(testCase));
            expect(result.unusedKeys).toEqual([]);
            expect(result.missingWeights).toEqual([]);
          }
          // Every input with the first format, the first input with the others.
          const inputs = format === 'zip.pt' ? testCase.inputs.map((_, i) => i) : [0];
          for (const i of inputs) {
            const output = outputFor(testCase, modelFor(i), i);
            const [, ...shape] = testCase.inputs[i];
            const expected = readTensor(join(dir, `${testCase.name}.output${i}.bin`), output.shape);
            within(
              report,
              compare(output, expected),
              `${testCase.name} ${format} input [${shape.join('×')}]`,
            );
            tf.dispose([output, expected]);
          }
        }
        for (const model of models) model?.dispose();
      });
    }

    it('saveTorchWeights: PyTorch loads the files with strict=True and computes the same outputs', async () => {
      for (const testCase of CASES) {
        const shape = testCase.inputs[0];
        const model = buildModel(testCase, shape);
        randomiseBiasesAndStatistics(model, 1000 * testCase.seed);
        const before = tf.memory().numTensors;
        await saveTorchWeights(model, join(dir, `${testCase.name}.ours.safetensors`));
        expect(tf.memory().numTensors, 'tensors after saving').toBe(before);
        const output = outputFor(testCase, model, 0);
        writeFileSync(join(dir, `${testCase.name}.ours.output0.bin`), output.dataSync());
        output.dispose();
        model.dispose();
      }
      // PyTorch runs the first input of each case.
      const firstInputs = CASES.map((testCase) => ({
        ...testCase,
        inputs: testCase.inputs.slice(0, 1),
      }));
      writeFileSync(join(dir, 'check.json'), JSON.stringify(firstInputs));
      const results = JSON.parse(
        execFileSync(PYTHON_PATH, [SCRIPT, 'check', dir, join(dir, 'check.json')], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ) as Record<string, { maxError: number; maxAbs: number; shape: number[] }[]>;
      for (const testCase of CASES) {
        results[testCase.name].forEach((error, i) => {
          const [, ...shape] = testCase.inputs[i];
          within(report, error, `${testCase.name} saved, in PyTorch, input [${shape.join('×')}]`);
        });
      }
    });
  },
);
