/**
 * Architecture comparison at one experiment size: the I3D teacher against the MobileNetV3
 * student, and the student's two variants (MobileNetV3-Large and -Small) against each other —
 * trainable parameters, bytes on disk, forward latency per clip and training-step time on each
 * backend, next to the dev and test WER the distillation experiment reached with them (read
 * from its `results.json`). Prints a Markdown table and writes `comparison.md`,
 * `comparison.json` and `comparison.html` (table and bar charts).
 *
 *   pnpm compare-architectures [--size small|large] [--backends cpu,webgpu] [--iterations 5]
 *                              [--distill-out DIR] [--out DIR]
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from '@slr/core/node';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setupBackend } from '@slr/backend/node';
import { ctcLoss } from '@slr/ctc';
import {
  disposeBatch,
  generateSignCorpus,
  makeBatch,
  type SignBatch,
  type SignSample,
} from '@slr/data';
import {
  median,
  type ComparisonBars,
  type ComparisonScatter,
  type ComparisonReport,
  type ComparisonTable,
} from '@slr/diagnostics';
import { writeComparisonReport } from '@slr/diagnostics/node';
import type { SequenceModel } from '@slr/layers';
import { saveModel } from '@slr/layers/node';
import { meanSd } from './distill';
import { STUDENT_KINDS, type RunKind, type RunResult } from './experiment';
import {
  buildStudent,
  buildTeacher,
  EXPERIMENTS,
  modelInputs,
  trainableParameters,
  type ExperimentConfig,
  type ExperimentSize,
  type TrainingBudget,
} from './recipes';

/** What a model's `apply` takes from a batch. */
type ModelInputs = ReturnType<typeof modelInputs>;

const USAGE = `Options:
  --size <small|large>     the experiment size of the models and the corpus (default small)
  --backends <list>        backends to time, among cpu and webgpu (default: cpu, plus webgpu when
                           an adapter exists; an unavailable one is skipped with a note)
  --iterations <n>         timed runs per measurement, after one warm-up; the median is reported (default 5)
  --distill-out <dir>      the distillation run whose results.json gives the WER columns
                           (default .out/distill-<size>; made by pnpm distill --size <size>)
  --out <dir>              comparison.md, comparison.json and comparison.html (default .out/compare-<size>)
  -h, --help               this text

Exit codes: 0 done, 1 the comparison failed, 2 invalid flags.`;

/** The three architectures compared. */
export type ArchitectureId = 'teacher' | 'student-large' | 'student-small';

/** The backends the comparison can time. */
export type ComparisonBackend = 'cpu' | 'webgpu';

const BACKENDS: readonly ComparisonBackend[] = ['cpu', 'webgpu'];

interface Architecture {
  id: ArchitectureId;
  label: string;
  variant?: 'large' | 'small';
  /** The budget the experiment trains it with (its batch size and learning rate are timed). */
  budget: (config: ExperimentConfig) => TrainingBudget;
  build: (config: ExperimentConfig, classes: number) => SequenceModel;
  /** Which inputs its `apply` takes (the teacher: video and keypoints). */
  role: 'teacher' | 'student';
}

const ARCHITECTURES: readonly Architecture[] = [
  {
    id: 'teacher',
    label: 'I3D teacher',
    role: 'teacher',
    budget: (c) => c.teacherBudget,
    build: (c, n) => buildTeacher(c, n),
  },
  {
    id: 'student-large',
    label: 'MobileNetV3-Large student',
    variant: 'large',
    role: 'student',
    budget: (c) => c.studentBudget,
    build: (c, n) => buildStudent(c, n, c.seeds[0], 'large'),
  },
  {
    id: 'student-small',
    label: 'MobileNetV3-Small student',
    variant: 'small',
    role: 'student',
    budget: (c) => c.studentBudget,
    build: (c, n) => buildStudent(c, n, c.seeds[0], 'small'),
  },
];

/** A backend the comparison asked for, and whether it could be set up. */
export interface BackendStatus {
  name: ComparisonBackend;
  available: boolean;
  /** The WebGPU adapter's description, when there is one. */
  adapter?: string;
  /** True when the WebGPU adapter is a software rasteriser (its timings are CPU timings). */
  software?: boolean;
  /** One line for the output: the adapter, or why the backend is not measured. */
  note: string;
}

