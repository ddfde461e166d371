import * as tf from '@tensorflow/tfjs';
import { ctcBeamSearch, ctcGreedyDecode, ctcLoss, wordErrorRate } from '@slr/ctc';
import { gradientHealth } from '@slr/diagnostics';
import {
  batches,
  disposeBatch,
  makeBatch,
  type BatchSource,
  type GlossVocabulary,
  type SignBatch,
  type SignSample,
} from '@slr/data';
import { setTrainable, type LayerPattern, type SequenceModel } from '@slr/layers';
import { clipByGlobalNorm } from './clip';
import { createEpochProgress, type ProgressMode } from './progress';
import { configError, requireInteger, requireNumber } from './errors';
import { smoothedCtcLoss } from './label-smoothing';
import {
  createOptimizer,
  setLearningRate,
  validateOptimizerConfig,
  type OptimizerConfig,
} from './optimizers';
import { createSchedule, validateScheduleConfig, type ScheduleBase } from './schedules';
import {
  loadLatestValidCheckpoint,
  saveCheckpoint,
  type EpochRecord,
  type TrainingState,
} from './checkpoint';
import { setDropoutRate, xavierReinit } from './init';
import { distillationLossTerms } from './distill/distillation-loss';
import { SoftTargets } from './distill/soft-targets';

/**
 * Knowledge distillation in {@link train}: each step's loss becomes
 * `α·CTC + (1 − α)·τ²·KL(teacher ‖ student)` ({@link distillationLoss}), with the teacher's
 * outputs read from cached soft targets by sample id (the teacher never runs during training).
 *
 * @example
 * ```ts
 * const distillation: TrainDistillation = { targets: await loadSoftTargets('runs/teacher/soft-targets.bin'), temperature: 2, alpha: 0.5 };
 * ```
 */
export interface TrainDistillation {
  /** The teacher's outputs for every training sample ({@link extractSoftTargets}). */
  targets: SoftTargets;
  /** Softmax temperature τ. Default 1. */
  temperature?: number;
  /** Weight α of the CTC term. Default 0.5. */
  alpha?: number;
  /** Whether the blank class takes part in the KL term. Default `true`. */
  includeBlank?: boolean;
}

/**
 * The result of one evaluation pass (passed to `callbacks.onEvaluation`).
 *
 * @example
 * ```ts
 * callbacks: { onEvaluation: (e: EvaluationResult) => console.log(e.epoch, e.wer, e.beamWer) }
 * ```
 */
export interface EvaluationResult {
  /** The epoch after which the evaluation ran (1-based). */
  epoch: number;
  /** Greedy-decoding WER over the evaluation samples. */
  wer: number;
  /** Beam-search WER, when `evalBeamWidth` is set. */
  beamWer?: number;
  /** Greedy hypotheses (gloss ids), in sample order. */
  hypotheses: number[][];
}

/**
 * Options of {@link train}.
 *
 * @example
 * ```ts
 * const options: TrainOptions = { model, trainSamples, epochs: 10, batchSize: 4, optimizer: { name: 'adamw', learningRate: 1e-3, weightDecay: 0.01 } };
 * ```
 */
