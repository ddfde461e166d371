/**
 * `@slr/train/node`: what training needs Node.js for. `train` with `checkpointDir`,
 * `historyFile` and `progress`; the callbacks behind them (`Checkpoints`, `HistoryFile`,
 * `ProgressDisplay`); checkpoints (`saveCheckpoint`, `loadCheckpoint`,
 * `loadLatestValidCheckpoint`) and soft-target files (`saveSoftTargets`, `loadSoftTargets`).
 * Everything else is in `@slr/train`, which runs anywhere tfjs does.
 *
 * @module @slr/train/node
 */
export * from './train';
export * from './checkpoint';
export * from './checkpoints';
export * from './history-file';
export * from './progress';
export * from './soft-targets-file';