/**
 * Sets up each backend in turn and says which can be timed; `requested` undefined means cpu,
 * plus webgpu when an adapter exists. A backend that cannot be set up is reported (with the
 * reason) instead of failing the comparison. Leaves the `cpu` backend active.
 *
 * @example
 * ```ts
 * const backends = await probeBackends(undefined);
 * // [{ name: 'cpu', available: true, note: 'cpu: tfjs 4.22.0, JavaScript kernels' },
 * //  { name: 'webgpu', available: true, software: true,
 * //    adapter: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', note: "webgpu: software adapter 'llvmpipe: …' — …" }]
 * ```
 */
export async function probeBackends(
  requested: readonly ComparisonBackend[] | undefined,
): Promise<BackendStatus[]> {
  const statuses: BackendStatus[] = [];
  for (const name of requested ?? BACKENDS) {
    try {
      const info = await setupBackend(name, { quiet: true });
      if (info.adapter === undefined) {
        statuses.push({
          name,
          available: true,
          note: `${name}: tfjs ${tf.version.tfjs}, JavaScript kernels`,
        });
        continue;
      }
      const adapter =
        info.adapter.description ||
        info.adapter.device ||
        info.adapter.vendor ||
        'an unnamed adapter';
      const software = info.adapter.isSoftware;
      const note = software
        ? `${name}: software adapter '${adapter}' — ` +
          'it runs on the CPU, so these timings say nothing about a GPU'
        : `${name}: adapter '${adapter}'`;
      statuses.push({ name, available: true, adapter, software, note });
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      statuses.push({ name, available: false, note: `${name}: not measured (${reason})` });
    }
  }
  await setupBackend('cpu', { quiet: true });
  return statuses;
}

/**
 * The name of a backend in column headers and chart captions: `cpu`, `webgpu`, or
 * `webgpu, software` on a software adapter.
 *
 * @example
 * ```ts
 * backendLabel({ name: 'webgpu', available: true, software: true, note: '' }); // 'webgpu, software'
 * ```
 */
export function backendLabel(backend: BackendStatus): string {
  return backend.software ? `${backend.name}, software` : backend.name;
}

/** What was measured of one architecture. */
export interface ArchitectureMeasurement {
  id: ArchitectureId;
  label: string;
  /** The MobileNetV3 variant of a student. */
  variant?: 'large' | 'small';
  parameters: number;
  /** Bytes of the files `saveModel` writes (model.json and weights). */
  bytes: number;
  /** Samples in the timed training step. */
  batchSize: number;
  /** Median milliseconds of a forward pass (batch 1, inference mode), by backend. */
  forwardMs: Partial<Record<ComparisonBackend, number>>;
  /** Median milliseconds of a training step (forward, CTC loss, gradients, Adam update), by backend. */
  stepMs: Partial<Record<ComparisonBackend, number>>;
}

/** The inputs every architecture is timed on. */
interface ComparisonInputs {
  classes: number;
  /** The dev clip of median length. */
  clip: SignSample;
  /** The first training samples, as many as the largest batch. */
  train: SignSample[];
}

function comparisonInputs(config: ExperimentConfig): ComparisonInputs {
  const corpus = generateSignCorpus(config.corpus);
  const dev = corpus.splits.dev;
  if (dev.length === 0)
    throw new Error(
      `The '${config.size}' corpus has no dev samples: the forward pass is timed on a dev clip of median length.`,
    );
  const byLength = dev
    .map((spec) => ({ spec, frames: corpus.timeline(spec, config.video.fps).frameCount }))
    .sort((a, b) => a.frames - b.frames);
  const median = byLength[Math.floor((byLength.length - 1) / 2)].spec;
  const largest = Math.max(...ARCHITECTURES.map((a) => a.budget(config).batchSize));
  const specs = corpus.splits.train.slice(0, largest);
  if (specs.length < largest)
    throw new Error(
      `The '${config.size}' corpus has ${specs.length} training samples, fewer than the training batch (${largest}).`,
    );
  return {
    classes: corpus.vocabulary.size,
    clip: corpus.renderSample(median, {
      ...config.video,
      keypoints: config.teacher.pose !== undefined,
    }),
    train: specs.map((spec) =>
      corpus.renderSample(spec, { ...config.video, keypoints: config.teacher.pose !== undefined }),
    ),
  };
}

