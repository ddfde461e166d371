/** The training history as a JSON-lines file: one line per epoch. */
import { appendFile } from 'node:fs/promises';
import { ArgumentError } from '@slr/core';
import { withFileSystemError, writeFileAtomic } from '@slr/core/node';
import type { TrainCallback } from '../callbacks';
import type { Trainer } from '../trainer';
import type { EpochRecord } from '../training-state';

/**
 * The built-in history file (named `'history'`), which `historyFile` of `train` in
 * `@slr/train/node` installs: a JSON-lines file with one {@link EpochRecord} per line. When
 * training begins it is (re)written with the history so far, atomically (empty for a fresh
 * run; the resumed checkpoint's epochs after a resume), then each epoch appends its line.
 *
 * @example
 * ```ts
 * await train({ ...trainOptions, callbacks: [new HistoryFile('runs/overfit/history.jsonl')] });
 * ```
 */
export class HistoryFile implements TrainCallback {
  /** `'history'`: a callback of this name replaces the one `historyFile` installs. */
  readonly name = 'history';

  constructor(
    /** The file (its folder is created when missing). */
    readonly path: string,
  ) {
    if (typeof path !== 'string' || path === '')
      throw new ArgumentError('HistoryFile', 'path', 'be a non-empty string', path);
  }

  /** Writes the history so far. */
  async onTrainBegin(_logs: unknown, trainer: Trainer): Promise<void> {
    const lines = trainer.state.history.map((record) => `${JSON.stringify(record)}\n`).join('');
    await writeFileAtomic(this.path, lines, { createFolder: true });
  }

  /** Appends the epoch's line. */
  async onEpochEnd(record: EpochRecord): Promise<void> {
    await withFileSystemError('append to', this.path, () =>
      appendFile(this.path, `${JSON.stringify(record)}\n`),
    );
  }
}
