/**
 * Training-step benchmark: milliseconds of one training step (forward in training mode, loss,
 * gradients, Adam update) per case on tfjs's `cpu` (default) or `webgpu` backend, next to its
 * PyTorch twin (same shapes, same loss, Adam) timed in the same run, and the ratio; then
 * `tf.profile`'s top kernels of one step per case (time, calls, share of the step). PyTorch runs
 * on the CPU with one thread (`torch.set_num_threads(1)`), and with `--backend webgpu` also on
 * CUDA where PyTorch has it.
 *
 *   pnpm bench:train [--backend cpu|webgpu] [--cases teacher-tiny,i3d-w8,…] [--iterations 5]
 *     [--warmup 2] [--python /usr/bin/python3] [--profile on|off] [--tfjs-kernels on|off]
 *
 * `--tfjs-kernels on` also times every case on tfjs's own `cpu` kernels
 * (`setupBackend('cpu', { fastCpuKernels: false })`) in the same run: the before/after of
 * `@slr/backend`'s faster kernels.
 *
 * Cases: teacher-tiny, student-tiny, i3d-w8, i3d-w2, mnv3-small-025, mnv3-large-1 (all by default).
 *
 * The whole CSLR models train with CTC (reduction 'mean') on their log-softmax output and fixed
 * targets; the backbone and classifier cases with loss = mean of the output.
 *
 * `scripts/bundle-models-bench.mjs` (`pnpm bench:models:bundle`) bundles this file into one
 * module that runs with a bare `node`.
 */
import * as tf from '@tensorflow/tfjs';
import * as webgpuModule from '@tensorflow/tfjs-backend-webgpu';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setupBackend } from '@slr/backend/node';
import { ctcLoss } from '@slr/ctc';
import { median } from '@slr/diagnostics';
import type { SequenceModel } from '@slr/layers';
import { buildI3DBackbone, buildI3DTeacher } from '@slr/models-i3d';
import { buildMobileNetV3Classifier, buildMobileNetV3Student } from '@slr/models-mobilenetv3';
import { createOptimizer } from '@slr/train';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

/** What the PyTorch helper (scripts/bench-train-torch.py) reads for one case. */
interface TorchCase {
  name: string;
  kind: 'teacher' | 'student' | 'i3d-backbone' | 'mobilenet-v3';
  batch: number;
  frames: number;
  size: number;
  classes?: number;
  width?: number;
  variant?: 'small' | 'large';
  /** The builder's options in snake_case (CSLR models). */
  options?: Record<string, unknown>;
  outputFrames?: number;
  targetLength?: number;
}

interface Case {
  name: string;
  description: string;
  torch: TorchCase;
  /** Builds the model; returns the step's loss function and what to dispose afterwards. */
  setup: () => { loss: () => tf.Scalar; dispose: () => void; torch?: Partial<TorchCase> };
}

const snake = (options: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(options).map(([key, value]) => [
      key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      value,
    ]),
  );

/** A CSLR model case: CTC on the log-softmax output, targets of half the output frames. */
function cslrCase(
  name: string,
  description: string,
  kind: 'teacher' | 'student',
  batch: number,
  frames: number,
  size: number,
  classes: number,
  options: Record<string, unknown>,
  build: () => SequenceModel,
): Case {
  return {
    name,
    description,
    torch: { name, kind, batch, frames, size, classes, options: snake(options) },
    setup: () => {
      const sequenceModel = build();
      const videos = tf.randomUniform([batch, frames, size, size, 3], 0, 1, 'float32', 1);
      const [outputFrames] = sequenceModel.outputLengths([frames]);
      const targetLength = Math.max(1, Math.floor(outputFrames / 2));
      const row = Array.from({ length: targetLength }, (_, i) => 1 + (i % (classes - 1)));
      const targets = tf.tensor2d(
        Array.from({ length: batch }, () => row),
        [batch, targetLength],
        'int32',
      );
      const inputLengths = new Array<number>(batch).fill(outputFrames);
      const targetLengths = new Array<number>(batch).fill(targetLength);
      return {
        loss: () =>
          ctcLoss(sequenceModel.apply(videos, true), targets, inputLengths, targetLengths, {
            reduction: 'mean',
          }),
        dispose: () => {
          tf.dispose([videos, targets]);
          sequenceModel.model.dispose();
        },
        torch: { outputFrames, targetLength },
      };
    },
  };
}

