/**
 * Knowledge distillation, I3D teacher → MobileNetV3 student, on a synthetic corpus whose dev
 * and test sentences use word pairs never seen in training. The teacher sees the video and the
 * signer's keypoints (its pose stream); the student, the model meant for browsers, the video
 * alone:
 *
 * 1. train the teacher and cache its soft targets (per-frame log-probabilities and beam
 *    transcripts of every training sample);
 * 2. for each seed, train the student from scratch, with frame-level distillation
 *    (`α·CTC + (1 − α)·τ²·KL`, settings chosen on dev and the VAC settings) and with sequence-level
 *    distillation, all under the same budget and the same seeds;
 * 3. evaluate train, dev and test WER, greedy and beam search, print the table (mean ± standard
 *    deviation over seeds) and the paired comparisons (per-seed differences, standard error,
 *    share of the teacher–student gap closed), write `results.json` and a report with the
 *    learning curves.
 *
 *   pnpm distill [--size small|large] [--backend cpu|webgpu] [--seeds 1,2,3,4,5] [--parallel 2]
 *                [--modes scratch,distilled,vac,sequence] [--retrain-teacher] [--out DIR]
 */
import { fork } from 'node:child_process';
import { writeFileAtomic } from '@slr/core/node';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setupBackend } from '@slr/backend/node';
import type { ComparisonReport } from '@slr/diagnostics';
import { writeComparisonReport } from '@slr/diagnostics/node';
import { existsSync } from 'node:fs';
import {
  STUDENT_KINDS,
  files,
  readRunResult,
  runJob,
  runKey,
  runName,
  teacherIdentity,
  type RunKind,
  type RunResult,
  type RunSpec,
} from './experiment';
import { EXPERIMENTS, type ExperimentConfig, type ExperimentSize } from './recipes';
import { loadSoftTargets } from '@slr/train/node';

const USAGE = `Options:
  --size <small|large>   small (default): a 2-core CPU in about 15 minutes; large: for a GPU (webgpu)
  --backend <name>       cpu (default) | webgpu
  --seeds <list>         student seeds, shared by every arm (default 1,2,3,4,5)
  --teacher-seed <n>     the teacher's seed (default 1)
  --modes <list>         student runs per seed: scratch, distilled (frame-level KD), vac (frame-level
                         KD with the VAC settings), sequence (default: all four)
  --parallel <n>         runs at once, each in its own process (default: 2 on cpu with ≥ 2 cores, else 1)
  --retrain-teacher      train the teacher even when a matching one is cached in --out
  --rerun-students       train every student again, even those whose results in --out match
  --out <dir>            results, report, teacher and soft targets (default .out/distill-<size>)`;

/** Mean and sample standard deviation. */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, x) => a + x, 0) / values.length;
  const sd =
    values.length > 1
      ? Math.sqrt(values.reduce((a, x) => a + (x - mean) ** 2, 0) / (values.length - 1))
      : 0;
  return { mean, sd };
}

const pct = (x: number): string => (100 * x).toFixed(1);
const pm = (values: readonly number[]): string => {
  const { mean, sd } = meanSd(values);
  return values.length > 1 ? `${pct(mean)} ± ${pct(sd)}` : pct(mean);
};

const LABEL: Record<RunKind, string> = {
  teacher: 'I3D teacher',
  scratch: 'student, from scratch',
  distilled: 'student, frame-level KD',
  vac: 'student, frame-level KD (VAC settings)',
  sequence: 'student, sequence-level KD',
};

/** Every kind, in the order of the tables. */
const KINDS: readonly RunKind[] = ['teacher', ...STUDENT_KINDS];

/** The arms compared with the students from scratch. */
const ARMS = ['distilled', 'vac', 'sequence'] as const;

