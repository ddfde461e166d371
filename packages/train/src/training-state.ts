/**
 * What a training run is made of besides the weights: one record per epoch, and the state that
 * resuming needs. Plain data, so that a checkpoint can store it as JSON.
 */

/**
 * One line of the training history (one per epoch): the logs `onEpochEnd` receives, and what
 * the history file of `@slr/train/node` holds, one JSON line each.
 */
export interface EpochRecord {
  /** The epoch that ended (1-based). */
  epoch: number;
  /** Optimizer steps taken so far (skipped steps included). */
  step: number;
  /** Mean training loss over the epoch's applied steps (NaN when every step was skipped). */
  loss: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Mean global gradient norm (before clipping) over the epoch's applied steps. */
  gradNorm: number;
  /** Greedy-decoding word error rate on the evaluation samples, when evaluated this epoch. */
  wer?: number;
  /** Beam-search word error rate, when evaluated with a beam. */
  beamWer?: number;
  /** Steps skipped so far because their gradients were not finite. */
  skippedSteps: number;
  /** With distillation: the mean τ²·KL term over the epoch's applied steps. */
  kdLoss?: number;
  /** With distillation: the mean CTC term over the epoch's applied steps. */
  ctcLoss?: number;
  /** Wall-clock seconds of the epoch. */
  seconds: number;
}

/** Where training stands: everything besides the weights that resuming needs. */
export interface TrainingState {
  /** Optimizer steps taken (the schedule position). */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** Batches of epoch `epoch + 1` already consumed. */
  batchInEpoch: number;
  /**
   * The run's seed; batch order of epoch `e` is drawn from `[seed, e]`, so this and the epoch
   * are the RNG state.
   */
  seed: number;
  /** Steps skipped for non-finite gradients so far. */
  skippedSteps: number;
  /** Per-epoch history so far. */
  history: EpochRecord[];
  /** Running sums of the current, unfinished epoch. */
  epochAccumulator: {
    /** Sum of the losses of the epoch's applied steps. */
    lossSum: number;
    /** Sum of their global gradient norms. */
    gradNormSum: number;
    /** Steps applied so far in the epoch. */
    applied: number;
    /** Learning rate of the latest step. */
    lr: number;
    /** Seconds spent in the epoch so far. */
    seconds: number;
    /** Sum of the distillation (KD) terms of the applied steps, when distilling. */
    kdSum?: number;
    /** Sum of the CTC terms of the applied steps, when distilling. */
    ctcSum?: number;
  };
  /** Best dev WER so far and evaluations since it improved (for early stopping on a plateau). */
  plateau: {
    /** Best dev WER so far (`Infinity` before the first evaluation). */
    best: number;
    /** Evaluated epochs since `best` last improved. */
    epochsWithoutImprovement: number;
  };
  /** Whether training has finished (a stop was requested, or all epochs ran). */
  finished: boolean;
}