/** Median milliseconds of `run` over `iterations` runs after one warm-up. */
async function medianMs(run: () => Promise<void>, iterations: number): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** Bytes of everything `saveModel` writes for `model`, in a temporary directory removed afterwards. */
async function bytesOnDisk(model: tf.LayersModel): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'slr-compare-'));
  try {
    await saveModel(model, dir);
    let bytes = 0;
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size;
    }
    return bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function timeForward(
  model: SequenceModel,
  inputs: ModelInputs,
  clip: SignBatch,
  iterations: number,
): Promise<number> {
  return medianMs(async () => {
    const logProbs = tf.tidy(() => model.apply(inputs(clip), false));
    await logProbs.data();
    logProbs.dispose();
  }, iterations);
}

async function timeStep(
  model: SequenceModel,
  inputs: ModelInputs,
  batch: SignBatch,
  learningRate: number,
  iterations: number,
): Promise<number> {
  const optimizer = tf.train.adam(learningRate);
  const lengths = model.outputLengths(batch.inputLengths);
  try {
    return await medianMs(async () => {
      const loss = optimizer.minimize(
        () =>
          ctcLoss(model.apply(inputs(batch), true), batch.targets, lengths, batch.targetLengths),
        true,
      ) as tf.Scalar;
      await loss.data();
      loss.dispose();
    }, iterations);
  } finally {
    optimizer.dispose();
  }
}

/**
 * Measures the teacher and both student variants of `config`: parameters and bytes on disk
 * once, then on each available backend the forward latency (batch 1, the dev clip of median
 * length, inference mode) and the training-step time (the experiment's batch of real training
 * samples, CTC loss with gradients, Adam at the budget's learning rate), each the median of
 * `iterations` runs after a warm-up. Leaves the `cpu` backend active.
 *
 * @example
 * ```ts
 * const backends = await probeBackends(['cpu']);
 * const { clipFrames, measurements } = await measureArchitectures(EXPERIMENTS.small, backends, 5);
 * measurements[0].forwardMs.cpu; // e.g. 230 (ms for one clip of clipFrames frames)
 * ```
 */
export async function measureArchitectures(
  config: ExperimentConfig,
  backends: readonly BackendStatus[],
  iterations: number,
  log: (line: string) => void = () => undefined,
): Promise<{ clipFrames: number; measurements: ArchitectureMeasurement[] }> {
  const inputs = comparisonInputs(config);
  const measurements: ArchitectureMeasurement[] = ARCHITECTURES.map((a) => ({
    id: a.id,
    label: a.label,
    ...(a.variant ? { variant: a.variant } : {}),
    parameters: 0,
    bytes: 0,
    batchSize: a.budget(config).batchSize,
    forwardMs: {},
    stepMs: {},
  }));
  // Sizes do not depend on the backend: measured once, on cpu.
  await setupBackend('cpu', { quiet: true });
  for (const [i, architecture] of ARCHITECTURES.entries()) {
    const model = architecture.build(config, inputs.classes);
    try {
      measurements[i].parameters = trainableParameters(model.model);
      measurements[i].bytes = await bytesOnDisk(model.model);
    } finally {
      model.model.dispose();
    }
  }
  for (const backend of backends.filter((b) => b.available)) {
    await setupBackend(backend.name, { quiet: true });
    const clip = makeBatch([inputs.clip]);
    const batches = new Map<number, SignBatch>();
    try {
      for (const [i, architecture] of ARCHITECTURES.entries()) {
        const m = measurements[i];
        const model = architecture.build(config, inputs.classes);
        try {
          const apply = modelInputs(config, architecture.role);
          m.forwardMs[backend.name] = await timeForward(model, apply, clip, iterations);
          if (!batches.has(m.batchSize))
            batches.set(m.batchSize, makeBatch(inputs.train.slice(0, m.batchSize)));
          m.stepMs[backend.name] = await timeStep(
            model,
            apply,
            batches.get(m.batchSize) as SignBatch,
            architecture.budget(config).learningRate,
            iterations,
          );
          const forward = formatMs(m.forwardMs[backend.name]);
          const step = formatMs(m.stepMs[backend.name]);
          log(
            `${m.label} on ${backendLabel(backend)}: forward ${forward} ms, training step ${step} ms`,
          );
        } finally {
          model.model.dispose();
        }
      }
    } finally {
      disposeBatch(clip);
      for (const batch of batches.values()) disposeBatch(batch);
    }
  }
  await setupBackend('cpu', { quiet: true });
  return { clipFrames: inputs.clip.frameShape[0], measurements };
}

/** The distillation experiment's `results.json`. */
export interface DistillationResults {
  size: ExperimentSize;
  backend: string;
  wallSeconds: number;
  config: ExperimentConfig;
  runs: RunResult[];
}

