/** The checks of {@link train}'s options, made before anything is trained. */
import { ArgumentError, checkBoolean, checkInteger, checkNumber, checkOptions } from '@slr/core';
import { checkAugmentOptions } from '@slr/data';
import type { SequenceModel } from '@slr/layers';
import type { EarlyStoppingOptions } from './early-stopping';
import { checkOptimizerConfig } from './optimizer-checks';
import { checkScheduleConfig } from './schedule-checks';
import { SoftTargets } from './distill/soft-targets';
import type { TrainOptions } from './train-options';

/** What the options imply: the size of an epoch and of the run, and the warmup. */
export interface TrainPlan {
  /** Batches in one epoch. */
  batchesPerEpoch: number;
  /** Steps of the whole run (epochs · batchesPerEpoch). */
  totalSteps: number;
  /** Steps of the linear warmup. */
  warmupSteps: number;
}

/** Options that only `train` of `@slr/train/node` takes (they write files or draw on a terminal). */
const NODE_ONLY_OPTIONS = [
  'checkpointDir',
  'checkpointEverySteps',
  'resume',
  'historyFile',
  'progress',
] as const;

/** The classes V of a model's `[T, B, V]` output. */
export function numClassesOf(model: SequenceModel): number {
  const shape = model.model.outputs[0].shape;
  return shape[shape.length - 1] as number;
}

/** Checks `options` of an early stop passed to `fn` as `argument`. */
export function checkEarlyStoppingOptions(
  fn: string,
  argument: string,
  options: EarlyStoppingOptions,
): EarlyStoppingOptions {
  const checked = checkOptions(fn, options, argument);
  if (checked.lossBelow !== undefined)
    checkNumber(fn, `${argument}.lossBelow`, checked.lossBelow, { min: 0, minExclusive: true });
  if (checked.werZero !== undefined) checkBoolean(fn, `${argument}.werZero`, checked.werZero);
  if (checked.devPlateau !== undefined)
    checkInteger(fn, `${argument}.devPlateau`, checked.devPlateau, { min: 1 });
  return checked;
}

/**
 * Checks every field of `options` passed to `fn` and throws, before any training, an
 * `ArgumentError` naming the field ('options.optimizer.learningRate'); returns the plan.
 */