export interface TrainOptions {
  /** The model to train: outputs `[T, B, V]` log-probabilities (see `SequenceModel`). */
  model: SequenceModel;
  /**
   * What the model's `apply` takes from a batch. Default: the videos. A model with a second
   * input, such as the I3D teacher's pose stream: `(batch) => [batch.videos, batch.keypoints!]`.
   */
  inputs?: (batch: SignBatch) => tf.Tensor | tf.Tensor[];
  /** Training samples, or a function giving a fresh source each epoch (then `batchesPerEpoch` is required). */
  trainSamples: readonly SignSample[] | ((epoch: number) => BatchSource);
  /** Batches per epoch; derived from `trainSamples` when it is an array. */
  batchesPerEpoch?: number;
  /** Samples to evaluate WER on (greedy, and beam with `evalBeamWidth`) every `evalEvery` epochs. */
  evalSamples?: readonly SignSample[];
  /** When given, its size must equal the model's number of classes. */
  vocabulary?: GlossVocabulary;
  /** Epochs to train (an early stop may end sooner). */
  epochs: number;
  /** Samples per step. */
  batchSize: number;
  /** Optimizer and its peak learning rate (see `createOptimizer`). */
  optimizer: OptimizerConfig;
  /** Schedule shape; `learningRate` comes from `optimizer` and `totalSteps` is epochs · batchesPerEpoch. */
  schedule?: {
    /** `'constant'`, `'cosine'`, `'step'` or `'cyclic'` (see `createSchedule`). */
    base: ScheduleBase;
    /** Linear warmup length in epochs (or `warmupSteps`, not both). */
    warmupEpochs?: number;
    /** Linear warmup length in steps. */
    warmupSteps?: number;
    /** Warmup's first factor of the peak rate. Default 0. */
    warmupStartFactor?: number;
    /** Cosine: the rate at the end. */
    minLearningRate?: number;
    /** Step: the factor applied every `stepSize` steps. */
    gamma?: number;
    /** Step: steps between decays; cyclic: steps of a half cycle. */
    stepSize?: number;
    /** Cyclic: the top of the cycle. */
    maxLearningRate?: number;
  };
  /** Clip gradients to this global norm (see `clipByGlobalNorm`). */
  clipNorm?: number;
  /** CTC label smoothing ε in [0, 1] (see `smoothedCtcLoss`). */
  labelSmoothing?: number;
  /** Seed of batch order (epoch `e` draws from `[seed, e]`) and of Xavier re-initialisation. Default 0. */
  seed?: number;
  /** Shuffle the training samples each epoch (seeded by `[seed, epoch]`). Default `true`. */
  shuffle?: boolean;
  /** Evaluate every this many epochs (and after the last). Default 1. */
  evalEvery?: number;
  /** Also decode with beam search of this width when evaluating. */
  evalBeamWidth?: number;
  /** When to stop before `epochs`. */
  earlyStop?: {
    /** Stop once the epoch's loss is below this (and, with `werZero`, the WER is 0). */
    lossBelow?: number;
    /** Stop once the evaluation WER is 0 (and the loss below `lossBelow`, when set). */
    werZero?: boolean;
    /** Stop when the evaluation WER has not improved for this many evaluations. */
    devPlateau?: number;
  };
  /** Layers frozen from the start (names, globs or a RegExp; see `setTrainable`). */
  freeze?: LayerPattern;
  /** Layers unfrozen at the start of the given epochs. */
  progressiveUnfreezing?: {
    /** The epoch (0-based) at whose start the layers become trainable. */
    epoch: number;
    /** The layers to unfreeze. */
    pattern: LayerPattern;
  }[];
  /** Re-initialisation before training (not when resuming). */
  initialization?: {
    /** Xavier (Glorot) uniform re-initialisation of every kernel, seeded by `seed`. */
    xavier?: {
      /** Scale of the Xavier bound. Default 1. */
      gain?: number;
    };
  };
  /** Override the rate of every dropout layer. */
  dropout?: number;
  /** Distil from a teacher's cached outputs (not with `labelSmoothing`). */
  distillation?: TrainDistillation;
  /** Hooks into training. */
  callbacks?: {
    /** After each epoch, with its record. */
    onEpochEnd?: (record: EpochRecord) => void | Promise<void>;
    /** Each warning (skipped steps, frozen weights); default `console.warn`. */
    onWarning?: (message: string) => void;
    /** After each evaluation. */
    onEvaluation?: (result: EvaluationResult) => void | Promise<void>;
    /** After each step: its number, loss, gradient norm (before clipping), learning rate, and whether it was skipped. */
    onStep?: (info: {
      step: number;
      loss: number;
      gradNorm: number;
      lr: number;
      skipped: boolean;
    }) => void;
  };
  /** Where checkpoints go (and are resumed from). */
  checkpointDir?: string;
  /** Checkpoint every N steps (and always at each epoch end when `checkpointDir` is set). */
  checkpointEverySteps?: number;
  /** Resume from the latest valid checkpoint in `checkpointDir` when there is one. Default `true`. */
  resume?: boolean;
  /** A JSON-lines file that gets one line per epoch. */
  historyFile?: string;
  /**
   * Progress on stdout: `'auto'` (or `true`) draws a bar on a terminal and prints one line per
   * epoch otherwise; `'bar'`, `'lines'`, or `'off'` (or `false`, the default).
   */
  progress?: boolean | ProgressMode;
}

