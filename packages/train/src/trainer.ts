/**
 * The trainer: a loop in named phases (restore, begin, epoch, step, evaluate, end) that calls
 * its callbacks at each point, in the style of Keras `fit`.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import { ctcBeamSearch, ctcGreedyDecode, ctcLoss, wordErrorRate } from '@slr/ctc';
import {
  checkLogProbs,
  gradientHealth,
  LOG_PROB_CAUSES,
  LogProbError,
  NEGATIVE_CTC_LOSS,
} from '@slr/diagnostics';
import {
  batches,
  disposeBatch,
  makeBatch,
  type BatchSource,
  type SignBatch,
  type SignSample,
} from '@slr/data';
import { setRandomStep, setTrainable, type SequenceModel } from '@slr/layers';
import { AdviceWarnings } from './advice-warnings';
import type {
  BatchLogs,
  EpochBeginLogs,
  TrainBeginLogs,
  TrainCallback,
  TrainingSnapshot,
} from './callbacks';
import { clipByGlobalNorm } from './clip';
import { distillationLossTerms } from './distill/distillation-loss';
import { EarlyStopping } from './early-stopping';
import { setDropoutRate, xavierReinit } from './init';
import { smoothedCtcLoss } from './label-smoothing';
import { createOptimizer, setLearningRate } from './optimizers';
import { createSchedule } from './schedules';
import { checkTrainOptions } from './train-option-checks';
import type { EvaluationResult, TrainOptions, TrainResult } from './train-options';
import type { EpochRecord, TrainingState } from './training-state';

/** The logs each hook receives. */
interface HookLogs {
  onTrainBegin: TrainBeginLogs;
  onEpochBegin: EpochBeginLogs;
  onBatchEnd: BatchLogs;
  onEvaluation: EvaluationResult;
  onEpochEnd: EpochRecord;
  onTrainEnd: TrainResult;
}

/** What one step gives, besides its position. */
type StepResult = Omit<BatchLogs, 'epoch' | 'batch' | 'step'>;

/** When the current epoch started, and the seconds it had before (a resume mid-epoch). */
interface EpochClock {
  startedAt: number;
  secondsBefore: number;
}

function emptyAccumulator(): TrainingState['epochAccumulator'] {
  return { lossSum: 0, gradNormSum: 0, applied: 0, lr: 0, seconds: 0 };
}

/**
 * Trains a {@link SequenceModel} with CTC. The model's output is checked to be log-probabilities
 * on the first step and periodically (`checkLogProbs`), and a negative loss stops training:
 * both mean raw logits. Each step applies the model in training mode, takes
 * the (optionally label-smoothed, or distilled) CTC loss, its gradients over the trainable
 * weights (`tf.variableGrads`), checks them with `gradientHealth`, clips them by global norm,
 * skips the step (counting and warning) when they are not finite, sets the scheduled learning
 * rate and applies them. Evaluates (greedy and optional beam WER) every `evalEvery` epochs.
 * Callbacks ({@link TrainCallback}) see every point of the loop; `earlyStop` installs
 * {@link EarlyStopping}, and advice from the history comes as warnings ({@link AdviceWarnings}).
 * Configuration errors are thrown before anything is trained. The optimizer (Adam's moments
 * and the like) is freed when training ends, on an error too; the model's weights stay.
 *
 * This `train` runs anywhere tfjs does, a browser included. Checkpoints (with resume), a
 * JSON-lines history file and a progress bar need Node.js: `train` of `@slr/train/node` takes
 * `checkpointDir`, `historyFile` and `progress` besides these options.
 *
 * @example
 * ```ts
 * const result = await train({
 *   model, trainSamples, evalSamples, epochs: 50, batchSize: 2,
 *   optimizer: { name: 'adam', learningRate: 1e-2 }, schedule: { base: 'cosine', warmupEpochs: 1 },
 *   clipNorm: 5, evalEvery: 5, earlyStop: { werZero: true },
 *   callbacks: { onEpochEnd: (record) => console.log(record.epoch, record.loss, record.wer) },
 * });
 * console.log(result.history.at(-1));
 * ```
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const trainer = new Trainer(options);
  try {
    return await trainer.run();
  } finally {
    trainer.dispose();
  }
}

/**
 * The object behind {@link train}: checks the options on construction (so bad configuration
 * fails before training starts; errors name `train`), trains on {@link Trainer.run}. Callbacks
 * get it as their second argument: its model, optimizer and {@link Trainer.state}, and
 * {@link Trainer.stopTraining} to end training early. It owns its optimizer's tensors:
 * {@link Trainer.dispose} frees them once done with it (`train` does).
 *
 * @example
 * ```ts
 * const trainer = new Trainer(trainOptions); // throws on bad configuration
 * try {
 *   const { history } = await trainer.run();
 * } finally {
 *   trainer.dispose(); // the optimizer's state; the model is the caller's
 * }
 * ```
 */