/** Where the WER columns come from, and what was found there. */
export interface DistillationSource {
  /** The `results.json` looked for. */
  file: string;
  /** The results, when the file exists and was made with this configuration. */
  results?: DistillationResults;
  /** The MobileNetV3 variant the distillation run trained (from the results' configuration). */
  trainedVariant?: 'large' | 'small';
  /**
   * One line for the output: what was used, or why the WER columns are empty and how to fill
   * them.
   */
  note: string;
}

/** JSON with the keys of every object sorted, so equal configurations give equal strings. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/**
 * The parts of the configuration the WER depends on (the student's variant aside: the results
 * say which was trained).
 */
function werRelevant(config: Partial<ExperimentConfig>): Record<string, unknown> {
  const { variant: _variant, ...student } = config.student ?? {};
  return {
    corpus: config.corpus,
    video: config.video,
    teacher: config.teacher,
    student,
    teacherBudget: config.teacherBudget,
    studentBudget: config.studentBudget,
    distillation: config.distillation,
    beamWidth: config.beamWidth,
  };
}

/**
 * Reads the distillation run's `results.json` from `dir`, keeping it only when it was made
 * with `config` (the same corpus, video, models, budgets and distillation settings; seeds and
 * the student's variant may differ). Never throws for a missing, unreadable or mismatched
 * file: `note` says what happened and how to make the results.
 *
 * @example
 * ```ts
 * const source = await readDistillationResults('.out/distill-small', EXPERIMENTS.small);
 * if (!source.results) console.log(source.note);
 * // No distillation results: … run `pnpm distill --size small` to fill the WER columns.
 * ```
 */
export async function readDistillationResults(
  dir: string,
  config: ExperimentConfig,
): Promise<DistillationSource> {
  const file = join(dir, 'results.json');
  const outFlag = dir === defaultDistillOut(config.size) ? '' : ` --out ${dir}`;
  const make = `run \`pnpm distill --size ${config.size}${outFlag}\` to fill the WER columns`;
  if (!existsSync(file))
    return { file, note: `No distillation results: ${resolve(file)} does not exist; ${make}.` };
  let results: DistillationResults;
  try {
    results = JSON.parse(await readFile(file, 'utf8')) as DistillationResults;
    if (
      !Array.isArray(results.runs) ||
      typeof results.config !== 'object' ||
      results.config === null
    )
      throw new Error('it has no runs or no config');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      file,
      note: `No distillation results: ${resolve(file)} could not be read (${reason}); ${make}.`,
    };
  }
  const mine = werRelevant(config);
  const theirs = werRelevant(results.config);
  const differing = Object.keys(mine).filter(
    (key) => canonical(mine[key]) !== canonical(theirs[key]),
  );
  if (differing.length > 0) {
    return {
      file,
      note:
        `The distillation results in ${resolve(file)} were made with another configuration ` +
        `(it differs from the '${config.size}' experiment in: ${differing.join(', ')}): ` +
        `their WER is left out; ${make}.`,
    };
  }
  const trainedVariant = results.config.student?.variant ?? config.student.variant;
  const seeds = [...new Set(results.runs.filter((r) => r.kind !== 'teacher').map((r) => r.seed))];
  const variantName = trainedVariant === 'large' ? 'Large' : 'Small';
  const withSeeds =
    seeds.length > 0 ? ` with seed${seeds.length === 1 ? '' : 's'} ${seeds.join(', ')}` : '';
  return {
    file,
    results,
    trainedVariant,
    note:
      `WER from ${resolve(file)}: the distillation run (on ${results.backend}) ` +
      `trained the MobileNetV3-${variantName} student${withSeeds}; ` +
      'mean ± standard deviation over seeds.',
  };
}

/** Mean and sample standard deviation of a WER over runs. */
export interface WerStat {
  mean: number;
  sd: number;
}

/** One WER row of the comparison: a model, how it was trained, and its WER over runs. */
export interface WerRow {
  model: ArchitectureId;
  /** `CTC` (with its label smoothing) for the teacher, else the student's kind of run. */
  training: string;
  kind: RunKind;
  runs: number;
  dev: { greedy: WerStat; beam: WerStat };
  test: { greedy: WerStat; beam: WerStat };
}

const TRAINING: Record<RunKind, string> = {
  teacher: 'CTC',
  scratch: 'from scratch',
  distilled: 'frame-level KD',
  vac: 'frame-level KD (VAC settings)',
  sequence: 'sequence-level KD',
};

