/** Checkpointing as a callback: resume from the latest valid checkpoint, save as training goes. */
import * as tf from '@tensorflow/tfjs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError, checkBoolean, checkInteger, checkOptions } from '@slr/core';
import { createFolder, FileSystemError, temporaryPathBeside } from '@slr/core/node';
import type { BatchLogs, TrainCallback, TrainingSnapshot } from '../callbacks';
import type { Trainer } from '../trainer';
import {
  loadLatestValidCheckpoint,
  saveCheckpoint,
  type AccumulatedPowers,
  type LoadedCheckpoint,
} from './checkpoint';
import { writeAccumulatedPowers } from './optimizer-state';
import { checkResume, describeRun } from './resume-checks';

/** Options of {@link Checkpoints}. */
export interface CheckpointsOptions {
  /** Also save every this many steps within an epoch (a save always ends each epoch). */
  everySteps?: number;
  /** Resume from the latest valid checkpoint in the folder when there is one. Default `true`. */
  resume?: boolean;
  /** Complete checkpoints kept (the newest), at least 2. Default 2. */
  keep?: number;
}

/**
 * The built-in checkpoints (named `'checkpoints'`), which `checkpointDir` of `train` in
 * `@slr/train/node` installs. Before training it checks that `dir` can be written (so that an
 * unwritable folder fails before the first step, not after the first epoch) and resumes from
 * the latest valid checkpoint of `dir` ({@link loadLatestValidCheckpoint}; the ones it falls
 * back over become warnings; a folder of checkpoints none of which loads is an error, a missing
 * or empty one a fresh start). The checkpoint must come from the same run: a different batch
 * size, seed, shuffling, training data size, optimizer, vocabulary or model is an error naming
 * both values; other changes (epochs, learning rate, schedule, evaluation, callbacks) are
 * honoured and logged as a warning, and more epochs continue a finished run. It then saves a
 * checkpoint ({@link saveCheckpoint}, with the run's configuration) after each epoch and every
 * `everySteps` steps. A resumed run ends with the weights an uninterrupted one would have, bit
 * for bit on the CPU (Adam's accumulated powers are restored as they were).
 *
 * @example
 * ```ts
 * const checkpoints = new Checkpoints('runs/overfit/checkpoints', { everySteps: 50 });
 * await train({ ...trainOptions, callbacks: [checkpoints] });
 * ```
 */
export class Checkpoints implements TrainCallback {
  /** `'checkpoints'`: a callback of this name replaces the one `checkpointDir` installs. */
  readonly name = 'checkpoints';
  /** The checked options. */
  readonly options: CheckpointsOptions;
  /** Whether `restore` checked that `dir` can be written (`onTrainBegin` does otherwise). */
  private checked = false;
  /** The checkpoint `restore` gave, and its optimizer's accumulated powers. */
  private restored: { path: string; powers?: AccumulatedPowers } | undefined;

  constructor(
    /** The folder of the checkpoints. */
    readonly dir: string,
    options: CheckpointsOptions = {},
  ) {
    if (typeof dir !== 'string' || dir === '')
      throw new ArgumentError('Checkpoints', 'dir', 'be a non-empty string', dir);
    this.options = checkCheckpointsOptions('Checkpoints', 'options', options);
  }

  /**
   * Checks that `dir` can be written, then gives the latest valid checkpoint of `dir`, unless
   * `resume` is `false`; throws when it cannot be resumed from (see {@link Checkpoints}).
   */
  async restore(trainer: Trainer): Promise<TrainingSnapshot | undefined> {
    this.restored = undefined;
    await this.checkWritable();
    this.checked = true;
    if (this.options.resume === false) {
      const entries = await readdir(this.dir);
      if (entries.some((entry) => /^checkpoint-\d+$/.test(entry)))
        await trainer.warn(
          `train: not resuming (resume: false): the checkpoints in ${this.dir} will be replaced by this run's.`,
        );
      return undefined;
    }
    const found = await loadLatestValidCheckpoint(this.dir);
    if (found === undefined) return undefined;
    const { checkpoint } = found;
    try {
      for (const skipped of found.skipped)
        await trainer.warn(
          `train: checkpoint ${skipped.path} is unusable, falling back: ${skipped.error.message}`,
        );
      const changes = checkResume(checkpoint, trainer);
      if (checkpoint.run === undefined)
        await trainer.warn(
          `train: ${checkpoint.path} does not record the run that saved it (an older checkpoint): ` +
            "this run's batch size, seed and settings cannot be checked against it.",
        );
      if (changes.length > 0)
        await trainer.warn(
          `train: resuming from ${checkpoint.path} with changes: ${changes.join('; ')}.`,
        );
      return this.snapshotOf(checkpoint, trainer);
    } catch (error) {
      tf.dispose(checkpoint.optimizerWeights.map((weight) => weight.tensor));
      throw error;
    } finally {
      checkpoint.model.dispose();
    }
  }

