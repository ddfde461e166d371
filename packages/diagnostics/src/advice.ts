/**
 * Advice for the common CTC training issues, from the diagnostics of this package.
 */
import { checkOneOf, checkOptions } from '@slr/core';
import { WER_HIGH_LOSS_LOW_WARNING, werLossCorrelation } from './correlation';
import type { GradientHealthReport } from './gradient-health';
import { LOG_PROB_CAUSES } from './log-probs';
import type { LogProbReport } from './log-probs';
import { analyzeLossTrajectory } from './loss-trajectory';

/** The issues {@link adviceFor} knows. */
export type TrainingIssue =
  'nan-loss' | 'plateau' | 'exploding-gradients' | 'raw-logits' | 'wer-loss-mismatch';

/** One piece of advice. */
export interface Advice {
  /** The issue advised on. */
  issue: TrainingIssue;
  /** What the issue is, in one sentence. */
  symptom: string;
  /** What to try, most effective first. */
  actions: string[];
}

const TABLE: Record<TrainingIssue, { symptom: string; actions: string[] }> = {
  'nan-loss': {
    symptom: 'The loss became NaN or Infinity.',
    actions: ['lower the learning rate', 'use a longer learning-rate warmup'],
  },
  plateau: {
    symptom: 'The loss stopped decreasing.',
    actions: ['lower the dropout', 'raise the learning rate'],
  },
  'exploding-gradients': {
    symptom: 'The gradient norm is exploding or non-finite.',
    actions: ['lower the learning rate', 'clip gradients by global norm at 0.5'],
  },
  'raw-logits': {
    symptom:
      'ctcLoss receives raw logits instead of log-probabilities ' +
      '(values above 0 in the model output, or a negative CTC loss, which is impossible ' +
      'with log-probabilities).',
    actions: ["apply log-softmax over the vocabulary axis in the model's output (before ctcLoss)"],
  },
  'wer-loss-mismatch': {
    symptom: 'The loss is low but the WER stays high.',
    actions: [
      'check the decoding (blank index, vocabulary mapping)',
      "check that log-softmax is applied in the model's output",
    ],
  },
};

/**
 * The advice for one issue, from the common-issues table:
 *
 * | issue                 | actions                                        |
 * | --------------------- | ---------------------------------------------- |
 * | `nan-loss`            | lower the learning rate; longer warmup         |
 * | `plateau`             | lower dropout; higher learning rate            |
 * | `exploding-gradients` | lower the learning rate; clip at global norm 0.5 |
 * | `raw-logits`          | apply log-softmax in the model's output        |
 * | `wer-loss-mismatch`   | check decoding; check log-softmax              |
 *
 * @throws ArgumentError for an unknown issue.
 *
 * @example
 * ```ts
 * adviceFor('nan-loss').actions;
 * // ['lower the learning rate', 'use a longer learning-rate warmup']
 * ```
 */
export function adviceFor(issue: TrainingIssue): Advice {
  checkOneOf('adviceFor', 'issue', issue, Object.keys(TABLE) as TrainingIssue[]);
  const entry = TABLE[issue];
  return { issue, symptom: entry.symptom, actions: [...entry.actions] };
}

/** What {@link adviseFromHistory} looks at; every field is optional. */
export interface TrainingHistory {
  /** Loss per step or epoch, oldest first (see `analyzeLossTrajectory`). */
  losses?: readonly number[];
  /** Evaluation history of loss and WER, oldest first (see `werLossCorrelation`). */
  evaluations?: readonly {
    /** Loss at the evaluation. */
    loss: number;
    /** Word error rate at the evaluation. */
    wer: number;
  }[];
  /** The latest `gradientHealth` report. */
  gradients?: GradientHealthReport;
  /** The latest `checkLogProbs` report. */
  logProbs?: LogProbReport;
}

/**
 * Advice from whatever diagnostics are at hand, one entry per issue found, in the order
 * raw-logits, nan-loss, exploding-gradients, plateau, wer-loss-mismatch:
 * - `raw-logits`: `logProbs.likelyCause` is the raw-logits cause, or a loss is negative
 *   (`analyzeLossTrajectory(losses).trend` is `'negative'`: a CTC loss cannot be);
 * - `nan-loss`: a non-finite value in `losses`;
 * - `exploding-gradients`: `gradients` lists non-finite or exploding gradients (or is not ok
 *   because of its global norm, while nothing vanishes);
 * - `plateau`: `analyzeLossTrajectory(losses).trend` is `'plateau'`;
 * - `wer-loss-mismatch`: `werLossCorrelation(evaluations)` warns.
 *
 * @example
 * ```ts
 * adviseFromHistory({ losses: [4, 3, 2, NaN] }).map((advice) => advice.issue); // ['nan-loss']
 * adviseFromHistory({ losses: [-3.6, -12.5] })[0].issue; // 'raw-logits' (a negative CTC loss)
 * adviseFromHistory({ losses: [2, 2, 2, 2] })[0].actions;
 * // ['lower the dropout', 'raise the learning rate']
 * // With the latest gradient report too ('exploding-gradients' when they explode):
 * adviseFromHistory({ losses: [3, 2, 1], gradients: await gradientHealth(grads) });
 * ```
 */
export function adviseFromHistory(history: TrainingHistory): Advice[] {
  history = checkOptions('adviseFromHistory', history, 'history');
  const issues: TrainingIssue[] = [];
  const trajectory =
    history.losses !== undefined ? analyzeLossTrajectory(history.losses) : undefined;
  if (
    history.logProbs?.likelyCause === LOG_PROB_CAUSES.rawLogits ||
    trajectory?.trend === 'negative'
  )
    issues.push('raw-logits');
  if (history.losses?.some((loss) => !Number.isFinite(loss))) issues.push('nan-loss');
  const g = history.gradients;
  if (
    g !== undefined &&
    (g.nonFinite.length > 0 || g.exploding.length > 0 || (!g.ok && g.vanishing.length === 0))
  ) {
    issues.push('exploding-gradients');
  }
  if (trajectory?.trend === 'plateau') issues.push('plateau');
  if (
    history.evaluations !== undefined &&
    werLossCorrelation(history.evaluations).warnings.includes(WER_HIGH_LOSS_LOW_WARNING)
  ) {
    issues.push('wer-loss-mismatch');
  }
  return issues.map(adviceFor);
}
