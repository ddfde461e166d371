/**
 * Training report: one self-contained HTML page (inline CSS, charts rendered by Vega-Lite to
 * inline SVG, no external resources) with the loss, WER, learning-rate and gradient-norm
 * curves, loss vs WER, the latest per-sample predictions, warnings and advice. Rendering works
 * wherever vega does (Node.js, browsers); writing the page to a file is `writeReport` of
 * `@slr/diagnostics/node`.
 */
import { adviseFromHistory } from './advice';
import type { Advice } from './advice';
import { describePrediction } from './prediction';
import { checkReportArguments } from './arguments';
import { CSP_META, CSS, chartFigure, esc, fmt, omittedNote, renderSvg } from './report-parts';

/**
 * One evaluated sample of a {@link TrainingHistoryEntry}: its reference and the decoded
 * hypothesis, as token (gloss) arrays.
 */
export interface PredictionSample {
  /** Identifies the sample (file name, index…). */
  id: string;
  /** Reference tokens. */
  reference: string[];
  /** Decoded tokens. */
  hypothesis: string[];
}

/**
 * One epoch of a training history, as the trainer records it; {@link renderReportHtml} (and
 * `writeReport` of `@slr/diagnostics/node`) reads an array of these, oldest first. Only
 * `epoch` and `loss` are required; the rest is shown when present.
 */
export interface TrainingHistoryEntry {
  /** Epoch number. */
  epoch: number;
  /** Global step at the end of the epoch. */
  step?: number;
  /** Mean training loss of the epoch (may be `NaN`/`Infinity` when training broke). */
  loss: number;
  /** Learning rate at the end of the epoch. */
  lr?: number;
  /** Global gradient norm (e.g. the epoch's mean or last). */
  gradNorm?: number;
  /** Word error rate of the evaluation run after this epoch, when there was one. */
  wer?: number;
  /** Steps skipped (e.g. non-finite loss or gradients). */
  skippedSteps?: number;
  /** Wall-clock duration of the epoch in seconds. */
  seconds?: number;
  /** Per-sample predictions of the evaluation run after this epoch. */
  predictions?: PredictionSample[];
  /** Warnings raised during the epoch. */
  warnings?: string[];
}

/** Options of {@link renderReportHtml} (and of `writeReport` of `@slr/diagnostics/node`). */
export interface ReportOptions {
  /** Page title and heading. Default `'Training report'`. */
  title?: string;
  /** Include the advice of `adviseFromHistory` (from the losses and loss/WER pairs). Default `true`. */
  advice?: boolean;
}

/**
 * The charts a report can hold, by the `data-chart` id of their container; a chart whose data
 * is absent (no finite value) is left out.
 *
 * @example
 * ```ts
 * REPORT_CHARTS.map((c) => c.id); // ['loss', 'wer', 'lr', 'grad-norm', 'loss-vs-wer']
 * ```
 */
export const REPORT_CHARTS: readonly {
  /** The chart container's `data-chart` attribute. */
  id: string;
  /** The chart's caption. */
  title: string;
}[] = [
  { id: 'loss', title: 'Loss vs epoch' },
  { id: 'wer', title: 'WER vs epoch' },
  { id: 'lr', title: 'Learning rate vs epoch' },
  { id: 'grad-norm', title: 'Gradient norm vs epoch' },
  { id: 'loss-vs-wer', title: 'Loss vs WER' },
];

type Row = Record<string, number>;

interface ChartData {
  id: string;
  title: string;
  rows: Row[];
  omitted: number;
  spec: object;
}

const WIDTH = 420;
const HEIGHT = 220;

function lineChart(
  id: string,
  title: string,
  field: 'loss' | 'wer' | 'lr' | 'gradNorm',
  label: string,
  history: readonly TrainingHistoryEntry[],
): ChartData {
  const rows: Row[] = [];
  let omitted = 0;
  for (const e of history) {
    const v = e[field];
    if (v === undefined || v === null) continue;
    if (!Number.isFinite(v) || !Number.isFinite(e.epoch)) omitted++;
    else rows.push({ epoch: e.epoch, [field]: v });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
      y: {
        field,
        type: 'quantitative',
        title: label,
        scale: { zero: false },
        ...(field === 'lr' ? { axis: { format: '.1e' } } : {}),
      },
    },
  };
  return { id, title, rows, omitted, spec };
}

function scatterChart(history: readonly TrainingHistoryEntry[]): ChartData {
  const rows: Row[] = [];
  let omitted = 0;
  for (const e of history) {
    if (e.wer === undefined || e.wer === null) continue;
    if (Number.isFinite(e.wer) && Number.isFinite(e.loss))
      rows.push({ epoch: e.epoch, loss: e.loss, wer: e.wer });
    else omitted++;
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      x: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
      y: { field: 'wer', type: 'quantitative', title: 'WER', scale: { zero: false } },
      color: { field: 'epoch', type: 'quantitative', title: 'epoch' },
    },
  };
  return { id: 'loss-vs-wer', title: 'Loss vs WER', rows, omitted, spec };
}

function chartTitle(id: string): string {
  return REPORT_CHARTS.find((c) => c.id === id)?.title ?? id;
}

