/**
 * The callbacks of {@link train}, in the style of Keras `fit`: objects with hooks the trainer
 * calls at each point of its loop, each given the logs of that point and the trainer (its
 * model, optimizer and state; `trainer.stopTraining(reason)` ends training early).
 */
import type * as tf from '@tensorflow/tfjs';
import type { GradientHealthReport } from '@slr/diagnostics';
import type { EpochRecord, TrainingState } from './training-state';
import type { Trainer } from './trainer';
import type { EvaluationResult, TrainResult } from './train-options';

/**
 * What `onTrainBegin` receives: the run's size and where it starts (after a resume, the epoch
 * and step of the snapshot).
 */
export interface TrainBeginLogs {
  /** Epochs of the whole run (an early stop may end it sooner). */
  epochs: number;
  /** Batches in one epoch. */
  batchesPerEpoch: number;
  /** Steps of the whole run. */
  totalSteps: number;
  /** Epochs already completed (0 unless resumed). */
  epoch: number;
  /** Steps already taken (0 unless resumed). */
  step: number;
  /** The snapshot training resumed from (`TrainingSnapshot.source`), if any. */
  resumedFrom?: string;
}

/** What `onEpochBegin` receives. */
export interface EpochBeginLogs {
  /** The epoch that begins (1-based, as `EpochRecord.epoch`). */
  epoch: number;
  /** Steps taken before it. */
  step: number;
  /** Batches of it already consumed (more than 0 only when resuming mid-epoch). */
  batchInEpoch: number;
}

/**
 * What `onBatchEnd` receives after each training step.
 *
 * @example
 * ```ts
 * const callback: TrainCallback = {
 *   onBatchEnd: (logs: BatchLogs) => {
 *     if (logs.skipped) console.log(`step ${logs.step} skipped, gradient norm ${logs.gradNorm}`);
 *   },
 * };
 * ```
 */
export interface BatchLogs {
  /** The epoch the batch belongs to (1-based). */
  epoch: number;
  /** Batches of the epoch done, this one included (1-based). */
  batch: number;
  /** Optimizer steps taken, this one included (skipped steps count). */
  step: number;
  /** The batch's loss (not finite when the step was skipped for it). */
  loss: number;
  /** The global gradient norm, before clipping. */
  gradNorm: number;
  /** The learning rate of the step. */
  lr: number;
  /** Whether the step was skipped because its loss or gradients were not finite. */
  skipped: boolean;
  /** With distillation: the τ²·KL term of the batch. */
  kdLoss?: number;
  /** With distillation: the CTC term of the batch. */
  ctcLoss?: number;
  /** The health of the step's gradients (`gradientHealth` of `@slr/diagnostics`). */
  gradientHealth: GradientHealthReport;
}

/**
 * A saved run to resume from, as a callback's `restore` gives it: the weights, the optimizer's
 * weights and the training state. The trainer disposes the tensors once it has copied them.
 *
 * @example
 * ```ts
 * // A copy of the run after its 5th epoch, kept in memory…
 * let snapshot: TrainingSnapshot | undefined;
 * const keepEpochFive: TrainCallback = {
 *   onEpochEnd: async (record, trainer) => {
 *     if (record.epoch !== 5) return;
 *     const optimizerWeights = await trainer.optimizer.getWeights();
 *     snapshot = {
 *       source: 'epoch 5',
 *       weights: trainer.model.model.getWeights().map((weight) => weight.clone()),
 *       optimizerWeights: optimizerWeights.map(({ name, tensor }) => ({ name, tensor: tensor.clone() })),
 *       state: structuredClone(trainer.state),
 *     };
 *   },
 * };
 * await train({ ...trainOptions, callbacks: [keepEpochFive] });
 * // …and a run that starts from it (the trainer disposes the snapshot's tensors).
 * await train({ ...trainOptions, callbacks: [{ restore: () => snapshot }] });
 * ```
 */
export interface TrainingSnapshot {
  /** Where the snapshot came from (a checkpoint's folder); the result's `resumedFrom`. */
  source: string;
  /** The model's weights, in `model.getWeights()` order. */
  weights: tf.Tensor[];
  /** The optimizer's weights, in `optimizer.getWeights()` order. */
  optimizerWeights: {
    /** The weight's name. */
    name: string;
    /** Its value. */
    tensor: tf.Tensor;
  }[];
  /** The training state to continue from. */
  state: TrainingState;
}

/**
 * A training callback: any of these hooks, each called with the logs of its point of the loop
 * and the {@link Trainer}; a hook may be async (the trainer waits for it). Hooks run in the
 * order of the callback list. Any hook may end training with `trainer.stopTraining(reason)`: a
 * stop requested during an epoch ends that epoch after the current batch.
 *
 * Order in one epoch: `onEpochBegin`, then per batch `onBatchEnd`, then (every `evalEvery`
 * epochs) `onEvaluation`, then `onEpochEnd`. `restore` runs once before anything else,
 * `onTrainBegin` after the model is initialised (or restored), `onTrainEnd` last.
 *
 * A callback whose `name` is that of a built-in callback (`'earlyStopping'`, `'advice'`, and in
 * `@slr/train/node` `'history'`, `'progress'`, `'checkpoints'`) replaces the one its shorthand
 * option would install.
 *
 * @example
 * ```ts
 * const stopOnTarget: TrainCallback = {
 *   name: 'stop-on-target',
 *   onEpochEnd: (record, trainer) => {
 *     if (record.loss < 0.05) trainer.stopTraining(`loss ${record.loss} below 0.05`);
 *   },
 * };
 * await train({ ...trainOptions, callbacks: [stopOnTarget] });
 * ```
 */
export interface TrainCallback {
  /** A name; a built-in's name replaces that built-in (see above). */
  readonly name?: string;
  /**
   * Before training begins: a snapshot to resume from, or `undefined`. The first callback that
   * gives one wins; the model is then not re-initialised.
   */
  restore?(trainer: Trainer): TrainingSnapshot | undefined | Promise<TrainingSnapshot | undefined>;
  /** Once, after the model is initialised or restored and before the first epoch. */
  onTrainBegin?(logs: TrainBeginLogs, trainer: Trainer): void | Promise<void>;
  /** At the start of each epoch. */
  onEpochBegin?(logs: EpochBeginLogs, trainer: Trainer): void | Promise<void>;
  /** After each training step. */
  onBatchEnd?(logs: BatchLogs, trainer: Trainer): void | Promise<void>;
  /** After each evaluation (before the epoch's `onEpochEnd`, whose record holds its WER). */
  onEvaluation?(result: EvaluationResult, trainer: Trainer): void | Promise<void>;
  /** After each epoch, with its record (also in `trainer.state.history`). */
  onEpochEnd?(record: EpochRecord, trainer: Trainer): void | Promise<void>;
  /** Once, when training ends (all epochs, or a stop), with what {@link train} returns. */
  onTrainEnd?(result: TrainResult, trainer: Trainer): void | Promise<void>;
  /**
   * Each warning (skipped steps, frozen weights, advice). When no callback has this hook,
   * warnings go to `console.warn`.
   */
  onWarning?(message: string, trainer: Trainer): void | Promise<void>;
}
