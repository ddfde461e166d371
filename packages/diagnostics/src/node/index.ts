/**
 * `@slr/diagnostics/node`: what of `@slr/diagnostics` needs Node.js — writing the HTML reports
 * to files, atomically. Rendering them to a string (`renderReportHtml`,
 * `renderComparisonReportHtml`) is in the main entry and works in browsers too.
 *
 * @module @slr/diagnostics/node
 */
export * from './report-files';