/** A model whose loss is the mean of its output on a fixed random input. */
function meanLossCase(
  name: string,
  description: string,
  torch: TorchCase,
  inputShape: number[],
  build: () => tf.LayersModel,
): Case {
  return {
    name,
    description,
    torch,
    setup: () => {
      const model = build();
      const input = tf.randomUniform(inputShape, 0, 1, 'float32', 1);
      return {
        loss: () => tf.mean<tf.Scalar>(model.apply(input, { training: true }) as tf.Tensor),
        dispose: () => {
          input.dispose();
          model.dispose();
        },
      };
    },
  };
}

// The overfit test's tiny models (examples/overfit): 5 samples of its synthetic corpus (10
// glosses + blank), padded to the longest: 51 frames of 16² (teacher, 6 fps), 34 of 32² (student, 4 fps).
const teacherOptions = {
  widthMultiplier: 1 / 8,
  lstmUnits: 64,
  dropout: 0.1,
  batchNormMomentum: 0.9,
};
const studentOptions = {
  variant: 'small' as const,
  widthMultiplier: 0.25,
  temporalHead: 'K3-P2',
  temporalChannels: 64,
  lstmUnits: 64,
  dropout: 0.1,
  batchNormMomentum: 0.3,
};

const CASES: Case[] = [
  cslrCase(
    'teacher-tiny',
    'overfit I3D teacher: width 1/8, LSTM 64, B5 T51 16², V 11, CTC',
    'teacher',
    5,
    51,
    16,
    11,
    teacherOptions,
    () => buildI3DTeacher({ numClasses: 11, inputShape: [null, 16, 16, 3], ...teacherOptions }),
  ),
  cslrCase(
    'student-tiny',
    'overfit MobileNetV3 student: small ×0.25, K3-P2 64, LSTM 64, B5 T34 32², V 11, CTC',
    'student',
    5,
    34,
    32,
    11,
    studentOptions,
    () =>
      buildMobileNetV3Student({ numClasses: 11, inputShape: [null, 32, 32, 3], ...studentOptions }),
  ),
  meanLossCase(
    'i3d-w8',
    'I3D backbone width 1/8, B4 T16 32², mean',
    { name: 'i3d-w8', kind: 'i3d-backbone', batch: 4, frames: 16, size: 32, width: 1 / 8 },
    [4, 16, 32, 32, 3],
    () => buildI3DBackbone({ inputShape: [16, 32, 32, 3], widthMultiplier: 1 / 8 }),
  ),
  meanLossCase(
    'i3d-w2',
    'I3D backbone width 1/2, B1 T16 64², mean',
    { name: 'i3d-w2', kind: 'i3d-backbone', batch: 1, frames: 16, size: 64, width: 1 / 2 },
    [1, 16, 64, 64, 3],
    () => buildI3DBackbone({ inputShape: [16, 64, 64, 3], widthMultiplier: 1 / 2 }),
  ),
  meanLossCase(
    'mnv3-small-025',
    'MobileNetV3-Small ×0.25 classifier (1000), 64 × 32², mean',
    {
      name: 'mnv3-small-025',
      kind: 'mobilenet-v3',
      batch: 64,
      frames: 1,
      size: 32,
      width: 0.25,
      variant: 'small',
      classes: 1000,
    },
    [64, 32, 32, 3],
    () =>
      buildMobileNetV3Classifier({
        variant: 'small',
        widthMultiplier: 0.25,
        numClasses: 1000,
        inputShape: [32, 32, 3],
      }),
  ),
  meanLossCase(
    'mnv3-large-1',
    'MobileNetV3-Large ×1 classifier (1000), 64 × 32², mean',
    {
      name: 'mnv3-large-1',
      kind: 'mobilenet-v3',
      batch: 64,
      frames: 1,
      size: 32,
      width: 1,
      variant: 'large',
      classes: 1000,
    },
    [64, 32, 32, 3],
    () =>
      buildMobileNetV3Classifier({ variant: 'large', numClasses: 1000, inputShape: [32, 32, 3] }),
  ),
];

