/**
 * Knowledge distillation, I3D teacher → MobileNetV3 student, on a synthetic corpus whose dev
 * and test sentences use word pairs never seen in training. The teacher sees the video and the
 * signer's keypoints (its pose stream); the student, the model meant for browsers, the video
 * alone:
 *
 * 1. train the teacher and cache its soft targets (per-frame log-probabilities and beam
 *    transcripts of every training sample);
 * 2. train the student from scratch, and the student with distillation under the same budget
 *    (`α·CTC + (1 − α)·τ²·KL`), for each seed;
 * 3. evaluate dev and test WER, greedy and beam search, and print the table (mean ± standard
 *    deviation over seeds), write `results.json` and a report with the learning curves.
 *
 *   pnpm distill [--size small|large] [--backend cpu|webgpu] [--seeds 1,2,3] [--parallel 2]
 *                [--modes scratch,distilled,sequence] [--retrain-teacher] [--out DIR]
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
  --seeds <list>         student seeds (default 1,2,3)
  --modes <list>         student runs per seed: scratch, distilled, sequence (default scratch,distilled)
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
  distilled: 'student, distilled',
  sequence: 'student, sequence-level KD',
};

/**
 * The experiment's table in Markdown: one row per kind of run (WER in %, mean ± standard
 * deviation over seeds), parameters and training time.
 */