/**
 * What {@link train} returns.
 *
 * @example
 * ```ts
 * const { history, stoppedEarly, stopReason } = await train(options);
 * ```
 */
export interface TrainResult {
  /** One record per epoch (those before a resume included). */
  history: EpochRecord[];
  /** The final training state (as checkpointed). */
  state: TrainingState;
  /** Whether `earlyStop` ended training. */
  stoppedEarly: boolean;
  /** Why it stopped early. */
  stopReason?: string;
  /** The last evaluation, if any. */
  lastEvaluation?: EvaluationResult;
  /** The checkpoint training resumed from, if any. */
  resumedFrom?: string;
}

function numClassesOf(model: SequenceModel): number {
  const shape = model.model.outputs[0].shape;
  return shape[shape.length - 1] as number;
}

/**
 * Checks every field of `options` and throws, before any training, an error naming the bad
 * field (unknown optimizer, negative learning rate, warmup longer than training, a
 * vocabulary whose size differs from the model's classes: "mismatched vocabulary").
 *
 * @example
 * ```ts
 * validateTrainOptions({ ...options, optimizer: { name: 'adagrad', learningRate: 1e-3 } });
 * // Error: Invalid 'optimizer.name': expected one of 'adam', 'adamw', 'sgd', but got 'adagrad'.
 * ```
 */
