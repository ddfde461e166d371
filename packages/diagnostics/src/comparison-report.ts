/**
 * Comparison report: one self-contained HTML page comparing several runs or models — free
 * text, tables, learning curves (one line per run) and bar charts with error bars — for
 * experiments such as distillation (teacher vs student from scratch vs distilled student)
 * and architecture comparisons. Writing the page to a file is `writeComparisonReport` of
 * `@slr/diagnostics/node`.
 */
import { checkComparisonReport } from './arguments';
import { CSP_META, CSS, chartFigure, esc, fmt, omittedNote, renderSvg } from './report-parts';

/**
 * A table of a {@link ComparisonReport}: a caption, column headers and rows (numbers are
 * right-aligned and formatted; strings are shown as they are).
 */
export interface ComparisonTable {
  /** Shown above the table. */
  caption: string;
  /** Column headers. */
  columns: string[];
  /** One array per row, a cell per column. */
  rows: (string | number)[][];
}

/** A chart of lines, one per series (for example the dev WER of each run against the epoch). */
export interface ComparisonCurves {
  /** Shown above the chart. */
  caption: string;
  /** Title of the x axis. */
  xLabel: string;
  /** Title of the y axis. */
  yLabel: string;
  /** Series; those of one `group` share a colour (a run's seeds, for instance). */
  series: {
    /** The series' name (one line per name). */
    name: string;
    /** Its colour group; default its name. */
    group?: string;
    /** Its points; non-finite ones are left out. */
    points: {
      /** Position on the x axis. */
      x: number;
      /** Position on the y axis. */
      y: number;
    }[];
  }[];
  /** Logarithmic y axis (positive values only). Default `false`. */
  logY?: boolean;
}

/**
 * A bar chart, optionally with a ± error per bar (for example the mean WER over seeds and its
 * standard deviation).
 */
export interface ComparisonBars {
  /** Shown above the chart. */
  caption: string;
  /** Title of the value axis. */
  valueLabel: string;
  /** The bars, in the order given. */
  bars: {
    /** The bar's label. */
    label: string;
    /** Its length. */
    value: number;
    /** Half the length of its error bar (`value ± error`); none when absent. */
    error?: number;
    /** Its colour group; default its label. */
    group?: string;
  }[];
  /** Logarithmic value axis (positive values only). Default `false`. */
  logScale?: boolean;
}

/**
 * What {@link renderComparisonReportHtml} (and `writeComparisonReport` of
 * `@slr/diagnostics/node`) renders, in this order: the summary paragraphs, the
 * tables, the curve charts and the bar charts.
 */
export interface ComparisonReport {
  /** Page title and heading. */
  title: string;
  /** Paragraphs of text shown first. */
  summary?: string[];
  /** Tables, in order. */
  tables?: ComparisonTable[];
  /** Line charts, in order. */
  curves?: ComparisonCurves[];
  /** Bar charts, in order. */
  bars?: ComparisonBars[];
}

const WIDTH = 460;
const HEIGHT = 240;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function curvesSpec(chart: ComparisonCurves): { spec: object; rows: number; omitted: number } {
  const values: { x: number; y: number; series: string; group: string }[] = [];
  let omitted = 0;
  for (const s of chart.series) {
    for (const p of s.points) {
      if (Number.isFinite(p.x) && Number.isFinite(p.y) && (!chart.logY || p.y > 0))
        values.push({ x: p.x, y: p.y, series: s.name, group: s.group ?? s.name });
      else omitted++;
    }
  }
  const spec = {
    $schema: SCHEMA,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: { size: 20 }, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: chart.xLabel },
      y: {
        field: 'y',
        type: 'quantitative',
        title: chart.yLabel,
        scale: chart.logY ? { type: 'log' } : { zero: false },
      },
      color: { field: 'group', type: 'nominal', title: null },
      detail: { field: 'series', type: 'nominal' },
    },
  };
  return { spec, rows: values.length, omitted };
}

function barsSpec(chart: ComparisonBars): { spec: object; rows: number; omitted: number } {
  const values = chart.bars
    .filter((b) => Number.isFinite(b.value) && (!chart.logScale || b.value > 0))
    .map((b) => ({
      label: b.label,
      value: b.value,
      lo: b.value - (b.error ?? 0),
      hi: b.value + (b.error ?? 0),
      group: b.group ?? b.label,
    }));
  const order = chart.bars.map((b) => b.label);
  const y = { field: 'label', type: 'nominal', title: null, sort: order };
  const spec = {
    $schema: SCHEMA,
    width: WIDTH,
    height: Math.max(60, 26 * values.length),
    background: 'white',
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y,
          x: {
            field: 'value',
            type: 'quantitative',
            title: chart.valueLabel,
            ...(chart.logScale ? { scale: { type: 'log' } } : {}),
          },
          color: { field: 'group', type: 'nominal', title: null },
        },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4 },
        encoding: {
          y,
          x: { field: 'hi', type: 'quantitative' },
          text: { field: 'value', type: 'quantitative', format: '.3~g' },
        },
      },
    ],
  };
  return { spec, rows: values.length, omitted: chart.bars.length - values.length };
}

/**
 * Renders a comparison report — summary text, tables, learning curves with one line per run
 * and bar charts with error bars — as one self-contained HTML page (inline SVG, no scripts or
 * external resources), to a string; `writeComparisonReport` of `@slr/diagnostics/node` writes
 * it to a file.
 *
 * @example
 * ```ts
 * const html = await renderComparisonReportHtml({
 *   title: 'Teacher vs student',
 *   summary: ['The distilled student is 6 points of WER better than the one from scratch.'],
 *   tables: [{ caption: 'Size', columns: ['model', 'parameters'], rows: [['teacher', 305421]] }],
 *   bars: [{ caption: 'Test WER', valueLabel: 'WER', bars: [{ label: 'scratch', value: 0.41 }] }],
 * });
 * ```
 */
export async function renderComparisonReportHtml(report: ComparisonReport): Promise<string> {
  checkComparisonReport('renderComparisonReportHtml', report);
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    CSP_META,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(report.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${esc(report.title)}</h1>`,
  ];
  for (const paragraph of report.summary ?? []) parts.push(`<p>${esc(paragraph)}</p>`);
  for (const table of report.tables ?? []) {
    parts.push(`<h2>${esc(table.caption)}</h2>`, '<table class="comparison"><thead><tr>');
    parts.push(table.columns.map((c) => `<th>${esc(c)}</th>`).join(''), '</tr></thead><tbody>');
    for (const row of table.rows) {
      const cells = row.map((cell) =>
        typeof cell === 'number'
          ? `<td class="num">${esc(fmt(cell))}</td>`
          : `<td>${esc(cell)}</td>`,
      );
      parts.push(`<tr>${cells.join('')}</tr>`);
    }
    parts.push('</tbody></table>');
  }
  const charts = [
    ...(report.curves ?? []).map((c) => ({ caption: c.caption, ...curvesSpec(c) })),
    ...(report.bars ?? []).map((b) => ({ caption: b.caption, ...barsSpec(b) })),
  ];
  if (charts.length > 0) {
    parts.push('<h2>Charts</h2>', '<div class="charts">');
    for (const [i, chart] of charts.entries()) {
      const body =
        chart.rows > 0 ? await renderSvg(chart.spec) : '<p class="note">No data to chart.</p>';
      parts.push(chartFigure(`chart-${i}`, chart.caption, body, omittedNote(chart.omitted)));
    }
    parts.push('</div>');
  }
  parts.push('</body>', '</html>', '');
  return parts.join('\n');
}
