/** The options of {@link train} and what it returns. */
import type * as tf from '@tensorflow/tfjs';
import type {
  AugmentOptions,
  BatchSource,
  GlossVocabulary,
  SignBatch,
  SignSample,
} from '@slr/data';
import type { LayerPattern, SequenceModel } from '@slr/layers';
import type { TrainCallback } from './callbacks';
import type { EarlyStoppingOptions } from './early-stopping';
import type { OptimizerConfig } from './optimizer-config';
import type { ScheduleBase } from './schedule-config';
import type { SoftTargets } from './distill/soft-targets';
import type { EpochRecord, TrainingState } from './training-state';

/**
 * Knowledge distillation in {@link train}: each step's loss becomes
 * `α·CTC + (1 − α)·τ²·KL(teacher ‖ student)` ({@link distillationLoss}), with the teacher's
 * outputs read from cached soft targets by sample id (the teacher never runs during training).
 *
 * @example
 * ```ts
 * await train({
 *   ...trainOptions,
 *   model: student,
 *   distillation: { targets: softTargets, temperature: 2, alpha: 0.5 },
 * });
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
 * The result of one evaluation pass (passed to the callbacks' `onEvaluation`).
 *
 * @example
 * ```ts
 * const callback: TrainCallback = {
 *   onEvaluation: (result: EvaluationResult) => console.log(result.epoch, result.wer, result.beamWer),
 * };
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

/** Options of {@link train}. */
export interface TrainOptions {
  /** The model to train: outputs `[T, B, V]` log-probabilities (see `SequenceModel`). */
  model: SequenceModel;
  /**
   * What the model's `apply` takes from a batch. Default: the videos. A model with a second
   * input, such as the I3D teacher's pose stream: `(batch) => [batch.videos, batch.keypoints!]`.
   */
  inputs?: (batch: SignBatch) => tf.Tensor | tf.Tensor[];
  /**
   * Training samples, or a function giving a fresh source each epoch (then `batchesPerEpoch`
   * is required).
   */
  trainSamples: readonly SignSample[] | ((epoch: number) => BatchSource);
  /** Batches per epoch; derived from `trainSamples` when it is an array. */
  batchesPerEpoch?: number;
  /**
   * Samples to evaluate WER on (greedy, and beam with `evalBeamWidth`) every `evalEvery`
   * epochs.
   */
  evalSamples?: readonly SignSample[];
  /** When given, its size must equal the model's number of classes. */
  vocabulary?: GlossVocabulary;
  /** Epochs to train (an early stop may end sooner). */
  epochs: number;
  /** Samples per step. */
  batchSize: number;
  /** Optimizer and its peak learning rate (see `createOptimizer`). */
  optimizer: OptimizerConfig;
  /**
   * Schedule shape; `learningRate` comes from `optimizer` and `totalSteps` is
   * epochs · batchesPerEpoch.
   */
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
  /**
   * Seed of everything random in training (a safe integer): the batch order and augmentation
   * of epoch `e` (drawn from `[seed, e]`), the dropout masks of step `s` (every `Dropout` and
   * `CrossAttention` of `@slr/layers` in the model, positioned at `(seed, s)` by
   * `setRandomStep` before each step) and Xavier re-initialisation. The same seed on the same
   * backend gives the same run, bit for bit on `cpu`, and a resumed run continues every stream
   * where the checkpoint left it. Build the model with a seed too (`seed` of every `@slr` model
   * builder) for its initial weights. Default 0.
   */
  seed?: number;
  /** Shuffle the training samples each epoch (seeded by `[seed, epoch]`). Default `true`. */
  shuffle?: boolean;
  /**
   * Training augmentation of each sample (see `AugmentOptions` of `@slr/data`), drawn from
   * `[seed, epoch]` through its own stream (turning it on does not change the batch order).
   * Default: none.
   */
  augment?: AugmentOptions;
  /** Evaluate every this many epochs (and after the last). Default 1. */
  evalEvery?: number;
  /** Also decode with beam search of this width when evaluating. */
  evalBeamWidth?: number;
  /** When to stop before `epochs`. */
  earlyStop?: EarlyStoppingOptions;
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
  /**
   * Warn (through the callbacks' `onWarning`) when `adviseFromHistory` of `@slr/diagnostics`
   * finds a problem in the history so far (NaN loss, a plateau, exploding gradients, a low loss
   * with a high WER): after each epoch, at most once per issue. Default `true` (installs
   * {@link AdviceWarnings}).
   */
  advice?: boolean;
  /**
   * Check that the model outputs log-probabilities (`checkLogProbs` of `@slr/diagnostics`: every
   * value ≤ 0, each valid frame's probabilities summing to 1) on the first step of the run and
   * then every `everySteps` steps (default 100), and stop training with the diagnostic's message
   * when they are raw logits or not normalised: a CTC model fed raw logits trains to a
   * meaningless negative loss. A negative loss stops training too (impossible with
   * log-probabilities). `false` turns both off (a negative loss then only warns). Default `true`.
   */
  checkLogProbs?:
    | boolean
    | {
        /** Steps between two checks (the first step of a run is always checked). Default 100. */
        everySteps?: number;
      };
  /**
   * Callbacks (or one): hooks into every point of the loop (see {@link TrainCallback}). They
   * run after the built-in ones the options above install ({@link EarlyStopping},
   * {@link AdviceWarnings}); one with a built-in's `name` replaces it.
   */
  callbacks?: TrainCallback | readonly TrainCallback[];
}

/** What {@link train} returns. */
export interface TrainResult {
  /** One record per epoch (those before a resume included). */
  history: EpochRecord[];
  /** The final training state (as checkpointed). */
  state: TrainingState;
  /**
   * Whether training stopped before its last epoch (`earlyStop`, or a callback's
   * `stopTraining`).
   */
  stoppedEarly: boolean;
  /** Why it stopped early (the reason given to `stopTraining`). */
  stopReason?: string;
  /** The last evaluation, if any. */
  lastEvaluation?: EvaluationResult;
  /** The snapshot (a checkpoint's folder) training resumed from, if any. */
  resumedFrom?: string;
}