export class Trainer {
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  /** Steps of the whole run. */
  readonly totalSteps: number;
  /** The optimizer that `optimizer` configured. */
  readonly optimizer: tf.Optimizer;
  /** The callbacks in the order they run: the built-ins the options install, then `callbacks`. */
  readonly callbacks: readonly TrainCallback[];
  private readonly schedule: (step: number) => number;
  /** The trainable variables, in the order the optimizer's slots follow. */
  private variables: tf.Variable[] = [];
  private trainingState: TrainingState;
  private requestedStop: string | undefined;
  private latestEvaluation: EvaluationResult | undefined;
  private restoredFrom: string | undefined;
  /** Steps taken by this run (not counting those before a resume). */
  private stepsThisRun = 0;
  private warnedNegativeLoss = false;
  private disposed = false;

  constructor(
    /** The checked options. */
    readonly options: TrainOptions,
  ) {
    const plan = checkTrainOptions('train', options);
    this.batchesPerEpoch = plan.batchesPerEpoch;
    this.totalSteps = plan.totalSteps;
    const schedule = options.schedule ?? { base: 'constant' as const };
    this.schedule = createSchedule({
      ...schedule,
      learningRate: options.optimizer.learningRate,
      totalSteps: plan.totalSteps,
      warmup: { steps: plan.warmupSteps, startFactor: schedule.warmupStartFactor },
    });
    this.optimizer = createOptimizer(options.optimizer);
    this.callbacks = assembleCallbacks(options);
    this.trainingState = {
      step: 0,
      epoch: 0,
      batchInEpoch: 0,
      seed: options.seed ?? 0,
      skippedSteps: 0,
      history: [],
      epochAccumulator: emptyAccumulator(),
      plateau: { best: Infinity, epochsWithoutImprovement: 0 },
      finished: false,
    };
  }

  /** The model being trained (`options.model`). */
  get model(): SequenceModel {
    return this.options.model;
  }

  /** Where training stands (what a checkpoint saves); updated as training goes. */
  get state(): TrainingState {
    return this.trainingState;
  }

  /** Why training was asked to stop, once {@link Trainer.stopTraining} was called. */
  get stopReason(): string | undefined {
    return this.requestedStop;
  }

  /** The latest evaluation, if any. */
  get lastEvaluation(): EvaluationResult | undefined {
    return this.latestEvaluation;
  }

  /** The snapshot training resumed from (`TrainingSnapshot.source`), if any. */
  get resumedFrom(): string | undefined {
    return this.restoredFrom;
  }

  /**
   * Ends training early, as Keras's `model.stopTraining = true`: during an epoch, after the
   * current batch (the epoch then ends, with its record and callbacks); at an epoch's end,
   * before the next. The first reason given is the result's `stopReason`.
   *
   * @example
   * ```ts
   * let startedAt = 0;
   * const stopAfterTenMinutes: TrainCallback = {
   *   onTrainBegin: () => {
   *     startedAt = Date.now();
   *   },
   *   onBatchEnd: (_logs, trainer) => {
   *     if (Date.now() - startedAt > 600_000) trainer.stopTraining('ten minutes are up');
   *   },
   * };
   * await train({ ...trainOptions, callbacks: [stopAfterTenMinutes] });
   * ```
   */
  stopTraining(reason: string): void {
    if (typeof reason !== 'string' || reason === '')
      throw new ArgumentError('stopTraining', 'reason', 'be a non-empty string', reason);
    this.requestedStop ??= reason;
    this.trainingState.finished = true;
  }

