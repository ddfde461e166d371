/**
 * One run of the distillation experiment — the teacher, a student from scratch, a distilled
 * student or a student trained on the teacher's transcripts — and the evaluation all of them
 * share. Each run is self-contained (it rebuilds the same corpus from its seed), so runs can
 * go in parallel processes.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@slr/core/node';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ctcBeamSearch, ctcGreedyDecode, wordErrorRate } from '@slr/ctc';
import {
  disposeBatch,
  generateSignCorpus,
  makeBatch,
  type SignBatch,
  type SignSample,
  type SyntheticSignCorpus,
} from '@slr/data';
import type { SequenceModel } from '@slr/layers';
import { saveModel } from '@slr/layers/node';
import {
  extractSoftTargets,
  teacherTranscripts,
  train,
  type EpochRecord,
  type SoftTargets,
  type TrainOptions,
} from '@slr/train';
import { loadSoftTargets, saveSoftTargets } from '@slr/train/node';
import {
  buildStudent,
  buildTeacher,
  modelInputs,
  trainableParameters,
  type ExperimentConfig,
  type TrainingBudget,
} from './recipes';

/**
 * What a run trains: the teacher, a student from scratch, a student with frame-level
 * distillation (`distilled`: τ and α chosen on dev; `vac`: the CSLR literature's, see
 * `ExperimentConfig.vacDistillation`) or with sequence-level distillation.
 */
export type RunKind = 'teacher' | 'scratch' | 'distilled' | 'vac' | 'sequence';

/** The kinds of student run, in the order the tables list them. */
export const STUDENT_KINDS = ['scratch', 'distilled', 'vac', 'sequence'] as const;

/** One run: its kind and seed. */
export interface RunSpec {
  kind: RunKind;
  seed: number;
}

/** WER of one split, by decoder. */
export interface SplitWer {
  greedy: number;
  beam: number;
}

/** What a run leaves behind (also written to `runs/<name>.json`). */
export interface RunResult extends RunSpec {
  name: string;
  /** What the run depends on ({@link runKey}): a later invocation reuses the result when it is equal. */
  key: string;
  parameters: number;
  /** Training wall time (seconds), evaluation excluded. */
  trainSeconds: number;
  /** Whole run (seconds): data, training, evaluation, files. */
  seconds: number;
  history: EpochRecord[];
  dev: SplitWer;
  test: SplitWer;
  /** WER on the training split (greedy and beam): how much of the data a run memorised. */
  train?: SplitWer;
  /** The teacher's soft targets, described (the teacher's run only). */
  softTargets?: SoftTargetStats;
}

/**
 * What the teacher hands its students, measured on its soft targets of the training split:
 * how often blank wins a frame, how confident the winning class is at τ = 1, τ = 2 and the
 * distillation temperatures, and how often a transcript read from the targets differs from the
 * annotation.
 */
export interface SoftTargetStats {
  /** Share of frames whose most likely class is blank. */
  blankFrames: number;
  /** Mean probability of each frame's most likely class, at τ = 1. */
  meanTopProbability: number;
  /** The same at τ = 2 and at each distillation temperature other than 1 (`τ=2`, `τ=8`, …). */
  meanTopProbabilityAt: Record<string, number>;
  /** Mean entropy (nats) of the gloss distribution (blank left out, renormalised) per frame. */
  meanGlossEntropy: number;
  /** WER of the greedy transcripts of the targets against the annotation. */
  transcriptWer: number;
  /** Mean frames per sample of the teacher and of the student (the resampling ratio). */
  teacherFrames: number;
  studentFrames: number;
}

/** The file names of a run and of the teacher's outputs under the experiment's folder. */
export const files = {
  run: (out: string, name: string): string => join(out, 'runs', `${name}.json`),
  teacherModel: (out: string): string => join(out, 'teacher', 'model'),
  softTargets: (out: string): string => join(out, 'teacher', 'soft-targets.bin'),
};

/** The run's name: `teacher`, or `<kind>-seed<seed>`. */
export function runName(spec: RunSpec): string {
  return spec.kind === 'teacher' ? 'teacher' : `${spec.kind}-seed${spec.seed}`;
}

/** The teacher's identity stored with its soft targets: what it is and how it was trained. */
export function teacherIdentity(config: ExperimentConfig): {
  name: string;
  config: Record<string, unknown>;
} {
  return {
    name: `i3d-teacher-${config.size}`,
    config: {
      teacher: config.teacher,
      budget: config.teacherBudget,
      seed: config.teacherSeed,
      corpus: config.corpus,
      video: config.video,
    },
  };
}