/**
 * The WER rows of the distillation results: the teacher's (from the `teacher` run), then the
 * trained student variant's `scratch`, `distilled` and `sequence` runs, each kind as the mean
 * and sample standard deviation over its seeds. Kinds without runs are left out.
 *
 * @example
 * ```ts
 * const { results } = await readDistillationResults('.out/distill-small', EXPERIMENTS.small);
 * if (results) console.log(werRows(results)[1]);
 * // { model: 'student-small', training: 'from scratch', kind: 'scratch', runs: 3,
 * //   dev: { greedy: { mean: 0.45, sd: 0.04 }, … }, test: { greedy: { mean: 0.42, sd: 0.03 }, … } }
 * ```
 */
export function werRows(results: DistillationResults): WerRow[] {
  const variant = results.config.student?.variant ?? 'small';
  const rows: WerRow[] = [];
  for (const kind of ['teacher', ...STUDENT_KINDS] as const) {
    const runs = results.runs.filter((r) => r.kind === kind);
    if (runs.length === 0) continue;
    const stat = (pick: (r: RunResult) => number): WerStat => meanSd(runs.map(pick));
    rows.push({
      model: kind === 'teacher' ? 'teacher' : `student-${variant}`,
      training:
        kind === 'teacher' && results.config.teacherBudget.labelSmoothing
          ? `CTC, label smoothing ε = ${results.config.teacherBudget.labelSmoothing}`
          : TRAINING[kind],
      kind,
      runs: runs.length,
      dev: { greedy: stat((r) => r.dev.greedy), beam: stat((r) => r.dev.beam) },
      test: { greedy: stat((r) => r.test.greedy), beam: stat((r) => r.test.beam) },
    });
  }
  return rows;
}