  /**
   * Sends a warning to every callback's `onWarning` (to `console.warn` when none has one).
   *
   * @example
   * ```ts
   * const watchdog: TrainCallback = {
   *   onEpochEnd: async (record, trainer) => {
   *     if (record.gradNorm > 1e3) await trainer.warn(`train: epoch ${record.epoch}: large gradients`);
   *   },
   * };
   * ```
   */
  async warn(message: string): Promise<void> {
    const listeners = this.callbacks.filter((callback) => callback.onWarning !== undefined);
    if (listeners.length === 0) console.warn(message);
    for (const callback of listeners) await callback.onWarning?.(message, this);
  }

  /**
   * Frees the optimizer's tensors (its moments and step counters). The model is not touched.
   * The trainer cannot run again afterwards.
   *
   * @example
   * ```ts
   * const trainer = new Trainer(trainOptions);
   * await trainer.run();
   * trainer.dispose();
   * ```
   */
  dispose(): void {
    this.optimizer.dispose();
    this.disposed = true;
  }

  /**
   * Runs training to the end (or a stop) and returns the history.
   *
   * @example
   * ```ts
   * const { history, stoppedEarly } = await new Trainer(trainOptions).run();
   * ```
   */
  async run(): Promise<TrainResult> {
    if (this.disposed) throw new Error('Trainer.run: this trainer was disposed.');
    if (this.options.dropout !== undefined)
      setDropoutRate(this.options.model.model, this.options.dropout);
    await this.restore();
    await this.begin();
    while (!this.trainingState.finished && this.trainingState.epoch < this.options.epochs)
      await this.runEpoch();
    return this.end();
  }

  /** Phase 1: resume from the first snapshot a callback's `restore` gives, if any. */
  private async restore(): Promise<void> {
    let snapshot: TrainingSnapshot | undefined;
    for (const callback of this.callbacks) {
      snapshot = await callback.restore?.(this);
      if (snapshot !== undefined) break;
    }
    if (snapshot === undefined) return;
    try {
      this.options.model.model.setWeights(snapshot.weights);
      await this.optimizer.setWeights(snapshot.optimizerWeights);
    } finally {
      tf.dispose([...snapshot.weights, ...snapshot.optimizerWeights.map((w) => w.tensor)]);
    }
    this.trainingState = structuredClone(snapshot.state);
    this.restoredFrom = snapshot.source;
  }

  /** Phase 2: initialise (unless resumed), freeze and unfreeze, then `onTrainBegin`. */
  private async begin(): Promise<void> {
    const { model, freeze, initialization, epochs } = this.options;
    if (this.restoredFrom === undefined && initialization?.xavier)
      xavierReinit(model.model, { gain: initialization.xavier.gain, seed: this.state.seed });
    if (freeze !== undefined) setTrainable(model.model, freeze, false);
    await this.applyUnfreezing(this.state.epoch);
    await this.dispatch('onTrainBegin', {
      epochs,
      batchesPerEpoch: this.batchesPerEpoch,
      totalSteps: this.totalSteps,
      epoch: this.state.epoch,
      step: this.state.step,
      ...(this.restoredFrom === undefined ? {} : { resumedFrom: this.restoredFrom }),
    });
  }

  /** Phase 3: one epoch (from where a resume left it), its steps and its end. */
  private async runEpoch(): Promise<void> {
    const { options } = this;
    const state = this.trainingState;
    const epochIndex = state.epoch; // 0-based
    if (state.batchInEpoch === 0 && epochIndex > 0)
      await this.applyUnfreezing(epochIndex, epochIndex);
    await this.dispatch('onEpochBegin', {
      epoch: epochIndex + 1,
      step: state.step,
      batchInEpoch: state.batchInEpoch,
    });
    const clock: EpochClock = {
      startedAt: Date.now(),
      secondsBefore: state.epochAccumulator.seconds,
    };
    const source = Array.isArray(options.trainSamples)
      ? (options.trainSamples as readonly SignSample[])
      : (options.trainSamples as (epoch: number) => BatchSource)(epochIndex);
    const consumed = state.batchInEpoch; // batches done before the snapshot we resumed from
    let index = 0;
    for await (const batch of batches(source, {
      batchSize: options.batchSize,
      shuffle: options.shuffle ?? true,
      seed: state.seed,
      epoch: epochIndex,
      ...(options.augment === undefined ? {} : { augment: options.augment }),
    })) {
      let logs: BatchLogs;
      try {
        if (index++ < consumed) continue;
        logs = await this.trainBatch(batch, epochIndex + 1);
      } finally {
        disposeBatch(batch);
      }
      state.epochAccumulator.seconds = secondsSince(clock);
      await this.dispatch('onBatchEnd', logs);
      if (this.requestedStop !== undefined) break;
    }
    await this.endEpoch(epochIndex, clock);
  }