const caseNames = option('cases', CASES.map((c) => c.name).join(',')).split(',');
const unknown = caseNames.filter((name) => !CASES.some((c) => c.name === name));
if (unknown.length > 0)
  throw new Error(
    `--cases must name cases among ${CASES.map((c) => c.name).join(', ')}, but got '${unknown.join(',')}'.`,
  );
const backendName = option('backend', 'cpu');
if (backendName !== 'cpu' && backendName !== 'webgpu')
  throw new Error(`--backend must be 'cpu' or 'webgpu', but got '${backendName}'.`);
const iterations = Number(option('iterations', '5'));
if (!Number.isInteger(iterations) || iterations < 1)
  throw new Error(
    `--iterations must be a positive integer, but got '${option('iterations', '')}'.`,
  );
const WARMUP = Number(option('warmup', '2'));
if (!Number.isInteger(WARMUP) || WARMUP < 0)
  throw new Error(`--warmup must be a non-negative integer, but got '${option('warmup', '')}'.`);
const python = option('python', '/usr/bin/python3');
const profileOn = option('profile', 'on') !== 'off';
/** Also times every case on tfjs's own cpu kernels (`fastCpuKernels: false`), for a before/after. */
const tfjsKernels = option('tfjs-kernels', 'off') === 'on';
if (tfjsKernels && backendName !== 'cpu')
  throw new Error(`--tfjs-kernels on needs --backend cpu, but got '${backendName}'.`);
const selected = CASES.filter((c) => caseNames.includes(c.name));

interface KernelRow {
  name: string;
  ms: number;
  calls: number;
}

interface Measured {
  ms: number;
  kernels?: { rows: KernelRow[]; total: number; wall: number };
  torch: TorchCase;
}

async function measure(benchCase: Case, profile = profileOn): Promise<Measured> {
  const { loss, dispose, torch } = benchCase.setup();
  const optimizer = createOptimizer({ name: 'adam', learningRate: 1e-3 });
  const step = async (): Promise<void> => {
    const value = optimizer.minimize(loss, true) as tf.Scalar;
    await value.data();
    value.dispose();
  };
  try {
    for (let i = 0; i < WARMUP; i++) await step();
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const start = performance.now();
      await step();
      samples.push(performance.now() - start);
    }
    let kernels: Measured['kernels'];
    if (profile) {
      const start = performance.now();
      const info = await tf.profile(step);
      const wall = performance.now() - start;
      const byName = new Map<string, KernelRow>();
      for (const kernel of info.kernels) {
        const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
        const row = byName.get(kernel.name) ?? { name: kernel.name, ms: 0, calls: 0 };
        row.ms += ms;
        row.calls += 1;
        byName.set(kernel.name, row);
      }
      const rows = [...byName.values()].sort((a, b) => b.ms - a.ms);
      kernels = { rows, total: rows.reduce((sum, r) => sum + r.ms, 0), wall };
    }
    return { ms: median(samples), kernels, torch: { ...benchCase.torch, ...torch } };
  } finally {
    optimizer.dispose();
    dispose();
  }
}

interface TorchResult {
  label?: string;
  results: Record<string, number>;
  note?: string;
}

function runPyTorch(cases: TorchCase[], device: 'cpu' | 'cuda'): TorchResult {
  // Beside this file: in scripts/ when run from source, beside the bundle when bundled.
  const script = fileURLToPath(new URL('./bench-train-torch.py', import.meta.url));
  if (!existsSync(script))
    return { results: {}, note: `PyTorch not measured: ${script} does not exist` };
  const input = cases.map((c) => ({ ...c, iterations, warmup: WARMUP }));
  const run = spawnSync(python, [script, '--device', device], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.error)
    return {
      results: {},
      note: `PyTorch not measured: ${python} did not start (${run.error.message})`,
    };
  if (run.status !== 0) {
    const why = run.stderr.trim().split('\n').slice(-1)[0] || `exit status ${run.status}`;
    return { results: {}, note: `PyTorch not measured: ${why}` };
  }
  const parsed = JSON.parse(run.stdout) as {
    torch: string;
    device: string;
    threads: number;
    results: Record<string, number>;
  };
  const where =
    device === 'cpu'
      ? `CPU ${parsed.threads} thread${parsed.threads === 1 ? '' : 's'}`
      : parsed.device;
  return { label: `PyTorch ${parsed.torch} ${where} ms`, results: parsed.results };
}