export function validateTrainOptions(options: TrainOptions): {
  /** Batches in one epoch. */
  batchesPerEpoch: number;
  /** Steps of the whole run (epochs · batchesPerEpoch). */
  totalSteps: number;
  /** Steps of the linear warmup. */
  warmupSteps: number;
} {
  if (options.model == null || typeof options.model.apply !== 'function')
    throw new Error(configError('model', 'a SequenceModel', options.model));
  requireInteger('epochs', options.epochs, 1);
  requireInteger('batchSize', options.batchSize, 1);
  validateOptimizerConfig(options.optimizer, 'optimizer.');
  let batchesPerEpoch: number;
  if (Array.isArray(options.trainSamples)) {
    if (options.trainSamples.length === 0)
      throw new Error(configError('trainSamples', 'at least one sample', '[]'));
    batchesPerEpoch = Math.ceil(options.trainSamples.length / options.batchSize);
  } else if (typeof options.trainSamples === 'function') {
    batchesPerEpoch = requireInteger('batchesPerEpoch', options.batchesPerEpoch, 1);
  } else
    throw new Error(
      configError(
        'trainSamples',
        'an array of samples or a function returning a source',
        options.trainSamples,
      ),
    );
  const totalSteps = options.epochs * batchesPerEpoch;
  const s = options.schedule ?? { base: 'constant' };
  if (s.warmupEpochs !== undefined && s.warmupSteps !== undefined)
    throw new Error(
      configError(
        'schedule.warmupEpochs',
        'unset when schedule.warmupSteps is set',
        s.warmupEpochs,
      ),
    );
  if (s.warmupEpochs !== undefined) requireNumber('schedule.warmupEpochs', s.warmupEpochs, 0, true);
  const warmupSteps = s.warmupSteps ?? Math.round((s.warmupEpochs ?? 0) * batchesPerEpoch);
  requireInteger('schedule.warmupSteps', warmupSteps, 0);
  if (warmupSteps > totalSteps) {
    throw new Error(
      configError(
        s.warmupSteps !== undefined ? 'schedule.warmupSteps' : 'schedule.warmupEpochs',
        `a warmup no longer than training (${totalSteps} steps = ${options.epochs} epochs)`,
        s.warmupSteps ?? s.warmupEpochs,
      ),
    );
  }
  try {
    validateScheduleConfig({
      ...s,
      learningRate: options.optimizer.learningRate,
      totalSteps,
      warmup: { steps: warmupSteps, startFactor: s.warmupStartFactor },
    } as never);
  } catch (error) {
    throw new Error((error as Error).message.replace("Invalid '", "Invalid 'schedule."));
  }
  if (options.clipNorm !== undefined) requireNumber('clipNorm', options.clipNorm, 0, false);
  if (options.labelSmoothing !== undefined)
    requireNumber('labelSmoothing', options.labelSmoothing, 0, true, 1, true);
  if (options.distillation !== undefined) {
    const d = options.distillation;
    if (!(d.targets instanceof SoftTargets))
      throw new Error(
        configError(
          'distillation.targets',
          'SoftTargets (extractSoftTargets or loadSoftTargets)',
          d.targets,
        ),
      );
    if (d.temperature !== undefined)
      requireNumber('distillation.temperature', d.temperature, 0, false);
    if (d.alpha !== undefined) requireNumber('distillation.alpha', d.alpha, 0, true, 1, true);
    if ((options.labelSmoothing ?? 0) > 0)
      throw new Error(
        configError(
          'labelSmoothing',
          '0 or unset when distillation is set',
          options.labelSmoothing,
        ),
      );
  }
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
    throw new Error(configError('seed', 'a safe integer', options.seed));
  if (options.evalEvery !== undefined) requireInteger('evalEvery', options.evalEvery, 1);
  if (options.evalBeamWidth !== undefined)
    requireInteger('evalBeamWidth', options.evalBeamWidth, 1);
  if (options.checkpointEverySteps !== undefined)
    requireInteger('checkpointEverySteps', options.checkpointEverySteps, 1);
  if (options.dropout !== undefined) requireNumber('dropout', options.dropout, 0, true, 1, false);
  if (options.earlyStop?.devPlateau !== undefined)
    requireInteger('earlyStop.devPlateau', options.earlyStop.devPlateau, 1);
  if (options.earlyStop?.lossBelow !== undefined)
    requireNumber('earlyStop.lossBelow', options.earlyStop.lossBelow, 0, false);
  if (
    (options.earlyStop?.werZero || options.earlyStop?.devPlateau !== undefined) &&
    !options.evalSamples?.length
  ) {
    throw new Error(
      configError(
        'evalSamples',
        'evaluation samples when earlyStop.werZero or earlyStop.devPlateau is set',
        options.evalSamples,
      ),
    );
  }
  options.progressiveUnfreezing?.forEach((stage, i) =>
    requireInteger(`progressiveUnfreezing[${i}].epoch`, stage.epoch, 0),
  );
  const classes = numClassesOf(options.model);
  if (options.vocabulary !== undefined && options.vocabulary.size !== classes) {
    throw new Error(
      `Invalid 'vocabulary': mismatched vocabulary: the model has ${classes} classes but the vocabulary has ${options.vocabulary.size} (glosses + blank).`,
    );
  }
  if (options.distillation !== undefined && options.distillation.targets.numClasses !== classes) {
    throw new Error(
      configError(
        'distillation.targets',
        `soft targets over the model's ${classes} classes`,
        `targets over ${options.distillation.targets.numClasses} classes (teacher '${options.distillation.targets.teacher.name}')`,
      ),
    );
  }
  return { batchesPerEpoch, totalSteps, warmupSteps };
}

/** The tensors `options.model.apply` takes from `batch` (`options.inputs`, default the videos). */
function modelInputs(options: TrainOptions, batch: SignBatch): tf.Tensor | tf.Tensor[] {
  return options.inputs ? options.inputs(batch) : batch.videos;
}

