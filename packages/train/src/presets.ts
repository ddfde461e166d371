import { ArgumentError, checkInteger, checkNumber, checkOneOf } from '@slr/core';
import { OPTIMIZER_NAMES, type OptimizerName } from './optimizer-config';
import { checkAdamWeightDecay } from './optimizer-checks';

/**
 * A training configuration, as the presets give it. Epoch-based: a trainer turns `epochs` and
 * `warmupEpochs` into `totalSteps` and `warmup.steps` of {@link createSchedule}.
 */
export interface TrainingConfig {
  /**
   * Number of training samples (per class) the configuration is meant for; undefined when not
   * specified.
   */
  samples?: number;
  /** Number of training epochs, an integer >= 1. */
  epochs: number;
  /** Peak learning rate, > 0. */
  learningRate: number;
  /** Linear-warmup length in epochs, an integer in [0, epochs]. */
  warmupEpochs: number;
  /** Dropout rate, in [0, 1). */
  dropout: number;
  /** Optimizer name. */
  optimizer: OptimizerName;
  /** Weight decay (decoupled for `'adamw'`, L2 for `'sgd'`, 0 for `'adam'`), >= 0. */
  weightDecay: number;
  /** Maximum global gradient norm for {@link clipByGlobalNorm}, > 0. */
  clipNorm: number;
}

/** Names of the built-in presets. */
export type PresetName = 'conservative' | 'aggressive' | 'very-conservative';

/**
 * The three built-in training configurations, those of the overfit study the project began
 * with: `conservative` (5 samples, 2000 epochs, lr 1e-3, 50 warmup epochs, dropout 0.1, Adam,
 * clip 1.0), `aggressive` (3000 epochs, lr 2e-3, 100 warmup epochs, dropout 0.05, AdamW with
 * weight decay 0.01, clip 0.5; no sample count given) and `very-conservative` (3 samples, 4000
 * epochs, lr 5e-4, 200 warmup epochs, no dropout, Adam, clip 1.0).
 */
export const PRESETS: Readonly<Record<PresetName, Readonly<TrainingConfig>>> = Object.freeze({
  conservative: Object.freeze({
    samples: 5,
    epochs: 2000,
    learningRate: 0.001,
    warmupEpochs: 50,
    dropout: 0.1,
    optimizer: 'adam',
    weightDecay: 0,
    clipNorm: 1.0,
  }),
  aggressive: Object.freeze({
    epochs: 3000,
    learningRate: 0.002,
    warmupEpochs: 100,
    dropout: 0.05,
    optimizer: 'adamw',
    weightDecay: 0.01,
    clipNorm: 0.5,
  }),
  'very-conservative': Object.freeze({
    samples: 3,
    epochs: 4000,
    learningRate: 0.0005,
    warmupEpochs: 200,
    dropout: 0,
    optimizer: 'adam',
    weightDecay: 0,
    clipNorm: 1.0,
  }),
});

/** Names accepted by {@link preset}. */
export const PRESET_NAMES: readonly PresetName[] = [
  'conservative',
  'aggressive',
  'very-conservative',
];

/**
 * A mutable copy of a built-in preset.
 *
 * @example
 * ```ts
 * const config = preset('very-conservative');
 * config.epochs; // 4000
 * PRESET_NAMES.map((name) => preset(name).epochs); // [2000, 3000, 4000]
 * ```
 */
export function preset(name: PresetName): TrainingConfig {
  checkOneOf('preset', 'name', name, PRESET_NAMES);
  return { ...PRESETS[name] };
}

/**
 * Checks a {@link TrainingConfig}; throws naming the field, the expected and the actual value
 * (unknown optimizer, non-positive learning rate, warmup longer than training, ...).
 *
 * @example
 * ```ts
 * validateTrainingConfig({ ...preset('conservative'), warmupEpochs: 3000 });
 * // ArgumentError: Argument 'config.warmupEpochs' passed to 'validateTrainingConfig' must be
 * // an integer <= config.epochs (2000), but got 3000.
 * ```
 */
export function validateTrainingConfig(config: TrainingConfig): void {
  const fn = 'validateTrainingConfig';
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ArgumentError(fn, 'config', 'be an object', config);
  checkOneOf(fn, 'config.optimizer', config.optimizer, OPTIMIZER_NAMES);
  if (config.samples !== undefined) checkInteger(fn, 'config.samples', config.samples, { min: 1 });
  checkInteger(fn, 'config.epochs', config.epochs, { min: 1 });
  checkNumber(fn, 'config.learningRate', config.learningRate, { min: 0, minExclusive: true });
  checkInteger(fn, 'config.warmupEpochs', config.warmupEpochs, { min: 0 });
  if (config.warmupEpochs > config.epochs) {
    throw new ArgumentError(
      fn,
      'config.warmupEpochs',
      `be an integer <= config.epochs (${config.epochs})`,
      config.warmupEpochs,
    );
  }
  checkNumber(fn, 'config.dropout', config.dropout, { min: 0, max: 1, maxExclusive: true });
  checkNumber(fn, 'config.weightDecay', config.weightDecay, { min: 0 });
  checkNumber(fn, 'config.clipNorm', config.clipNorm, { min: 0, minExclusive: true });
  checkAdamWeightDecay(fn, 'config.weightDecay', config.optimizer, config.weightDecay);
}