/**
 * Renders the training report to one self-contained HTML page, as a string (nothing is
 * written; `writeReport` of `@slr/diagnostics/node` writes it to a file):
 * - charts of loss, WER, learning rate and gradient norm vs epoch, and loss vs WER (each left
 *   out when its data is absent; non-finite values are not plotted and are counted in a note);
 * - a per-epoch table;
 * - the per-sample predictions of the latest entry that has `predictions` (reference,
 *   hypothesis, WER and the alignment of `describePrediction`);
 * - every entry's warnings, and the advice of `adviseFromHistory` (unless `advice: false`).
 *
 * Inline CSS and inline SVG charts rendered with Vega-Lite (in Node.js or a browser), no
 * scripts or external resources; all text is HTML-escaped.
 *
 * @throws ArgumentError when `history` is not an array or `options` is not an options object.
 *
 * @example
 * ```ts
 * const html = await renderReportHtml([{ epoch: 1, loss: 3.2 }, { epoch: 2, loss: 2.1 }]);
 * html.startsWith('<!DOCTYPE html>'); // true
 * ```
 */
export async function renderReportHtml(
  history: readonly TrainingHistoryEntry[],
  options: ReportOptions = {},
): Promise<string> {
  const { title, advice } = checkReportArguments('renderReportHtml', history, options);
  const charts = [
    lineChart('loss', chartTitle('loss'), 'loss', 'loss', history),
    lineChart('wer', chartTitle('wer'), 'wer', 'WER', history),
    lineChart('lr', chartTitle('lr'), 'lr', 'learning rate', history),
    lineChart('grad-norm', chartTitle('grad-norm'), 'gradNorm', 'gradient norm', history),
    scatterChart(history),
  ];
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    CSP_META,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${esc(title)}</h1>`,
  );

  if (history.length === 0) {
    parts.push('<p class="note">No epochs recorded.</p>');
  } else {
    const last = history[history.length - 1];
    const epochs = `${esc(history.length)} epoch${history.length === 1 ? '' : 's'}`;
    const wer = last.wer !== undefined ? `, WER ${esc(fmt(last.wer))}` : '';
    parts.push(
      `<p class="note">${epochs}; latest: epoch ${esc(fmt(last.epoch))}, ` +
        `loss ${esc(fmt(last.loss))}${wer}.</p>`,
    );
  }

  // Charts
  parts.push('<h2>Charts</h2>', '<div class="charts">');
  let drawn = 0;
  for (const chart of charts) {
    if (chart.rows.length === 0) continue;
    const svg = await renderSvg(chart.spec);
    drawn++;
    parts.push(chartFigure(chart.id, chart.title, svg, omittedNote(chart.omitted)));
  }
  parts.push('</div>');
  if (drawn === 0) parts.push('<p class="note">No data to chart.</p>');

  // Per-epoch table
  if (history.length > 0) {
    parts.push(
      '<h2>Epochs</h2>',
      '<table class="epochs"><thead><tr><th>epoch</th><th>step</th><th>loss</th><th>WER</th>' +
        '<th>learning rate</th><th>gradient norm</th><th>skipped steps</th><th>seconds</th>' +
        '</tr></thead><tbody>',
    );
    for (const e of history) {
      const cells = [
        e.epoch,
        e.step,
        e.loss,
        e.wer,
        e.lr,
        e.gradNorm,
        e.skippedSteps,
        e.seconds,
      ].map((v) => `<td class="num">${esc(fmt(v))}</td>`);
      parts.push(`<tr>${cells.join('')}</tr>`);
    }
    parts.push('</tbody></table>');
  }

  // Latest predictions
  let latest: TrainingHistoryEntry | undefined;
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i].predictions !== undefined) {
      latest = history[i];
      break;
    }
  }
  if (latest !== undefined) {
    const predictions = latest.predictions ?? [];
    parts.push(`<h2>Predictions (epoch ${esc(fmt(latest.epoch))})</h2>`);
    if (predictions.length === 0) parts.push('<p class="note">No samples evaluated.</p>');
    else {
      parts.push(
        '<table class="predictions"><thead><tr><th>id</th><th>reference</th>' +
          '<th>hypothesis</th><th>WER</th><th>alignment</th></tr></thead><tbody>',
      );
      for (const p of predictions) {
        const d = describePrediction(p.reference, p.hypothesis);
        parts.push(
          `<tr><td>${esc(p.id)}</td><td>${esc(p.reference.join(' '))}</td>` +
            `<td>${esc(p.hypothesis.join(' '))}</td>` +
            `<td class="num">${esc(fmt(d.wer, 3))}</td><td><pre>${esc(d.alignmentText)}</pre></td></tr>`,
        );
      }
      parts.push('</tbody></table>');
    }
  }

  // Warnings
  const warnings = history.flatMap((e) =>
    (e.warnings ?? []).map((w: string) => ({ epoch: e.epoch, text: w })),
  );
  if (warnings.length > 0) {
    parts.push('<h2>Warnings</h2>', '<ul class="warnings">');
    for (const w of warnings) parts.push(`<li>epoch ${esc(fmt(w.epoch))}: ${esc(w.text)}</li>`);
    parts.push('</ul>');
  }

  // Advice
  if (advice && history.length > 0) {
    const advice: Advice[] = adviseFromHistory({
      losses: history.map((e) => e.loss),
      evaluations: history
        .filter((e) => e.wer !== undefined)
        .map((e) => ({ loss: e.loss, wer: e.wer as number })),
    });
    if (advice.length > 0) {
      parts.push('<h2>Advice</h2>', '<ul class="advice">');
      for (const a of advice) {
        parts.push(
          `<li><strong>${esc(a.symptom)}</strong><ul>${a.actions.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></li>`,
        );
      }
      parts.push('</ul>');
    }
  }

  parts.push('</body>', '</html>', '');
  return parts.join('\n');
}
