/**
 * The HTML reports written to files, through the project's one atomic writer
 * (`writeFileAtomic` of `@slr/core/node`).
 */
import { join } from 'node:path';
import { ArgumentError } from '@slr/core';
import { writeFileAtomic } from '@slr/core/node';
import type { ComparisonReport } from '../comparison-report';
import { renderComparisonReportHtml } from '../comparison-report';
import type { ReportOptions, TrainingHistoryEntry } from '../report';
import { renderReportHtml } from '../report';
import { checkComparisonReport, checkReportArguments } from '../arguments';

/** Refuses a `dir` or file name that is not a non-empty string. */
function checkPathPart(fn: string, argument: string, value: unknown): void {
  if (typeof value !== 'string' || value === '')
    throw new ArgumentError(fn, argument, 'be a non-empty string', value);
}

/**
 * Writes the training report `dir/report.html`: the page of `renderReportHtml` (charts of loss,
 * WER, learning rate and gradient norm, loss vs WER, a per-epoch table, the latest predictions
 * with their alignments, warnings and advice), one self-contained HTML file with inline SVG and
 * no scripts or external resources.
 *
 * The file is written atomically by `writeFileAtomic` of `@slr/core/node` (a temporary file
 * beside it, flushed, then renamed over `report.html`); `dir` is created when missing. A
 * file-system failure throws a `FileSystemError` naming `dir/report.html` and the cause.
 *
 * @returns the path of the written report.
 * @throws ArgumentError when `history` is not an array, or `dir` is not a non-empty string.
 *
 * @example
 * ```ts
 * const history: TrainingHistoryEntry[] = [
 *   { epoch: 1, loss: 3.1, lr: 1e-3, gradNorm: 2.4, wer: 0.92 },
 *   { epoch: 2, loss: 2.2, lr: 1e-3, gradNorm: 1.7, wer: 0.71,
 *     predictions: [{ id: 'a', reference: ['ICH', 'GEHEN'], hypothesis: ['ICH'] }] },
 * ];
 * const file = await writeReport(history, 'runs/12'); // 'runs/12/report.html'
 * ```
 */
export async function writeReport(
  history: readonly TrainingHistoryEntry[],
  dir: string,
  options: ReportOptions = {},
): Promise<string> {
  const checked = checkReportArguments('writeReport', history, options);
  checkPathPart('writeReport', 'dir', dir);
  const file = join(dir, 'report.html');
  await writeFileAtomic(file, await renderReportHtml(history, checked), { createFolder: true });
  return file;
}

/**
 * Writes a comparison report — summary text, tables, learning curves with one line per run
 * (optional bands), bar charts and labelled scatter charts with error bars — as one
 * self-contained HTML page `dir/fileName` (default
 * `comparison.html`; the page of `renderComparisonReportHtml`, inline SVG, no scripts or
 * external resources), atomically by `writeFileAtomic` of `@slr/core/node`; `dir` is created
 * when missing. Returns the file's path.
 *
 * @example
 * ```ts
 * declare const runs: { name: string; kind: string; dev: { x: number; y: number }[] }[];
 *
 * const report: ComparisonReport = {
 *   title: 'Distillation',
 *   tables: [
 *     {
 *       caption: 'Test WER',
 *       columns: ['student', 'WER'],
 *       rows: [['scratch', 0.41], ['distilled', 0.33]],
 *     },
 *   ],
 *   curves: [
 *     {
 *       caption: 'Dev WER',
 *       xLabel: 'epoch',
 *       yLabel: 'WER',
 *       series: runs.map((run) => ({ name: run.name, group: run.kind, points: run.dev })),
 *     },
 *   ],
 *   bars: [{ caption: 'Test WER', valueLabel: 'WER', bars: [{ label: 'scratch', value: 0.41 }] }],
 * };
 * const file = await writeComparisonReport(report, 'runs/distill'); // 'runs/distill/comparison.html'
 * ```
 */
export async function writeComparisonReport(
  report: ComparisonReport,
  dir: string,
  fileName = 'comparison.html',
): Promise<string> {
  checkComparisonReport('writeComparisonReport', report);
  checkPathPart('writeComparisonReport', 'dir', dir);
  checkPathPart('writeComparisonReport', 'fileName', fileName);
  const file = join(dir, fileName);
  await writeFileAtomic(file, await renderComparisonReportHtml(report), { createFolder: true });
  return file;
}
