import {
  adviseFromHistory,
  type Advice,
  type GradientHealthReport,
  type TrainingIssue,
} from '@slr/diagnostics';
import type { BatchLogs, TrainCallback } from './callbacks';
import type { Trainer } from './trainer';
import type { EpochRecord } from './training-state';

/**
 * The built-in advice (named `'advice'`, installed unless `advice: false`): after each epoch
 * it gives the history so far (each epoch's loss, the evaluations' loss and WER, and the
 * gradients of a step whose gradients were not finite, or exploding without `clipNorm`) to
 * `adviseFromHistory` of `@slr/diagnostics`, and turns each issue found into a warning through
 * the callbacks' `onWarning`, once per issue and run: "train: epoch 12: The loss stopped
 * decreasing. Try: lower the dropout; raise the learning rate."
 *
 * @example
 * ```ts
 * const advice = new AdviceWarnings(); // replaces the built-in one (same name)
 * await train({ ...trainOptions, callbacks: [advice] });
 * advice.given; // ['plateau'] when the loss stopped decreasing
 * ```
 */
export class AdviceWarnings implements TrainCallback {
  /** `'advice'`: a callback of this name replaces the built-in advice. */
  readonly name = 'advice';
  /** The issues warned about so far, in order. */
  readonly given: TrainingIssue[] = [];
  /** The first worrying gradient report of the current epoch. */
  private gradients: GradientHealthReport | undefined;

  /** Keeps the epoch's first report of non-finite gradients (or exploding, unclipped ones). */
  onBatchEnd(logs: BatchLogs, trainer: Trainer): void {
    if (this.gradients !== undefined) return;
    const health = logs.gradientHealth;
    const clipped = trainer.options.clipNorm !== undefined;
    if (
      health.nonFinite.length > 0 ||
      (!clipped && adviseFromHistory({ gradients: health }).length)
    )
      this.gradients = health;
  }

  /** Warns about each issue of the history so far that was not warned about yet. */
  async onEpochEnd(record: EpochRecord, trainer: Trainer): Promise<void> {
    const history = trainer.state.history;
    const advice = adviseFromHistory({
      losses: history.map((entry) => entry.loss),
      evaluations: history.flatMap((entry) =>
        entry.wer === undefined ? [] : [{ loss: entry.loss, wer: entry.wer }],
      ),
      gradients: this.gradients,
    });
    this.gradients = undefined;
    for (const item of advice) {
      if (this.given.includes(item.issue)) continue;
      this.given.push(item.issue);
      await trainer.warn(adviceWarning(record.epoch, item));
    }
  }
}

/** "train: epoch 12: The loss stopped decreasing. Try: lower the dropout; raise the learning rate." */
function adviceWarning(epoch: number, advice: Advice): string {
  return `train: epoch ${epoch}: ${advice.symptom} Try: ${advice.actions.join('; ')}.`;
}
