/**
 * Comparison report: one self-contained HTML page comparing several runs or models — free
 * text, tables, learning curves (one line per run, optional bands), bar charts with error bars
 * and labelled scatter charts (one point per model) — for
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
    /**
     * Its points; non-finite ones are left out. A point may carry a band `low ≤ y ≤ high`
     * (both or neither; for example the mean ± the standard deviation over seeds), drawn as a
     * translucent area of the series' colour behind the line between consecutive points that
     * have one (a banded point with no banded neighbour is drawn as a translucent vertical
     * bar); a point without one breaks the band.
     */
    points: {
      /** Position on the x axis. */
      x: number;
      /** Position on the y axis. */
      y: number;
      /** Lower edge of the band, with `high`; a non-finite one leaves the band out there. */
      low?: number;
      /** Upper edge of the band, with `low`; a non-finite one leaves the band out there. */
      high?: number;
    }[];
  }[];
  /**
   * Logarithmic y axis (positive values only). Default `false`. A band reaching 0 or below is
   * cut at the bottom of the chart (as matplotlib clips non-positive values on a log axis).
   */
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
 * A scatter chart of one point per model, coloured by group and labelled with its text, with
 * optional ± error bars on either axis (for example the test WER against the number of
 * trainable parameters, or against the time of a training step).
 */
export interface ComparisonScatter {
  /** Shown above the chart. */
  caption: string;
  /** Title of the x axis. */
  xLabel: string;
  /** Title of the y axis. */
  yLabel: string;
  /** The points; those with a non-finite `x` or `y` are left out. */
  points: {
    /** The text shown next to the point (the model's name, say). */
    label: string;
    /** Position on the x axis. */
    x: number;
    /** Position on the y axis. */
    y: number;
    /** Half the length of its horizontal error bar (`x ± xError`, ≥ 0); none when absent. */
    xError?: number;
    /** Half the length of its vertical error bar (`y ± yError`, ≥ 0); none when absent. */
    yError?: number;
    /** Its colour group; default its label. */
    group?: string;
  }[];
  /**
   * Logarithmic x axis (positive values only). Default `false`. An error bar reaching 0 or
   * below is cut at the edge of the chart (as matplotlib clips non-positive values).
   */
  logX?: boolean;
  /** Logarithmic y axis, as `logX`. Default `false`. */
  logY?: boolean;
}

/**
 * What {@link renderComparisonReportHtml} (and `writeComparisonReport` of
 * `@slr/diagnostics/node`) renders, in this order: the summary paragraphs, the
 * tables, the curve charts, the bar charts and the scatter charts.
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
  /** Scatter charts, in order. */
  scatters?: ComparisonScatter[];
}

const WIDTH = 460;
const HEIGHT = 240;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * The scale of a chart's axis, and where to draw the lower end of a band or an error bar. On a
 * log axis where some lower end is ≤ 0, the domain is fixed to the positive values and the
 * scale clamps, so that end is drawn at the edge of the chart (as matplotlib clips non-positive
 * values on a log axis) instead of being left out.
 */
function axisScale(
  log: boolean,
  values: readonly number[],
  lows: readonly number[],
  linear: object = { zero: false },
): { scale: object; low: (value: number) => number } {
  if (!log) return { scale: linear, low: (value) => value };
  if (lows.every((value) => value > 0)) return { scale: { type: 'log' }, low: (value) => value };
  let min = Infinity;
  let max = -Infinity;
  for (const value of [...values, ...lows]) {
    if (value > 0) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
  }
  if (!(min < max)) [min, max] = [min / 10, max * 10];
  return {
    scale: { type: 'log', domain: [min, max], nice: true, clamp: true },
    low: (value) => (value > 0 ? value : min / 10),
  };
}