async function evaluate(options: TrainOptions, epoch: number): Promise<EvaluationResult> {
  const samples = options.evalSamples ?? [];
  const refs: number[][] = [];
  const hyps: number[][] = [];
  const beamHyps: number[][] = [];
  for (let i = 0; i < samples.length; i += options.batchSize) {
    const batch = makeBatch(samples.slice(i, i + options.batchSize));
    try {
      const logProbs = tf.tidy(() => options.model.apply(modelInputs(options, batch), false));
      const lengths = options.model.outputLengths(batch.inputLengths);
      try {
        for (const h of await ctcGreedyDecode(logProbs, lengths)) hyps.push(h.tokens);
        if (options.evalBeamWidth !== undefined) {
          for (const h of await ctcBeamSearch(logProbs, lengths, {
            beamWidth: options.evalBeamWidth,
            nBest: 1,
          }))
            beamHyps.push(h[0]?.tokens ?? []);
        }
      } finally {
        logProbs.dispose();
      }
      for (const s of samples.slice(i, i + options.batchSize)) refs.push(s.glossIds);
    } finally {
      disposeBatch(batch);
    }
  }
  const result: EvaluationResult = { epoch, wer: wordErrorRate(refs, hyps).wer, hypotheses: hyps };
  if (options.evalBeamWidth !== undefined) result.beamWer = wordErrorRate(refs, beamHyps).wer;
  return result;
}

/**
 * Trains a {@link SequenceModel} with CTC. Each step applies the model in training mode, takes
 * the (optionally label-smoothed) CTC loss, its gradients over the trainable weights
 * (`tf.variableGrads`), checks them with `gradientHealth`, clips them by global norm, skips the
 * step (counting and warning) when they are not finite, sets the scheduled learning rate and
 * applies them. Evaluates (greedy and optional beam WER) every `evalEvery` epochs, stops early
 * on `earlyStop`, checkpoints to `checkpointDir` (resuming from it when it holds one) and
 * writes one JSON line per epoch to `historyFile`. Configuration errors are thrown before
 * anything is trained.
 *
 * @example
 * ```ts
 * const result = await train({
 *   model, trainSamples, evalSamples, epochs: 50, batchSize: 2,
 *   optimizer: { name: 'adam', learningRate: 1e-2 }, schedule: { base: 'cosine', warmupEpochs: 1 },
 *   clipNorm: 5, evalEvery: 5, earlyStop: { werZero: true }, checkpointDir: 'runs/overfit',
 * });
 * console.log(result.history.at(-1));
 * ```
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  return new Trainer(options).run();
}

/**
 * The object behind {@link train}: validates on construction (so bad configuration fails
 * before training starts), trains on {@link Trainer.run}.
 *
 * @example
 * ```ts
 * const trainer = new Trainer(options); // throws on bad configuration
 * const { history } = await trainer.run();
 * ```
 */
export class Trainer {
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  /** Steps of the whole run. */
  readonly totalSteps: number;
  /** The optimizer that `optimizer` configured. */
  readonly optimizer: tf.Optimizer;
  private readonly schedule: (step: number) => number;
  private varOrder: tf.Variable[] = [];

  constructor(
    /** The validated options. */
    readonly options: TrainOptions,
  ) {
    const v = validateTrainOptions(options);
    this.batchesPerEpoch = v.batchesPerEpoch;
    this.totalSteps = v.totalSteps;
    const s = options.schedule ?? { base: 'constant' as const };
    this.schedule = createSchedule({
      ...s,
      learningRate: options.optimizer.learningRate,
      totalSteps: v.totalSteps,
      warmup: { steps: v.warmupSteps, startFactor: s.warmupStartFactor },
    });
    this.optimizer = createOptimizer(options.optimizer);
  }

  private warn(message: string): void {
    if (this.options.callbacks?.onWarning) this.options.callbacks.onWarning(message);
    else console.warn(message);
  }

