import { ArgumentError } from '@slr/core';
import type { TrainCallback } from './callbacks';
import { checkEarlyStoppingOptions } from './train-option-checks';
import type { Trainer } from './trainer';
import type { EpochRecord } from './training-state';

/** When {@link EarlyStopping} (the `earlyStop` option of {@link train}) ends training. */
export interface EarlyStoppingOptions {
  /** Stop once the epoch's loss is below this (and, with `werZero`, the WER is 0). */
  lossBelow?: number;
  /** Stop once the evaluation WER is 0 (and the loss below `lossBelow`, when set). */
  werZero?: boolean;
  /** Stop when the evaluation WER has not improved for this many evaluations. */
  devPlateau?: number;
}

/**
 * The built-in early stop (named `'earlyStopping'`), which the `earlyStop` option installs:
 * after each epoch it asks the trainer to stop once the goal is reached (the loss below
 * `lossBelow` and, with `werZero`, a WER of 0 on the evaluation samples), or once the
 * evaluation WER has not improved for `devPlateau` evaluations (the trainer keeps that count
 * in `state.plateau`, so it survives a resume).
 *
 * @example
 * ```ts
 * await train({ ...trainOptions, evalSamples, callbacks: [new EarlyStopping({ devPlateau: 3 })] });
 * ```
 */
export class EarlyStopping implements TrainCallback {
  /** `'earlyStopping'`: a callback of this name replaces the one `earlyStop` installs. */
  readonly name = 'earlyStopping';
  /** The checked options. */
  readonly options: EarlyStoppingOptions;

  constructor(options: EarlyStoppingOptions) {
    this.options = checkEarlyStoppingOptions('EarlyStopping', 'options', options);
  }

  /** Refuses to start when the stop needs evaluations and there are no evaluation samples. */
  onTrainBegin(_logs: unknown, trainer: Trainer): void {
    const { werZero, devPlateau } = this.options;
    if ((werZero === true || devPlateau !== undefined) && !trainer.options.evalSamples?.length)
      throw new ArgumentError(
        'EarlyStopping',
        'options',
        'leave werZero and devPlateau unset when train has no evalSamples',
        this.options,
        { actualText: werZero === true ? 'werZero: true' : `devPlateau: ${devPlateau}` },
      );
  }

  /** Asks the trainer to stop when the epoch reached the goal or the WER stopped improving. */
  onEpochEnd(record: EpochRecord, trainer: Trainer): void {
    const { lossBelow, werZero = false, devPlateau } = this.options;
    const lossReached = lossBelow === undefined || record.loss < lossBelow;
    const werReached = !werZero || record.wer === 0;
    if ((lossBelow !== undefined || werZero) && lossReached && werReached) {
      const wer = record.wer !== undefined ? `, WER ${record.wer}` : '';
      trainer.stopTraining(
        `overfit reached at epoch ${record.epoch} (loss ${record.loss.toFixed(4)}${wer})`,
      );
      return;
    }
    const { plateau } = trainer.state;
    if (devPlateau !== undefined && plateau.epochsWithoutImprovement >= devPlateau) {
      trainer.stopTraining(
        `dev WER has not improved for ${plateau.epochsWithoutImprovement} evaluations (best ${plateau.best})`,
      );
    }
  }
}
