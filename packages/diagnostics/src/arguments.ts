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
import type { ComparisonCurves, ComparisonReport, ComparisonScatter } from './comparison-report';
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

/** Refuses a `value` that is given (not `undefined`) and not of the type `type`. */
function checkOptional(
  fn: string,
  argument: string,
  value: unknown,
  type: 'number' | 'string',
): void {
  if (value !== undefined && typeof value !== type)
    throw new ArgumentError(
      fn,
      argument,
      `be ${type === 'number' ? 'a number' : 'a string'} or absent`,
      value,
    );
}

/**
 * Checks a comparison report's shape, and the values a chart cannot draw: a curve point's band
 * (`low` and `high` both or neither, `low ≤ y ≤ high` when all are finite), a scatter point's
 * label, coordinates and error bars (≥ 0). Non-finite coordinates are not refused: the charts
 * leave them out and say how many.
 */
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
  if (report.curves !== undefined) checkArray(fn, 'report.curves', report.curves);
  (report.curves ?? []).forEach((chart, c) => checkCurves(fn, `report.curves[${c}]`, chart));
  if (report.scatters !== undefined) checkArray(fn, 'report.scatters', report.scatters);
  (report.scatters ?? []).forEach((chart, c) => checkScatter(fn, `report.scatters[${c}]`, chart));
}

function checkCurves(fn: string, name: string, chart: ComparisonCurves): void {
  if (chart == null || !Array.isArray(chart.series))
    throw new ArgumentError(fn, name, "be an object with an array 'series'", chart);
  chart.series.forEach((series, s) => {
    if (series == null || !Array.isArray(series.points))
      throw new ArgumentError(fn, `${name}.series[${s}]`, "have an array 'points'", series);
    series.points.forEach((point, i) => {
      const at = `${name}.series[${s}].points[${i}]`;
      if (point == null || typeof point !== 'object')
        throw new ArgumentError(fn, at, 'be an object', point);
      const { y, low, high } = point;
      checkOptional(fn, `${at}.low`, low, 'number');
      checkOptional(fn, `${at}.high`, high, 'number');
      if ((low === undefined) !== (high === undefined)) {
        const missing = low === undefined ? 'low' : 'high';
        throw new ArgumentError(
          fn,
          `${at}.${missing}`,
          `be given with '${missing === 'low' ? 'high' : 'low'}' (a band has both edges)`,
          undefined,
        );
      }
      const finite = [y, low, high].every(Number.isFinite);
      if (finite && !((low as number) <= y && y <= (high as number))) {
        throw new ArgumentError(fn, at, "have 'low' ≤ 'y' ≤ 'high'", point, {
          actualText: `low ${low}, y ${y}, high ${high}`,
        });
      }
    });
  });
}

function checkScatter(fn: string, name: string, chart: ComparisonScatter): void {
  if (chart == null || !Array.isArray(chart.points))
    throw new ArgumentError(fn, name, "be an object with an array 'points'", chart);
  if (chart.logX !== undefined) checkBoolean(fn, `${name}.logX`, chart.logX);
  if (chart.logY !== undefined) checkBoolean(fn, `${name}.logY`, chart.logY);
  chart.points.forEach((point, i) => {
    const at = `${name}.points[${i}]`;
    if (point == null || typeof point.label !== 'string')
      throw new ArgumentError(fn, at, "be an object with a string 'label'", point);
    for (const key of ['x', 'y'] as const) {
      if (typeof point[key] !== 'number')
        throw new ArgumentError(fn, `${at}.${key}`, 'be a number', point[key]);
    }
    for (const key of ['xError', 'yError'] as const) {
      const error = point[key];
      checkOptional(fn, `${at}.${key}`, error, 'number');
      if (error !== undefined && error < 0)
        throw new ArgumentError(
          fn,
          `${at}.${key}`,
          'be ≥ 0 (half the length of an error bar)',
          error,
        );
    }
    checkOptional(fn, `${at}.group`, point.group, 'string');
  });
}