  /** Trainable variables, newly trainable ones appended (optimizer slots are matched by position). */
  private refreshVariables(): void {
    const current = this.options.model.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const kept = this.varOrder.filter((v) => current.includes(v));
    if (kept.length !== this.varOrder.length)
      this.warn('train: some weights became frozen; their optimizer slots now shift.');
    this.varOrder = [...kept, ...current.filter((v) => !kept.includes(v))];
  }

  private applyUnfreezing(upToEpoch: number, onlyEpoch?: number): void {
    for (const stage of this.options.progressiveUnfreezing ?? []) {
      if (onlyEpoch !== undefined ? stage.epoch === onlyEpoch : stage.epoch <= upToEpoch)
        setTrainable(this.options.model.model, stage.pattern, true);
    }
    this.refreshVariables();
  }

  private async writeHistory(history: EpochRecord[], append?: EpochRecord): Promise<void> {
    if (this.options.historyFile === undefined) return;
    const fs = (await import(
      /* @vite-ignore */ 'node:fs/promises' as string
    )) as typeof import('node:fs/promises');
    const path = (await import(
      /* @vite-ignore */ 'node:path' as string
    )) as typeof import('node:path');
    await fs.mkdir(path.dirname(this.options.historyFile), { recursive: true });
    if (append) await fs.appendFile(this.options.historyFile, `${JSON.stringify(append)}\n`);
    else
      await fs.writeFile(
        this.options.historyFile,
        history.map((r) => `${JSON.stringify(r)}\n`).join(''),
      );
  }

