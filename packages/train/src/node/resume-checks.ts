/**
 * What a resume checks: the run a checkpoint records against the run resuming from it. A
 * change a resume cannot honour (the batch order, the optimizer, the model) is an error; one it
 * can (epochs, learning rate, schedule, evaluation, callbacks) is listed, to be logged.
 */
import type * as tf from '@tensorflow/tfjs';
import { describeValue } from '@slr/core';
import { resolveOptimizerConfig } from '../optimizer-checks';
import { numClassesOf } from '../train-option-checks';
import type { Trainer } from '../trainer';
import { CheckpointError, type CheckpointRun, type LoadedCheckpoint } from './checkpoint';

/** The run `trainer` trains, as a checkpoint records it. */
export function describeRun(trainer: Trainer): CheckpointRun {
  const o = trainer.options;
  const run: CheckpointRun = {
    batchSize: o.batchSize,
    seed: o.seed ?? 0,
    shuffle: o.shuffle ?? true,
    batchesPerEpoch: trainer.batchesPerEpoch,
    numClasses: numClassesOf(o.model),
    optimizer: resolveOptimizerConfig(o.optimizer),
    epochs: o.epochs,
    callbacks: trainer.callbacks.map((callback) => callback.name ?? '(unnamed)'),
  };
  if (o.vocabulary !== undefined) run.vocabulary = [...o.vocabulary.glosses];
  for (const key of ADJUSTABLE) if (o[key] !== undefined) Object.assign(run, { [key]: o[key] });
  return run;
}

/** Options a resume honours from its step on (each change is logged). */
const ADJUSTABLE = [
  'schedule',
  'evalEvery',
  'evalBeamWidth',
  'clipNorm',
  'labelSmoothing',
  'dropout',
  'augment',
  'earlyStop',
] as const;

/** Options that fix the order of the batches, which an exact resume replays. */
const BATCH_ORDER = ['batchSize', 'seed', 'shuffle', 'batchesPerEpoch'] as const;

function shown(value: unknown): string {
  if (value === undefined) return '(none)';
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : describeValue(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Checks that `trainer` can resume from `checkpoint`: throws a {@link CheckpointError} naming
 * the checkpoint and, for each change it cannot honour, both values; returns the changes it can
 * (`'epochs: 10 → 20'`, …), for the caller to log.
 *
 * Refused: the batch size, seed, shuffling and batches per epoch (the training data), which
 * fix the batch order an exact resume replays; the optimizer's kind, whose state would fill
 * another optimizer's slots; the model's output classes and vocabulary; the model's weights
 * (each one's name and shape, compared before any is copied). PyTorch Lightning refuses none of
 * these, but its resume is not documented as exact.
 */
export function checkResume(checkpoint: LoadedCheckpoint, trainer: Trainer): string[] {
  const problems: string[] = [];
  const changes: string[] = [];
  const current = describeRun(trainer);
  const saved = checkpoint.run;
  if (saved !== undefined) {
    for (const key of BATCH_ORDER) {
      if (saved[key] !== current[key])
        problems.push(`'${key}' was ${shown(saved[key])}, this run has ${shown(current[key])}`);
    }
    if (saved.optimizer.name !== current.optimizer.name) {
      problems.push(
        `'optimizer.name' was ${shown(saved.optimizer.name)}, this run has ${shown(current.optimizer.name)}`,
      );
    }
  }
  const { state } = checkpoint;
  if (saved === undefined && state.seed !== current.seed)
    problems.push(`'seed' was ${shown(state.seed)}, this run has ${shown(current.seed)}`);
  if (saved === undefined && state.batchInEpoch >= trainer.batchesPerEpoch) {
    problems.push(
      `it stopped after batch ${state.batchInEpoch} of an epoch, this run's epochs have ${trainer.batchesPerEpoch}`,
    );
  }
  const optimizerClass = trainer.optimizer.getClassName();
  if (saved === undefined && checkpoint.optimizerClass !== optimizerClass) {
    problems.push(
      `the optimizer was ${shown(checkpoint.optimizerClass)}, this run's is ${shown(optimizerClass)}`,
    );
  }
  const outputShape = checkpoint.model.outputs[0].shape;
  const classes = outputShape[outputShape.length - 1];
  if (classes !== current.numClasses) {
    problems.push(
      `its model has ${classes} output classes, this run's ${current.numClasses} (a different vocabulary)`,
    );
  } else {
    const vocabularyProblem = compareVocabularies(saved?.vocabulary, current.vocabulary);
    if (vocabularyProblem !== undefined) problems.push(vocabularyProblem);
    const weightsProblem = compareWeights(checkpoint.model.weights, trainer.model.model.weights);
    if (weightsProblem !== undefined) problems.push(weightsProblem);
  }
  if (problems.length > 0) {
    throw new CheckpointError(
      checkpoint.path,
      `Cannot resume from ${checkpoint.path}, saved by a different run: ${problems.join('; ')}. ` +
        'A resume continues the saved run exactly; to train this one, use another checkpoint folder.',
    );
  }
  if (saved === undefined) return changes;
  const note = (key: string, before: unknown, after: unknown): void => {
    if (!same(before, after)) changes.push(`${key}: ${shown(before)} → ${shown(after)}`);
  };
  note('epochs', saved.epochs, current.epochs);
  const keys = new Set([...Object.keys(saved.optimizer), ...Object.keys(current.optimizer)]);
  for (const key of keys) {
    note(
      `optimizer.${key}`,
      (saved.optimizer as unknown as Record<string, unknown>)[key],
      (current.optimizer as unknown as Record<string, unknown>)[key],
    );
  }
  for (const key of ADJUSTABLE) note(key, saved[key], current[key]);
  if (saved.callbacks !== undefined) note('callbacks', saved.callbacks, current.callbacks);
  return changes;
}

/** The first class whose gloss differs, when both runs have a vocabulary. */
function compareVocabularies(
  saved: readonly string[] | undefined,
  current: readonly string[] | undefined,
): string | undefined {
  if (saved === undefined || current === undefined) return undefined;
  const index = saved.findIndex((gloss, i) => gloss !== current[i]);
  if (index < 0) return undefined;
  return (
    `the vocabulary differs at class ${index + 1}: ` +
    `${shown(saved[index])} in the checkpoint, ${shown(current[index])} in this run`
  );
}

/**
 * A weight's name without what tfjs adds to make names unique in a process (`dense_Dense3`,
 * `kernel_1`), so that the same architecture built twice compares equal.
 */
function structuralName(name: string): string {
  return name.replace(/_\d+(?=\/|$)/g, '').replace(/\d+/g, '#');
}

/** The first weight whose name or shape differs, in `model.weights` order. */
function compareWeights(
  saved: readonly tf.LayerVariable[],
  current: readonly tf.LayerVariable[],
): string | undefined {
  const count = Math.max(saved.length, current.length);
  for (let index = 0; index < count; index++) {
    const a = saved[index];
    const b = current[index];
    const describe = (weight: tf.LayerVariable | undefined): string =>
      weight === undefined
        ? 'no weight'
        : `'${weight.originalName}' of shape [${weight.shape.join(', ')}]`;
    if (
      a === undefined ||
      b === undefined ||
      structuralName(a.originalName) !== structuralName(b.originalName) ||
      !same(a.shape, b.shape)
    ) {
      return (
        `its model's weight ${index + 1} of ${saved.length} differs: the checkpoint has ` +
        `${describe(a)}, this run's model ${describe(b)}` +
        (saved.length === current.length ? '' : ` (this run's model has ${current.length} weights)`)
      );
    }
  }
  return undefined;
}
