/**
 * CTC benchmark: milliseconds of loss + gradient (log-softmax forward and backward included,
 * reduction 'mean') with the fused kernels and with the composite implementation, PyTorch's
 * time for the same shapes in the same run when it is installed (CUDA when the backend is
 * webgpu and CUDA is available, otherwise the CPU with one thread), and greedy / beam-search
 * decoding per utterance, and the latency of the streaming decoders per pushed frame.
 *
 *   pnpm bench:ctc [--backend cpu|webgpu] [--iterations 30] [--python python3] [--shapes cslr,speech]
 *
 * `scripts/bundle-ctc-bench.mjs` bundles this file into one module that runs with a bare `node`.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setupBackend } from '@slr/backend/node';
import * as webgpuModule from '@tensorflow/tfjs-backend-webgpu';
import {
  createCtcStreamingBeamSearch,
  createCtcStreamingGreedyDecoder,
  ctcBeamSearch,
  ctcGreedyDecode,
  ctcLoss,
  logSoftmax,
  NGramLanguageModel,
  type CtcStreamingDecoder,
} from '../src/index';
import {
  CTC_LOSS,
  CTC_LOSS_GRAD,
  LOG_SOFTMAX,
  LOG_SOFTMAX_GRAD,
} from '../src/kernels/kernel-names';
import { randomBigramArpa } from './random-arpa';

interface Shape {
  name: string;
  T: number;
  B: number;
  V: number;
  L: number;
}

const ALL_SHAPES: Shape[] = [
  { name: 'cslr', T: 150, B: 8, V: 1296, L: 30 },
  { name: 'speech', T: 500, B: 16, V: 32, L: 100 },
  { name: 'small', T: 50, B: 4, V: 20, L: 10 },
  { name: 'big', T: 300, B: 32, V: 1296, L: 60 },
];

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const backendName = option('backend', 'cpu');
if (backendName !== 'cpu' && backendName !== 'webgpu')
  throw new Error(`--backend must be 'cpu' or 'webgpu', but got '${backendName}'.`);
const iterations = Number(option('iterations', '30'));
const shapeNames = option(
  'shapes',
  backendName === 'cpu' ? 'cslr,speech,small' : 'cslr,speech,small,big',
).split(',');
const SHAPES = ALL_SHAPES.filter((shape) => shapeNames.includes(shape.name));
const warmup = 5;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Waits for the backend to finish everything queued, reading back a single value. */
async function settle(tensor: tf.Tensor): Promise<void> {
  const probe = tf.tidy(() => tf.slice(tf.reshape(tensor, [-1]), [0], [1]));
  await probe.data();
  probe.dispose();
}

/**
 * Median ms of value-and-gradient of ctcLoss(logSoftmax(logits)), or with `tfjsLogSoftmax` of
 * ctcLoss(tf.logSoftmax(logits)): what a PyTorch user writes, on the backend's own kernels.
 */
async function timeLossAndGrad(shape: Shape, tfjsLogSoftmax = false): Promise<number> {
  const logits = tf.randomNormal<tf.Rank.R3>([shape.T, shape.B, shape.V], 0, 1, 'float32', 1);
  const targets = tf.randomUniform<tf.Rank.R2>([shape.B, shape.L], 1, shape.V, 'int32', 2);
  const inputLengths = new Array<number>(shape.B).fill(shape.T);
  const targetLengths = new Array<number>(shape.B).fill(shape.L);
  const step = tf.valueAndGrad((x: tf.Tensor) =>
    ctcLoss(
      tfjsLogSoftmax ? tf.logSoftmax(x as tf.Tensor3D) : logSoftmax(x as tf.Tensor3D),
      targets,
      inputLengths,
      targetLengths,
    ),
  );
  const samples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const start = performance.now();
    const { value, grad } = step(logits);
    await settle(grad);
    await value.data();
    if (i >= warmup) samples.push(performance.now() - start);
    tf.dispose([value, grad]);
  }
  tf.dispose([logits, targets]);
  return median(samples);
}