/**
 * Everything a run's result depends on, as a string: its kind and seed, the corpus and video,
 * its model and budget, the beam width, and for the students that learn from the teacher the
 * distillation settings and the teacher's weight fingerprint.
 *
 * @example
 * ```ts
 * runKey(EXPERIMENTS.small, { kind: 'scratch', seed: 1 }); // '{"kind":"scratch","seed":1,…}'
 * ```
 */
export function runKey(
  config: ExperimentConfig,
  spec: RunSpec,
  teacherFingerprint?: string,
): string {
  const common = {
    kind: spec.kind,
    seed: spec.seed,
    corpus: config.corpus,
    video: config.video,
    beamWidth: config.beamWidth,
  };
  if (spec.kind === 'teacher')
    return JSON.stringify({
      ...common,
      teacher: config.teacher,
      budget: config.teacherBudget,
      teacherSeed: config.teacherSeed,
    });
  const student = { ...common, student: config.student, budget: config.studentBudget };
  if (spec.kind === 'scratch') return JSON.stringify(student);
  return JSON.stringify({
    ...student,
    teacherFingerprint,
    ...(spec.kind === 'distilled' ? { distillation: config.distillation } : {}),
    ...(spec.kind === 'vac' ? { distillation: config.vacDistillation } : {}),
  });
}

/** The corpus and the rendered samples of every split. */
export interface ExperimentData {
  corpus: SyntheticSignCorpus;
  train: SignSample[];
  dev: SignSample[];
  test: SignSample[];
}

/** Builds the experiment's corpus and renders its three splits. */
export function experimentData(config: ExperimentConfig): ExperimentData {
  const corpus = generateSignCorpus(config.corpus);
  // Keypoints for the teacher's pose stream (the student ignores them).
  const render = (split: 'train' | 'dev' | 'test'): SignSample[] => [
    ...corpus.samples(split, { ...config.video, keypoints: config.teacher.pose !== undefined }),
  ];
  return { corpus, train: render('train'), dev: render('dev'), test: render('test') };
}

/**
 * Greedy and beam-search WER of `model` (inference mode) on `samples`.
 *
 * @example
 * ```ts
 * const data = experimentData(EXPERIMENTS.small);
 * const { greedy, beam } = await evaluateWer(student, data.test, 10);
 * ```
 */
export async function evaluateWer(
  model: SequenceModel,
  samples: readonly SignSample[],
  beamWidth: number,
  inputs: (batch: SignBatch) => tf.Tensor | tf.Tensor[] = (batch) => batch.videos,
  batchSize = 8,
): Promise<SplitWer> {
  const refs: number[][] = [];
  const greedy: number[][] = [];
  const beam: number[][] = [];
  for (let i = 0; i < samples.length; i += batchSize) {
    const chunk = samples.slice(i, i + batchSize);
    const batch = makeBatch(chunk);
    const logProbs = tf.tidy(() => model.apply(inputs(batch), false));
    try {
      const lengths = model.outputLengths(batch.inputLengths);
      for (const h of await ctcGreedyDecode(logProbs, lengths)) greedy.push(h.tokens);
      for (const n of await ctcBeamSearch(logProbs, lengths, { beamWidth, nBest: 1 }))
        beam.push(n[0]?.tokens ?? []);
      for (const s of chunk) refs.push(s.glossIds);
    } finally {
      logProbs.dispose();
      disposeBatch(batch);
    }
  }
  return { greedy: wordErrorRate(refs, greedy).wer, beam: wordErrorRate(refs, beam).wer };
}

/**
 * Describes the teacher's soft targets of the training split ({@link SoftTargetStats}): the
 * numbers that say whether a student can learn from them (blank dominance, confidence at the
 * distillation temperatures, transcript errors, the resampling between frame rates).
 *
 * @example
 * ```ts
 * declare const softTargets: SoftTargets; // the teacher's, from extractSoftTargets
 * const data = experimentData(EXPERIMENTS.small);
 * const stats = describeSoftTargets(softTargets, data, EXPERIMENTS.small);
 * stats.blankFrames; // e.g. 0.72
 * ```
 */