/** What one arm gained over the students from scratch, seed by seed (test WER). */
export interface PairedComparison {
  arm: 'distilled' | 'vac' | 'sequence';
  /** The seeds both arms ran with, in order. */
  seeds: number[];
  /** Per seed, arm − scratch, in WER (fractions): negative is better. */
  deltas: { greedy: number[]; beam: number[] };
  /** Mean of the deltas and its standard error (sd / √n). */
  mean: { greedy: number; beam: number };
  standardError: { greedy: number; beam: number };
  /**
   * Share of the teacher–student gap (mean scratch test WER − teacher test WER) the arm closed:
   * 1 is the teacher's WER, 0 no change, negative worse than scratch. Undefined without a
   * teacher run or when the teacher is not better.
   */
  gapClosed: { greedy: number | undefined; beam: number | undefined };
  /** The teacher–student gap itself. */
  gap: { greedy: number | undefined; beam: number | undefined };
}

/**
 * Pairs each run of `arm` with the student from scratch of the same seed and compares their
 * test WER (the seeds fix initialisation, dropout and batch order, so a pair differs only in
 * what the arm changes). Undefined when no seed has both.
 *
 * @example
 * ```ts
 * declare const runs: Parameters<typeof pairedComparison>[0]; // the runs in results.json
 * const c = pairedComparison(runs, 'distilled');
 * c?.mean.greedy; // e.g. -0.12: twelve points better than from scratch
 * ```
 */
export function pairedComparison(
  runs: readonly RunResult[],
  arm: PairedComparison['arm'],
): PairedComparison | undefined {
  const pairs = runs
    .filter((r) => r.kind === 'scratch')
    .map((s) => [s, runs.find((r) => r.kind === arm && r.seed === s.seed)] as const)
    .filter((p): p is readonly [RunResult, RunResult] => p[1] !== undefined)
    .sort((a, b) => a[0].seed - b[0].seed);
  if (pairs.length === 0) return undefined;
  const greedy = pairs.map(([s, d]) => d.test.greedy - s.test.greedy);
  const beam = pairs.map(([s, d]) => d.test.beam - s.test.beam);
  const se = (values: number[]): number => meanSd(values).sd / Math.sqrt(values.length);
  const teacher = runs.find((r) => r.kind === 'teacher');
  const scratch = pairs.map(([s]) => s);
  const gapOf = (split: 'greedy' | 'beam'): number | undefined => {
    if (teacher === undefined) return undefined;
    const gap = meanSd(scratch.map((r) => r.test[split])).mean - teacher.test[split];
    return gap > 0 ? gap : undefined;
  };
  const gap = { greedy: gapOf('greedy'), beam: gapOf('beam') };
  const closed = (deltas: number[], g: number | undefined): number | undefined =>
    g === undefined ? undefined : -meanSd(deltas).mean / g;
  return {
    arm,
    seeds: pairs.map(([s]) => s.seed),
    deltas: { greedy, beam },
    mean: { greedy: meanSd(greedy).mean, beam: meanSd(beam).mean },
    standardError: { greedy: se(greedy), beam: se(beam) },
    gapClosed: { greedy: closed(greedy, gap.greedy), beam: closed(beam, gap.beam) },
    gap,
  };
}

/**
 * The experiment's table in Markdown: one row per kind of run (WER in %, mean ± standard
 * deviation over seeds), parameters and training time.
 */
