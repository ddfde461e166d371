/** `train` for Node.js: the trainer with checkpoints, a history file and a progress display. */
import {
  ArgumentError,
  checkBoolean,
  checkInteger,
  checkOptions,
  resolveProgressMode,
  type ProgressMode,
} from '@slr/core';
import type { TrainCallback } from '../callbacks';
import { train as trainAnywhere } from '../trainer';
import type { TrainOptions, TrainResult } from '../train-options';
import { Checkpoints } from './checkpoints';
import { HistoryFile } from './history-file';
import { ProgressDisplay } from './progress';

/**
 * Options of {@link train} in `@slr/train/node`: those of `train` in `@slr/train`, and the
 * shorthands of the Node.js callbacks ({@link Checkpoints}, {@link HistoryFile},
 * {@link ProgressDisplay}).
 */
export interface NodeTrainOptions extends TrainOptions {
  /** Where checkpoints go (and are resumed from): installs {@link Checkpoints}. */
  checkpointDir?: string;
  /** Checkpoint every N steps too (a checkpoint always ends each epoch). */
  checkpointEverySteps?: number;
  /**
   * Resume from the latest valid checkpoint in `checkpointDir` when there is one (it must be of
   * the same run: see {@link Checkpoints}). Default `true`.
   */
  resume?: boolean;
  /** A JSON-lines file that gets one line per epoch: installs {@link HistoryFile}. */
  historyFile?: string;
  /**
   * Progress on stdout: `'auto'` (or `true`) draws a bar on a terminal and prints one line per
   * epoch otherwise; `'bar'`, `'lines'`, or `'off'` (or `false`, the default). Installs
   * {@link ProgressDisplay}.
   */
  progress?: boolean | ProgressMode;
}

/**
 * `train` of `@slr/train` with what needs Node.js: `checkpointDir` saves atomic checkpoints
 * (every epoch, and every `checkpointEverySteps` steps) and resumes exactly from the latest
 * valid one, `historyFile` keeps a JSON-lines history, `progress` shows a bar or lines. Each
 * installs a built-in callback; the history and the progress run before `callbacks`, the
 * checkpoints after them (so that a checkpoint holds what every callback did), and a callback
 * in `callbacks` with a built-in's name (`'history'`, `'progress'`, `'checkpoints'`) replaces it.
 *
 * @example
 * ```ts
 * import { train } from '@slr/train/node';
 *
 * const result = await train({
 *   model, trainSamples, evalSamples, epochs: 200, batchSize: 5,
 *   optimizer: { name: 'adam', learningRate: 1e-3 }, earlyStop: { lossBelow: 0.1, werZero: true },
 *   checkpointDir: 'runs/overfit/checkpoints', checkpointEverySteps: 50,
 *   historyFile: 'runs/overfit/history.jsonl', progress: 'auto',
 * });
 * console.log(result.resumedFrom, result.history.length);
 * ```
 */
export async function train(options: NodeTrainOptions): Promise<TrainResult> {
  const fn = 'train';
  const { checkpointDir, checkpointEverySteps, resume, historyFile, progress, ...rest } =
    checkOptions(fn, options);
  if (checkpointDir !== undefined && (typeof checkpointDir !== 'string' || checkpointDir === ''))
    throw new ArgumentError(fn, 'options.checkpointDir', 'be a non-empty string', checkpointDir);
  if (checkpointEverySteps !== undefined)
    checkInteger(fn, 'options.checkpointEverySteps', checkpointEverySteps, { min: 1 });
  if (resume !== undefined) checkBoolean(fn, 'options.resume', resume);
  if (historyFile !== undefined && (typeof historyFile !== 'string' || historyFile === ''))
    throw new ArgumentError(fn, 'options.historyFile', 'be a non-empty string', historyFile);
  const mode = resolveProgressMode(fn, 'options.progress', progress, 'off');
  const given = rest.callbacks;
  const user: readonly TrainCallback[] =
    given === undefined ? [] : Array.isArray(given) ? given : [given as TrainCallback];
  const named = new Set(user.map((callback) => callback?.name));
  const before: TrainCallback[] = [];
  const after: TrainCallback[] = [];
  if (historyFile !== undefined && !named.has('history')) before.push(new HistoryFile(historyFile));
  if (mode !== 'off' && !named.has('progress')) before.push(new ProgressDisplay(mode));
  if (checkpointDir !== undefined && !named.has('checkpoints'))
    after.push(new Checkpoints(checkpointDir, { everySteps: checkpointEverySteps, resume }));
  return trainAnywhere({ ...rest, callbacks: [...before, ...user, ...after] });
}
