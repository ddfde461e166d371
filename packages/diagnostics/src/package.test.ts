import { describe, expect, it } from 'vitest';
import * as diagnostics from './index';

describe('@slr/diagnostics entry point', () => {
  it('exports the public API', () => {
    for (const name of [
      'checkLogProbs',
      'assertLogProbs',
      'LogProbError',
      'LOG_PROB_CAUSES',
      'gradientHealth',
      'analyzeLossTrajectory',
      'pearson',
      'spearman',
      'averageRanks',
      'werLossCorrelation',
      'WER_HIGH_LOSS_LOW_WARNING',
      'describePrediction',
      'adviceFor',
      'adviseFromHistory',
      'writeReport',
      'renderReportHtml',
      'REPORT_CHARTS',
    ]) {
      expect(diagnostics, name).toHaveProperty(name);
    }
  });
});