  /** Phase 4: one step on `batch`, counted in the state; returns the batch's logs. */
  private async trainBatch(batch: SignBatch, epoch: number): Promise<BatchLogs> {
    const state = this.trainingState;
    const result = await this.computeStep(batch, state.step);
    this.stepsThisRun++;
    state.step++;
    state.batchInEpoch++;
    const accumulator = state.epochAccumulator;
    accumulator.lr = result.lr;
    if (result.skipped) state.skippedSteps++;
    else {
      accumulator.lossSum += result.loss;
      accumulator.gradNormSum += result.gradNorm;
      accumulator.applied++;
      if (result.kdLoss !== undefined) accumulator.kdSum = (accumulator.kdSum ?? 0) + result.kdLoss;
      if (result.ctcLoss !== undefined)
        accumulator.ctcSum = (accumulator.ctcSum ?? 0) + result.ctcLoss;
    }
    return { epoch, batch: state.batchInEpoch, step: state.step, ...result };
  }

  /** Phase 5: the epoch's record, its evaluation when due, then `onEpochEnd`. */
  private async endEpoch(epochIndex: number, clock: EpochClock): Promise<void> {
    const { options } = this;
    const state = this.trainingState;
    const accumulator = state.epochAccumulator;
    const meanOf = (sum: number): number => (accumulator.applied ? sum / accumulator.applied : NaN);
    const epoch = epochIndex + 1;
    const record: EpochRecord = {
      epoch,
      step: state.step,
      loss: meanOf(accumulator.lossSum),
      lr: accumulator.lr,
      gradNorm: meanOf(accumulator.gradNormSum),
      skippedSteps: state.skippedSteps,
      seconds: secondsSince(clock),
    };
    if (accumulator.kdSum !== undefined) record.kdLoss = meanOf(accumulator.kdSum);
    if (accumulator.ctcSum !== undefined) record.ctcLoss = meanOf(accumulator.ctcSum);
    if (
      options.evalSamples?.length &&
      (epoch % (options.evalEvery ?? 1) === 0 || epoch === options.epochs)
    ) {
      const evaluation = await this.evaluate(epoch);
      this.latestEvaluation = evaluation;
      record.wer = evaluation.wer;
      if (evaluation.beamWer !== undefined) record.beamWer = evaluation.beamWer;
      if (evaluation.wer < state.plateau.best)
        state.plateau = { best: evaluation.wer, epochsWithoutImprovement: 0 };
      else state.plateau.epochsWithoutImprovement++;
      await this.dispatch('onEvaluation', evaluation);
    }
    state.history.push(record);
    state.epoch++;
    state.batchInEpoch = 0;
    state.epochAccumulator = emptyAccumulator();
    if (state.epoch >= options.epochs) state.finished = true;
    await this.dispatch('onEpochEnd', record);
  }

  /** Phase 6: the result, given to `onTrainEnd` and returned. */
  private async end(): Promise<TrainResult> {
    const result: TrainResult = {
      history: this.trainingState.history,
      state: this.trainingState,
      stoppedEarly: this.requestedStop !== undefined,
      stopReason: this.requestedStop,
      lastEvaluation: this.latestEvaluation,
      resumedFrom: this.restoredFrom,
    };
    await this.dispatch('onTrainEnd', result);
    return result;
  }

  /** Calls `hook` of every callback that has it, in order, waiting for each. */
  private async dispatch<K extends keyof HookLogs>(hook: K, logs: HookLogs[K]): Promise<void> {
    for (const callback of this.callbacks) {
      const method = callback[hook] as
        ((logs: HookLogs[K], trainer: Trainer) => void | Promise<void>) | undefined;
      if (method !== undefined) await method.call(callback, logs, this);
    }
  }

