/** The configuration {@link createSchedule} takes. */

/** The base curves {@link createSchedule} builds. */
export type ScheduleBase = 'constant' | 'cosine' | 'step' | 'cyclic';

/** Names accepted by {@link createSchedule}'s `base`. */
export const SCHEDULE_BASES: readonly ScheduleBase[] = ['constant', 'cosine', 'step', 'cyclic'];

/**
 * Linear warmup: over the first `steps` steps the rate rises from `startFactor · learningRate`
 * to `learningRate` (as PyTorch's `LinearLR` with `end_factor` 1).
 */
export interface WarmupConfig {
  /** Number of warmup steps, an integer >= 0 and <= `totalSteps`. */
  steps: number;
  /** Factor of the rate at step 0, in [0, 1]. Default 0. */
  startFactor?: number;
}

/**
 * Configuration of {@link createSchedule}. After warmup the base curve runs over the remaining
 * `totalSteps − warmup.steps` steps, its own step counter starting at 0.
 */
export interface ScheduleConfig {
  /** The curve after warmup. */
  base: ScheduleBase;
  /** Peak (warmup target) rate; for `'cyclic'`, the lower bound `base_lr` of the cycle. */
  learningRate: number;
  /** Number of training steps, an integer >= 1. */
  totalSteps: number;
  /** Optional linear warmup. */
  warmup?: WarmupConfig;
  /** `'cosine'`: the final rate (PyTorch's `eta_min`). Default 0. */
  minLearningRate?: number;
  /** `'step'`: the decay factor per `stepSize` steps. Default 0.1. */
  gamma?: number;
  /**
   * `'step'`: steps between decays; `'cyclic'`: steps of each half cycle (`step_size_up`).
   * Required for both.
   */
  stepSize?: number;
  /** `'cyclic'`: the upper bound `max_lr` of the cycle, >= `learningRate`. Required. */
  maxLearningRate?: number;
}

/** A learning-rate schedule: the rate for a 0-based step. */
export type Schedule = (step: number) => number;