/** Milliseconds: whole from 100 ms up, one decimal below. */
function formatMs(ms: number | undefined): string {
  return ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

const formatMb = (bytes: number): string => (bytes / 1e6).toFixed(2);

function formatWer(stat: WerStat, runs: number): string {
  return runs > 1
    ? `${(100 * stat.mean).toFixed(1)} ± ${(100 * stat.sd).toFixed(1)}`
    : (100 * stat.mean).toFixed(1);
}

/** The text of the "training" cell of a model the distillation run did not train. */
export const NOT_TRAINED = 'not trained in the distillation run';

/**
 * The comparison table: one row per architecture and kind of training run (the trained
 * student variant gets one row per kind, its measurements repeated), the other variant one
 * row marked {@link NOT_TRAINED}. Without results every model gets one row and `—` in the
 * WER columns. Columns: model, training, parameters, MB on disk, forward ms and step ms per
 * available backend, runs, and dev/test WER (greedy, beam; %).
 *
 * @example
 * ```ts
 * const backends = await probeBackends(['cpu']);
 * const { measurements } = await measureArchitectures(EXPERIMENTS.small, backends, 5);
 * const source = await readDistillationResults('.out/distill-small', EXPERIMENTS.small);
 * console.log(markdownTable(comparisonTable(measurements, backends, source)));
 * ```
 */
export function comparisonTable(
  measurements: readonly ArchitectureMeasurement[],
  backends: readonly BackendStatus[],
  source: Pick<DistillationSource, 'results' | 'trainedVariant'>,
): ComparisonTable {
  const timed = backends.filter((b) => b.available);
  const columns = [
    'model',
    'training',
    'trainable parameters',
    'on disk (MB)',
    ...timed.map((b) => `forward ms/clip (${backendLabel(b)})`),
    ...timed.map((b) => `train step ms (${backendLabel(b)})`),
    'runs',
    'dev WER greedy (%)',
    'dev WER beam (%)',
    'test WER greedy (%)',
    'test WER beam (%)',
  ];
  const wer = source.results ? werRows(source.results) : undefined;
  const rows: string[][] = [];
  for (const m of measurements) {
    const sizeAndSpeed = [
      m.parameters.toLocaleString('en-US'),
      formatMb(m.bytes),
      ...timed.map((b) => formatMs(m.forwardMs[b.name])),
      ...timed.map((b) => formatMs(m.stepMs[b.name])),
    ];
    const none = ['—', '—', '—', '—', '—'];
    if (wer === undefined) {
      rows.push([m.label, '—', ...sizeAndSpeed, ...none]);
      continue;
    }
    const mine = wer.filter((r) => r.model === m.id);
    if (mine.length === 0) {
      const why =
        m.id === 'teacher'
          ? 'no teacher run in results.json'
          : m.variant === source.trainedVariant
            ? 'no student runs in results.json'
            : NOT_TRAINED;
      rows.push([m.label, why, ...sizeAndSpeed, ...none]);
      continue;
    }
    for (const r of mine) {
      rows.push([
        m.label,
        r.training,
        ...sizeAndSpeed,
        String(r.runs),
        formatWer(r.dev.greedy, r.runs),
        formatWer(r.dev.beam, r.runs),
        formatWer(r.test.greedy, r.runs),
        formatWer(r.test.beam, r.runs),
      ]);
    }
  }
  return { caption: 'Architectures: size, speed and WER', columns, rows };
}

/**
 * A table in Markdown, numeric-looking columns right-aligned.
 *
 * @example
 * ```ts
 * markdownTable({
 *   caption: 'Size',
 *   columns: ['model', 'parameters'],
 *   rows: [['I3D teacher', '305,421']],
 * });
 * // | model       | parameters |
 * // |:------------|-----------:|
 * // | I3D teacher |    305,421 |
 * ```
 */
export function markdownTable(table: ComparisonTable): string {
  const cells = table.rows.map((row) => row.map(String));
  const widths = table.columns.map((c, i) =>
    Math.max(c.length, 3, ...cells.map((r) => r[i].length)),
  );
  const numeric = table.columns.map((_c, i) => {
    const filled = cells.map((r) => r[i]).filter((c) => c !== '—');
    return filled.length > 0 && filled.every((c) => /^[0-9.,± ]+$/.test(c));
  });
  const line = (row: string[]): string =>
    `| ${row.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(table.columns), rule, ...cells.map(line)].join('\n');
}

/** Everything a comparison found (also written to `comparison.json`). */
export interface ArchitectureComparison {
  size: ExperimentSize;
  iterations: number;
  /** Frames of the clip the forward pass is timed on (the dev split's median length). */
  clipFrames: number;
  backends: BackendStatus[];
  measurements: ArchitectureMeasurement[];
  distillation: DistillationSource;
  wer: WerRow[];
  table: ComparisonTable;
  /** What was measured and how, the backends' notes and the WER source's note. */
  notes: string[];
  /** The table and the notes in Markdown (what `comparison.md` holds and the command prints). */
  markdown: string;
  files: { markdown: string; json: string; report: string };
  /** Wall time of the comparison (seconds), files excluded. */
  wallSeconds: number;
}

const reportTitle = (size: ExperimentSize): string =>
  `Architectures: I3D teacher vs MobileNetV3-Large and -Small students (${size})`;

/**
 * The report of a comparison: the notes, the table, and bar charts of the parameters, the MB
 * on disk, the forward and step milliseconds on each timed backend and, when there are
 * distillation results, the test WER (greedy, mean ± sd over seeds).
 *
 * @example
 * ```ts
 * declare const comparison: ArchitectureComparison;
 *
 * await writeComparisonReport(architectureReport(comparison), '.out/compare-small');
 * ```
 */
export function architectureReport(
  comparison: Omit<ArchitectureComparison, 'files' | 'markdown'>,
): ComparisonReport {
  const { measurements } = comparison;
  const byModel = (
    caption: string,
    valueLabel: string,
    value: (m: ArchitectureMeasurement) => number | undefined,
  ): ComparisonBars => ({
    caption,
    valueLabel,
    bars: measurements.map((m) => ({
      label: m.label,
      value: value(m) ?? Number.NaN,
      group: m.id === 'teacher' ? 'teacher' : 'student',
    })),
  });
  const bars: ComparisonBars[] = [
    byModel('Trainable parameters', 'parameters', (m) => m.parameters),
    byModel('Size on disk (MB)', 'MB', (m) => m.bytes / 1e6),
  ];
  for (const b of comparison.backends.filter((x) => x.available)) {
    bars.push(
      byModel(
        `Forward pass, ms per clip of ${comparison.clipFrames} frames (${backendLabel(b)})`,
        'ms',
        (m) => m.forwardMs[b.name],
      ),
    );
  }
  for (const b of comparison.backends.filter((x) => x.available)) {
    bars.push(byModel(`Training step, ms (${backendLabel(b)})`, 'ms', (m) => m.stepMs[b.name]));
  }
  if (comparison.wer.length > 0) {
    const label = (r: WerRow): string =>
      `${measurements.find((m) => m.id === r.model)?.label ?? r.model}, ${r.training}`;
    bars.push({
      caption: 'Test WER, greedy (mean ± sd over seeds)',
      valueLabel: 'test WER',
      bars: comparison.wer.map((r) => ({
        label: label(r),
        value: r.test.greedy.mean,
        error: r.test.greedy.sd,
        group: r.model === 'teacher' ? 'teacher' : 'student',
      })),
    });
  }
  return {
    title: reportTitle(comparison.size),
    summary: comparison.notes,
    tables: [comparison.table],
    bars,
    scatters: werScatters(comparison),
  };
}

/**
 * Test WER (greedy, mean ± sd over seeds) of every trained model against its trainable
 * parameters and against its training-step time on each timed backend: one point per model
 * and way of training. None without distillation results.
 */
function werScatters(
  comparison: Omit<ArchitectureComparison, 'files' | 'markdown'>,
): ComparisonScatter[] {
  const points = (x: (m: ArchitectureMeasurement) => number | undefined) =>
    comparison.wer.flatMap((r) => {
      const m = comparison.measurements.find((e) => e.id === r.model);
      const value = m === undefined ? undefined : x(m);
      return m === undefined || value === undefined
        ? []
        : [
            {
              label: `${m.label}, ${r.training}`,
              x: value,
              y: 100 * r.test.greedy.mean,
              yError: 100 * r.test.greedy.sd,
              group: r.model === 'teacher' ? 'teacher' : r.training,
            },
          ];
    });
  if (comparison.wer.length === 0) return [];
  return [
    {
      caption: 'Test WER (greedy, %, mean ± sd over seeds) against trainable parameters',
      xLabel: 'trainable parameters',
      yLabel: 'test WER (%)',
      points: points((m) => m.parameters),
    },
    ...comparison.backends
      .filter((b) => b.available)
      .map((b) => ({
        caption: `Test WER (greedy, %, mean ± sd over seeds) against the training step (${backendLabel(b)})`,
        xLabel: 'training step (ms)',
        yLabel: 'test WER (%)',
        points: points((m) => m.stepMs[b.name]),
      })),
  ];
}

/** Options of {@link compareArchitectures}. */
export interface ComparisonOptions {
  /** Backends to time; undefined: cpu, plus webgpu when an adapter exists. */
  backends?: readonly ComparisonBackend[];
  /** Timed runs per measurement, after one warm-up (the median is reported). */
  iterations: number;
  /** The distillation run's folder (its `results.json` gives the WER). */
  distillOut: string;
  /** Where `comparison.md`, `comparison.json` and `comparison.html` go. */
  out: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/**
 * Runs the architecture comparison for `config` and writes `comparison.md`, `comparison.json`
 * and `comparison.html` into `options.out`; returns what it found.
 *
 * @example
 * ```ts
 * const comparison = await compareArchitectures(EXPERIMENTS.small, {
 *   iterations: 5,
 *   distillOut: '.out/distill-small',
 *   out: '.out/compare-small',
 * });
 * console.log(comparison.markdown);
 * ```
 */
export async function compareArchitectures(
  config: ExperimentConfig,
  options: ComparisonOptions,
): Promise<ArchitectureComparison> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const backends = await probeBackends(options.backends);
  for (const b of backends) log(b.note);
  const distillation = await readDistillationResults(options.distillOut, config);
  log(distillation.note);
  const { clipFrames, measurements } = await measureArchitectures(
    config,
    backends,
    options.iterations,
    log,
  );
  const table = comparisonTable(measurements, backends, distillation);
  const wer = distillation.results ? werRows(distillation.results) : [];
  const { height, width } = config.video;
  const batches = [...new Set(measurements.map((m) => m.batchSize))];
  const batchText =
    batches.length === 1
      ? String(batches[0])
      : `${measurements.find((m) => m.id === 'teacher')?.batchSize} (teacher) or ` +
        `${measurements.find((m) => m.id !== 'teacher')?.batchSize} (students)`;
  const runs = `${options.iterations} run${options.iterations === 1 ? '' : 's'}`;
  const notes = [
    `Experiment '${config.size}': ${config.corpus.glosses} glosses, ` +
      `${height}×${width} video at ${config.video.fps} fps; ` +
      `tfjs ${tf.version.tfjs}, Node.js ${process.version}.`,
    `Forward: batch 1, one dev clip of ${clipFrames} frames (the dev split's median length), ` +
      `inference mode. Training step: a batch of ${batchText} ` +
      'real training clips, forward in training mode, CTC loss, gradients and an Adam update. ' +
      `Each time is the median of ${runs} after a warm-up.`,
    ...backends.map((b) => `Backend ${b.note}.`),
    distillation.note,
  ];
  const wallSeconds = (performance.now() - started) / 1000;
  const comparison: Omit<ArchitectureComparison, 'files' | 'markdown'> = {
    size: config.size,
    iterations: options.iterations,
    clipFrames,
    backends,
    measurements,
    distillation,
    wer,
    table,
    notes,
    wallSeconds,
  };
  const markdown = [
    `# ${reportTitle(config.size)}`,
    '',
    markdownTable(table),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
  await mkdir(options.out, { recursive: true });
  const files = {
    markdown: join(options.out, 'comparison.md'),
    json: join(options.out, 'comparison.json'),
    report: join(options.out, 'comparison.html'),
  };
  await writeFileAtomic(files.markdown, markdown);
  const { results: _results, ...source } = distillation;
  await writeFileAtomic(
    files.json,
    `${JSON.stringify({ ...comparison, distillation: source, config }, null, 1)}\n`,
  );
  await writeComparisonReport(architectureReport(comparison), options.out, 'comparison.html');
  return { ...comparison, markdown, files };
}

/** The distillation experiment's default output folder for `size`. */
function defaultDistillOut(size: ExperimentSize): string {
  return join('.out', `distill-${size}`);
}

/** A flag with a wrong value: the command prints the message and exits with 2. */
class UsageError extends Error {}

/** The command's flags, checked. */
interface CompareArgs {
  help: boolean;
  size: ExperimentSize;
  backends?: ComparisonBackend[];
  iterations: number;
  distillOut: string;
  out: string;
}

function parseCompareArgs(argv: string[]): CompareArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        size: { type: 'string', default: 'small' },
        backends: { type: 'string' },
        iterations: { type: 'string', default: '5' },
        'distill-out': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  const size = values.size as ExperimentSize;
  if (!Object.hasOwn(EXPERIMENTS, size))
    throw new UsageError(`--size must be 'small' or 'large', but got '${values.size}'.`);
  let backends: ComparisonBackend[] | undefined;
  if (values.backends !== undefined) {
    const names = values.backends.split(',').map((s) => s.trim());
    for (const name of names) {
      if (!BACKENDS.includes(name as ComparisonBackend))
        throw new UsageError(
          '--backends takes cpu and webgpu, separated by commas, ' +
            `but got '${name}' in '${values.backends}'.`,
        );
    }
    backends = [...new Set(names as ComparisonBackend[])];
  }
  const iterations = Number(values.iterations);
  if (
    !/^\s*\d+\s*$/.test(values.iterations) ||
    !Number.isSafeInteger(iterations) ||
    iterations < 1
  ) {
    throw new UsageError(`--iterations must be an integer ≥ 1, but got '${values.iterations}'.`);
  }
  return {
    help: values.help === true,
    size,
    backends,
    iterations,
    distillOut: values['distill-out'] ?? defaultDistillOut(size),
    out: values.out ?? join('.out', `compare-${size}`),
  };
}

/**
 * The command: parses `argv`, runs the comparison, prints the Markdown table and notes on
 * stdout (progress on stderr) and the total wall time; resolves to the exit code (0 done,
 * 1 the comparison failed, 2 invalid flags).
 *
 * @example
 * ```ts
 * const argv = ['--size', 'small', '--backends', 'cpu', '--iterations', '3'];
 * process.exitCode = await runArchitectureComparison(argv);
 * ```
 */
export async function runArchitectureComparison(argv: string[]): Promise<number> {
  const started = performance.now();
  let args: CompareArgs;
  try {
    args = parseCompareArgs(argv);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  if (args.help) {
    console.log(
      'Compare the I3D teacher with the MobileNetV3-Large and -Small students: ' +
        `size, speed and WER.\n\n${USAGE}`,
    );
    return 0;
  }
  try {
    const config = EXPERIMENTS[args.size];
    const iterations = `${args.iterations} iteration${args.iterations === 1 ? '' : 's'}`;
    console.error(
      `architecture comparison '${args.size}': ${iterations} per measurement; output in ${args.out}`,
    );
    const comparison = await compareArchitectures(config, {
      ...args,
      log: (line) => console.error(line),
    });
    console.log(`\n${comparison.markdown}`);
    console.log(
      `table ${comparison.files.markdown}, data ${comparison.files.json}, report ${comparison.files.report}`,
    );
    console.log(`wall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (error) {
    console.error(
      `The comparison failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  runArchitectureComparison(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
