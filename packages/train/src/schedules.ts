import { configError, requireInteger, requireNumber } from './errors';

/** The base curves {@link createSchedule} builds..
 *
 * @example
 * ```ts
 * const base: ScheduleBase = 'cosine';
 * ```
 */
export type ScheduleBase = 'constant' | 'cosine' | 'step' | 'cyclic';

/** Names accepted by {@link createSchedule}'s `base`..
 *
 * @example
 * ```ts
 * SCHEDULE_BASES.includes('cyclic'); // true
 * ```
 */
export const SCHEDULE_BASES: readonly ScheduleBase[] = ['constant', 'cosine', 'step', 'cyclic'];

/**
 * Linear warmup: over the first `steps` steps the rate rises from `startFactor · learningRate`
 * to `learningRate` (as PyTorch's `LinearLR` with `end_factor` 1).
 *
 * @example
 * ```ts
 * const warmup: WarmupConfig = { steps: 50, startFactor: 0.1 };
 * ```
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
 *
 * @example
 * ```ts
 * const config: ScheduleConfig = { base: 'cosine', learningRate: 1e-3, totalSteps: 2000, minLearningRate: 1e-5, warmup: { steps: 50 } };
 * ```
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
  /** `'step'`: steps between decays; `'cyclic'`: steps of each half cycle (`step_size_up`). Required for both. */
  stepSize?: number;
  /** `'cyclic'`: the upper bound `max_lr` of the cycle, >= `learningRate`. Required. */
  maxLearningRate?: number;
}

/**
 * A learning-rate schedule: the rate for a 0-based step.
 *
 * @example
 * ```ts
 * const schedule: Schedule = (step) => 1e-3;
 * ```
 */
export type Schedule = (step: number) => number;

/**
 * Checks a {@link ScheduleConfig}; throws naming the field, expected and actual values.
 *
 * @example
 * ```ts
 * validateScheduleConfig({ base: 'constant', learningRate: 1e-3, totalSteps: 10, warmup: { steps: 20 } });
 * // throws "Invalid 'warmup.steps': expected an integer <= totalSteps (10), but got 20."
 * ```
 */
export function validateScheduleConfig(config: ScheduleConfig): void {
  if (config == null || typeof config !== 'object')
    throw new Error(configError('schedule config', 'an object', config));
  if (!SCHEDULE_BASES.includes(config.base)) {
    throw new Error(
      configError('base', `one of ${SCHEDULE_BASES.map((b) => `'${b}'`).join(', ')}`, config.base),
    );
  }
  requireNumber('learningRate', config.learningRate, 0, false);
  requireInteger('totalSteps', config.totalSteps, 1);
  if (config.warmup !== undefined) {
    requireInteger('warmup.steps', config.warmup.steps, 0);
    if (config.warmup.steps > config.totalSteps) {
      throw new Error(
        configError(
          'warmup.steps',
          `an integer <= totalSteps (${config.totalSteps})`,
          config.warmup.steps,
        ),
      );
    }
    if (config.warmup.startFactor !== undefined)
      requireNumber('warmup.startFactor', config.warmup.startFactor, 0, true, 1, true);
  }
  if (config.base === 'cosine' && config.minLearningRate !== undefined) {
    requireNumber('minLearningRate', config.minLearningRate, 0, true);
    if (config.minLearningRate > config.learningRate) {
      throw new Error(
        configError(
          'minLearningRate',
          `a number <= learningRate (${config.learningRate})`,
          config.minLearningRate,
        ),
      );
    }
  }
  if (config.base === 'step') {
    requireInteger('stepSize', config.stepSize, 1);
    if (config.gamma !== undefined) requireNumber('gamma', config.gamma, 0, false, 1, true);
  }
  if (config.base === 'cyclic') {
    requireInteger('stepSize', config.stepSize, 1);
    requireNumber('maxLearningRate', config.maxLearningRate, 0, false);
    if ((config.maxLearningRate as number) < config.learningRate) {
      throw new Error(
        configError(
          'maxLearningRate',
          `a number >= learningRate (${config.learningRate})`,
          config.maxLearningRate,
        ),
      );
    }
  }
}

/**
 * Builds a learning-rate schedule: linear warmup, then a constant rate, cosine annealing to
 * `minLearningRate` (PyTorch's `CosineAnnealingLR` closed form with `T_max` the post-warmup
 * steps; the rate stays at the minimum past the end), step decay (`lr · gamma^⌊t/stepSize⌋`, as
 * `StepLR`) or a triangular cycle between `learningRate` and `maxLearningRate` (as
 * `CyclicLR(mode='triangular')`). Throws on a bad configuration, e.g. warmup longer than training.
 *
 * @example
 * ```ts
 * const schedule = createSchedule({ base: 'cosine', learningRate: 1e-3, totalSteps: 100, warmup: { steps: 10 } });
 * schedule(0);   // 0
 * schedule(10);  // 0.001
 * schedule(100); // 0
 * ```
 */
export function createSchedule(config: ScheduleConfig): Schedule {
  validateScheduleConfig(config);
  const lr = config.learningRate;
  const warmupSteps = config.warmup?.steps ?? 0;
  const startFactor = config.warmup?.startFactor ?? 0;
  const span = config.totalSteps - warmupSteps;
  const minLr = config.minLearningRate ?? 0;
  const gamma = config.gamma ?? 0.1;
  const stepSize = config.stepSize ?? 1;
  const maxLr = config.maxLearningRate ?? lr;

  const base = (t: number): number => {
    switch (config.base) {
      case 'constant':
        return lr;
      case 'cosine':
        if (span === 0) return lr;
        return minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(t, span)) / span))) / 2;
      case 'step':
        return lr * gamma ** Math.floor(t / stepSize);
      case 'cyclic': {
        const cycle = Math.floor(1 + t / (2 * stepSize));
        const x = Math.abs(t / stepSize - 2 * cycle + 1);
        return lr + (maxLr - lr) * Math.max(0, 1 - x);
      }
    }
  };

  return (step: number): number => {
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
      throw new Error(configError('step', 'an integer >= 0', step));
    if (step < warmupSteps) return lr * (startFactor + ((1 - startFactor) * step) / warmupSteps);
    return base(step - warmupSteps);
  };
}
