/**
 * The overfit test as a library feature: a handful of synthetic sign-language samples,
 * a model that must learn them to 0% WER, and every diagnostic that finds the bug when it does
 * not (the log-probability check before training, the LR through warmup, warnings as they
 * happen, per-sample predictions, a report, a JSON-lines history and checkpoints).
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { setupBackend } from '@slr/backend/node';
import {
  type GlossVocabulary,
  generateSignCorpus,
  makeBatch,
  disposeBatch,
  type SignSample,
} from '@slr/data';
import {
  checkLogProbs,
  describePrediction,
  LogProbError,
  type TrainingHistoryEntry,
} from '@slr/diagnostics';
import { writeReport } from '@slr/diagnostics/node';
import type { SequenceModel } from '@slr/layers';
import { preset, PRESET_NAMES, type EpochRecord, type EvaluationResult } from '@slr/train';
import { train, type NodeTrainOptions } from '@slr/train/node';

/** Which model an overfit run trains. */
export type OverfitModel = 'teacher' | 'student';

/** What a model builder gets: the vocabulary size, the input shape, and run options. */
export interface ModelRequest {
  numClasses: number;
  inputShape: [number | null, number, number, 3];
  size: 'tiny' | 'full';
  dropout: number;
  /** Base seed of the model's initial weights and dropout masks (`--seed`). */
  seed: number;
}

/** A model family's part of the overfit run. */
export interface OverfitRecipe {
  name: string;
  build(request: ModelRequest): SequenceModel;
  /** Frame size and rate of the synthetic videos for each size. */
  video: Record<'tiny' | 'full', { height: number; width: number; fps: number }>;
  /** Defaults the recipe tunes (learning rate, warmup, epochs, dropout). */
  defaults: { learningRate: number; warmupEpochs: number; epochs: number; dropout: number };
}

const USAGE = `Options:
  --preset <name>      start from a preset (${PRESET_NAMES.join(', ')}); flags below override it
  --optimizer <name>   adam | adamw | sgd
  --lr <number>        peak learning rate
  --warmup <epochs>    linear warmup length
  --epochs <n>         maximum epochs
  --samples <n>        synthetic samples to overfit (default 5)
  --dropout <rate>     dropout before the classifier
  --backend <name>     cpu (default) | webgpu
  --size <tiny|full>   tiny (default): small frames for a CPU; full: model-sized frames for a GPU
  --raw-logits         leave log-softmax out of the model, as the original bug did
  --out <dir>          where report.html, history.jsonl and checkpoints go
  --seed <n>           seed of everything random: the data, the model's initial weights and the
                       training's dropout masks (default 1); the same seed repeats a run
  --show-every <n>     print the per-sample alignments every n epochs (default 50, and at the end)`;