export function resultsTable(runs: readonly RunResult[]): string {
  const kinds = KINDS.filter((k) => runs.some((r) => r.kind === k));
  const lines = [
    '| model | runs | parameters | dev WER greedy | dev WER beam | test WER greedy | ' +
      'test WER beam | train s/run |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const kind of kinds) {
    const group = runs.filter((r) => r.kind === kind);
    const cells = [
      LABEL[kind],
      group.length,
      group[0].parameters.toLocaleString('en-US'),
      pm(group.map((r) => r.dev.greedy)),
      pm(group.map((r) => r.dev.beam)),
      pm(group.map((r) => r.test.greedy)),
      pm(group.map((r) => r.test.beam)),
      meanSd(group.map((r) => r.trainSeconds)).mean.toFixed(0),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Says, from the numbers, whether an arm helped: the paired difference in test WER against the
 * students from scratch (greedy and beam), its standard error, and the share of the
 * teacher–student gap it closed.
 */
export function verdict(
  runs: readonly RunResult[],
  arm: PairedComparison['arm'] = 'distilled',
): string | undefined {
  const c = pairedComparison(runs, arm);
  if (c === undefined) return undefined;
  const n = c.seeds.length;
  const part = (split: 'greedy' | 'beam'): string => {
    const mean = c.mean[split];
    const se = c.standardError[split];
    const better = c.deltas[split].filter((d) => d < 0).length;
    const change =
      mean < 0
        ? `${pct(-mean)} points lower`
        : mean > 0
          ? `${pct(mean)} points higher`
          : 'unchanged';
    const closed = c.gapClosed[split];
    const gapPoints = `the ${pct(c.gap[split] as number)}-point teacher–student gap`;
    const gap =
      closed === undefined
        ? ''
        : closed >= 0
          ? `, ${(100 * closed).toFixed(0)}% of ${gapPoints} closed`
          : `, ${gapPoints} widened by ${(-100 * closed).toFixed(0)}%`;
    const clear =
      n > 1
        ? Math.abs(mean) > 2 * se
          ? ', more than twice its standard error'
          : ', within twice its standard error'
        : '';
    return `${split} ${change} (± ${pct(se)} standard error${clear}; better on ${better} of ${n} seeds${gap})`;
  };
  return `${LABEL[arm]} against from scratch, test WER paired by seed: ${part('greedy')}; ${part('beam')}.`;
}

interface JobMessage {
  result?: RunResult;
  error?: string;
}

/** Runs a job in a child process of this script (same loader flags), prefixing its output. */
function runInChild(
  spec: RunSpec,
  args: { size: ExperimentSize; backend: string; out: string; teacherSeed: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = fork(
      fileURLToPath(import.meta.url),
      [
        '--job',
        JSON.stringify(spec),
        '--size',
        args.size,
        '--backend',
        args.backend,
        '--out',
        args.out,
        '--teacher-seed',
        String(args.teacherSeed),
      ],
      {
        execArgv: process.execArgv,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    const prefix = `[${runName(spec)}] `;
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines)
          if (line.trim() && !line.includes('Hi there')) console.log(prefix + line);
      });
    }
    let message: JobMessage | undefined;
    child.on('message', (m: JobMessage) => (message = m));
    child.on('exit', (code) => {
      if (message?.result) resolve(message.result);
      else
        reject(
          new Error(`${runName(spec)} failed (exit ${code}): ${message?.error ?? 'no result'}`),
        );
    });
  });
}

/** A job of the pool: a run, what it waits for, and who waits for it. */
interface Job {
  spec: RunSpec;
  /** Settles before the job starts (the teacher, for the students that learn from it). */
  after?: Promise<unknown>;
  /** Settled with the job's result (or failure). */
  done?: { resolve: (result: RunResult) => void; reject: (error: unknown) => void };
}

