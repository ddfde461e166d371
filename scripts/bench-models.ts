/**
 * Model benchmark: for the tiny and the default CSLR configuration of the I3D teacher and the
 * MobileNetV3 student — trainable parameters, bytes on disk, forward milliseconds per clip
 * (inference) and milliseconds of one training step (log-softmax output, CTC loss, Adam) on
 * each backend: cpu, and webgpu where an adapter exists.
 *
 *   pnpm bench:models [--backends cpu,webgpu] [--configs tiny,default] [--repeats 3]
 *
 * `scripts/bundle-models-bench.mjs` (`pnpm bench:models:bundle`) bundles this file into one
 * module that runs with a bare `node` (the module of the WebGPU backend is passed to
 * `setupBackend` for that).
 */
import * as tf from '@tensorflow/tfjs';
import * as webgpuModule from '@tensorflow/tfjs-backend-webgpu';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from '@slr/backend/node';
import { ctcLoss } from '@slr/ctc';
import type { SequenceModel } from '@slr/layers';
import { saveModel } from '@slr/layers/node';
import { median } from '@slr/diagnostics';
import { buildI3DTeacher } from '@slr/models-i3d';
import { buildMobileNetV3Student } from '@slr/models-mobilenetv3';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

interface Configuration {
  model: string;
  config: 'tiny' | 'default';
  description: string;
  frames: number;
  size: number;
  classes: number;
  build: () => SequenceModel;
}

const FRAMES = 16;
const CONFIGURATIONS: Configuration[] = [
  {
    model: 'I3D teacher',
    config: 'tiny',
    description: 'width 1/8, LSTM 32, 16×32×32, V 21',
    frames: FRAMES,
    size: 32,
    classes: 21,
    build: () =>
      buildI3DTeacher({
        numClasses: 21,
        inputShape: [FRAMES, 32, 32, 3],
        widthMultiplier: 1 / 8,
        lstmUnits: 32,
      }),
  },
  {
    model: 'I3D teacher',
    config: 'default',
    description: 'width 1, stride 4, LSTM 256, 16×112×112, V 1296',
    frames: FRAMES,
    size: 112,
    classes: 1296,
    build: () => buildI3DTeacher({ numClasses: 1296, inputShape: [FRAMES, 112, 112, 3] }),
  },
  {
    model: 'MobileNetV3 student',
    config: 'tiny',
    description: 'small, width 0.25, head 64, LSTM 32, 16×32×32, V 21',
    frames: FRAMES,
    size: 32,
    classes: 21,
    build: () =>
      buildMobileNetV3Student({
        numClasses: 21,
        variant: 'small',
        widthMultiplier: 0.25,
        inputShape: [FRAMES, 32, 32, 3],
        temporalChannels: 64,
        lstmUnits: 32,
      }),
  },
  {
    model: 'MobileNetV3 student',
    config: 'default',
    description: 'large, width 1, K5-P2-K5-P2 512, LSTM 256, 16×112×112, V 1296',
    frames: FRAMES,
    size: 112,
    classes: 1296,
    build: () =>
      buildMobileNetV3Student({
        numClasses: 1296,
        variant: 'large',
        inputShape: [FRAMES, 112, 112, 3],
      }),
  },
];

const backends = option('backends', 'cpu,webgpu').split(',');
const configs = option('configs', 'tiny,default').split(',');
const repeats = Number(option('repeats', '3'));

function trainableParameters(model: tf.LayersModel): number {
  return model.trainableWeights.reduce(
    (sum, weight) => sum + weight.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
    0,
  );
}

async function bytesOnDisk(model: tf.LayersModel): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'slr-bench-model-'));
  try {
    await saveModel(model, dir);
    return readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median milliseconds of `run` over `repeats` runs after one warm-up. */
async function time(run: () => Promise<void>): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function measure(configuration: Configuration): Promise<{ forward: number; step: number }> {
  const sequenceModel = configuration.build();
  const { frames, size, classes } = configuration;
  const videos = tf.randomUniform([1, frames, size, size, 3], 0, 1, 'float32', 1);
  const [outputFrames] = sequenceModel.outputLengths([frames]);
  const targetLength = Math.max(1, Math.floor(outputFrames / 2));
  const targets = tf.tensor2d(
    [Array.from({ length: targetLength }, (_, i) => 1 + (i % (classes - 1)))],
    [1, targetLength],
    'int32',
  );
  const optimizer = tf.train.adam(1e-4);
  const forward = await time(async () => {
    const logProbs = sequenceModel.apply(videos, false);
    await logProbs.data();
    logProbs.dispose();
  });
  const step = await time(async () => {
    const loss = optimizer.minimize(
      () => ctcLoss(sequenceModel.apply(videos, true), targets, [outputFrames], [targetLength]),
      true,
    ) as tf.Scalar;
    await loss.data();
    loss.dispose();
  });
  tf.dispose([videos, targets]);
  optimizer.dispose();
  sequenceModel.model.dispose();
  return { forward, step };
}

const fmt = (ms: number | undefined): string =>
  ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);

async function main(): Promise<void> {
  const available: string[] = [];
  const notes: string[] = [];
  for (const backend of backends) {
    try {
      const info = await setupBackend(backend as 'cpu' | 'webgpu', { webgpuModule, quiet: true });
      available.push(backend);
      if (info.adapter) {
        const { description, device, isSoftware } = info.adapter;
        notes.push(`${backend}: ${description || device}${isSoftware ? ' (software)' : ''}`);
      }
    } catch (error) {
      notes.push(`${backend}: not measured (${(error as Error).message.split('\n')[0]})`);
    }
  }
  const rows: string[][] = [];
  for (const configuration of CONFIGURATIONS.filter((c) => configs.includes(c.config))) {
    await setupBackend('cpu', { quiet: true });
    const probe = configuration.build();
    const parameters = trainableParameters(probe.model);
    const bytes = await bytesOnDisk(probe.model);
    probe.model.dispose();
    const row = [
      configuration.model,
      configuration.config,
      configuration.description,
      parameters.toLocaleString('en-US'),
      `${(bytes / 1e6).toFixed(2)} MB`,
    ];
    for (const backend of available) {
      await setupBackend(backend as 'cpu' | 'webgpu', { webgpuModule, quiet: true });
      const { forward, step } = await measure(configuration);
      row.push(fmt(forward), fmt(step));
      console.error(
        `measured ${configuration.model} ${configuration.config} on ${backend}: forward ` +
          `${fmt(forward)} ms, step ${fmt(step)} ms`,
      );
    }
    rows.push(row);
  }
  const headers = [
    'model',
    'config',
    'configuration',
    'trainable parameters',
    'on disk',
    ...available.flatMap((b) => [`forward ms/clip (${b})`, `train step ms (${b})`]),
  ];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(
    `\nModels: batch 1, median of ${repeats} after a warm-up; train step = forward in training ` +
      `mode + CTC loss + Adam update`,
  );
  console.log(`tfjs ${tf.version.tfjs}, node ${process.version}; ${notes.join('; ')}`);
  console.log(line(headers));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  rows.forEach((r) => console.log(line(r)));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
