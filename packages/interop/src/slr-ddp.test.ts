/**
 * The checkpoints of `python/slr_torch/train_ddp.py` in the @slr models: a twin trained briefly
 * with DistributedDataParallel (torchrun, two CPU processes) on a corpus that `@slr/data`'s
 * writer wrote, its dev split decoded in Python (`--decode-split dev --decode-out … --log-probs
 * …`); here the model is built from the checkpoint's `metadata.slr_torch` options,
 * `loadTorchWeights(model, checkpoint, { naming: 'slr' })`, run on each dev clip as
 * `readPhoenixSplit` reads it (a batch of one), and its log-probabilities equal Python's within
 * 1e-4 and its greedy decoding (`ctcGreedyDecode`) equals Python's, clip for clip.
 *
 * A run this short may decode every clip to nothing (all blanks), which both sides then agree on
 * trivially: the comparison of the log-probabilities, frame by frame and gloss by gloss, is what
 * makes the check meaningful either way.
 *
 * Needs PyTorch at `/usr/bin/python3`: without it the suite is skipped, saying so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ctcGreedyDecode } from '@slr/ctc';
import { readPhoenixSplit } from '@slr/data/node';
import { buildI3DTeacher, type I3DTeacherOptions } from '@slr/models-i3d';
import { buildMobileNetV3Student, type MobileNetV3StudentOptions } from '@slr/models-mobilenetv3';
import { describeRequiring, PYTHON_PATH } from '@slr/test-utils';
import { loadTorchWeights, readTorchWeightsFile } from './node/index';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SYNTH = join(ROOT, 'packages', 'data', 'bin', 'slr-data-synth.js');
const TRAIN_DDP = join(ROOT, 'python', 'slr_torch', 'train_ddp.py');

/** The tiny student of `python/tests/test_train_ddp.py` (dropout on: training uses it). */
const STUDENT = {
  variant: 'small',
  widthMultiplier: 0.25,
  temporalHead: 'K3-P2',
  temporalChannels: 16,
  lstmUnits: 16,
  dropout: 0.2,
  seed: 11,
};

/** The tiny teacher of `python/tests/test_train_ddp.py`, its pose stream on the corpus's 20 keypoints. */
const TEACHER = {
  widthMultiplier: 0.125,
  lstmUnits: 12,
  attentionHeads: 2,
  attentionKeyDim: 8,
  pose: { keypoints: 20, units: 12 },
};

let dir: string;
const report: string[] = [];