  /** One training step on `batch`; returns the loss (and its distillation terms), the global norm and whether it was skipped. */
  private async step(
    batch: SignBatch,
    step: number,
  ): Promise<{
    loss: number;
    kd?: number;
    ctc?: number;
    gradNorm: number;
    lr: number;
    skipped: boolean;
  }> {
    const { model, labelSmoothing = 0, clipNorm, distillation } = this.options;
    const lengths = model.outputLengths(batch.inputLengths);
    const teacher = distillation?.targets.batch(batch.ids);
    let terms: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const logProbs = model.apply(modelInputs(this.options, batch), true);
      if (distillation !== undefined && teacher !== undefined) {
        const t = distillationLossTerms(logProbs, teacher.logProbs, {
          studentLengths: lengths,
          teacherLengths: teacher.lengths,
          temperature: distillation.temperature,
          alpha: distillation.alpha,
          includeBlank: distillation.includeBlank,
          ctc: { targets: batch.targets, targetLengths: batch.targetLengths },
        });
        terms = [tf.keep(t.kd), tf.keep(t.ctc as tf.Tensor)];
        return t.loss as tf.Scalar;
      }
      return (
        labelSmoothing > 0
          ? smoothedCtcLoss(logProbs, batch.targets, lengths, batch.targetLengths, {
              epsilon: labelSmoothing,
            })
          : ctcLoss(logProbs, batch.targets, lengths, batch.targetLengths)
      ) as tf.Scalar;
    }, this.varOrder);
    const ordered: tf.NamedTensorMap = {};
    for (const v of this.varOrder) if (grads[v.name]) ordered[v.name] = grads[v.name];
    try {
      const loss = (await value.data())[0];
      const parts = terms.length
        ? { kd: (await terms[0].data())[0], ctc: (await terms[1].data())[0] }
        : {};
      const health = await gradientHealth(ordered);
      const lr = this.schedule(Math.min(step, this.totalSteps - 1));
      if ((!health.ok && health.nonFinite.length > 0) || !Number.isFinite(loss)) {
        this.warn(
          `train: step ${step} skipped: non-finite ${Number.isFinite(loss) ? `gradients (${health.nonFinite.join(', ')})` : `loss (${loss})`}.`,
        );
        return { loss, ...parts, gradNorm: health.globalNorm, lr, skipped: true };
      }
      const clipped = clipByGlobalNorm(
        ordered,
        clipNorm ?? Number.MAX_VALUE,
        Number.isFinite(health.globalNorm) ? health.globalNorm : Infinity,
      );
      try {
        if (!clipped.finite) {
          this.warn(`train: step ${step} skipped: gradient norm is ${clipped.globalNorm}.`);
          return { loss, ...parts, gradNorm: clipped.globalNorm, lr, skipped: true };
        }
        setLearningRate(this.optimizer, lr);
        this.optimizer.applyGradients(clipped.grads);
      } finally {
        tf.dispose(clipped.grads);
      }
      return { loss, ...parts, gradNorm: health.globalNorm, lr, skipped: false };
    } finally {
      value.dispose();
      tf.dispose(grads);
      tf.dispose(terms);
      teacher?.logProbs.dispose();
    }
  }

  /** Runs training to the end (or an early stop) and returns the history. */
  async run(): Promise<TrainResult> {
    const o = this.options;
    const progress = createEpochProgress(
      o.epochs,
      o.progress === true
        ? 'auto'
        : o.progress === false || o.progress === undefined
          ? 'off'
          : o.progress,
    );
    const seed = o.seed ?? 0;
    let state: TrainingState = {
      step: 0,
      epoch: 0,
      batchInEpoch: 0,
      seed,
      skippedSteps: 0,
      history: [],
      epochAccumulator: { lossSum: 0, gradNormSum: 0, applied: 0, lr: 0, seconds: 0 },
      plateau: { best: Infinity, epochsWithoutImprovement: 0 },
      finished: false,
    };
    if (o.dropout !== undefined) setDropoutRate(o.model.model, o.dropout);
    let resumedFrom: string | undefined;
    if (o.checkpointDir !== undefined && o.resume !== false) {
      const found = await loadLatestValidCheckpoint(o.checkpointDir);
      for (const s of found?.skipped ?? [])
        this.warn(`train: checkpoint ${s.path} is unusable, falling back: ${s.error.message}`);
      if (found) {
        const { checkpoint } = found;
        o.model.model.setWeights(checkpoint.model.getWeights());
        checkpoint.model.dispose();
        state = checkpoint.state;
        resumedFrom = checkpoint.path;
        if (o.freeze !== undefined) setTrainable(o.model.model, o.freeze, false);
        this.refreshVariables();
        this.applyUnfreezing(state.epoch);
        await this.optimizer.setWeights(checkpoint.optimizerWeights);
        tf.dispose(checkpoint.optimizerWeights.map((w) => w.tensor));
        await this.writeHistory(state.history);
      }
    }
    if (resumedFrom === undefined) {
      if (o.initialization?.xavier)
        xavierReinit(o.model.model, { gain: o.initialization.xavier.gain, seed });
      if (o.freeze !== undefined) setTrainable(o.model.model, o.freeze, false);
      this.refreshVariables();
      this.applyUnfreezing(0);
      await this.writeHistory([]);
    }
    let stopReason: string | undefined;
    let lastEvaluation: EvaluationResult | undefined;
    const checkpoint = async (): Promise<void> => {
      if (o.checkpointDir !== undefined)
        await saveCheckpoint(o.checkpointDir, {
          model: o.model.model,
          optimizer: this.optimizer,
          state,
        });
    };
    while (!state.finished && state.epoch < o.epochs) {
      const epoch = state.epoch;
      if (state.batchInEpoch === 0 && epoch > 0) this.applyUnfreezing(epoch, epoch);
      const started = Date.now();
      const source = Array.isArray(o.trainSamples)
        ? (o.trainSamples as readonly SignSample[])
        : (o.trainSamples as (e: number) => BatchSource)(epoch);
      let index = 0;
      for await (const batch of batches(source, {
        batchSize: o.batchSize,
        shuffle: o.shuffle ?? true,
        seed,
        epoch,
      })) {
        try {
          if (index++ < state.batchInEpoch) continue; // consumed before the checkpoint we resumed from
          const r = await this.step(batch, state.step);
          state.step++;
          state.batchInEpoch++;
          state.epochAccumulator.lr = r.lr;
          if (r.skipped) state.skippedSteps++;
          else {
            state.epochAccumulator.lossSum += r.loss;
            state.epochAccumulator.gradNormSum += r.gradNorm;
            state.epochAccumulator.applied++;
            if (r.kd !== undefined)
              state.epochAccumulator.kdSum = (state.epochAccumulator.kdSum ?? 0) + r.kd;
            if (r.ctc !== undefined)
              state.epochAccumulator.ctcSum = (state.epochAccumulator.ctcSum ?? 0) + r.ctc;
          }
          o.callbacks?.onStep?.({ step: state.step, ...r });
        } finally {
          disposeBatch(batch);
        }
        if (
          o.checkpointEverySteps !== undefined &&
          state.step % o.checkpointEverySteps === 0 &&
          state.batchInEpoch < this.batchesPerEpoch
        ) {
          state.epochAccumulator.seconds += (Date.now() - started) / 1000;
          await checkpoint();
          state.epochAccumulator.seconds -= (Date.now() - started) / 1000;
        }
      }
      const acc = state.epochAccumulator;
      const record: EpochRecord = {
        epoch: epoch + 1,
        step: state.step,
        loss: acc.applied ? acc.lossSum / acc.applied : NaN,
        lr: acc.lr,
        gradNorm: acc.applied ? acc.gradNormSum / acc.applied : NaN,
        skippedSteps: state.skippedSteps,
        seconds: acc.seconds + (Date.now() - started) / 1000,
      };
      if (acc.kdSum !== undefined) record.kdLoss = acc.applied ? acc.kdSum / acc.applied : NaN;
      if (acc.ctcSum !== undefined) record.ctcLoss = acc.applied ? acc.ctcSum / acc.applied : NaN;
      if (
        o.evalSamples?.length &&
        ((epoch + 1) % (o.evalEvery ?? 1) === 0 || epoch + 1 === o.epochs)
      ) {
        lastEvaluation = await evaluate(o, epoch + 1);
        record.wer = lastEvaluation.wer;
        if (lastEvaluation.beamWer !== undefined) record.beamWer = lastEvaluation.beamWer;
        await o.callbacks?.onEvaluation?.(lastEvaluation);
        if (lastEvaluation.wer < state.plateau.best)
          state.plateau = { best: lastEvaluation.wer, epochsWithoutImprovement: 0 };
        else state.plateau.epochsWithoutImprovement++;
      }
      state.history.push(record);
      state.epoch++;
      state.batchInEpoch = 0;
      state.epochAccumulator = { lossSum: 0, gradNormSum: 0, applied: 0, lr: 0, seconds: 0 };
      const es = o.earlyStop;
      if (es) {
        const lossOk = es.lossBelow === undefined || record.loss < es.lossBelow;
        const werOk = !es.werZero || record.wer === 0;
        if (
          (es.lossBelow !== undefined || es.werZero) &&
          lossOk &&
          werOk &&
          (es.werZero ? record.wer !== undefined : true)
        ) {
          stopReason = `overfit reached at epoch ${record.epoch} (loss ${record.loss.toFixed(4)}${record.wer !== undefined ? `, WER ${record.wer}` : ''})`;
        } else if (
          es.devPlateau !== undefined &&
          state.plateau.epochsWithoutImprovement >= es.devPlateau
        ) {
          stopReason = `dev WER has not improved for ${state.plateau.epochsWithoutImprovement} evaluations (best ${state.plateau.best})`;
        }
      }
      if (stopReason !== undefined || state.epoch >= o.epochs) state.finished = true;
      await this.writeHistory(state.history, record);
      progress.update(record);
      await o.callbacks?.onEpochEnd?.(record);
      await checkpoint();
    }
    progress.stop();
    return {
      history: state.history,
      state,
      stoppedEarly: stopReason !== undefined,
      stopReason,
      lastEvaluation,
      resumedFrom,
    };
  }
}