  /**
   * Checks that `dir` can be written (when `restore` did not run), and restores the resumed
   * optimizer's accumulated powers, which the trainer's `setWeights` recomputed.
   */
  async onTrainBegin(_logs: unknown, trainer: Trainer): Promise<void> {
    if (!this.checked) await this.checkWritable();
    this.checked = false;
    const restored = this.restored;
    this.restored = undefined;
    if (restored?.powers !== undefined && trainer.resumedFrom === restored.path)
      writeAccumulatedPowers(trainer.optimizer, restored.powers);
  }

  /** Saves every `everySteps` steps within an epoch. */
  async onBatchEnd(logs: BatchLogs, trainer: Trainer): Promise<void> {
    const { everySteps } = this.options;
    if (
      everySteps !== undefined &&
      logs.step % everySteps === 0 &&
      trainer.state.batchInEpoch < trainer.batchesPerEpoch
    )
      await this.save(trainer);
  }

  /** Saves at the end of each epoch. */
  async onEpochEnd(_record: unknown, trainer: Trainer): Promise<void> {
    await this.save(trainer);
  }

  /** The snapshot of a checked checkpoint: copies of its weights, and its state. */
  private snapshotOf(checkpoint: LoadedCheckpoint, trainer: Trainer): TrainingSnapshot {
    const state = checkpoint.state;
    // A run that ran all its epochs continues when this one has more.
    if (
      state.finished &&
      checkpoint.run !== undefined &&
      state.epoch >= checkpoint.run.epochs &&
      trainer.options.epochs > state.epoch
    )
      state.finished = false;
    this.restored = { path: checkpoint.path, powers: checkpoint.optimizerPowers };
    return {
      source: checkpoint.path,
      // Copies that outlive the loaded model (disposing it disposes its variables).
      weights: checkpoint.model.getWeights().map((weight) => weight.clone()),
      optimizerWeights: checkpoint.optimizerWeights,
      state,
    };
  }

  /**
   * Creates `dir` and writes and removes a file in it; a `FileSystemError` naming `dir` and the
   * cause when it cannot.
   */
  private async checkWritable(): Promise<void> {
    const probe = temporaryPathBeside(join(this.dir, 'write-check'));
    try {
      await createFolder(this.dir);
      await writeFile(probe, '');
      await rm(probe);
    } catch (error) {
      await rm(probe, { force: true }).catch(() => undefined);
      const cause = error instanceof FileSystemError ? (error.cause ?? error) : error;
      throw new FileSystemError('write to the checkpoint folder', this.dir, cause);
    }
  }

  private async save(trainer: Trainer): Promise<void> {
    await saveCheckpoint(this.dir, {
      model: trainer.model.model,
      optimizer: trainer.optimizer,
      state: trainer.state,
      keep: this.options.keep,
      run: describeRun(trainer),
    });
  }
}

/** Checks {@link CheckpointsOptions} passed to `fn`, naming fields under `argument`. */
function checkCheckpointsOptions(
  fn: string,
  argument: string,
  options: CheckpointsOptions,
): CheckpointsOptions {
  const checked = checkOptions(fn, options, argument);
  if (checked.everySteps !== undefined)
    checkInteger(fn, `${argument}.everySteps`, checked.everySteps, { min: 1 });
  if (checked.resume !== undefined) checkBoolean(fn, `${argument}.resume`, checked.resume);
  if (checked.keep !== undefined) checkInteger(fn, `${argument}.keep`, checked.keep, { min: 2 });
  return checked;
}
