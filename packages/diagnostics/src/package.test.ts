import { describe, expect, it } from 'vitest';
import * as diagnostics from './index';
import * as diagnosticsNode from './node';

describe('@slr/diagnostics entry point', () => {
  it('exports the public API, and no internal helper', () => {
    for (const name of [
      'checkLogProbs',
      'assertLogProbs',
      'LogProbError',
      'LOG_PROB_CAUSES',
      'gradientHealth',
      'analyzeLossTrajectory',
      'pearson',
      'spearman',
      'werLossCorrelation',
      'WER_HIGH_LOSS_LOW_WARNING',
      'describePrediction',
      'adviceFor',
      'adviseFromHistory',
      'renderReportHtml',
      'renderComparisonReportHtml',
      'REPORT_CHARTS',
    ]) {
      expect(diagnostics, name).toHaveProperty(name);
    }
    // Spearman's rank helper and the argument checks are internal.
    for (const name of ['averageRanks', 'checkReportArguments', 'checkComparisonReport'])
      expect(diagnostics, name).not.toHaveProperty(name);
  });

  it('writes reports from @slr/diagnostics/node only', () => {
    for (const name of ['writeReport', 'writeComparisonReport']) {
      expect(diagnosticsNode, name).toHaveProperty(name);
      expect(diagnostics, name).not.toHaveProperty(name);
    }
  });
});
