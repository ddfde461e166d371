import { describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES, preset, validateTrainingConfig, type PresetName } from './presets';
import { createOptimizer } from './optimizers';
import { createSchedule } from './schedules';

describe('presets', () => {
  it('are exactly the three recipes of the motivating overfit study', () => {
    expect(preset('conservative')).toEqual({
      samples: 5,
      epochs: 2000,
      learningRate: 0.001,
      warmupEpochs: 50,
      dropout: 0.1,
      optimizer: 'adam',
      weightDecay: 0,
      clipNorm: 1.0,
    });
    expect(preset('aggressive')).toEqual({
      epochs: 3000,
      learningRate: 0.002,
      warmupEpochs: 100,
      dropout: 0.05,
      optimizer: 'adamw',
      weightDecay: 0.01,
      clipNorm: 0.5,
    });
    expect(preset('very-conservative')).toEqual({
      samples: 3,
      epochs: 4000,
      learningRate: 0.0005,
      warmupEpochs: 200,
      dropout: 0,
      optimizer: 'adam',
      weightDecay: 0,
      clipNorm: 1.0,
    });
  });

  it('returns copies; the table is frozen', () => {
    const copy = preset('conservative');
    copy.epochs = 1;
    expect(PRESETS.conservative.epochs).toBe(2000);
    expect(Object.isFrozen(PRESETS.conservative)).toBe(true);
    expect(() => preset('wild' as PresetName)).toThrow(
      /Argument 'name' passed to 'preset' must be one of 'conservative', 'aggressive', 'very-conservative', but got 'wild'\./,
    );
  });

  it.each(PRESET_NAMES)('%s validates and builds an optimizer and schedule', (name) => {
    const config = preset(name);
    expect(() => validateTrainingConfig(config)).not.toThrow();
    const opt = createOptimizer({
      name: config.optimizer,
      learningRate: config.learningRate,
      weightDecay: config.weightDecay,
    });
    const schedule = createSchedule({
      base: 'constant',
      learningRate: config.learningRate,
      totalSteps: config.epochs,
      warmup: { steps: config.warmupEpochs },
    });
    expect(schedule(config.warmupEpochs)).toBe(config.learningRate);
    opt.dispose();
  });

  it.each<[Record<string, unknown>, RegExp]>([
    [
      { optimizer: 'lamb' },
      /Argument 'config.optimizer' passed to 'validateTrainingConfig' must be one of 'adam', 'adamw', 'sgd', but got 'lamb'\./,
    ],
    [
      { learningRate: -0.001 },
      /Argument 'config.learningRate' passed to 'validateTrainingConfig' must be a finite number > 0, but got -0.001\./,
    ],
    [
      { warmupEpochs: 2001 },
      /Argument 'config.warmupEpochs' passed to 'validateTrainingConfig' must be an integer <= config.epochs \(2000\), but got 2001\./,
    ],
    [
      { epochs: 0 },
      /Argument 'config.epochs' passed to 'validateTrainingConfig' must be an integer >= 1, but got 0\./,
    ],
    [
      { dropout: 1 },
      /Argument 'config.dropout' passed to 'validateTrainingConfig' must be a finite number in \[0, 1\), but got 1\./,
    ],
    [
      { clipNorm: 0 },
      /Argument 'config.clipNorm' passed to 'validateTrainingConfig' must be a finite number > 0, but got 0\./,
    ],
    [
      { weightDecay: -1 },
      /Argument 'config.weightDecay' passed to 'validateTrainingConfig' must be a finite number >= 0, but got -1\./,
    ],
    [
      { weightDecay: 0.01 },
      /Argument 'config.weightDecay' passed to 'validateTrainingConfig' must be 0 for 'adam'/,
    ],
    [
      { samples: 0 },
      /Argument 'config.samples' passed to 'validateTrainingConfig' must be an integer >= 1, but got 0\./,
    ],
  ])('validateTrainingConfig rejects %o', (override, message) => {
    expect(() =>
      validateTrainingConfig({
        ...preset('conservative'),
        ...override,
      }),
    ).toThrow(message);
  });
});
