/** The checks of a {@link ScheduleConfig}, for every function that takes one. */
import { ArgumentError, checkInteger, checkNumber, checkOneOf } from '@slr/core';
import { SCHEDULE_BASES, type ScheduleConfig } from './schedule-config';

/** The fields of a {@link ScheduleConfig} an error can name. */
export type ScheduleField = keyof ScheduleConfig | 'warmup.steps' | 'warmup.startFactor';

/**
 * Checks a {@link ScheduleConfig} passed to `fn` as `argument`; `argumentOf` gives the name the
 * caller knows each field by (`'config.warmup.steps'` for `createSchedule`,
 * `'options.schedule.warmupSteps'` for `train`). Throws an `ArgumentError` naming the field.
 */
export function checkScheduleConfig(
  fn: string,
  argument: string,
  argumentOf: (field: ScheduleField) => string,
  config: ScheduleConfig,
): void {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ArgumentError(fn, argument, 'be an object', config);
  checkOneOf(fn, argumentOf('base'), config.base, SCHEDULE_BASES);
  const learningRate = checkNumber(fn, argumentOf('learningRate'), config.learningRate, {
    min: 0,
    minExclusive: true,
  });
  const totalSteps = checkInteger(fn, argumentOf('totalSteps'), config.totalSteps, { min: 1 });
  if (config.warmup !== undefined) {
    checkInteger(fn, argumentOf('warmup.steps'), config.warmup.steps, { min: 0 });
    if (config.warmup.steps > totalSteps) {
      throw new ArgumentError(
        fn,
        argumentOf('warmup.steps'),
        `be an integer <= ${argumentOf('totalSteps')} (${totalSteps})`,
        config.warmup.steps,
      );
    }
    if (config.warmup.startFactor !== undefined)
      checkNumber(fn, argumentOf('warmup.startFactor'), config.warmup.startFactor, {
        min: 0,
        max: 1,
      });
  }
  if (config.base === 'cosine' && config.minLearningRate !== undefined) {
    checkNumber(fn, argumentOf('minLearningRate'), config.minLearningRate, { min: 0 });
    if (config.minLearningRate > learningRate) {
      throw new ArgumentError(
        fn,
        argumentOf('minLearningRate'),
        `be a number <= ${argumentOf('learningRate')} (${learningRate})`,
        config.minLearningRate,
      );
    }
  }
  if (config.base === 'step') {
    checkInteger(fn, argumentOf('stepSize'), config.stepSize, { min: 1 });
    if (config.gamma !== undefined)
      checkNumber(fn, argumentOf('gamma'), config.gamma, { min: 0, minExclusive: true, max: 1 });
  }
  if (config.base === 'cyclic') {
    checkInteger(fn, argumentOf('stepSize'), config.stepSize, { min: 1 });
    const maxLearningRate = checkNumber(fn, argumentOf('maxLearningRate'), config.maxLearningRate, {
      min: 0,
      minExclusive: true,
    });
    if (maxLearningRate < learningRate) {
      throw new ArgumentError(
        fn,
        argumentOf('maxLearningRate'),
        `be a number >= ${argumentOf('learningRate')} (${learningRate})`,
        maxLearningRate,
      );
    }
  }
}