/** A minimal pool: `parallel` jobs at once, in order, each started when its dependency is done. */
async function runAll(
  jobs: readonly Job[],
  parallel: number,
  start: (spec: RunSpec) => Promise<RunResult>,
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const queue = [...jobs];
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (queue.length > 0 && failure === undefined) {
      const job = queue.shift() as Job;
      try {
        await job.after;
        const result = await start(job.spec);
        job.done?.resolve(result);
        results.push(result);
      } catch (error) {
        job.done?.reject(error);
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  if (failure !== undefined)
    throw failure instanceof Error ? failure : new Error('a job failed', { cause: failure });
  return results;
}

/** Mean ± sd of a kind's dev WER at each evaluated epoch, as a curve with a band. */
function meanCurve(
  group: readonly RunResult[],
): { x: number; y: number; low: number; high: number }[] {
  const epochs = [
    ...new Set(
      group.flatMap((r) => r.history.filter((h) => h.wer !== undefined).map((h) => h.epoch)),
    ),
  ].sort((a, b) => a - b);
  return epochs.map((epoch) => {
    const values = group
      .map((r) => r.history.find((h) => h.epoch === epoch)?.wer)
      .filter((w): w is number => w !== undefined);
    const { mean, sd } = meanSd(values);
    return { x: epoch, y: mean, low: Math.max(0, mean - sd), high: mean + sd };
  });
}

/**
 * The comparison report: the verdicts, the table (mean ± sd), the per-seed table with the
 * paired differences, the teacher's soft targets described, dev-WER curves per arm (mean with a
 * band of ± one sd over seeds), the students' CTC loss, and test-WER bars with error bars.
 */
export function distillationReport(
  config: ExperimentConfig,
  runs: readonly RunResult[],
  wallSeconds: number,
): ComparisonReport {
  const kinds = KINDS.filter((k) => runs.some((r) => r.kind === k));
  const group = (kind: RunKind): RunResult[] => runs.filter((r) => r.kind === kind);
  const verdicts = ARMS.map((k) => verdict(runs, k)).filter((v): v is string => v !== undefined);
  const c = config.corpus;
  const { video, distillation: kd, vacDistillation: vac } = config;
  const pose = config.teacher.pose ? ' with the pose stream (video and keypoints)' : '';
  const ls = config.teacherBudget.labelSmoothing;
  const smoothing = ls ? `, CTC with label smoothing ε = ${ls}` : '';
  const variant = config.student.variant === 'large' ? 'Large' : 'Small';
  const kdText = (d: typeof kd): string =>
    `τ = ${d.temperature}, α = ${d.alpha}, blank ${d.includeBlank ? 'in' : 'left out of'} the KL term`;
  const teacher = runs.find((r) => r.kind === 'teacher');
  const stats = teacher?.softTargets;
  const seeds = [...new Set(runs.filter((r) => r.kind !== 'teacher').map((r) => r.seed))].sort(
    (a, b) => a - b,
  );
  const arms = ARMS.filter((k) => runs.some((r) => r.kind === k));
  const perSeed = (split: 'greedy' | 'beam') => ({
    caption: `Test WER (%), ${split}, per seed; Δ = arm − scratch (points, negative is better)`,
    columns: ['seed', 'scratch', ...arms.flatMap((a) => [LABEL[a].replace('student, ', ''), 'Δ'])],
    rows: seeds.map((seed) => {
      const of = (kind: RunKind) => runs.find((r) => r.kind === kind && r.seed === seed);
      const scratch = of('scratch');
      return [
        seed,
        scratch ? pct(scratch.test[split]) : '—',
        ...arms.flatMap((a) => {
          const r = of(a);
          return [
            r ? pct(r.test[split]) : '—',
            r && scratch ? (100 * (r.test[split] - scratch.test[split])).toFixed(1) : '—',
          ];
        }),
      ];
    }),
  });
  return {
    title: `Knowledge distillation: I3D teacher → MobileNetV3 student (${config.size})`,
    summary: [
      ...verdicts,
      `Corpus: ${c.glosses} glosses, difficulty ${c.difficulty}, ` +
        `${c.trainSamples}/${c.devSamples}/${c.testSamples} train/dev/test sentences ` +
        '(dev and test use bigrams never seen in training), ' +
        `${c.signers ?? 9} signers, ${video.height}×${video.width} at ${video.fps} fps. ` +
        `Teacher: I3D${pose}, ${config.teacherBudget.epochs} epochs${smoothing}, seed ${config.teacherSeed}; ` +
        `each student (MobileNetV3-${variant}, video only): ${config.studentBudget.epochs} epochs ` +
        '(every arm alike), Adam, warmup then cosine. ' +
        `Frame-level KD: ${kdText(kd)}; with the VAC settings: ${kdText(vac)}. ` +
        `Seeds: ${seeds.join(', ')} (shared by every arm). Wall time ${wallSeconds.toFixed(0)} s.`,
      ...(stats
        ? [
            `The teacher's soft targets (training split): blank wins ${pct(stats.blankFrames)}% of ` +
              `frames; the winning class has probability ${stats.meanTopProbability.toFixed(3)} on ` +
              `average at τ = 1 (${Object.entries(stats.meanTopProbabilityAt)
                .map(([k, v]) => `${v.toFixed(3)} at ${k.replace('τ=', 'τ = ')}`)
                .join(
                  ', ',
                )}); the gloss distribution's entropy is ${stats.meanGlossEntropy.toFixed(2)} ` +
              `nats; transcripts read from the targets have ${pct(stats.transcriptWer)}% WER ` +
              `against the annotation (the teacher's test WER is ${pct(teacher?.test.greedy ?? NaN)}%); ` +
              `${stats.teacherFrames.toFixed(1)} teacher frames per clip are resampled onto ` +
              `${stats.studentFrames.toFixed(1)} student frames.`,
          ]
        : []),
    ],
    tables: [
      {
        caption: 'WER (%) — mean ± standard deviation over seeds',
        columns: [
          'model',
          'runs',
          'parameters',
          'train greedy',
          'dev greedy',
          'dev beam',
          'test greedy',
          'test beam',
          'train s/run',
        ],
        rows: kinds.map((kind) => {
          const g = group(kind);
          return [
            LABEL[kind],
            g.length,
            g[0].parameters,
            g.every((r) => r.train)
              ? pm(g.map((r) => (r.train as { greedy: number }).greedy))
              : '—',
            pm(g.map((r) => r.dev.greedy)),
            pm(g.map((r) => r.dev.beam)),
            pm(g.map((r) => r.test.greedy)),
            pm(g.map((r) => r.test.beam)),
            Math.round(meanSd(g.map((r) => r.trainSeconds)).mean),
          ];
        }),
      },
      perSeed('greedy'),
      perSeed('beam'),
      {
        caption: 'Every run',
        columns: [
          'run',
          'train greedy',
          'dev greedy',
          'dev beam',
          'test greedy',
          'test beam',
          'final loss',
          'train s',
        ],
        rows: runs.map((r) => [
          r.name,
          r.train ? pct(r.train.greedy) : '—',
          pct(r.dev.greedy),
          pct(r.dev.beam),
          pct(r.test.greedy),
          pct(r.test.beam),
          r.history[r.history.length - 1]?.loss ?? Number.NaN,
          Math.round(r.trainSeconds),
        ]),
      },
    ],
    curves: [
      {
        caption: 'Dev WER (greedy) during training: mean over seeds, band ± one standard deviation',
        xLabel: 'epoch',
        yLabel: 'dev WER',
        series: kinds.map((kind) => ({
          name: LABEL[kind],
          points: meanCurve(group(kind)),
        })),
      },
      {
        caption: 'CTC loss of the students during training (the distilled ones: their CTC term)',
        xLabel: 'epoch',
        yLabel: 'CTC loss',
        logY: true,
        series: runs
          .filter((r) => r.kind !== 'teacher')
          .map((r) => ({
            name: r.name,
            group: LABEL[r.kind],
            points: r.history.map((h) => ({ x: h.epoch, y: h.ctcLoss ?? h.loss })),
          })),
      },
    ],
    bars: (['greedy', 'beam'] as const).map((split) => ({
      caption: `Test WER, ${split} (mean ± sd over seeds)`,
      valueLabel: 'test WER',
      bars: kinds.map((kind) => ({
        label: LABEL[kind],
        ...((m) => ({ value: m.mean, error: m.sd }))(meanSd(group(kind).map((r) => r.test[split]))),
      })),
    })),
  };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'small' },
      backend: { type: 'string', default: 'cpu' },
      seeds: { type: 'string' },
      'teacher-seed': { type: 'string' },
      modes: { type: 'string', default: STUDENT_KINDS.join(',') },
      parallel: { type: 'string' },
      'retrain-teacher': { type: 'boolean', default: false },
      'rerun-students': { type: 'boolean', default: false },
      out: { type: 'string' },
      job: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `Distil the I3D teacher into the MobileNetV3 student and compare them over seeds.\n\n${USAGE}`,
    );
    return 0;
  }
  const size = values.size as ExperimentSize;
  if (!(size in EXPERIMENTS))
    throw new Error(`--size must be 'small' or 'large', but got '${values.size}'.`);
  if (values.backend !== 'cpu' && values.backend !== 'webgpu')
    throw new Error(`--backend must be 'cpu' or 'webgpu', but got '${values.backend}'.`);
  const seeds = values.seeds?.split(',').map((s) => Number(s)) ?? EXPERIMENTS[size].seeds;
  if (seeds.some((s) => !Number.isInteger(s)))
    throw new Error(`--seeds must be integers separated by commas, but got '${values.seeds}'.`);
  const teacherSeed = Number(values['teacher-seed'] ?? EXPERIMENTS[size].teacherSeed);
  if (!Number.isSafeInteger(teacherSeed))
    throw new Error(`--teacher-seed must be an integer, but got '${values['teacher-seed']}'.`);
  const config: ExperimentConfig = { ...EXPERIMENTS[size], seeds, teacherSeed };
  const out = values.out ?? join('.out', `distill-${size}`);

  await setupBackend(values.backend, { quiet: true });
  if (values.job !== undefined) {
    // A child process: run one job and hand the result to the parent.
    try {
      const result = await runJob(config, JSON.parse(values.job) as RunSpec, out, (line) =>
        console.log(line),
      );
      process.send?.({ result } satisfies JobMessage);
      return 0;
    } catch (error) {
      process.send?.({
        error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error),
      } satisfies JobMessage);
      return 1;
    }
  }

  const modes = values.modes.split(',') as RunKind[];
  for (const m of modes)
    if (!(STUDENT_KINDS as readonly string[]).includes(m))
      throw new Error(`--modes takes ${STUDENT_KINDS.join(', ')}, but got '${m}'.`);
  const parallel =
    values.parallel !== undefined
      ? Number(values.parallel)
      : values.backend === 'cpu'
        ? Math.min(2, cpus().length)
        : 1;
  if (!Number.isInteger(parallel) || parallel < 1)
    throw new Error(`--parallel must be an integer ≥ 1, but got '${values.parallel}'.`);
  await runExperiment(config, {
    backend: values.backend,
    out,
    modes,
    parallel,
    retrainTeacher: values['retrain-teacher'] === true,
    rerunStudents: values['rerun-students'] === true,
  });
  return 0;
}