export function checkTrainOptions(fn: string, options: TrainOptions): TrainPlan {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ArgumentError(fn, 'options', 'be an object', options);
  for (const key of NODE_ONLY_OPTIONS) {
    const value = (options as unknown as Record<string, unknown>)[key];
    if (value !== undefined)
      throw new ArgumentError(
        fn,
        `options.${key}`,
        "be unset: checkpoints, history files and progress bars are Node.js's " +
          "(use train of '@slr/train/node', or a callback)",
        value,
      );
  }
  if (options.model == null || typeof options.model.apply !== 'function')
    throw new ArgumentError(fn, 'options.model', 'be a SequenceModel', options.model);
  checkInteger(fn, 'options.epochs', options.epochs, { min: 1 });
  checkInteger(fn, 'options.batchSize', options.batchSize, { min: 1 });
  checkOptimizerConfig(fn, 'options.optimizer', options.optimizer);
  let batchesPerEpoch: number;
  if (Array.isArray(options.trainSamples)) {
    if (options.trainSamples.length === 0)
      throw new ArgumentError(fn, 'options.trainSamples', 'hold at least one sample', []);
    batchesPerEpoch = Math.ceil(options.trainSamples.length / options.batchSize);
  } else if (typeof options.trainSamples === 'function') {
    batchesPerEpoch = checkInteger(fn, 'options.batchesPerEpoch', options.batchesPerEpoch, {
      min: 1,
    });
  } else {
    throw new ArgumentError(
      fn,
      'options.trainSamples',
      'be an array of samples or a function returning a source',
      options.trainSamples,
    );
  }
  const totalSteps = options.epochs * batchesPerEpoch;
  const schedule = options.schedule ?? { base: 'constant' };
  if (schedule.warmupEpochs !== undefined && schedule.warmupSteps !== undefined)
    throw new ArgumentError(
      fn,
      'options.schedule.warmupEpochs',
      'be unset when options.schedule.warmupSteps is set',
      schedule.warmupEpochs,
    );
  if (schedule.warmupEpochs !== undefined)
    checkNumber(fn, 'options.schedule.warmupEpochs', schedule.warmupEpochs, { min: 0 });
  const warmupSteps =
    schedule.warmupSteps ?? Math.round((schedule.warmupEpochs ?? 0) * batchesPerEpoch);
  checkInteger(fn, 'options.schedule.warmupSteps', warmupSteps, { min: 0 });
  if (warmupSteps > totalSteps) {
    const byEpochs = schedule.warmupSteps === undefined;
    throw new ArgumentError(
      fn,
      byEpochs ? 'options.schedule.warmupEpochs' : 'options.schedule.warmupSteps',
      `be a warmup no longer than training (${totalSteps} steps = ${options.epochs} epochs)`,
      byEpochs ? schedule.warmupEpochs : schedule.warmupSteps,
    );
  }
  const scheduleField: Record<string, string> = {
    learningRate: 'options.optimizer.learningRate',
    totalSteps: 'options.epochs',
    'warmup.steps': 'options.schedule.warmupSteps',
    'warmup.startFactor': 'options.schedule.warmupStartFactor',
  };
  checkScheduleConfig(
    fn,
    'options.schedule',
    (field) => scheduleField[field] ?? `options.schedule.${field}`,
    {
      ...schedule,
      learningRate: options.optimizer.learningRate,
      totalSteps,
      warmup: { steps: warmupSteps, startFactor: schedule.warmupStartFactor },
    },
  );
  if (options.clipNorm !== undefined)
    checkNumber(fn, 'options.clipNorm', options.clipNorm, { min: 0, minExclusive: true });
  if (options.labelSmoothing !== undefined)
    checkNumber(fn, 'options.labelSmoothing', options.labelSmoothing, { min: 0, max: 1 });
  const classes = numClassesOf(options.model);
  if (options.distillation !== undefined) checkDistillation(fn, options, classes);
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
    throw new ArgumentError(fn, 'options.seed', 'be a safe integer', options.seed);
  if (options.shuffle !== undefined) checkBoolean(fn, 'options.shuffle', options.shuffle);
  if (options.augment !== undefined) checkAugmentOptions(options.augment, fn, 'options.augment');
  if (options.evalEvery !== undefined)
    checkInteger(fn, 'options.evalEvery', options.evalEvery, { min: 1 });
  if (options.evalBeamWidth !== undefined)
    checkInteger(fn, 'options.evalBeamWidth', options.evalBeamWidth, { min: 1 });
  if (options.dropout !== undefined)
    checkNumber(fn, 'options.dropout', options.dropout, { min: 0, max: 1, maxExclusive: true });
  if (options.initialization?.xavier?.gain !== undefined)
    checkNumber(fn, 'options.initialization.xavier.gain', options.initialization.xavier.gain, {
      min: 0,
      minExclusive: true,
    });
  if (options.earlyStop !== undefined) {
    const earlyStop = checkEarlyStoppingOptions(fn, 'options.earlyStop', options.earlyStop);
    if ((earlyStop.werZero || earlyStop.devPlateau !== undefined) && !options.evalSamples?.length)
      throw new ArgumentError(
        fn,
        'options.evalSamples',
        'hold evaluation samples when options.earlyStop.werZero or options.earlyStop.devPlateau is set',
        options.evalSamples,
      );
  }
  if (options.advice !== undefined) checkBoolean(fn, 'options.advice', options.advice);
  if (typeof options.checkLogProbs === 'object' && options.checkLogProbs !== null) {
    const { everySteps } = checkOptions(fn, options.checkLogProbs, 'options.checkLogProbs');
    if (everySteps !== undefined)
      checkInteger(fn, 'options.checkLogProbs.everySteps', everySteps, { min: 1 });
  } else if (options.checkLogProbs !== undefined && typeof options.checkLogProbs !== 'boolean')
    throw new ArgumentError(
      fn,
      'options.checkLogProbs',
      'be a boolean or { everySteps }',
      options.checkLogProbs,
    );
  options.progressiveUnfreezing?.forEach((stage, index) =>
    checkInteger(fn, `options.progressiveUnfreezing[${index}].epoch`, stage.epoch, { min: 0 }),
  );
  if (options.vocabulary !== undefined && options.vocabulary.size !== classes) {
    throw new ArgumentError(
      fn,
      'options.vocabulary',
      `have one entry per class of the model (${classes}, glosses + blank)`,
      options.vocabulary,
      { actualText: `a mismatched vocabulary of ${options.vocabulary.size}` },
    );
  }
  return { batchesPerEpoch, totalSteps, warmupSteps };
}

function checkDistillation(fn: string, options: TrainOptions, classes: number): void {
  const distillation = checkOptions(fn, options.distillation, 'options.distillation');
  if (!(distillation.targets instanceof SoftTargets))
    throw new ArgumentError(
      fn,
      'options.distillation.targets',
      'be SoftTargets (extractSoftTargets, or loadSoftTargets of @slr/train/node)',
      distillation.targets,
    );
  if (distillation.temperature !== undefined)
    checkNumber(fn, 'options.distillation.temperature', distillation.temperature, {
      min: 0,
      minExclusive: true,
    });
  if (distillation.alpha !== undefined)
    checkNumber(fn, 'options.distillation.alpha', distillation.alpha, { min: 0, max: 1 });
  if ((options.labelSmoothing ?? 0) > 0)
    throw new ArgumentError(
      fn,
      'options.labelSmoothing',
      'be 0 or unset when options.distillation is set',
      options.labelSmoothing,
    );
  if (distillation.targets.numClasses !== classes)
    throw new ArgumentError(
      fn,
      'options.distillation.targets',
      `be soft targets over the model's ${classes} classes`,
      distillation.targets,
      {
        actualText:
          `targets over ${distillation.targets.numClasses} classes ` +
          `(teacher '${distillation.targets.teacher.name}')`,
      },
    );
}
