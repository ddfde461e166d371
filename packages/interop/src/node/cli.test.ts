import { execFile, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@slr/layers';
import { buildMobileNetV3Classifier, buildMobileNetV3Student } from '@slr/models-mobilenetv3';
import { setupBackend } from '@slr/backend';
import { describeRequiring, PYTHON_PATH } from '@slr/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { torchWeightsBytes } from '../index';
import { runSlrConvert } from './convert-cli';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
const cli = join(repoRoot, 'packages', 'interop', 'src', 'node', 'cli.ts');
/** The installed command: a committed file that starts the built tool. */
const bin = join(repoRoot, 'packages', 'interop', 'bin', 'slr-convert.js');
const KINDS =
  'mobilenetv3-large, mobilenetv3-small, mobilenetv3-large-features, mobilenetv3-small-features, ' +
  'i3d, i3d-teacher, mobilenetv3-large-student, mobilenetv3-small-student';
const SCRIPT = fileURLToPath(new URL('../../test-fixtures/torch_parity.py', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `slr-convert` in this process. */
async function convert(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runSlrConvert(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

/** A command as a child process. */
function spawn(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** A model folder as a browser fetches it, for `tf.loadLayersModel`. */
async function loadLayersModel(folder: string): Promise<tf.LayersModel> {
  const modelJson = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: tf.io.WeightsManifestConfig;
  };
  const buffers = await Promise.all(
    modelJson.weightsManifest
      .flatMap((group) => group.paths)
      .map(async (p) => {
        const bytes = await readFile(join(folder, p));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      }),
  );
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: tf.io.getWeightSpecs(modelJson.weightsManifest),
      weightData: tf.io.CompositeArrayBuffer.join(buffers),
    }),
  );
}

const roots: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slr-convert-'));
  roots.push(dir);
  return dir;
}
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

beforeAll(async () => {
  await setupBackend('cpu', { quiet: true });
});

describe('slr-convert without PyTorch', () => {
  let dir: string;
  let source: tf.LayersModel;
  let checkpoint: string;
  let bytes: Uint8Array;

  beforeAll(() => {
    dir = tempDir();
    source = buildMobileNetV3Classifier({
      variant: 'small',
      numClasses: 5,
      inputShape: [32, 32, 3],
      seed: 4,
    });
    // Random BatchNorm statistics, so that they matter.
    for (const weight of source.weights) {
      if (/moving_(mean|variance)$/.test(weight.originalName)) {
        const values = tf.tidy(() =>
          tf.randomUniform(weight.shape as number[], 0.5, 1.5, 'float32', 7),
        );
        weight.write(values);
        values.dispose();
      }
    }
    bytes = torchWeightsBytes(source);
    checkpoint = join(dir, 'mobilenet_v3_small.safetensors');
    writeFileSync(checkpoint, bytes);
  });
  afterAll(() => source.dispose());

  it('to-tfjs: a folder tf.loadLayersModel reads, computing what the model does; to-torch: the same file', async () => {
    const folder = join(dir, 'tfjs');
    const before = tf.memory().numTensors;
    const run = await convert('to-tfjs', checkpoint, folder, '--model', 'mobilenetv3-small');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(run.stdout).toMatch(
      /^Wrote .*model\.json and 1 weight file \([\d.]+ MB\): model 'mobilenet_v3_small' \(mobilenetv3-small, input \[null, null, 3\], output \[5\]\), 210 tensors loaded from .* \(naming 'torchvision'\)\.\n$/,
    );
    const metadata = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as {
      format: string;
      userDefinedMetadata: { slrConvert: Record<string, unknown> };
    };
    expect(metadata.format).toBe('layers-model');
    expect(metadata.userDefinedMetadata.slrConvert).toMatchObject({
      model: 'mobilenetv3-small',
      naming: 'torchvision',
      source: 'mobilenet_v3_small.safetensors',
      options: { variant: 'small', numClasses: 5, inputShape: [null, null, 3] },
    });

    const loaded = await loadLayersModel(folder);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
    const [expected, actual] = [source, loaded].map((m) => m.predict(x) as tf.Tensor);
    expect(actual.shape).toEqual([2, 5]);
    expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
    tf.dispose([x, expected, actual]);
    loaded.dispose();

    const back = join(dir, 'export', 'back.safetensors');
    const exported = await convert('to-torch', folder, back);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe(
      `Wrote ${back}: 244 tensors of model 'mobilenet_v3_small' (naming 'torchvision') from ${folder}.\n`,
    );
    expect(tf.memory().numTensors).toBe(before);
    // Byte for byte (compared as a whole: toEqual on 6 MB goes element by element).
    expect(readFileSync(back).equals(bytes)).toBe(true);
  });

  it("converts the CSLR student, named as its PyTorch twin ('slr'), both ways", async () => {
    const options = {
      variant: 'small' as const,
      numClasses: 6,
      inputShape: [null, 32, 32, 3] as [null, number, number, number],
      widthMultiplier: 0.25,
      lstmUnits: 8,
    };
    const student = buildMobileNetV3Student(options);
    const file = join(dir, 'student.safetensors');
    const studentBytes = torchWeightsBytes(student);
    writeFileSync(file, studentBytes);
    const folder = join(dir, 'student');
    const run = await convert(
      'to-tfjs',
      file,
      folder,
      '--model',
      'mobilenetv3-small-student',
      '--input-shape',
      'null,32,32,3',
      '--options',
      JSON.stringify({ widthMultiplier: 0.25, lstmUnits: 8 }),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("(naming 'slr')");
    const loaded = await loadLayersModel(folder);
    const x = tf.randomNormal([1, 16, 32, 32, 3], 0, 1, 'float32', 3);
    const expected = student.model.predict(x) as tf.Tensor;
    const actual = loaded.predict(x) as tf.Tensor;
    expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
    tf.dispose([x, expected, actual]);
    loaded.dispose();
    const back = join(dir, 'student-back.safetensors');
    const exported = await convert('to-torch', folder, back);
    expect(exported.code).toBe(0);
    expect(readFileSync(back).equals(Buffer.from(studentBytes))).toBe(true);
    student.model.dispose();
  });

  it('takes --input-shape, --num-classes and --options for the builder', async () => {
    const folder = join(dir, 'shaped');
    const run = await convert(
      'to-tfjs',
      checkpoint,
      folder,
      '--model=mobilenetv3-small',
      '--input-shape',
      '32,32,3',
      '--num-classes',
      '5',
      '--options',
      '{"outputActivation":"softmax","name":"signs"}',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "model 'signs' (mobilenetv3-small, input [32, 32, 3], output [5])",
    );
    const loaded = await loadLayersModel(folder);
    const sums = tf.tidy(() =>
      (loaded.predict(tf.ones([1, 32, 32, 3])) as tf.Tensor).sum(-1).arraySync(),
    ) as number[];
    expect(sums[0]).toBeCloseTo(1, 5);
    loaded.dispose();
  });

  it('refuses weights that do not fit with the TorchWeightsError message, writing nothing', async () => {
    const folder = join(dir, 'never');
    const before = tf.memory().numTensors;
    const [classes, variant, i3d] = await Promise.all([
      convert('to-tfjs', checkpoint, folder, '--model', 'mobilenetv3-small', '--num-classes', '9'),
      convert('to-tfjs', checkpoint, folder, '--model', 'mobilenetv3-large'),
      convert('to-tfjs', checkpoint, folder, '--model', 'i3d'),
    ]);
    expect(tf.memory().numTensors).toBe(before);
    expect([classes.code, variant.code, i3d.code]).toEqual([1, 1, 1]);
    expect(classes.stdout).toBe('');
    expect(classes.stderr).toBe(
      `slr-convert: Cannot load '${checkpoint}' into model 'mobilenet_v3_small' (naming 'torchvision'): ` +
        "key 'classifier.3.weight' has shape [5, 1024], but the model needs [9, 1024] for weight " +
        "'logits/kernel' [1024, 9] ([out, in] (a Linear weight), [in, out] in tfjs).\n",
    );
    expect(variant.stderr).toContain(
      "into model 'mobilenet_v3_large' (naming 'torchvision'): key 'features.",
    );
    // The strict refusal points at slr-convert's own flag.
    expect(i3d.stderr).toMatch(/the file lacks 285 keys the model needs: .*Pass --partial/);
    expect(i3d.stderr).not.toContain('strict: false');
    expect(existsSync(folder)).toBe(false);
  });

  it('--partial loads what matches and lists the rest', async () => {
    const features = await convert(
      'to-tfjs',
      checkpoint,
      join(dir, 'features'),
      '--model',
      'mobilenetv3-small-features',
      '--partial',
    );
    expect(features.code).toBe(0);
    expect(features.stdout).toContain('206 tensors loaded');
    expect(features.stderr).toBe(
      "slr-convert: 4 keys of the checkpoint were not used (--partial): 'classifier.0.bias', " +
        "'classifier.0.weight', 'classifier.3.bias', 'classifier.3.weight'.\n",
    );
  });

  it('names the argument at fault (exit code 2) and the file that cannot be read (1)', async () => {
    const folder = join(dir, 'never');
    const runs = await Promise.all([
      convert(),
      convert('to-onnx', checkpoint, folder),
      convert('to-tfjs', checkpoint, folder),
      convert('to-tfjs', checkpoint, folder, '--model', 'resnet50'),
      convert('to-tfjs', checkpoint, '--model', 'i3d'),
      convert('to-tfjs', checkpoint, folder, '--model', 'i3d', '--num-classes', '0'),
      convert('to-tfjs', checkpoint, folder, '--model', 'i3d', '--input-shape', '224,abc'),
      convert('to-tfjs', checkpoint, folder, '--model', 'i3d', '--options', '{widthMultiplier:1}'),
      convert('to-tfjs', checkpoint, folder, '--model', 'i3d', '--options', '[1]'),
      convert('to-tfjs', checkpoint, folder, '--model', 'i3d', '--naming', 'keras'),
      convert('to-tfjs', checkpoint, folder, '--model', 'i3d', '--bogus'),
      convert(
        'to-tfjs',
        checkpoint,
        folder,
        '--model',
        'mobilenetv3-small',
        '--options',
        '{"widthMultiplier":-1}',
      ),
      convert(
        'to-tfjs',
        checkpoint,
        folder,
        '--model',
        'mobilenetv3-small-features',
        '--num-classes',
        '5',
      ),
      convert('to-torch', folder, join(dir, 'out.pt')),
      convert('to-torch', folder, join(dir, 'out.safetensors'), '--model', 'i3d'),
    ]);
    expect(runs.map((run) => run.code)).toEqual(runs.map(() => 2));
    const messages = runs.map((run) => run.stderr.split('\n')[0]);
    expect(messages).toEqual([
      'slr-convert: a command is required: to-tfjs or to-torch.',
      "slr-convert: unknown command 'to-onnx': the commands are to-tfjs and to-torch.",
      `slr-convert: --model KIND is required: one of ${KINDS}.`,
      `slr-convert: unknown model 'resnet50': --model must be one of ${KINDS}.`,
      `slr-convert: to-tfjs takes two paths, <checkpoint> <model-folder>, but got '${checkpoint}'.`,
      "slr-convert: --num-classes must be an integer ≥ 1, but got '0'.",
      "slr-convert: --input-shape must be dimensions separated by commas, each a positive integer or 'null' " +
        "(e.g. 224,224,3 or null,224,224,3), but got '224,abc'.",
      expect.stringMatching(/^slr-convert: --options must be a JSON object, but it is not JSON: /),
      "slr-convert: --options must be a JSON object, but got '[1]'.",
      "slr-convert: --naming must be one of torchvision, pytorch-i3d, slr, but got 'keras'.",
      expect.stringContaining("'--bogus'"),
      "slr-convert: Argument 'options.widthMultiplier' passed to 'buildMobileNetV3Classifier' must be a " +
        'finite number > 0, but got -1.',
      'slr-convert: a feature extractor has no classes: leave out --num-classes.',
      'slr-convert: to-torch writes safetensors (torch.load cannot read them): name the file ' +
        `*.safetensors, but got '${join(dir, 'out.pt')}'.`,
      'slr-convert: --model is an option of to-tfjs, not of to-torch.',
    ]);
    for (const run of runs) expect(run.stderr).toContain("Run 'slr-convert --help' for the usage.");
    expect(existsSync(folder)).toBe(false);

    const before = tf.memory().numTensors;
    const [missing, noFolder, notWeights] = await Promise.all([
      convert('to-tfjs', join(dir, 'missing.pt'), folder, '--model', 'i3d'),
      convert('to-torch', join(dir, 'no-folder'), join(dir, 'out.safetensors')),
      convert('to-tfjs', join(dir, 'tfjs', 'model.json'), folder, '--model', 'i3d'),
    ]);
    expect(tf.memory().numTensors).toBe(before);
    expect([missing.code, noFolder.code, notWeights.code]).toEqual([1, 1, 1]);
    expect(missing.stderr).toBe(
      `slr-convert: Could not read '${join(dir, 'missing.pt')}': no such file or folder (ENOENT).\n`,
    );
    expect(noFolder.stderr).toContain(`slr-convert: loadModel: `);
    expect(noFolder.stderr).toContain(join(dir, 'no-folder'));
    expect(notWeights.stderr).toMatch(
      new RegExp(`^slr-convert: Cannot read '${join(dir, 'tfjs', 'model.json')}' as `),
    );
    expect(existsSync(join(dir, 'out.safetensors'))).toBe(false);
  });
});

describe('slr-convert, the command', () => {
  it('starts with a node shebang', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('says to build first when the built tool is missing', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'bin'));
    copyFileSync(bin, join(root, 'bin', 'slr-convert.js'));
    writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
    const { code, stderr } = await spawn(process.execPath, [
      join(root, 'bin', 'slr-convert.js'),
      '--help',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(root, 'dist', 'cli.js')} is missing`);
    expect(stderr).toContain("Run 'pnpm build'");
  });

  it('prints --help (exit code 0), and exits with 2 on wrong arguments', async () => {
    const [help, wrong] = await Promise.all([
      spawn(tsx, [cli, '--help']),
      spawn(tsx, [cli, 'to-tfjs', 'a.pt', 'out']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('slr-convert to-tfjs <checkpoint> <model-folder> --model KIND');
    expect(help.stdout).toContain('slr-convert to-torch <model-folder> <out.safetensors>');
    for (const text of [
      'mobilenetv3-large',
      'mobilenetv3-small',
      'i3d',
      '--num-classes',
      '--input-shape',
      '--options',
      '--naming',
      '--partial',
    ])
      expect(help.stdout).toContain(text);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--model KIND is required');
  });
});

describeRequiring('pytorch', 'slr-convert with PyTorch: torchvision MobileNetV3-Small', () => {
  it('to-tfjs: tf.loadLayersModel computes what PyTorch does; to-torch: PyTorch loads it, strict', async () => {
    const dir = tempDir();
    const testCase = {
      name: 'small',
      model: 'mobilenet_v3_small',
      num_classes: 7,
      seed: 13,
      inputs: [[2, 3, 64, 64]],
    };
    writeFileSync(join(dir, 'cases.json'), JSON.stringify([testCase]));
    execFileSync(PYTHON_PATH, [SCRIPT, 'make', dir, join(dir, 'cases.json')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const folder = join(dir, 'web', 'mobilenet');
    const run = await convert(
      'to-tfjs',
      join(dir, 'small.zip.pt'),
      folder,
      '--model',
      'mobilenetv3-small',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('output [7]');

    const read = (file: string, shape: number[]) => {
      const bytes = readFileSync(join(dir, file));
      return tf.tensor(
        new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
        shape,
      );
    };
    const model = await loadLayersModel(folder);
    const x = read('small.input0.bin', testCase.inputs[0]);
    const y = tf.tidy(() => model.predict(tf.transpose(x, [0, 2, 3, 1])) as tf.Tensor);
    const expected = read('small.output0.bin', [2, 7]);
    const maxAbs = tf.tidy(() => expected.abs().max().dataSync()[0]);
    const maxError = tf.tidy(() => y.sub(expected).abs().max().dataSync()[0]);
    expect(maxError).toBeLessThanOrEqual(1e-4 * Math.max(1, maxAbs));
    writeFileSync(join(dir, 'small.ours.output0.bin'), y.dataSync());
    tf.dispose([x, y, expected]);
    model.dispose();

    const back = await convert('to-torch', folder, join(dir, 'small.ours.safetensors'));
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    // torch_parity.py check: load_state_dict(strict=True), the same input, our output.
    const results = JSON.parse(
      execFileSync(PYTHON_PATH, [SCRIPT, 'check', dir, join(dir, 'cases.json')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as Record<string, { maxError: number; maxAbs: number }[]>;
    const [error] = results.small;
    expect(error.maxError).toBeLessThanOrEqual(1e-4 * Math.max(1, error.maxAbs));
  });
});