/** Runs `body` with the backend's `@slr` kernels unregistered, so the composite path runs. */
async function withoutFusedKernels<R>(body: () => Promise<R>): Promise<R> {
  const names = [CTC_LOSS, CTC_LOSS_GRAD, LOG_SOFTMAX, LOG_SOFTMAX_GRAD];
  const configs = names
    .map((name) => tf.getKernel(name, backendName))
    .filter((config) => config != null);
  configs.forEach((config) => tf.unregisterKernel(config.kernelName, config.backendName));
  try {
    return await body();
  } finally {
    configs.forEach((config) => tf.registerKernel(config));
  }
}

async function timeDecoders(shape: Shape): Promise<{ greedy: number; beam: number }> {
  const logProbs = tf.tidy(() =>
    tf.logSoftmax(tf.mul(tf.randomNormal([shape.T, shape.B, shape.V], 0, 1, 'float32', 3), 4)),
  ) as tf.Tensor3D;
  const time = async (decode: () => Promise<unknown>): Promise<number> => {
    const samples: number[] = [];
    for (let i = 0; i < warmup + iterations; i++) {
      const start = performance.now();
      await decode();
      if (i >= warmup) samples.push((performance.now() - start) / shape.B);
    }
    return median(samples);
  };
  const greedy = await time(() => ctcGreedyDecode(logProbs));
  const beam = await time(() => ctcBeamSearch(logProbs, undefined, { beamWidth: 10 }));
  logProbs.dispose();
  return { greedy, beam };
}

/** Median and 95th percentile of samples. */
function percentiles(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))],
  };
}

interface StreamingTiming {
  label: string;
  chunk: number;
  median: number;
  p95: number;
}

/**
 * Milliseconds per pushed frame of the streaming decoders (V = 1296, beam width 10, with and
 * without a bigram LM), pushing `chunk` frames at a time: each push is timed and divided by
 * its frames. The frames are log-softmax(4 · N(0, 1)) as in the decoding benchmark, read once
 * into a Float32Array (what a browser app pushes after `await logProbs.data()`); a first pass
 * over the stream warms the JIT up.
 */
async function timeStreaming(frames: number): Promise<StreamingTiming[]> {
  const V = 1296;
  const logProbs = tf.tidy(() =>
    tf.logSoftmax(tf.mul(tf.randomNormal([frames, V], 0, 1, 'float32', 5), 4)),
  );
  const data = await logProbs.data<'float32'>();
  logProbs.dispose();
  const lm = NGramLanguageModel.fromArpa(randomBigramArpa(V, 20));
  const decoders: [string, () => CtcStreamingDecoder<unknown>][] = [
    ['greedy', () => createCtcStreamingGreedyDecoder({ classes: V })],
    ['beam 10', () => createCtcStreamingBeamSearch({ classes: V, beamWidth: 10 })],
    ['beam 10 + bigram LM', () => createCtcStreamingBeamSearch({ classes: V, beamWidth: 10, lm })],
  ];
  const timings: StreamingTiming[] = [];
  for (const [label, make] of decoders) {
    for (const chunk of [1, 8]) {
      const decoder = make();
      const samples: number[] = [];
      for (let pass = 0; pass < 2; pass++) {
        decoder.reset();
        for (let t = 0; t + chunk <= frames; t += chunk) {
          const frame = data.subarray(t * V, (t + chunk) * V);
          const start = performance.now();
          decoder.push(frame);
          if (pass === 1) samples.push((performance.now() - start) / chunk);
        }
        decoder.finish();
      }
      timings.push({ label, chunk, ...percentiles(samples) });
    }
  }
  return timings;
}

interface Reference {
  label: string;
  results: Record<string, number>;
}

