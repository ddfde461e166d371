/**
 * Argument checks the package's functions share: arrays, and the arguments of the report
 * functions (`renderReportHtml` and `renderComparisonReportHtml` here, `writeReport` and
 * `writeComparisonReport` in `@slr/diagnostics/node`), so that an error names the function the
 * user called. Internal to the package.
 *
 * @internal
 * @packageDocumentation
 */
import { ArgumentError, checkBoolean, checkOptions } from '@slr/core';
import type { ComparisonReport } from './comparison-report';
import type { ReportOptions, TrainingHistoryEntry } from './report';

/** Refuses a `value` that is not an array. */
export function checkArray(fn: string, argument: string, value: unknown): void {
  if (!Array.isArray(value)) throw new ArgumentError(fn, argument, 'be an array', value);
}

/** Checks the history and options of a report function; returns the options with defaults. */
export function checkReportArguments(
  fn: string,
  history: readonly TrainingHistoryEntry[],
  options: ReportOptions | undefined,
): Required<ReportOptions> {
  checkArray(fn, 'history', history);
  const { title = 'Training report', advice = true } = checkOptions(fn, options);
  if (typeof title !== 'string') throw new ArgumentError(fn, 'options.title', 'be a string', title);
  checkBoolean(fn, 'options.advice', advice);
  return { title, advice };
}

/** Checks a comparison report's shape. */
export function checkComparisonReport(fn: string, report: ComparisonReport): void {
  if (report == null || typeof report !== 'object' || typeof report.title !== 'string')
    throw new ArgumentError(fn, 'report', "be an object with a string 'title'", report);
  (report.tables ?? []).forEach((table, t) => {
    if (!Array.isArray(table.columns) || !Array.isArray(table.rows)) {
      throw new ArgumentError(
        fn,
        `report.tables[${t}]`,
        "have the arrays 'columns' and 'rows'",
        table,
      );
    }
    table.rows.forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== table.columns.length) {
        throw new ArgumentError(
          fn,
          `report.tables[${t}].rows[${r}]`,
          `hold ${table.columns.length} cells (one per column)`,
          row,
          { actualText: Array.isArray(row) ? `${row.length}` : undefined },
        );
      }
    });
  });
}