  /** Trainable variables, newly trainable ones appended (optimizer slots are matched by position). */
  private async refreshVariables(): Promise<void> {
    const current = this.options.model.model.trainableWeights.map(
      (weight) => weight.read() as tf.Variable,
    );
    const kept = this.variables.filter((variable) => current.includes(variable));
    if (kept.length !== this.variables.length)
      await this.warn('train: some weights became frozen; their optimizer slots now shift.');
    this.variables = [...kept, ...current.filter((variable) => !kept.includes(variable))];
  }

  /** Unfreezes the stages due by `upToEpoch` (or, with `onlyEpoch`, that epoch's alone). */
  private async applyUnfreezing(upToEpoch: number, onlyEpoch?: number): Promise<void> {
    for (const stage of this.options.progressiveUnfreezing ?? []) {
      if (onlyEpoch !== undefined ? stage.epoch === onlyEpoch : stage.epoch <= upToEpoch)
        setTrainable(this.options.model.model, stage.pattern, true);
    }
    await this.refreshVariables();
  }

  /** The tensors `options.model.apply` takes from `batch` (`options.inputs`, default the videos). */
  private modelInputs(batch: SignBatch): tf.Tensor | tf.Tensor[] {
    return this.options.inputs ? this.options.inputs(batch) : batch.videos;
  }

  /** Whether this step's model output goes through the log-probability check. */
  private logProbCheckDue(step: number): boolean {
    const setting = this.options.checkLogProbs ?? true;
    if (setting === false) return false;
    const every = setting === true ? 100 : (setting.everySteps ?? 100);
    return this.stepsThisRun === 0 || step % every === 0;
  }

  /**
   * One training step on `batch`: the loss (and its distillation terms), the gradients' health
   * and global norm, and whether it was skipped for a non-finite loss or gradients. `step` is
   * the 0-based index of the step (the logs count from 1). Every tensor it makes is freed, on
   * an error too.
   */
  private async computeStep(batch: SignBatch, step: number): Promise<StepResult> {
    const { model, labelSmoothing = 0, clipNorm, distillation } = this.options;
    const lengths = model.outputLengths(batch.inputLengths);
    const checkOutput = this.logProbCheckDue(step);
    const kept: tf.Tensor[] = [];
    let terms: tf.Tensor[] = [];
    let output: tf.Tensor3D | undefined;
    let teacher: { logProbs: tf.Tensor3D; lengths: number[] } | undefined;
    let value: tf.Scalar | undefined;
    let grads: tf.NamedTensorMap = {};
    try {
      // This step's dropout masks: from (seed, step) alone, so that a resumed run draws them too.
      setRandomStep(model.model, this.trainingState.seed, step);
      teacher = distillation?.targets.batch(batch.ids);
      // In a tidy scope, so that a model or loss that throws leaves no tensor behind.
      ({ value, grads } = tf.tidy(() =>
        variableGradsFreeingOnError(() => {
          const logProbs = model.apply(this.modelInputs(batch), true);
          if (checkOutput) output = keep(kept, logProbs);
          if (distillation !== undefined && teacher !== undefined) {
            const parts = distillationLossTerms(logProbs, teacher.logProbs, {
              studentLengths: lengths,
              teacherLengths: teacher.lengths,
              temperature: distillation.temperature,
              alpha: distillation.alpha,
              includeBlank: distillation.includeBlank,
              ctc: { targets: batch.targets, targetLengths: batch.targetLengths },
            });
            terms = [keep(kept, parts.kd), keep(kept, parts.ctc as tf.Tensor)];
            return parts.loss as tf.Scalar;
          }
          return (
            labelSmoothing > 0
              ? smoothedCtcLoss(logProbs, batch.targets, lengths, batch.targetLengths, {
                  epsilon: labelSmoothing,
                })
              : ctcLoss(logProbs, batch.targets, lengths, batch.targetLengths)
          ) as tf.Scalar;
        }, this.variables),
      ));
      if (output !== undefined) await this.checkOutput(output, lengths, step);
      return await this.applyStep(batch, step, lengths, value, grads, terms, clipNorm);
    } finally {
      value?.dispose();
      tf.dispose(grads);
      tf.dispose(kept);
      teacher?.logProbs.dispose();
    }
  }

