/** The checks of an {@link OptimizerConfig}, for every function that takes one. */
import { ArgumentError, checkBoolean, checkNumber, checkOneOf } from '@slr/core';
import { OPTIMIZER_NAMES, type OptimizerConfig, type OptimizerName } from './optimizer-config';

/**
 * Checks an {@link OptimizerConfig} passed to `fn` as `argument` (a dotted path, such as
 * `'options.optimizer'`); throws an `ArgumentError` naming the field.
 */
export function checkOptimizerConfig(fn: string, argument: string, config: OptimizerConfig): void {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ArgumentError(fn, argument, 'be an object', config);
  const field = (name: string): string => `${argument}.${name}`;
  const fraction = { min: 0, max: 1, maxExclusive: true };
  const positive = { min: 0, minExclusive: true };
  checkOneOf(fn, field('name'), config.name, OPTIMIZER_NAMES);
  checkNumber(fn, field('learningRate'), config.learningRate, positive);
  if (config.beta1 !== undefined) checkNumber(fn, field('beta1'), config.beta1, fraction);
  if (config.beta2 !== undefined) checkNumber(fn, field('beta2'), config.beta2, fraction);
  if (config.epsilon !== undefined) checkNumber(fn, field('epsilon'), config.epsilon, positive);
  if (config.weightDecay !== undefined)
    checkNumber(fn, field('weightDecay'), config.weightDecay, { min: 0 });
  if (config.momentum !== undefined) checkNumber(fn, field('momentum'), config.momentum, fraction);
  if (config.nesterov !== undefined) checkBoolean(fn, field('nesterov'), config.nesterov);
  checkAdamWeightDecay(fn, field('weightDecay'), config.name, config.weightDecay);
  if (config.name === 'sgd' && config.nesterov === true && (config.momentum ?? 0) === 0) {
    throw new ArgumentError(
      fn,
      field('momentum'),
      `be > 0 when ${field('nesterov')} is true`,
      config.momentum ?? 0,
    );
  }
}

/** Refuses a weight decay with `'adam'`, which has none (`'adamw'` decays, decoupled). */
export function checkAdamWeightDecay(
  fn: string,
  argument: string,
  optimizer: OptimizerName,
  weightDecay: number | undefined,
): void {
  if (optimizer === 'adam' && (weightDecay ?? 0) !== 0) {
    throw new ArgumentError(
      fn,
      argument,
      "be 0 for 'adam' (use 'adamw' for decoupled weight decay)",
      weightDecay,
    );
  }
}

/**
 * `config` with the defaults of its optimizer filled in (PyTorch's: β 0.9 and 0.999, ε 1e-8,
 * no weight decay, no momentum) and only the fields that optimizer reads, so that two
 * configurations of the same optimizer compare equal exactly when they build the same one.
 */
export function resolveOptimizerConfig(config: OptimizerConfig): OptimizerConfig {
  const { name, learningRate, weightDecay = 0 } = config;
  if (name === 'sgd')
    return {
      name,
      learningRate,
      momentum: config.momentum ?? 0,
      nesterov: config.nesterov ?? false,
      weightDecay,
    };
  return {
    name,
    learningRate,
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.999,
    epsilon: config.epsilon ?? 1e-8,
    weightDecay,
  };
}
