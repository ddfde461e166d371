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

/** What a run trains. */
export type RunKind = 'teacher' | 'scratch' | 'distilled' | 'sequence';

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
    return JSON.stringify({ ...common, teacher: config.teacher, budget: config.teacherBudget });
  const student = { ...common, student: config.student, budget: config.studentBudget };
  if (spec.kind === 'scratch') return JSON.stringify(student);
  return JSON.stringify({
    ...student,
    teacherFingerprint,
    ...(spec.kind === 'distilled' ? { distillation: config.distillation } : {}),
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
  const percent = (wer: number): string => `${(100 * wer).toFixed(1)}%`;
  log(
    `${name}: dev WER ${percent(dev.greedy)} (beam ${percent(dev.beam)}), ` +
      `test WER ${percent(test.greedy)} (beam ${percent(test.beam)})`,
  );
  if (spec.kind === 'teacher') {
    await saveModel(model.model, files.teacherModel(out));
    const targets = await extractSoftTargets(model, data.train, {
      identity: teacherIdentity(config),
      beamWidth: config.beamWidth,
      inputs,
    });
    await saveSoftTargets(files.softTargets(out), targets);
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
  };
  await writeJsonAtomically(files.run(out, name), run);
  model.model.dispose();
  return run;
}