  /**
   * Stops training (throws `LogProbError`) when the model's output on this step is not
   * log-probabilities: raw logits, unnormalised values or the wrong rank. NaN in the output is
   * left to the step's non-finite check (the step is skipped with a warning).
   */
  private async checkOutput(output: tf.Tensor3D, lengths: number[], step: number): Promise<void> {
    const report = await checkLogProbs(output, { inputLengths: lengths });
    if (report.ok || report.likelyCause === LOG_PROB_CAUSES.nonFinite) return;
    const error = new LogProbError(report);
    error.message =
      `train: step ${step + 1}: the model's output is not log-probabilities. ${error.message} ` +
      '(checkLogProbs: false in the options turns this check off.)';
    throw error;
  }

  /** The second half of a step: checks the loss and gradients, clips them and applies them. */
  private async applyStep(
    batch: SignBatch,
    step: number,
    lengths: number[],
    value: tf.Scalar,
    grads: tf.NamedTensorMap,
    terms: tf.Tensor[],
    clipNorm: number | undefined,
  ): Promise<StepResult> {
    const ordered: tf.NamedTensorMap = {};
    for (const variable of this.variables)
      if (grads[variable.name]) ordered[variable.name] = grads[variable.name];
    const loss = (await value.data())[0];
    const parts = terms.length
      ? { kdLoss: (await terms[0].data())[0], ctcLoss: (await terms[1].data())[0] }
      : {};
    await this.checkNegativeLoss(loss, step);
    const health = await gradientHealth(ordered);
    const lr = this.schedule(Math.min(step, this.totalSteps - 1));
    const skippedWith = (gradNorm: number): StepResult => ({
      loss,
      ...parts,
      gradNorm,
      lr,
      skipped: true,
      gradientHealth: health,
    });
    if (!Number.isFinite(loss) || (!health.ok && health.nonFinite.length > 0)) {
      await this.warn(
        `train: step ${step + 1} skipped: ${nonFiniteReason(loss, health.nonFinite, batch, lengths)}`,
      );
      return skippedWith(health.globalNorm);
    }
    const clipped = clipByGlobalNorm(
      ordered,
      clipNorm ?? Number.MAX_VALUE,
      Number.isFinite(health.globalNorm) ? health.globalNorm : Infinity,
    );
    try {
      if (!clipped.finite) {
        await this.warn(
          `train: step ${step + 1} skipped: the gradient norm is ${clipped.globalNorm}.`,
        );
        return skippedWith(clipped.globalNorm);
      }
      setLearningRate(this.optimizer, lr);
      this.optimizer.applyGradients(clipped.grads);
    } finally {
      tf.dispose(clipped.grads);
    }
    return {
      loss,
      ...parts,
      gradNorm: health.globalNorm,
      lr,
      skipped: false,
      gradientHealth: health,
    };
  }

  /**
   * A negative loss is impossible with log-probabilities (a CTC loss is `-log p`): it stops
   * training, or with `checkLogProbs: false` warns once.
   */
  private async checkNegativeLoss(loss: number, step: number): Promise<void> {
    if (!(loss < -NEGATIVE_LOSS_TOLERANCE)) return;
    const message = `train: step ${step + 1}: the loss is ${loss}: ${NEGATIVE_CTC_LOSS}.`;
    if (this.options.checkLogProbs !== false) throw new Error(message);
    if (this.warnedNegativeLoss) return;
    this.warnedNegativeLoss = true;
    await this.warn(message);
  }

  /** Greedy (and, with `evalBeamWidth`, beam) WER over the evaluation samples. */
  private async evaluate(epoch: number): Promise<EvaluationResult> {
    const { model, batchSize, evalBeamWidth } = this.options;
    const samples = this.options.evalSamples ?? [];
    const references: number[][] = [];
    const hypotheses: number[][] = [];
    const beamHypotheses: number[][] = [];
    for (let start = 0; start < samples.length; start += batchSize) {
      const chunk = samples.slice(start, start + batchSize);
      const batch = makeBatch(chunk);
      try {
        const logProbs = tf.tidy(() => model.apply(this.modelInputs(batch), false));
        const lengths = model.outputLengths(batch.inputLengths);
        try {
          for (const decoded of await ctcGreedyDecode(logProbs, lengths))
            hypotheses.push(decoded.tokens);
          if (evalBeamWidth !== undefined) {
            const beams = await ctcBeamSearch(logProbs, lengths, {
              beamWidth: evalBeamWidth,
              nBest: 1,
            });
            for (const best of beams) beamHypotheses.push(best[0]?.tokens ?? []);
          }
        } finally {
          logProbs.dispose();
        }
        for (const sample of chunk) references.push(sample.glossIds);
      } finally {
        disposeBatch(batch);
      }
    }
    const result: EvaluationResult = {
      epoch,
      wer: wordErrorRate(references, hypotheses).wer,
      hypotheses,
    };
    if (evalBeamWidth !== undefined) result.beamWer = wordErrorRate(references, beamHypotheses).wer;
    return result;
  }
}