function runPyTorch(device: 'cpu' | 'cuda'): Reference | undefined {
  // Beside the bundled benchmark, or in the repository's scripts/ when run from source.
  const script = ['./bench-ctc-torch.py', '../../../scripts/bench-ctc-torch.py']
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((path) => existsSync(path));
  if (script === undefined) return undefined;
  const candidates = [
    option('python', ''),
    process.env.PYTHON ?? '',
    'python3',
    '/usr/bin/python3',
  ].filter((c) => c !== '');
  for (const python of candidates) {
    const run = spawnSync(
      python,
      [script, '--device', device, '--iterations', String(iterations)],
      {
        input: JSON.stringify(SHAPES),
        encoding: 'utf8',
      },
    );
    if (run.status === 0) {
      const parsed = JSON.parse(run.stdout) as {
        torch: string;
        device: string;
        threads: number;
        results: Record<string, number>;
      };
      const where =
        device === 'cpu'
          ? `CPU, ${parsed.threads} thread${parsed.threads === 1 ? '' : 's'}`
          : parsed.device;
      return { label: `PyTorch ${parsed.torch} ${where}`, results: parsed.results };
    }
  }
  return undefined;
}

const fmt = (ms: number | undefined): string =>
  ms === undefined ? '—' : ms < 1 ? ms.toFixed(3) : ms.toFixed(2);

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
  const fused: Record<string, number> = {};
  const composite: Record<string, number> = {};
  const tfjsLogSoftmax: Record<string, number> = {};
  for (const shape of SHAPES) fused[shape.name] = await timeLossAndGrad(shape);
  for (const shape of SHAPES) tfjsLogSoftmax[shape.name] = await timeLossAndGrad(shape, true);
  await withoutFusedKernels(async () => {
    for (const shape of SHAPES) composite[shape.name] = await timeLossAndGrad(shape);
  });
  const references: Reference[] = [];
  if (backendName === 'webgpu') {
    const cuda = runPyTorch('cuda');
    if (cuda) references.push(cuda);
  }
  const cpuReference = runPyTorch('cpu');
  if (cpuReference) references.push(cpuReference);

  console.log(
    `\nCTC loss + gradient incl. log-softmax forward and backward, reduction 'mean' (median of ${iterations}, ms)`,
  );
  console.log(
    `tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}${adapter}, node ${process.version}`,
  );
  const headers = [
    'shape',
    'T',
    'B',
    'V',
    'L',
    `fused ${backendName}`,
    'with tf.logSoftmax',
    `composite ${backendName}`,
  ];
  references.forEach((reference) => headers.push(reference.label, 'ratio'));
  if (references.length === 0) headers.push('PyTorch (not installed)');
  const rows = SHAPES.map((shape) => {
    const cells = [
      shape.name,
      shape.T,
      shape.B,
      shape.V,
      shape.L,
      fmt(fused[shape.name]),
      fmt(tfjsLogSoftmax[shape.name]),
      fmt(composite[shape.name]),
    ].map(String);
    references.forEach((reference) => {
      const theirs = reference.results[shape.name];
      cells.push(fmt(theirs), theirs ? (fused[shape.name] / theirs).toFixed(2) : '—');
    });
    if (references.length === 0) cells.push('—');
    return cells;
  });
  printTable(headers, rows);
  if (references.length > 0)
    console.log(
      'ratio: fused time / the PyTorch time to its left (below 1 is faster than PyTorch)',
    );
  console.log(
    "fused: ctcLoss(logSoftmax(x)) with @slr/ctc's logSoftmax; with tf.logSoftmax: " +
      'ctcLoss(tf.logSoftmax(x)); composite: both without the fused @slr kernels',
  );

  const cslr = ALL_SHAPES[0];
  const decoders = await timeDecoders(cslr);
  console.log(
    `\nDecoding on ${cslr.name} (T${cslr.T} V${cslr.V}), ms per utterance: greedy ` +
      `${fmt(decoders.greedy)}, beam search (width 10) ${fmt(decoders.beam)}`,
  );

  const streamFrames = 1000;
  const streaming = await timeStreaming(streamFrames);
  console.log(
    `\nStreaming decoders, V1296, ms per pushed frame over a ${streamFrames}-frame stream ` +
      '(log-softmax(4 · N(0, 1)) frames pushed as Float32Array)',
  );
  printTable(
    ['decoder', 'frames per push', 'median', 'p95'],
    streaming.map((s) => [s.label, String(s.chunk), fmt(s.median), fmt(s.p95)]),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
