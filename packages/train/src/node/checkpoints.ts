/** Checkpointing as a callback: resume from the latest valid checkpoint, save as training goes. */
import { ArgumentError, checkBoolean, checkInteger, checkOptions } from '@slr/core';
import type { BatchLogs, TrainCallback, TrainingSnapshot } from '../callbacks';
import type { Trainer } from '../trainer';
import { loadLatestValidCheckpoint, saveCheckpoint } from './checkpoint';

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
 * `@slr/train/node` installs: before training it resumes from the latest valid checkpoint of
 * `dir` ({@link loadLatestValidCheckpoint}; the ones it falls back over become warnings), then
 * saves one ({@link saveCheckpoint}) after each epoch and every `everySteps` steps. A resumed
 * run ends with the weights an uninterrupted one would have.
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

  constructor(
    /** The folder of the checkpoints. */
    readonly dir: string,
    options: CheckpointsOptions = {},
  ) {
    if (typeof dir !== 'string' || dir === '')
      throw new ArgumentError('Checkpoints', 'dir', 'be a non-empty string', dir);
    this.options = checkCheckpointsOptions('Checkpoints', 'options', options);
  }

  /** The latest valid checkpoint of `dir`, unless `resume` is `false`. */
  async restore(trainer: Trainer): Promise<TrainingSnapshot | undefined> {
    if (this.options.resume === false) return undefined;
    const found = await loadLatestValidCheckpoint(this.dir);
    for (const skipped of found?.skipped ?? [])
      await trainer.warn(
        `train: checkpoint ${skipped.path} is unusable, falling back: ${skipped.error.message}`,
      );
    if (found === undefined) return undefined;
    const { checkpoint } = found;
    // Copies that outlive the loaded model (disposing it disposes its variables).
    const weights = checkpoint.model.getWeights().map((weight) => weight.clone());
    checkpoint.model.dispose();
    return {
      source: checkpoint.path,
      weights,
      optimizerWeights: checkpoint.optimizerWeights,
      state: checkpoint.state,
    };
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

  private async save(trainer: Trainer): Promise<void> {
    await saveCheckpoint(this.dir, {
      model: trainer.model.model,
      optimizer: trainer.optimizer,
      state: trainer.state,
      keep: this.options.keep,
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