const fmt = (ms: number | undefined): string =>
  ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);

function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(headers));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  rows.forEach((r) => console.log(line(r)));
}

async function main(): Promise<void> {
  // The module is passed in so that the bundled benchmark needs no node_modules for it.
  const info = await setupBackend(backendName as 'cpu' | 'webgpu', { webgpuModule, quiet: true });
  const adapterNames = info.adapter
    ? [
        info.adapter.vendor,
        info.adapter.architecture,
        info.adapter.device,
        info.adapter.description,
      ]
    : [];
  const adapter = info.adapter ? ` (${adapterNames.filter(Boolean).join(' ')})` : '';
  const measured = new Map<string, Measured>();
  for (const benchCase of selected) {
    const result = await measure(benchCase);
    measured.set(benchCase.name, result);
    console.error(`measured ${benchCase.name}: ${fmt(result.ms)} ms per step`);
  }
  const onTfjsKernels = new Map<string, number>();
  if (tfjsKernels) {
    await setupBackend('cpu', { quiet: true, fastCpuKernels: false });
    for (const benchCase of selected) {
      const result = await measure(benchCase, false);
      onTfjsKernels.set(benchCase.name, result.ms);
      console.error(`measured ${benchCase.name} on tfjs's kernels: ${fmt(result.ms)} ms per step`);
    }
    await setupBackend('cpu', { quiet: true });
  }
  const torchCases = selected.map((c) => measured.get(c.name)!.torch);
  const references: TorchResult[] = [];
  if (backendName === 'webgpu') {
    console.error('timing the PyTorch twins on CUDA…');
    references.push(runPyTorch(torchCases, 'cuda'));
  }
  console.error('timing the PyTorch twins on the CPU…');
  references.push(runPyTorch(torchCases, 'cpu'));

  console.log(
    `\nTraining step (forward in training mode + loss + gradients + Adam), median of ` +
      `${iterations} after ${WARMUP} warm-up steps`,
  );
  console.log(
    `tfjs ${tf.version.tfjs} backend ${tf.getBackend()}${adapter}, node ${process.version}`,
  );
  const notes = new Set(references.map((reference) => reference.note).filter(Boolean));
  notes.forEach((note) => console.log(note));
  const measuredReferences = references.filter((reference) => reference.label !== undefined);
  const headers = ['case', 'configuration'];
  if (tfjsKernels) headers.push("JS cpu ms, tfjs's kernels");
  headers.push(`JS ${backendName} ms`);
  measuredReferences.forEach((reference) => headers.push(reference.label!, 'ratio'));
  if (measuredReferences.length === 0) headers.push('PyTorch ms', 'ratio');
  const rows = selected.map((c) => {
    const ours = measured.get(c.name)!.ms;
    const cells = [c.name, c.description];
    if (tfjsKernels) cells.push(fmt(onTfjsKernels.get(c.name)));
    cells.push(fmt(ours));
    for (const reference of measuredReferences) {
      const theirs = reference.results[c.name] as number | undefined;
      cells.push(fmt(theirs), theirs ? (ours / theirs).toFixed(2) : '—');
    }
    if (measuredReferences.length === 0) cells.push('—', '—');
    return cells;
  });
  printTable(headers, rows);
  if (measuredReferences.length > 0)
    console.log('ratio: JS time / the PyTorch time to its left (below 1 is faster than PyTorch)');

  if (!profileOn) return;
  for (const benchCase of selected) {
    const kernels = measured.get(benchCase.name)!.kernels!;
    console.log(
      `\n${benchCase.name}: top kernels of one profiled step (${fmt(kernels.wall)} ms wall, ` +
        `${fmt(kernels.total)} ms in ${kernels.rows.reduce((n, r) => n + r.calls, 0)} kernel calls; ` +
        `share of that step's wall time)`,
    );
    printTable(
      ['kernel', 'ms', 'calls', 'share'],
      kernels.rows
        .slice(0, 8)
        .map((r) => [
          r.name,
          fmt(r.ms),
          String(r.calls),
          `${((100 * r.ms) / (kernels.wall || 1)).toFixed(1)}%`,
        ]),
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
