/**
 * What the HTML reports share: the page style, escaping, number formatting and Vega-Lite →
 * SVG rendering (in Node.js and in browsers). Internal to the package.
 *
 * @internal
 * @packageDocumentation
 */

export const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:16px}
figure.chart{margin:0;padding:8px;border:1px solid #e3e3e3;border-radius:4px}
figure.chart figcaption{font-weight:600;margin-bottom:4px}
.note{color:#666;font-size:.9em}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em}
ul.warnings li{color:#8a4b00}
`;

/**
 * The pages' Content-Security-Policy: self-contained by construction, and enforced (nothing
 * may be fetched; only inline styles and data: images).
 */
export const CSP_META =
  '<meta http-equiv="Content-Security-Policy" ' +
  `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`;

/** Escapes text for HTML element content and double-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Formats a number for a report: integers as is, 4 significant digits, exponents for tiny or
 * huge values.
 */
export function fmt(value: number | undefined, digits = 4): string {
  if (value === undefined) return '';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6)
    ? value.toExponential(2)
    : String(Number(value.toPrecision(digits)));
}

/** The note under a chart that left out `omitted` non-finite values; empty when none. */
export function omittedNote(omitted: number): string {
  if (omitted === 0) return '';
  return `<div class="note">${esc(omitted)} non-finite value${omitted === 1 ? '' : 's'} not plotted.</div>`;
}

/** A chart's figure: its caption, its SVG (or what stands for it) and its note. */
export function chartFigure(id: string, caption: string, body: string, note: string): string {
  return (
    `<figure class="chart" data-chart="${esc(id)}"><figcaption>${esc(caption)}</figcaption>` +
    `${body}${note}</figure>`
  );
}

/** Renders a Vega-Lite spec to an SVG string (no DOM needed: Node.js, browsers, workers). */
export async function renderSvg(spec: object): Promise<string> {
  // Loaded on demand: vega and vega-lite are ESM-only and large; the rest of the package does
  // not need them.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
