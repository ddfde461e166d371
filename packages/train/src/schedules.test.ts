import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from './schedule-config';
import { createSchedule } from './schedules';

function expectTable(config: ScheduleConfig, table: [number, number][]): void {
  const schedule = createSchedule(config);
  for (const [step, expected] of table)
    expect(schedule(step), `step ${step}`).toBeCloseTo(expected, 12);
}

describe('createSchedule', () => {
  it('constant with warmup from 0 (LinearLR start_factor 0)', () => {
    expectTable({ base: 'constant', learningRate: 0.001, totalSteps: 10, warmup: { steps: 4 } }, [
      [0, 0],
      [1, 0.00025],
      [2, 0.0005],
      [3, 0.00075],
      [4, 0.001],
      [9, 0.001],
      [20, 0.001],
    ]);
  });

  it('warmup from startFactor', () => {
    expectTable(
      {
        base: 'constant',
        learningRate: 0.002,
        totalSteps: 10,
        warmup: { steps: 5, startFactor: 0.1 },
      },
      [
        [0, 0.0002],
        [1, 0.002 * (0.1 + 0.9 / 5)],
        [4, 0.002 * (0.1 + (0.9 * 4) / 5)],
        [5, 0.002],
      ],
    );
  });

  it('cosine annealing to minLearningRate (CosineAnnealingLR closed form, T_max = 8)', () => {
    // eta_t = eta_min + (eta_max − eta_min)(1 + cos(π t / T_max)) / 2 with t = step − 2.
    expectTable(
      {
        base: 'cosine',
        learningRate: 0.1,
        minLearningRate: 0.01,
        totalSteps: 10,
        warmup: { steps: 2 },
      },
      [
        [0, 0],
        [1, 0.05],
        [2, 0.1],
        [3, 0.01 + (0.09 * (1 + Math.cos(Math.PI / 8))) / 2], // 0.0965587...
        [4, 0.01 + (0.09 * (1 + Math.SQRT1_2)) / 2], // 0.0868198...
        [6, 0.055],
        [8, 0.01 + (0.09 * (1 - Math.SQRT1_2)) / 2], // 0.0231802...
        [10, 0.01],
        [15, 0.01],
      ],
    );
    expect(
      createSchedule({
        base: 'cosine',
        learningRate: 0.1,
        minLearningRate: 0.01,
        totalSteps: 10,
        warmup: { steps: 2 },
      })(4),
    ).toBeCloseTo(0.08681980515339464, 15);
  });

  it('cosine without warmup starts at the peak and defaults eta_min to 0', () => {
    expectTable({ base: 'cosine', learningRate: 1, totalSteps: 4 }, [
      [0, 1],
      [1, 0.8535533905932737],
      [2, 0.5],
      [3, 0.14644660940672627],
      [4, 0],
    ]);
  });

  it('step decay (StepLR gamma 0.5 every 3 steps, after 1 warmup step)', () => {
    expectTable(
      {
        base: 'step',
        learningRate: 0.08,
        gamma: 0.5,
        stepSize: 3,
        totalSteps: 12,
        warmup: { steps: 1 },
      },
      [
        [0, 0],
        [1, 0.08],
        [3, 0.08],
        [4, 0.04],
        [6, 0.04],
        [7, 0.02],
        [10, 0.01],
      ],
    );
  });

  it('step decay defaults gamma to 0.1', () => {
    expectTable({ base: 'step', learningRate: 1, stepSize: 2, totalSteps: 10 }, [
      [1, 1],
      [2, 0.1],
      [5, 0.01],
    ]);
  });

  it('cyclic triangular (CyclicLR base_lr 0.001, max_lr 0.006, step_size_up 4)', () => {
    // cycle = ⌊1 + t/8⌋, x = |t/4 − 2·cycle + 1|, lr = base + (max − base)·max(0, 1 − x)
    expectTable(
      { base: 'cyclic', learningRate: 0.001, maxLearningRate: 0.006, stepSize: 4, totalSteps: 20 },
      [
        [0, 0.001],
        [1, 0.00225],
        [2, 0.0035],
        [3, 0.00475],
        [4, 0.006],
        [5, 0.00475],
        [7, 0.00225],
        [8, 0.001],
        [10, 0.0035],
        [12, 0.006],
        [16, 0.001],
      ],
    );
  });

  it('cyclic after warmup starts its cycle at the end of warmup', () => {
    expectTable(
      {
        base: 'cyclic',
        learningRate: 0.001,
        maxLearningRate: 0.003,
        stepSize: 2,
        totalSteps: 20,
        warmup: { steps: 2 },
      },
      [
        [0, 0],
        [1, 0.0005],
        [2, 0.001],
        [3, 0.002],
        [4, 0.003],
        [6, 0.001],
      ],
    );
  });

  test.prop([
    fc.integer({ min: 1, max: 500 }),
    fc.integer({ min: 0, max: 500 }),
    fc.double({ min: 1e-6, max: 1, noNaN: true }),
  ])(
    'warmup is monotone and reaches the rate; cosine stays within [min, lr]',
    (total, warm, lr) => {
      const warmupSteps = Math.min(warm, total);
      const schedule = createSchedule({
        base: 'cosine',
        learningRate: lr,
        minLearningRate: lr / 10,
        totalSteps: total,
        warmup: { steps: warmupSteps },
      });
      let previous = -1;
      for (let s = 0; s <= warmupSteps; s++) {
        const value = schedule(s);
        expect(value).toBeGreaterThanOrEqual(previous);
        previous = value;
      }
      for (let s = warmupSteps; s <= total; s++) {
        expect(schedule(s)).toBeLessThanOrEqual(lr * (1 + 1e-12));
        expect(schedule(s)).toBeGreaterThanOrEqual((lr / 10) * (1 - 1e-12));
      }
    },
  );

  it.each<[Record<string, unknown>, RegExp]>([
    [
      { warmup: { steps: 11 } },
      /Argument 'config.warmup.steps' passed to 'createSchedule' must be an integer <= config.totalSteps \(10\), but got 11\./,
    ],
    [
      { warmup: { steps: -1 } },
      /Argument 'config.warmup.steps' passed to 'createSchedule' must be an integer >= 0, but got -1\./,
    ],
    [{ warmup: { steps: 2, startFactor: 1.5 } }, /'config.warmup.startFactor'.*got 1.5/],
    [
      { base: 'linear' },
      /Argument 'config.base' passed to 'createSchedule' must be one of 'constant', 'cosine', 'step', 'cyclic', but got 'linear'\./,
    ],
    [
      { learningRate: -1 },
      /Argument 'config.learningRate' passed to 'createSchedule' must be a finite number > 0, but got -1\./,
    ],
    [
      { totalSteps: 0 },
      /Argument 'config.totalSteps' passed to 'createSchedule' must be an integer >= 1, but got 0\./,
    ],
    [
      { base: 'step' },
      /Argument 'config.stepSize' passed to 'createSchedule' must be an integer >= 1, but got undefined\./,
    ],
    [{ base: 'step', stepSize: 2, gamma: 0 }, /'config.gamma'/],
    [{ base: 'cyclic', stepSize: 2 }, /'config.maxLearningRate'.*got undefined/],
    [
      { base: 'cyclic', stepSize: 2, maxLearningRate: 0.0001 },
      /Argument 'config.maxLearningRate' passed to 'createSchedule' must be a number >= config.learningRate \(0.001\), but got 0.0001\./,
    ],
    [
      { base: 'cosine', minLearningRate: 0.01 },
      /Argument 'config.minLearningRate' passed to 'createSchedule' must be a number <= config.learningRate/,
    ],
  ])('rejects %o', (override, message) => {
    expect(() =>
      createSchedule({
        base: 'constant',
        learningRate: 0.001,
        totalSteps: 10,
        ...override,
      } as unknown as ScheduleConfig),
    ).toThrow(message);
  });

  it('rejects negative or fractional steps', () => {
    const schedule = createSchedule({ base: 'constant', learningRate: 0.001, totalSteps: 10 });
    expect(() => schedule(-1)).toThrow(
      /Argument 'step' passed to 'schedule' must be an integer >= 0, but got -1\./,
    );
    expect(() => schedule(1.5)).toThrow(/Argument 'step' passed to 'schedule'/);
  });

  it('allows warmup equal to training length', () => {
    const schedule = createSchedule({
      base: 'cosine',
      learningRate: 0.01,
      totalSteps: 5,
      warmup: { steps: 5 },
    });
    expect(schedule(4)).toBeCloseTo(0.008, 15);
    expect(schedule(5)).toBe(0.01);
  });
});
