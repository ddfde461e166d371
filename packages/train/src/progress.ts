import cliProgress from 'cli-progress';
import type { EpochRecord } from './checkpoint';

/**
 * How training progress is shown: a bar on a terminal, plain lines otherwise, or nothing.
 *
 * @example
 * ```ts
 * const mode: ProgressMode = process.env.CI === 'true' ? 'lines' : 'auto';
 * const progress = createEpochProgress(400, mode);
 * ```
 */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'off';

/**
 * Shows one update per epoch.
 *
 * @example
 * ```ts
 * const progress: EpochProgress = createEpochProgress(400, 'lines');
 * progress.update(record); // "epoch 1/400 step 5 loss 3.2105 lr 1.00e-4 WER —"
 * progress.stop();
 * ```
 */
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
 * terminal (`'auto'`, the default, or `'bar'`), one plain line per epoch otherwise (`'lines'`),
 * or nothing (`'off'`).
 *
 * @example
 * ```ts
 * const progress = createEpochProgress(2000, 'auto');
 * progress.update(record); // after each epoch
 * progress.stop();
 * ```
 */
export function createEpochProgress(
  totalEpochs: number,
  mode: ProgressMode = 'auto',
  stream: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout,
): EpochProgress {
  const terminal = (stream as NodeJS.WriteStream).isTTY === true;
  const resolved = mode === 'auto' ? (terminal ? 'bar' : 'lines') : mode;
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
      stream: stream as NodeJS.WritableStream,
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