export function describeSoftTargets(
  targets: SoftTargets,
  data: ExperimentData,
  config: ExperimentConfig,
): SoftTargetStats {
  // τ = 2 always (Hinton's usual choice), then the arms' temperatures; τ = 1 is meanTopProbability.
  const temperatures = [
    ...new Set([2, config.distillation.temperature, config.vacDistillation.temperature]),
  ]
    .filter((tau) => tau !== 1)
    .sort((a, b) => a - b);
  let frames = 0;
  let blank = 0;
  let top = 0;
  let entropy = 0;
  const topAt = temperatures.map(() => 0);
  const refs: number[][] = [];
  const hyps: number[][] = [];
  let teacherFrames = 0;
  const studentFrames = studentLengths(config, data).reduce((a, b) => a + b, 0);
  for (const sample of data.train) {
    const batch = targets.batch([sample.id]);
    const values = batch.logProbs.dataSync();
    const classes = batch.logProbs.shape[2];
    batch.logProbs.dispose();
    const length = batch.lengths[0];
    teacherFrames += length;
    const path: number[] = [];
    for (let t = 0; t < length; t++) {
      const row = values.subarray(t * classes, (t + 1) * classes);
      let best = 0;
      for (let k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
      path.push(best);
      if (best === 0) blank++;
      top += Math.exp(row[best]);
      temperatures.forEach((tau, i) => {
        let sum = 0;
        for (let k = 0; k < classes; k++) sum += Math.exp((row[k] - row[best]) / tau);
        topAt[i] += 1 / sum;
      });
      let glossMass = 0;
      for (let k = 1; k < classes; k++) glossMass += Math.exp(row[k]);
      let h = 0;
      for (let k = 1; k < classes; k++) {
        const p = Math.exp(row[k]) / glossMass;
        if (p > 0) h -= p * Math.log(p);
      }
      entropy += h;
      frames++;
    }
    const collapsed = path.filter((k, t) => k !== 0 && k !== path[t - 1]);
    refs.push(sample.glossIds);
    hyps.push(collapsed);
  }
  return {
    blankFrames: blank / frames,
    meanTopProbability: top / frames,
    meanTopProbabilityAt: Object.fromEntries(
      temperatures.map((tau, i) => [`τ=${tau}`, topAt[i] / frames]),
    ),
    meanGlossEntropy: entropy / frames,
    transcriptWer: wordErrorRate(refs, hyps).wer,
    teacherFrames: teacherFrames / data.train.length,
    studentFrames: studentFrames / data.train.length,
  };
}

/** The student's output length of each training clip (its temporal head's arithmetic). */
function studentLengths(config: ExperimentConfig, data: ExperimentData): number[] {
  const model = buildStudent(config, 3, 0);
  try {
    return model.outputLengths(data.train.map((sample) => sample.frameShape[0]));
  } finally {
    model.model.dispose();
  }
}

async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`, { createFolder: true });
}

/**
 * Reads a finished run's result, if there is one.
 *
 * @example
 * ```ts
 * const teacher = await readRunResult('.out/distill', 'teacher');
 * ```
 */
export async function readRunResult(out: string, name: string): Promise<RunResult | undefined> {
  const file = files.run(out, name);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as RunResult;
}

function trainOptions(
  model: SequenceModel,
  inputs: (batch: SignBatch) => tf.Tensor | tf.Tensor[],
  data: ExperimentData,
  budget: TrainingBudget,
  seed: number,
  log: (line: string) => void,
): TrainOptions {
  return {
    model,
    inputs,
    trainSamples: data.train,
    evalSamples: data.dev,
    vocabulary: data.corpus.vocabulary,
    epochs: budget.epochs,
    batchSize: budget.batchSize,
    seed,
    optimizer: { name: 'adam', learningRate: budget.learningRate },
    schedule: {
      base: 'cosine',
      warmupEpochs: budget.warmupEpochs,
      minLearningRate: budget.learningRate / 20,
    },
    clipNorm: budget.clipNorm,
    evalEvery: budget.evalEvery,
    ...(budget.labelSmoothing !== undefined ? { labelSmoothing: budget.labelSmoothing } : {}),
    callbacks: {
      onWarning: (message) => log(`warning: ${message}`),
      onEpochEnd: (r) => {
        const kd =
          r.kdLoss !== undefined
            ? ` (ctc ${r.ctcLoss?.toFixed(3)}, kd ${r.kdLoss.toFixed(3)})`
            : '';
        const wer = r.wer !== undefined ? `  dev WER ${(100 * r.wer).toFixed(1)}%` : '';
        log(
          `epoch ${r.epoch}/${budget.epochs}  loss ${r.loss.toFixed(3)}${kd}${wer}  ${r.seconds.toFixed(1)} s`,
        );
      },
    },
  };
}

/**
 * Runs one job of the experiment and writes its result to `runs/<name>.json` under `out`.
 * The teacher also writes its model and its soft targets (per-frame log-probabilities and
 * beam transcripts of every training sample); the distilled and sequence-level students read
 * them (refusing targets made by another teacher configuration).
 *
 * @example
 * ```ts
 * const spec: RunSpec = { kind: 'distilled', seed: 1 };
 * const result = await runJob(EXPERIMENTS.small, spec, '.out/distill', console.log);
 * ```
 */
export async function runJob(
  config: ExperimentConfig,
  spec: RunSpec,
  out: string,
  log: (line: string) => void,
): Promise<RunResult> {
  const started = performance.now();
  const data = experimentData(config);
  const classes = data.corpus.vocabulary.size;
  const name = runName(spec);
  let model: SequenceModel;
  let options: TrainOptions;
  let teacherFingerprint: string | undefined;
  if (spec.kind === 'teacher') {
    model = buildTeacher(config, classes);
    options = trainOptions(
      model,
      modelInputs(config, 'teacher'),
      data,
      config.teacherBudget,
      spec.seed,
      log,
    );
  } else {
    model = buildStudent(config, classes, spec.seed);
    options = trainOptions(
      model,
      modelInputs(config, 'student'),
      data,
      config.studentBudget,
      spec.seed,
      log,
    );
    if (spec.kind !== 'scratch') {
      const targets = await loadSoftTargets(files.softTargets(out), {
        expectTeacher: { config: teacherIdentity(config).config },
      });
      teacherFingerprint = targets.teacher.fingerprint;
      if (spec.kind === 'distilled') options.distillation = { targets, ...config.distillation };
      else if (spec.kind === 'vac') options.distillation = { targets, ...config.vacDistillation };
      else {
        options.trainSamples = teacherTranscripts(data.train, targets, data.corpus.vocabulary);
        const changed = data.train.filter(
          (s, i) => (options.trainSamples as SignSample[])[i].glossIds.join() !== s.glossIds.join(),
        ).length;
        log(
          "sequence-level targets: the teacher's transcripts differ from the annotation " +
            `in ${changed} of ${data.train.length} samples`,
        );
      }
    }
  }
  const parameters = trainableParameters(model.model);
  log(
    `${name}: ${parameters.toLocaleString('en-US')} trainable parameters, ${data.train.length} training samples`,
  );
  const trainStarted = performance.now();
  const result = await train(options);
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const inputs = modelInputs(config, spec.kind === 'teacher' ? 'teacher' : 'student');
  const dev = await evaluateWer(model, data.dev, config.beamWidth, inputs);
  const test = await evaluateWer(model, data.test, config.beamWidth, inputs);
  const trainWer = await evaluateWer(model, data.train, config.beamWidth, inputs);
  const percent = (wer: number): string => `${(100 * wer).toFixed(1)}%`;
  log(
    `${name}: dev WER ${percent(dev.greedy)} (beam ${percent(dev.beam)}), ` +
      `test WER ${percent(test.greedy)} (beam ${percent(test.beam)}), ` +
      `train WER ${percent(trainWer.greedy)}`,
  );
  let softTargetStats: SoftTargetStats | undefined;
  if (spec.kind === 'teacher') {
    await saveModel(model.model, files.teacherModel(out));
    const targets = await extractSoftTargets(model, data.train, {
      identity: teacherIdentity(config),
      beamWidth: config.beamWidth,
      inputs,
    });
    await saveSoftTargets(files.softTargets(out), targets);
    softTargetStats = describeSoftTargets(targets, data, config);
    log(
      `teacher: soft targets: blank wins ${percent(softTargetStats.blankFrames)} of frames, ` +
        `top class ${softTargetStats.meanTopProbability.toFixed(3)} on average, ` +
        `their transcripts' WER ${percent(softTargetStats.transcriptWer)}`,
    );
    log(
      `teacher: soft targets of ${targets.size} training samples written to ${files.softTargets(out)}`,
    );
  }
  const run: RunResult = {
    ...spec,
    name,
    key: runKey(config, spec, teacherFingerprint),
    parameters,
    trainSeconds,
    seconds: (performance.now() - started) / 1000,
    history: result.history,
    dev,
    test,
    train: trainWer,
    ...(softTargetStats ? { softTargets: softTargetStats } : {}),
  };
  await writeJsonAtomically(files.run(out, name), run);
  model.model.dispose();
  return run;
}