/** Runs `command args`; fails the test with its output when it fails. */
function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    timeout: 300_000,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (result.status !== 0)
    throw new Error(`${args[0]} failed (${result.status}):\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/** A TCP port free on this machine now, for torchrun's rendezvous. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `{ snake_case: … }` → `{ camelCase: … }`, nested. */
function camelCase(value: unknown): unknown {
  if (Array.isArray(value) || typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      camelCase(v),
    ]),
  );
}

/** What `train_ddp.py` keeps in a checkpoint's `metadata.slr_torch`. */
interface CheckpointInfo {
  model: 'teacher' | 'student';
  options: Record<string, unknown>;
  data: { size: [number, number]; frame_step: number; max_frames: number | null };
}

async function crossCheck(name: string, model: 'teacher' | 'student', options: object) {
  const out = join(dir, name);
  run(PYTHON_PATH, [
    ...['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr', '127.0.0.1'],
    ...['--master_port', String(await freePort()), '--redirects', '2', '--tee', '2', TRAIN_DDP],
    ...['--corpus', join(dir, 'corpus'), '--model', model, '--model-options'],
    ...[JSON.stringify(options), '--epochs', '2', '--batch-size', '2', '--lr', '3e-3'],
    ...['--seed', '5', '--checkpoint-dir', join(out, 'checkpoints')],
  ]);
  const checkpoint = join(out, 'checkpoints', 'epoch-0002.safetensors');
  const decodedPath = join(out, 'dev.json');
  const logProbsPath = join(out, 'dev.log-probs.safetensors');
  run(PYTHON_PATH, [
    ...[TRAIN_DDP, '--corpus', join(dir, 'corpus'), '--decode-split', 'dev'],
    ...['--checkpoint', checkpoint, '--decode-out', decodedPath, '--log-probs', logProbsPath],
  ]);
  const decoded = JSON.parse(readFileSync(decodedPath, 'utf8')) as Record<string, number[]>;
  const pythonLogProbs = (await readTorchWeightsFile(logProbsPath)).tensors;

  // The model, as the checkpoint describes it.
  const { metadata } = await readTorchWeightsFile(checkpoint);
  const info = JSON.parse(metadata.slr_torch) as CheckpointInfo;
  expect(info.model).toBe(model);
  const jsOptions = camelCase(info.options);
  const sequenceModel =
    model === 'teacher'
      ? buildI3DTeacher(jsOptions as I3DTeacherOptions)
      : buildMobileNetV3Student(jsOptions as MobileNetV3StudentOptions);
  const result = await loadTorchWeights(sequenceModel, checkpoint, { naming: 'slr' });
  expect(result.unusedKeys).toEqual([]);
  expect(result.missingWeights).toEqual([]);

  const [height, width] = info.data.size;
  let maxError = 0;
  let maxAbs = 0;
  let clips = 0;
  let glosses = 0;
  for await (const sample of readPhoenixSplit(join(dir, 'corpus'), 'dev', {
    frameStep: info.data.frame_step,
    ...(info.data.max_frames === null ? {} : { maxFrames: info.data.max_frames }),
  })) {
    expect(sample.frameShape.slice(1, 3)).toEqual([height, width]); // no resizing either side
    const frames = sample.frameShape[0];
    const inputs = [tf.tensor(sample.frames, [1, ...sample.frameShape])];
    if (model === 'teacher')
      inputs.push(
        tf.tensor(sample.keypoints!, [1, frames, sample.keypoints!.length / frames / 2, 2]),
      );
    const output = sequenceModel.model.predict(inputs) as tf.Tensor3D; // [1, T', V]
    const timeMajor = tf.transpose(output, [1, 0, 2]);
    const expected = pythonLogProbs.get(sample.id)!;
    expect(expected, sample.id).toBeDefined();
    expect(timeMajor.shape).toEqual([expected.shape[0], 1, expected.shape[1]]);
    const ours = timeMajor.dataSync();
    for (let i = 0; i < ours.length; i++) {
      maxError = Math.max(maxError, Math.abs(ours[i] - (expected.data as Float32Array)[i]));
      maxAbs = Math.max(maxAbs, Math.abs((expected.data as Float32Array)[i]));
    }
    const [hypothesis] = await ctcGreedyDecode(timeMajor);
    expect(hypothesis.tokens, sample.id).toEqual(decoded[sample.id]);
    clips++;
    glosses += hypothesis.tokens.length;
    tf.dispose([...inputs, output, timeMajor]);
  }
  expect(clips).toBe(Object.keys(decoded).length);
  sequenceModel.model.dispose();
  report.push(
    `${name}: ${clips} dev clips, log-probs max |error| ${maxError.toExponential(2)} ` +
      `(max |value| ${maxAbs.toPrecision(3)}), ${glosses} glosses decoded, every clip as in Python`,
  );
  expect(maxError).toBeLessThanOrEqual(1e-4);
}

describeRequiring('pytorch', "train_ddp.py's checkpoints in the @slr models", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'slr-interop-ddp-'));
    // 8 train clips of 11–57 frames, 5 glosses, 20 keypoints; 4 dev clips.
    run(process.execPath, [
      ...[SYNTH, '--out', join(dir, 'corpus'), '--glosses', '5', '--train', '8', '--dev', '4'],
      ...['--test', '1', '--size', '32x32', '--fps', '8', '--keypoints', '--seed', '3', '--quiet'],
    ]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (report.length > 0) console.log(report.join('\n'));
  });

  it('the student: log-probabilities and greedy decoding of the dev split as in Python', async () => {
    await crossCheck('student', 'student', STUDENT);
  });

  it('the teacher with its pose stream: the same', async () => {
    await crossCheck('teacher', 'teacher', TEACHER);
  });
});
