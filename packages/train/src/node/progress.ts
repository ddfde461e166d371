/** Training progress on a terminal or in a log: a bar, plain lines, or nothing. */
import cliProgress from 'cli-progress';
import { checkInteger, resolveProgressMode, type ProgressMode } from '@slr/core';
import type { TrainBeginLogs, TrainCallback } from '../callbacks';
import type { EpochRecord } from '../training-state';

/** Shows one update per epoch. */
export interface EpochProgress {
  /** Shows the record of an epoch that just ended. */
  update(record: EpochRecord): void;
  /** Ends the display (the bar stays on screen). */
  stop(): void;
}

function summary(record: EpochRecord): { loss: string; lr: string; wer: string } {
  return {
    loss: record.loss.toFixed(4),
    lr: record.lr.toExponential(2),
    wer: record.wer === undefined ? '—' : `${(100 * record.wer).toFixed(1)}%`,
  };
}

/**
 * Training progress for `totalEpochs` epochs on `stream`: a cli-progress bar when the stream is a
 * terminal (`'auto'` or `true`, the default, or `'bar'`), one plain line per epoch otherwise
 * (`'lines'`), or nothing (`'off'` or `false`); `ProgressMode` is `@slr/core`'s.
 *
 * @example
 * ```ts
 * const progress = createEpochProgress(2000, 'lines');
 * const showProgress: TrainCallback = {
 *   onEpochEnd: (record) => progress.update(record), // epoch 1/2000 step 5 loss 3.2105 lr 1.00e-4 WER —
 *   onTrainEnd: () => progress.stop(),
 * };
 * await train({ ...trainOptions, callbacks: [showProgress] });
 * ```
 */
export function createEpochProgress(
  totalEpochs: number,
  mode: boolean | ProgressMode = 'auto',
  stream: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout,
): EpochProgress {
  checkInteger('createEpochProgress', 'totalEpochs', totalEpochs, { min: 1 });
  const chosen = resolveProgressMode('createEpochProgress', 'mode', mode, 'auto');
  const terminal = (stream as NodeJS.WriteStream).isTTY === true;
  const resolved = chosen === 'auto' ? (terminal ? 'bar' : 'lines') : chosen;
  if (resolved === 'off') return { update: () => undefined, stop: () => undefined };
  if (resolved === 'lines') {
    return {
      update: (record) => {
        const { loss, lr, wer } = summary(record);
        stream.write(
          `epoch ${record.epoch}/${totalEpochs} step ${record.step} loss ${loss} lr ${lr} WER ${wer}\n`,
        );
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: 'epoch {value}/{total} [{bar}] loss {loss} lr {lr} WER {wer} | {duration_formatted}',
      stream: stream,
      hideCursor: true,
      clearOnComplete: false,
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (record) => {
      if (!started) {
        bar.start(totalEpochs, 0, { loss: '—', lr: '—', wer: '—' });
        started = true;
      }
      bar.update(record.epoch, summary(record));
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/**
 * The built-in progress display (named `'progress'`), which `progress` of `train` in
 * `@slr/train/node` installs: {@link createEpochProgress} started when training begins,
 * updated after each epoch and stopped when training ends.
 *
 * @example
 * ```ts
 * await train({ ...trainOptions, callbacks: [new ProgressDisplay('lines', process.stderr)] });
 * ```
 */
export class ProgressDisplay implements TrainCallback {
  /** `'progress'`: a callback of this name replaces the one `progress` installs. */
  readonly name = 'progress';
  private readonly mode: ProgressMode;
  private display: EpochProgress | undefined;

  constructor(
    mode: boolean | ProgressMode = 'auto',
    /** Where the progress goes. Default `process.stdout`. */
    readonly stream: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout,
  ) {
    this.mode = resolveProgressMode('ProgressDisplay', 'mode', mode, 'auto');
  }

  /** Starts the display for the run's epochs. */
  onTrainBegin(logs: TrainBeginLogs): void {
    this.display = createEpochProgress(logs.epochs, this.mode, this.stream);
  }

  /** Shows the epoch's record. */
  onEpochEnd(record: EpochRecord): void {
    this.display?.update(record);
  }

  /** Ends the display. */
  onTrainEnd(): void {
    this.display?.stop();
    this.display = undefined;
  }
}
