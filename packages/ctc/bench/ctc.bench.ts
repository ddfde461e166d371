/**
 * CTC benchmark: milliseconds of loss + gradient (log-softmax forward and backward included,
 * reduction 'mean') per kernel, PyTorch's time for the same shapes in the same run when it is
 * installed, and greedy / beam-search decoding per utterance.
 *
 *   pnpm bench:ctc [--backend cpu] [--iterations 30] [--python python3]
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ctcBeamSearch, ctcGreedyDecode, ctcLoss, logSoftmax } from '../src/index';
import { COMPOSITE_TEST_BACKEND, registerCompositeTestBackend } from '../src/testing/backends';

interface Shape {
  name: string;
  T: number;
  B: number;
  V: number;
  L: number;
}

const SHAPES: Shape[] = [
  { name: 'cslr', T: 150, B: 8, V: 1296, L: 30 },
  { name: 'speech', T: 500, B: 16, V: 32, L: 100 },
  { name: 'small', T: 50, B: 4, V: 20, L: 10 },
];

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const backend = option('backend', 'cpu');
const iterations = Number(option('iterations', '30'));
const warmup = 5;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function inputs(shape: Shape, seed: number) {
  const logits = tf.randomNormal([shape.T, shape.B, shape.V], 0, 1, 'float32', seed) as tf.Tensor3D;
  const targets = tf.randomUniform([shape.B, shape.L], 1, shape.V, 'int32', seed + 1) as tf.Tensor2D;
  return { logits, targets, inputLengths: new Array<number>(shape.B).fill(shape.T), targetLengths: new Array<number>(shape.B).fill(shape.L) };
}

/** Median ms of value-and-gradient of ctcLoss(logSoftmax(logits)), data read back each time. */
async function timeLossAndGrad(shape: Shape, softmax: (x: tf.Tensor3D) => tf.Tensor3D): Promise<number> {
  const { logits, targets, inputLengths, targetLengths } = inputs(shape, 1);
  const step = tf.valueAndGrad((x: tf.Tensor) => ctcLoss(softmax(x as tf.Tensor3D), targets, inputLengths, targetLengths));
  const samples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const start = performance.now();
    const { value, grad } = step(logits);
    await Promise.all([value.data(), grad.data()]);
    if (i >= warmup) samples.push(performance.now() - start);
    tf.dispose([value, grad]);
  }
  tf.dispose([logits, targets]);
  return median(samples);
}

async function timeDecoders(shape: Shape): Promise<{ greedy: number; beam: number }> {
  const logProbs = tf.tidy(() => tf.logSoftmax(tf.mul(tf.randomNormal([shape.T, shape.B, shape.V], 0, 1, 'float32', 3), 4))) as tf.Tensor3D;
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

function pytorchTimes(device: 'cpu' | 'cuda'): { label: string; results: Record<string, number> } | undefined {
  const script = fileURLToPath(new URL('../../../scripts/bench-ctc-torch.py', import.meta.url));
  const candidates = [option('python', ''), process.env.PYTHON ?? '', 'python3', '/usr/bin/python3'].filter((c) => c !== '');
  for (const python of candidates) {
    const run = spawnSync(python, [script, '--device', device, '--iterations', String(iterations)], {
      input: JSON.stringify(SHAPES),
      encoding: 'utf8',
    });
    if (run.status === 0) {
      const parsed = JSON.parse(run.stdout) as { torch: string; device: string; threads: number; results: Record<string, number> };
      return { label: `PyTorch ${parsed.torch} ${parsed.device}${device === 'cpu' ? `, ${parsed.threads} thread` : ''}`, results: parsed.results };
    }
  }
  return undefined;
}

const fmt = (ms: number | undefined): string => (ms === undefined ? '—' : ms < 1 ? ms.toFixed(3) : ms.toFixed(2));

async function main(): Promise<void> {
  const kernels: { label: string; backend: string; softmax: (x: tf.Tensor3D) => tf.Tensor3D }[] = [];
  if (backend === 'cpu') {
    registerCompositeTestBackend();
    kernels.push({ label: 'fused cpu', backend: 'cpu', softmax: (x) => logSoftmax(x) });
    kernels.push({ label: 'composite (cpu)', backend: COMPOSITE_TEST_BACKEND, softmax: (x) => tf.logSoftmax(x) as tf.Tensor3D });
  } else {
    kernels.push({ label: `${backend} kernels`, backend, softmax: (x) => logSoftmax(x) });
  }
  const table: Record<string, Record<string, number>> = {};
  for (const kernel of kernels) {
    if (!(await tf.setBackend(kernel.backend))) throw new Error(`Backend '${kernel.backend}' is not available.`);
    for (const shape of SHAPES) {
      (table[shape.name] ??= {})[kernel.label] = await timeLossAndGrad(shape, kernel.softmax);
    }
  }
  const reference = pytorchTimes('cpu');
  console.log(`\nCTC loss + gradient incl. log-softmax forward and backward, reduction 'mean' (median of ${iterations}, ms)`);
  console.log(`tfjs ${tf.version.tfjs}, backend ${backend}, node ${process.version}`);
  const headers = ['shape', 'T', 'B', 'V', 'L', ...kernels.map((k) => k.label), reference?.label ?? 'PyTorch (not installed)', 'ratio (fused / PyTorch)'];
  const rows = SHAPES.map((shape) => {
    const ours = table[shape.name][kernels[0].label];
    const theirs = reference?.results[shape.name];
    return [shape.name, shape.T, shape.B, shape.V, shape.L, ...kernels.map((k) => fmt(table[shape.name][k.label])), fmt(theirs), theirs ? (ours / theirs).toFixed(2) : '—'].map(String);
  });
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(headers));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  rows.forEach((r) => console.log(line(r)));

  await tf.setBackend(kernels[0].backend);
  const cslr = SHAPES[0];
  const decoders = await timeDecoders(cslr);
  console.log(`\nDecoding on ${cslr.name} (T${cslr.T} V${cslr.V}), ms per utterance: greedy ${fmt(decoders.greedy)}, beam search (width 10) ${fmt(decoders.beam)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