/** Wraps a model so that it returns the classifier's raw logits instead of log-probabilities. */
function withoutLogSoftmax(model: SequenceModel): SequenceModel {
  const logits = tf.model({
    inputs: model.model.inputs,
    outputs: model.model.getLayer('classifier').output,
  });
  return {
    model: logits,
    apply: (inputs, training) =>
      tf.tidy(
        () =>
          tf.transpose(logits.apply(inputs, { training }) as tf.Tensor, [1, 0, 2]) as tf.Tensor3D,
      ),
    outputLengths: (lengths) => model.outputLengths(lengths),
  };
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number, but got '${value}'.`);
  return parsed;
}

function glossLine(vocabulary: GlossVocabulary, ids: readonly number[]): string[] {
  return ids.map((id) => vocabulary.glossOf(id));
}

/**
 * Runs the overfit test for `recipe` with the command-line arguments `argv`; resolves to the
 * process exit code (0 when it converged).
 *
 * @example
 * ```ts
 * process.exitCode = await runOverfit(teacherRecipe, process.argv.slice(2));
 * ```
 */
export async function runOverfit(recipe: OverfitRecipe, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      preset: { type: 'string' },
      optimizer: { type: 'string' },
      lr: { type: 'string' },
      warmup: { type: 'string' },
      epochs: { type: 'string' },
      samples: { type: 'string' },
      dropout: { type: 'string' },
      backend: { type: 'string', default: 'cpu' },
      size: { type: 'string', default: 'tiny' },
      'raw-logits': { type: 'boolean', default: false },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'show-every': { type: 'string', default: '50' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`Overfit the ${recipe.name} on a few synthetic samples.\n\n${USAGE}`);
    return 0;
  }
  const size = values.size;
  if (size !== 'tiny' && size !== 'full')
    throw new Error(`--size must be 'tiny' or 'full', but got '${size}'.`);
  if (values.backend !== 'cpu' && values.backend !== 'webgpu')
    throw new Error(`--backend must be 'cpu' or 'webgpu', but got '${values.backend}'.`);
  const base = values.preset ? preset(values.preset as Parameters<typeof preset>[0]) : undefined;
  const samplesCount = number(values.samples, 'samples') ?? base?.samples ?? 5;
  const epochs = number(values.epochs, 'epochs') ?? base?.epochs ?? recipe.defaults.epochs;
  const learningRate =
    number(values.lr, 'lr') ?? base?.learningRate ?? recipe.defaults.learningRate;
  const warmupEpochs =
    number(values.warmup, 'warmup') ?? base?.warmupEpochs ?? recipe.defaults.warmupEpochs;
  const dropout = number(values.dropout, 'dropout') ?? base?.dropout ?? recipe.defaults.dropout;
  const optimizerName = (values.optimizer ?? base?.optimizer ?? 'adam') as 'adam' | 'adamw' | 'sgd';
  const weightDecay = optimizerName === 'adam' ? 0 : (base?.weightDecay ?? 0.01);
  const clipNorm = base?.clipNorm ?? 1;
  const seed = number(values.seed, 'seed') ?? 1;
  const rawLogits = values['raw-logits'] === true;
  const showEvery = number(values['show-every'], 'show-every') ?? 50;
  const outDir =
    values.out ??
    join(
      '.out',
      `overfit-${recipe.name.toLowerCase().replace(/\W+/g, '-')}${rawLogits ? '-raw-logits' : ''}`,
    );

  const backend = await setupBackend(values.backend, { quiet: true });
  console.log(
    `backend ${backend.backend}${backend.adapter ? ` (${backend.adapter.description || backend.adapter.device})` : ''}`,
  );

  const video = recipe.video[size];
  const corpus = generateSignCorpus({
    seed,
    glosses: 10,
    trainSamples: samplesCount,
    devSamples: 1,
    testSamples: 1,
  });
  const samples: SignSample[] = [...corpus.samples('train', { ...video })];
  console.log(
    `${samplesCount} samples, ${corpus.vocabulary.size - 1} glosses + blank, ` +
      `${video.height}×${video.width} at ${video.fps} fps, ` +
      `frames ${samples.map((s) => s.frameShape[0]).join('/')}`,
  );
  samples.forEach((sample) => console.log(`  ${sample.id}: ${sample.glosses.join(' ')}`));

  const built = recipe.build({
    numClasses: corpus.vocabulary.size,
    inputShape: [null, video.height, video.width, 3],
    size,
    dropout,
    seed,
  });
  const model = rawLogits ? withoutLogSoftmax(built) : built;
  const parameters = model.model.trainableWeights.reduce(
    (sum, weight) => sum + weight.shape.reduce((a: number, b) => a * (b ?? 1), 1),
    0,
  );
  const withoutNote = rawLogits ? ' — built WITHOUT log-softmax (--raw-logits)' : '';
  console.log(
    `${recipe.name}: ${parameters.toLocaleString('en-US')} trainable parameters${withoutNote}`,
  );

  // The check that would have caught the project's founding bug (raw logits) before the first step.
  const probe = makeBatch(samples);
  const outputs = model.apply(probe.videos, false);
  const report = await checkLogProbs(outputs, {
    inputLengths: model.outputLengths(probe.inputLengths),
  });
  tf.dispose(outputs);
  disposeBatch(probe);
  console.log(
    `log-prob check: ${report.ok ? 'ok' : 'FAILED'} (min ${report.min.toFixed(3)}, max ${report.max.toFixed(3)}, ` +
      `worst logsumexp ${report.worstLogSumExp.toFixed(3)}, non-finite ${report.nonFiniteCount})`,
  );
  for (const problem of report.problems) console.log(`  warning: ${problem}`);
  if (report.likelyCause) console.log(`  likely cause: ${report.likelyCause}`);

  const warnings: { epoch: number; message: string }[] = [];
  let currentEpoch = 0;
  const history: TrainingHistoryEntry[] = [];
  const started = performance.now();
  let evaluation: EvaluationResult | undefined;
  const showEvaluation = (result: EvaluationResult, entry: TrainingHistoryEntry): void => {
    const predictions = samples.map((sample, i) => ({
      id: sample.id,
      reference: sample.glosses,
      hypothesis: glossLine(corpus.vocabulary, result.hypotheses[i] ?? []),
    }));
    entry.predictions = predictions;
    entry.warnings = warnings.filter((w) => w.epoch === entry.epoch).map((w) => w.message);
    const elapsed = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `epoch ${result.epoch}  loss ${entry.loss.toFixed(4)}  lr ${entry.lr?.toExponential(2)}  ` +
        `WER ${(100 * result.wer).toFixed(1)}%  (${elapsed} s)`,
    );
    if (result.epoch % showEvery === 0 || result.wer === 0 || result.epoch === epochs) {
      for (const prediction of predictions) {
        const described = describePrediction(prediction.reference, prediction.hypothesis);
        console.log(
          `  ${prediction.id}  WER ${(100 * described.wer).toFixed(0)}%\n${described.alignmentText.replace(/^/gm, '    ')}`,
        );
      }
    }
  };
  const options: NodeTrainOptions = {
    model,
    trainSamples: samples,
    evalSamples: samples,
    vocabulary: corpus.vocabulary,
    epochs,
    batchSize: samplesCount,
    shuffle: false,
    seed,
    optimizer: { name: optimizerName, learningRate, weightDecay },
    schedule: { base: 'constant', warmupEpochs },
    clipNorm,
    evalEvery: 10,
    earlyStop: { lossBelow: 0.1, werZero: true },
    checkpointDir: join(outDir, 'checkpoints'),
    checkpointEverySteps: 50,
    resume: false,
    historyFile: join(outDir, 'history.jsonl'),
    callbacks: {
      onEpochBegin: (logs) => {
        currentEpoch = logs.epoch;
      },
      onWarning: (message) => {
        warnings.push({ epoch: currentEpoch, message });
        console.log(`  warning (epoch ${currentEpoch}): ${message}`);
      },
      onEpochEnd: (record: EpochRecord) => {
        const entry: TrainingHistoryEntry = {
          epoch: record.epoch,
          step: record.step,
          loss: record.loss,
          lr: record.lr,
          gradNorm: record.gradNorm,
          wer: record.wer,
          skippedSteps: record.skippedSteps,
          seconds: record.seconds,
        };
        history.push(entry);
        if (record.epoch <= warmupEpochs && (record.epoch % 5 === 0 || record.epoch === 1)) {
          console.log(
            `epoch ${record.epoch}  warmup lr ${record.lr.toExponential(2)}  loss ${record.loss.toFixed(4)}`,
          );
        }
        // The trainer evaluates before it ends the epoch: show the evaluation with this epoch's record.
        if (evaluation?.epoch === record.epoch) showEvaluation(evaluation, entry);
      },
      onEvaluation: (result) => {
        evaluation = result;
      },
    },
  };
  let result;
  try {
    result = await train(options);
  } catch (error) {
    // train checks the model's output on its first step: raw logits stop it there.
    if (!(error instanceof LogProbError)) throw error;
    console.log(`training stopped: ${error.message}`);
    return 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const reportPath = await writeReport(history, outDir, {
    title: `Overfit test: ${recipe.name}${rawLogits ? ' (raw logits)' : ''}`,
  });
  console.log(
    `report ${reportPath}, history ${join(outDir, 'history.jsonl')}, checkpoints ${join(outDir, 'checkpoints')}`,
  );
  const last = history[history.length - 1];
  const converged =
    result.stoppedEarly && result.lastEvaluation?.wer === 0 && (last?.loss ?? Infinity) < 0.1;
  if (converged) {
    console.log(`converged at epoch ${last?.epoch} in ${seconds.toFixed(1)} s`);
    return 0;
  }
  console.log(
    `did not converge in ${epochs} epochs (${seconds.toFixed(1)} s): last loss ${last?.loss.toFixed(4)}, ` +
      `WER ${result.lastEvaluation ? (100 * result.lastEvaluation.wer).toFixed(1) : '—'}%` +
      (report.ok
        ? ''
        : ` — the log-prob check failed before training: ${report.likelyCause ?? report.problems[0]}`),
  );
  return 1;
}