function curvesSpec(chart: ComparisonCurves): { spec: object; rows: number; omitted: number } {
  const values: { x: number; y: number; series: string; group: string }[] = [];
  // Band points, by runs of consecutive (in x) points that have one: an area per run of two or
  // more, a vertical bar for a run of one.
  const areas: { x: number; low: number; high: number; group: string; band: string }[] = [];
  const alone: { x: number; low: number; high: number; group: string }[] = [];
  let omitted = 0;
  for (const [s, series] of chart.series.entries()) {
    const group = series.group ?? series.name;
    const kept: { x: number; band?: { low: number; high: number } }[] = [];
    for (const p of series.points) {
      if (!(Number.isFinite(p.x) && Number.isFinite(p.y) && (!chart.logY || p.y > 0))) {
        omitted++;
        continue;
      }
      values.push({ x: p.x, y: p.y, series: series.name, group });
      if (p.low === undefined && p.high === undefined) kept.push({ x: p.x });
      else if (Number.isFinite(p.low) && Number.isFinite(p.high))
        kept.push({ x: p.x, band: { low: p.low as number, high: p.high as number } });
      else {
        omitted++;
        kept.push({ x: p.x });
      }
    }
    kept.sort((a, b) => a.x - b.x);
    let run: { x: number; low: number; high: number }[] = [];
    const flush = (): void => {
      if (run.length === 1) alone.push({ ...run[0], group });
      else {
        const band = `${s}/${areas.length}`;
        for (const p of run) areas.push({ ...p, group, band });
      }
      run = [];
    };
    for (const p of kept) {
      if (p.band) run.push({ x: p.x, ...p.band });
      else flush();
    }
    flush();
  }
  const bands = [...areas, ...alone];
  const { scale, low } = axisScale(
    chart.logY === true,
    [...values.map((v) => v.y), ...bands.map((b) => b.high)],
    bands.map((b) => b.low),
  );
  for (const b of bands) b.low = low(b.low);
  const y = { type: 'quantitative', title: chart.yLabel, scale } as const;
  const x = { field: 'x', type: 'quantitative', title: chart.xLabel } as const;
  const color = { field: 'group', type: 'nominal', title: null } as const;
  // The legend shows the lines' colours, not the bands' translucent ones.
  const bandColor = { ...color, legend: null };
  const layer: object[] = [];
  if (areas.length > 0) {
    layer.push({
      data: { values: areas },
      mark: { type: 'area', opacity: 0.2 },
      encoding: {
        x,
        y: { ...y, field: 'low' },
        y2: { field: 'high' },
        color: bandColor,
        detail: { field: 'band', type: 'nominal' },
      },
    });
  }
  if (alone.length > 0) {
    layer.push({
      data: { values: alone },
      mark: { type: 'rule', opacity: 0.35, strokeWidth: 3 },
      encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, color: bandColor },
    });
  }
  layer.push({
    data: { values },
    mark: { type: 'line', point: { size: 20 }, strokeWidth: 1.5 },
    encoding: {
      x,
      y: { ...y, field: 'y' },
      color,
      detail: { field: 'series', type: 'nominal' },
    },
  });
  const spec = {
    $schema: SCHEMA,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    layer,
    resolve: { legend: { color: 'independent' } },
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

function scatterSpec(chart: ComparisonScatter): { spec: object; rows: number; omitted: number } {
  const points: { label: string; x: number; y: number; group: string }[] = [];
  const xBars: { y: number; lo: number; hi: number; group: string }[] = [];
  const yBars: { x: number; lo: number; hi: number; group: string }[] = [];
  let omitted = 0;
  for (const p of chart.points) {
    const drawn =
      Number.isFinite(p.x) &&
      Number.isFinite(p.y) &&
      (!chart.logX || p.x > 0) &&
      (!chart.logY || p.y > 0);
    if (!drawn) {
      omitted++;
      continue;
    }
    const group = p.group ?? p.label;
    points.push({ label: p.label, x: p.x, y: p.y, group });
    if (p.xError !== undefined) {
      if (Number.isFinite(p.xError))
        xBars.push({ y: p.y, lo: p.x - p.xError, hi: p.x + p.xError, group });
      else omitted++;
    }
    if (p.yError !== undefined) {
      if (Number.isFinite(p.yError))
        yBars.push({ x: p.x, lo: p.y - p.yError, hi: p.y + p.yError, group });
      else omitted++;
    }
  }
  const xAxis = axisScale(
    chart.logX === true,
    [...points.map((p) => p.x), ...xBars.map((b) => b.hi)],
    xBars.map((b) => b.lo),
  );
  const yAxis = axisScale(
    chart.logY === true,
    [...points.map((p) => p.y), ...yBars.map((b) => b.hi)],
    yBars.map((b) => b.lo),
  );
  for (const b of xBars) b.lo = xAxis.low(b.lo);
  for (const b of yBars) b.lo = yAxis.low(b.lo);
  const x = { type: 'quantitative', title: chart.xLabel, scale: xAxis.scale } as const;
  const y = { type: 'quantitative', title: chart.yLabel, scale: yAxis.scale } as const;
  const color = { field: 'group', type: 'nominal', title: null } as const;
  const layer: object[] = [];
  if (xBars.length > 0) {
    layer.push({
      data: { values: xBars },
      mark: { type: 'rule', strokeWidth: 1.5 },
      encoding: { y: { ...y, field: 'y' }, x: { ...x, field: 'lo' }, x2: { field: 'hi' }, color },
    });
  }
  if (yBars.length > 0) {
    layer.push({
      data: { values: yBars },
      mark: { type: 'rule', strokeWidth: 1.5 },
      encoding: { x: { ...x, field: 'x' }, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
    });
  }
  layer.push(
    {
      data: { values: points },
      mark: { type: 'point', filled: true, size: 60, opacity: 1 },
      encoding: { x: { ...x, field: 'x' }, y: { ...y, field: 'y' }, color },
    },
    {
      data: { values: points },
      mark: { type: 'text', align: 'left', baseline: 'middle', dx: 7, color: '#333' },
      encoding: { x: { ...x, field: 'x' }, y: { ...y, field: 'y' }, text: { field: 'label' } },
    },
  );
  const spec = { $schema: SCHEMA, width: WIDTH, height: HEIGHT, background: 'white', layer };
  return { spec, rows: points.length, omitted };
}

/**
 * Renders a comparison report — summary text, tables, learning curves with one line per run
 * (and optional bands, such as mean ± sd over seeds), bar charts with error bars and labelled
 * scatter charts with error bars — as one self-contained HTML page (inline SVG, no scripts or
 * external resources), to a string; `writeComparisonReport` of `@slr/diagnostics/node` writes
 * it to a file. Values a chart cannot draw (non-finite, or ≤ 0 on a log axis) are left out and
 * counted in a note under it.
 *
 * @throws ArgumentError when the report is malformed: a table row with the wrong number of
 *   cells, a band with one edge or not holding its point, a scatter point without a label or
 *   with a negative error.
 *
 * @example
 * ```ts
 * const html = await renderComparisonReportHtml({
 *   title: 'Teacher vs student',
 *   summary: ['The distilled student is 6 points of WER better than the one from scratch.'],
 *   tables: [{ caption: 'Size', columns: ['model', 'parameters'], rows: [['teacher', 305421]] }],
 *   curves: [
 *     {
 *       caption: 'Dev WER, mean ± sd over 3 seeds',
 *       xLabel: 'epoch',
 *       yLabel: 'WER',
 *       series: [
 *         {
 *           name: 'distilled',
 *           points: [
 *             { x: 1, y: 0.8, low: 0.76, high: 0.84 },
 *             { x: 2, y: 0.5, low: 0.47, high: 0.53 },
 *           ],
 *         },
 *       ],
 *     },
 *   ],
 *   bars: [{ caption: 'Test WER', valueLabel: 'WER', bars: [{ label: 'scratch', value: 0.41 }] }],
 *   scatters: [
 *     {
 *       caption: 'Test WER vs trainable parameters',
 *       xLabel: 'trainable parameters',
 *       yLabel: 'test WER',
 *       logX: true,
 *       points: [
 *         { label: 'I3D teacher', x: 305421, y: 0.21, yError: 0.01, group: 'teacher' },
 *         { label: 'MobileNetV3 distilled', x: 180013, y: 0.33, yError: 0.02, group: 'student' },
 *       ],
 *     },
 *   ],
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
    ...(report.scatters ?? []).map((c) => ({ caption: c.caption, ...scatterSpec(c) })),
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
