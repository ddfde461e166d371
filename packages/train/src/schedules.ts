import { checkInteger } from '@slr/core';
import type { Schedule, ScheduleConfig } from './schedule-config';
import { checkScheduleConfig } from './schedule-checks';

/**
 * Checks a {@link ScheduleConfig} without building the schedule; throws an `ArgumentError`
 * naming the field, what it must be and what it was.
 *
 * @example
 * ```ts
 * validateScheduleConfig({
 *   base: 'constant',
 *   learningRate: 1e-3,
 *   totalSteps: 10,
 *   warmup: { steps: 20 },
 * });
 * // ArgumentError: Argument 'config.warmup.steps' passed to 'validateScheduleConfig' must be
 * // an integer <= config.totalSteps (10), but got 20.
 * ```
 */
export function validateScheduleConfig(config: ScheduleConfig): void {
  checkScheduleConfig('validateScheduleConfig', 'config', (field) => `config.${field}`, config);
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
 * const schedule = createSchedule({
 *   base: 'cosine',
 *   learningRate: 1e-3,
 *   totalSteps: 100,
 *   warmup: { steps: 10 },
 * });
 * schedule(0);   // 0
 * schedule(10);  // 0.001
 * schedule(100); // 0
 * ```
 */
export function createSchedule(config: ScheduleConfig): Schedule {
  checkScheduleConfig('createSchedule', 'config', (field) => `config.${field}`, config);
  const learningRate = config.learningRate;
  const warmupSteps = config.warmup?.steps ?? 0;
  const startFactor = config.warmup?.startFactor ?? 0;
  const baseSteps = config.totalSteps - warmupSteps;
  const minLearningRate = config.minLearningRate ?? 0;
  const gamma = config.gamma ?? 0.1;
  const stepSize = config.stepSize ?? 1;
  const maxLearningRate = config.maxLearningRate ?? learningRate;

  const base = (t: number): number => {
    switch (config.base) {
      case 'constant':
        return learningRate;
      case 'cosine':
        if (baseSteps === 0) return learningRate;
        return (
          minLearningRate +
          ((learningRate - minLearningRate) *
            (1 + Math.cos((Math.PI * Math.min(t, baseSteps)) / baseSteps))) /
            2
        );
      case 'step':
        return learningRate * gamma ** Math.floor(t / stepSize);
      case 'cyclic': {
        const cycle = Math.floor(1 + t / (2 * stepSize));
        const x = Math.abs(t / stepSize - 2 * cycle + 1);
        return learningRate + (maxLearningRate - learningRate) * Math.max(0, 1 - x);
      }
    }
  };

  return (step: number): number => {
    checkInteger('schedule', 'step', step, { min: 0 });
    if (step < warmupSteps)
      return learningRate * (startFactor + ((1 - startFactor) * step) / warmupSteps);
    return base(step - warmupSteps);
  };
}