export function resultsTable(runs: readonly RunResult[]): string {
  const kinds = (['teacher', 'scratch', 'distilled', 'sequence'] as const).filter((k) =>
    runs.some((r) => r.kind === k),
  );
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

/** Says, from the numbers, whether distillation helped and by how much (paired by seed). */
export function verdict(
  runs: readonly RunResult[],
  other: 'distilled' | 'sequence' = 'distilled',
): string | undefined {
  const pairs = runs
    .filter((r) => r.kind === 'scratch')
    .map((s) => [s, runs.find((r) => r.kind === other && r.seed === s.seed)] as const)
    .filter((p): p is readonly [RunResult, RunResult] => p[1] !== undefined);
  if (pairs.length === 0) return undefined;
  const deltas = pairs.map(([s, d]) => d.test.greedy - s.test.greedy);
  const beamDeltas = pairs.map(([s, d]) => d.test.beam - s.test.beam);
  const { mean, sd } = meanSd(deltas);
  const better = deltas.filter((d) => d < 0).length;
  const what = other === 'distilled' ? 'Distillation' : 'Sequence-level distillation';
  const direction =
    mean < 0
      ? `lowered the student's test WER (greedy) by ${pct(-mean)} points`
      : mean > 0
        ? `raised the student's test WER (greedy) by ${pct(mean)} points`
        : 'left the test WER unchanged';
  const clear = Math.abs(mean) > 2 * (sd / Math.sqrt(deltas.length)) && deltas.length > 1;
  const seedCount = `${deltas.length} seed${deltas.length === 1 ? '' : 's'}`;
  const beamMean = meanSd(beamDeltas).mean;
  const beamChange = `${beamMean <= 0 ? '−' : '+'}${pct(Math.abs(beamMean))}`;
  return (
    `${what} ${direction} (mean over ${seedCount}, ± ${pct(sd)} sd; ` +
    `better on ${better} of ${deltas.length} seeds; beam search: ${beamChange} points). ` +
    (deltas.length > 1
      ? clear
        ? 'The difference is larger than twice its standard error.'
        : 'The difference is within twice its standard error: not a clear effect at this budget.'
      : '')
  );
}

interface JobMessage {
  result?: RunResult;
  error?: string;
}

/** Runs a job in a child process of this script (same loader flags), prefixing its output. */
function runInChild(
  spec: RunSpec,
  args: { size: ExperimentSize; backend: string; out: string },
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

/**
 * The comparison report: the table, the verdict, dev-WER and loss curves of every run,
 * test-WER bars.
 */
export function distillationReport(
  config: ExperimentConfig,
  runs: readonly RunResult[],
  wallSeconds: number,
): ComparisonReport {
  const kinds = (['teacher', 'scratch', 'distilled', 'sequence'] as const).filter((k) =>
    runs.some((r) => r.kind === k),
  );
  const group = (kind: RunKind): RunResult[] => runs.filter((r) => r.kind === kind);
  const verdicts = (['distilled', 'sequence'] as const)
    .map((k) => verdict(runs, k))
    .filter((v): v is string => v !== undefined);
  const c = config.corpus;
  const { video, distillation } = config;
  const pose = config.teacher.pose ? ' with the pose stream (video and keypoints)' : '';
  const variant = config.student.variant === 'large' ? 'Large' : 'Small';
  const blank = distillation.includeBlank ? '' : ', blank left out of the KL term';
  return {
    title: `Knowledge distillation: I3D teacher → MobileNetV3 student (${config.size})`,
    summary: [
      ...verdicts,
      `Corpus: ${c.glosses} glosses, difficulty ${c.difficulty}, ` +
        `${c.trainSamples}/${c.devSamples}/${c.testSamples} train/dev/test sentences ` +
        '(dev and test use bigrams never seen in training), ' +
        `${c.signers ?? 9} signers, ${video.height}×${video.width} at ${video.fps} fps. ` +
        `Teacher: I3D${pose}, ${config.teacherBudget.epochs} epochs; ` +
        `each student (MobileNetV3-${variant}, video only): ${config.studentBudget.epochs} epochs ` +
        '(scratch and distilled alike), Adam, warmup then cosine. ' +
        `Distillation: τ = ${distillation.temperature}, α = ${distillation.alpha}${blank}. ` +
        `Seeds: ${config.seeds.join(', ')}. Wall time ${wallSeconds.toFixed(0)} s.`,
    ],
    tables: [
      {
        caption: 'WER (%) — mean ± standard deviation over seeds',
        columns: [
          'model',
          'runs',
          'parameters',
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
            pm(g.map((r) => r.dev.greedy)),
            pm(g.map((r) => r.dev.beam)),
            pm(g.map((r) => r.test.greedy)),
            pm(g.map((r) => r.test.beam)),
            Math.round(meanSd(g.map((r) => r.trainSeconds)).mean),
          ];
        }),
      },
      {
        caption: 'Every run',
        columns: [
          'run',
          'dev greedy',
          'dev beam',
          'test greedy',
          'test beam',
          'final loss',
          'train s',
        ],
        rows: runs.map((r) => [
          r.name,
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
        caption: 'Dev WER (greedy) during training',
        xLabel: 'epoch',
        yLabel: 'dev WER',
        series: runs.map((r) => ({
          name: r.name,
          group: LABEL[r.kind],
          points: r.history
            .filter((h) => h.wer !== undefined)
            .map((h) => ({ x: h.epoch, y: h.wer as number })),
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
    bars: [
      {
        caption: 'Test WER, greedy (mean ± sd over seeds)',
        valueLabel: 'test WER',
        bars: kinds.map((kind) => ({
          label: LABEL[kind],
          ...((m) => ({ value: m.mean, error: m.sd }))(
            meanSd(group(kind).map((r) => r.test.greedy)),
          ),
        })),
      },
    ],
  };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'small' },
      backend: { type: 'string', default: 'cpu' },
      seeds: { type: 'string' },
      modes: { type: 'string', default: 'scratch,distilled' },
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
  const config: ExperimentConfig = { ...EXPERIMENTS[size], seeds };
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
    if (m !== 'scratch' && m !== 'distilled' && m !== 'sequence')
      throw new Error(`--modes takes scratch, distilled and sequence, but got '${m}'.`);
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
      ? runInChild(spec, { size, backend: options.backend, out })
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
    jobs.push({ spec: { kind: 'teacher', seed: seeds[0] }, done });
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
    for (const kind of ['distilled', 'sequence'] as const)
      if (modes.includes(kind)) await add({ kind, seed }, teacherDone);
  }
  return finish([...reused, ...(await runAll(jobs, parallel, start))]);

  async function finish(runs: RunResult[]): Promise<RunResult[]> {
    const wall = (performance.now() - started) / 1000;
    const order: RunKind[] = ['teacher', 'scratch', 'distilled', 'sequence'];
    runs.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.seed - b.seed);
    const table = resultsTable(runs);
    log(`\n${table}\n`);
    for (const kind of ['distilled', 'sequence'] as const) {
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
      `${JSON.stringify({ size, backend: options.backend, wallSeconds: wall, config, runs }, null, 1)}\n`,
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