/** Options of {@link runExperiment}. */
export interface ExperimentOptions {
  backend: string;
  out: string;
  modes: RunKind[];
  /** Runs at once; above 1 each run is a child process of this script. */
  parallel: number;
  retrainTeacher: boolean;
  /**
   * Train students again even when `out` holds results made with the same configuration.
   * Default `false`.
   */
  rerunStudents?: boolean;
  log?: (line: string) => void;
}

/**
 * Runs the whole experiment (teacher, students per seed, table, report) with `config` and
 * returns every run's result.
 *
 * @example
 * ```ts
 * const runs = await runExperiment(EXPERIMENTS.small, {
 *   backend: 'cpu',
 *   out: '.out/distill-small',
 *   modes: ['scratch', 'distilled'],
 *   parallel: 2,
 *   retrainTeacher: false,
 * });
 * console.log(resultsTable(runs));
 * ```
 */
export async function runExperiment(
  config: ExperimentConfig,
  options: ExperimentOptions,
): Promise<RunResult[]> {
  const { out, modes, parallel } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const seeds = config.seeds;
  const size = config.size;
  log(
    `distillation experiment '${size}' on ${options.backend}: seeds ${seeds.join(', ')}, ` +
      `runs ${modes.join(', ')}, ${parallel} at a time; output in ${out}`,
  );
  const started = performance.now();
  const start = (spec: RunSpec): Promise<RunResult> =>
    parallel > 1
      ? runInChild(spec, { size, backend: options.backend, out, teacherSeed: config.teacherSeed })
      : runJob(config, spec, out, (line) => log(`[${runName(spec)}] ${line}`));

  // The teacher: reused when this folder holds one trained with the same configuration.
  const cached = options.retrainTeacher ? undefined : await readRunResult(out, 'teacher');
  const cachedTargets =
    cached && existsSync(files.softTargets(out))
      ? await loadSoftTargets(files.softTargets(out), {
          expectTeacher: { config: teacherIdentity(config).config },
        }).catch(() => undefined)
      : undefined;
  const jobs: Job[] = [];
  const reused: RunResult[] = [];
  let teacherDone: Promise<RunResult>;
  if (cached && cachedTargets) {
    log(
      `[teacher] reusing the teacher trained earlier in ${out} ` +
        '(same configuration; --retrain-teacher trains it again)',
    );
    reused.push(cached);
    teacherDone = Promise.resolve(cached);
  } else {
    let done!: Job['done'];
    teacherDone = new Promise((resolve, reject) => (done = { resolve, reject }));
    teacherDone.catch(() => undefined); // a failure is reported by runAll
    jobs.push({ spec: { kind: 'teacher', seed: config.teacherSeed }, done });
  }

  // A student whose result in `out` was made with the same configuration (and, for those that
  // learn from the teacher, the same teacher) is reused.
  const fingerprint = cached && cachedTargets ? cachedTargets.teacher.fingerprint : undefined;
  const add = async (spec: RunSpec, after?: Promise<unknown>): Promise<void> => {
    const previous = options.rerunStudents ? undefined : await readRunResult(out, runName(spec));
    const dependsOnTeacher = spec.kind !== 'scratch';
    if (
      previous &&
      (!dependsOnTeacher || fingerprint !== undefined) &&
      previous.key === runKey(config, spec, fingerprint)
    ) {
      log(
        `[${runName(spec)}] reusing the result of an earlier run in ${out} ` +
          '(same configuration; --rerun-students trains it again)',
      );
      reused.push(previous);
    } else jobs.push({ spec, after });
  };
  // Students from scratch first (they do not need the teacher), then those that do.
  for (const seed of seeds) if (modes.includes('scratch')) await add({ kind: 'scratch', seed });
  for (const seed of seeds) {
    for (const kind of ARMS) if (modes.includes(kind)) await add({ kind, seed }, teacherDone);
  }
  return finish([...reused, ...(await runAll(jobs, parallel, start))]);

  async function finish(runs: RunResult[]): Promise<RunResult[]> {
    const wall = (performance.now() - started) / 1000;
    runs.sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || a.seed - b.seed);
    const table = resultsTable(runs);
    log(`\n${table}\n`);
    for (const kind of ARMS) {
      const v = verdict(runs, kind);
      if (v) log(v);
    }
    const report = await writeComparisonReport(
      distillationReport(config, runs, wall),
      out,
      'report.html',
    );
    await writeFileAtomic(
      join(out, 'results.json'),
      `${JSON.stringify(
        {
          size,
          backend: options.backend,
          wallSeconds: wall,
          config,
          comparisons: ARMS.map((arm) => pairedComparison(runs, arm)).filter(Boolean),
          runs,
        },
        null,
        1,
      )}\n`,
    );
    await writeFileAtomic(join(out, 'results.md'), `${table}\n`);
    log(`report ${report}, results ${join(out, 'results.json')}\nwall time ${wall.toFixed(1)} s`);
    return runs;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(2);
    },
  );
}

export { main as runDistillationExperiment };