/** How far below 0 a loss may round before it counts as negative (as `analyzeLossTrajectory`). */
const NEGATIVE_LOSS_TOLERANCE = 1e-3;

/**
 * `tf.variableGrads`, which on an error in `f` also frees the tensors tfjs saved for the
 * backward pass of what `f` ran before failing (tfjs leaves them on its abandoned tape).
 */
function variableGradsFreeingOnError(
  f: () => tf.Scalar,
  variables: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  try {
    return tf.variableGrads(f, variables);
  } catch (error) {
    const state = (
      tf.engine() as unknown as {
        state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null };
      }
    ).state;
    if (state.gradientDepth === 0 && state.activeTape !== null) {
      for (const node of state.activeTape) tf.dispose(node.saved ?? []);
      state.activeTape = null;
    }
    throw error;
  }
}

/** `tensor`, kept out of the enclosing tidy scopes and listed in `kept` to be freed later. */
function keep<T extends tf.Tensor>(kept: tf.Tensor[], tensor: T): T {
  kept.push(tf.keep(tensor));
  return tensor;
}

/**
 * Why a step's loss or gradients are not finite, in words: a NaN loss comes from the model's
 * output (CTC propagates NaN, as PyTorch's does); an infinite one from an input too short for
 * its target (CTC needs a frame per label, and one more between repeated labels), naming the
 * samples.
 */
function nonFiniteReason(
  loss: number,
  nonFinite: readonly string[],
  batch: SignBatch,
  lengths: readonly number[],
): string {
  if (Number.isNaN(loss))
    return (
      "the loss is NaN: the model's output holds NaN (a numerical blow-up upstream: " +
      'lower the learning rate, clip gradients, or look for log(0) or 0/0 in the model).'
    );
  if (loss === Infinity || loss === -Infinity) {
    const short = batch.glosses.flatMap((glosses, b) => {
      const needed =
        glosses.length + glosses.filter((g, i) => i > 0 && glosses[i - 1] === g).length;
      return lengths[b] < needed
        ? [
            `${batch.ids[b]} (${lengths[b]} output frames for ${glosses.length} glosses, needs ${needed})`,
          ]
        : [];
    });
    return (
      `the loss is ${loss}: an input is too short for its target ` +
      '(CTC needs an output frame per gloss, and one more between two equal glosses)' +
      (short.length ? `: ${short.join(', ')}.` : '.')
    );
  }
  return `non-finite gradients (${nonFinite.join(', ')}).`;
}

function secondsSince(clock: EpochClock): number {
  return clock.secondsBefore + (Date.now() - clock.startedAt) / 1000;
}

/**
 * The callbacks of `options`: the built-ins its shorthands install ({@link EarlyStopping} for
 * `earlyStop`, {@link AdviceWarnings} unless `advice: false`), unless `callbacks` holds one of
 * the same name, then `callbacks` in their order.
 */
function assembleCallbacks(options: TrainOptions): TrainCallback[] {
  const given = options.callbacks;
  const user: readonly TrainCallback[] =
    given === undefined ? [] : Array.isArray(given) ? given : [given as TrainCallback];
  user.forEach((callback, index) => {
    if (callback === null || typeof callback !== 'object')
      throw new ArgumentError(
        'train',
        Array.isArray(given) ? `options.callbacks[${index}]` : 'options.callbacks',
        'be a callback object (hooks such as onEpochEnd)',
        callback,
      );
  });
  const named = new Set(user.map((callback) => callback.name));
  const builtIns: TrainCallback[] = [];
  if (options.earlyStop !== undefined && !named.has('earlyStopping'))
    builtIns.push(new EarlyStopping(options.earlyStop));
  if (options.advice !== false && !named.has('advice')) builtIns.push(new AdviceWarnings());
  return [...builtIns, ...user];
}
