import { describe, expect, it } from 'vitest';
import { describePrediction } from './prediction';
import { REPORT_CHARTS, renderReportHtml } from './report';
import type { TrainingHistoryEntry } from './report';

const full: TrainingHistoryEntry[] = [1, 2, 3, 4].map((epoch) => ({
  epoch,
  step: epoch * 100,
  loss: 5 - epoch,
  lr: 1e-3 / epoch,
  gradNorm: 2 / epoch,
  wer: 1 - epoch / 5,
  skippedSteps: 0,
  seconds: 10.5,
  predictions: [
    { id: `s${epoch}-a`, reference: ['ICH', 'GEHEN'], hypothesis: ['ICH'] },
    { id: `s${epoch}-b`, reference: ['DU'], hypothesis: ['DU'] },
  ],
  warnings: epoch === 2 ? ['gradient clipped'] : [],
}));

/** The `<figure data-chart=…>` blocks of a page, by id. */
function figures(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<figure class="chart" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g))
    out.set(m[1], m[2]);
  return out;
}

/** Data-mark elements (inside Vega's `role-mark` groups, not axes or legends) of one chart's SVG. */
function dataMarks(svg: string): number {
  let count = 0;
  for (const m of svg.matchAll(/<g class="mark-[a-z]+ role-mark [^"]*"[^>]*>([\s\S]*?)<\/g>/g)) {
    count += (m[1].match(/<(path|rect|circle|line)\b/g) ?? []).length;
  }
  return count;
}

describe('renderReportHtml', () => {
  it('draws one SVG with data marks per chart', async () => {
    const html = await renderReportHtml(full);
    const charts = figures(html);
    expect([...charts.keys()]).toEqual(REPORT_CHARTS.map((c) => c.id));
    expect((html.match(/<svg\b/g) ?? []).length).toBe(REPORT_CHARTS.length);
    for (const [id, body] of charts) {
      expect((body.match(/<svg\b/g) ?? []).length, id).toBe(1);
      expect(dataMarks(body), id).toBeGreaterThan(0);
    }
    // line charts: one line path plus one point per epoch
    expect(dataMarks(charts.get('loss')!)).toBe(1 + full.length);
    // scatter: one point per epoch with loss and WER
    expect(dataMarks(charts.get('loss-vs-wer')!)).toBe(full.length);
    // element ids (e.g. the legend's gradient) are unique within the page
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is self-contained: no scripts, no external resources', async () => {
    const html = await renderReportHtml(full);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i);
    expect(html).not.toMatch(/(src|href)="(?!#)/i);
    expect(html).toContain("default-src 'none'");
  });

  it('shows the latest predictions with their alignment, warnings and advice', async () => {
    const html = await renderReportHtml(full);
    expect(html).toContain('Predictions (epoch 4)');
    expect(html).toContain('s4-a');
    expect(html).not.toContain('s3-a');
    const alignment = describePrediction(['ICH', 'GEHEN'], ['ICH']).alignmentText;
    expect(html).toContain(`<pre>${alignment}</pre>`);
    expect(html).toContain('epoch 2: gradient clipped');
    const plateau = await renderReportHtml([1, 2, 3, 4, 5, 6].map((epoch) => ({ epoch, loss: 2 })));
    expect(plateau).toContain('The loss stopped decreasing.');
    expect(plateau).toContain('lower the dropout');
    expect(
      await renderReportHtml(
        [1, 2, 3, 4, 5, 6].map((epoch) => ({ epoch, loss: 2 })),
        { advice: false },
      ),
    ).not.toContain('lower the dropout');
  });

  it('escapes all text', async () => {
    const evil = '<script>alert("x")</script>&\'';
    const html = await renderReportHtml(
      [
        {
          epoch: 1,
          loss: 1,
          wer: 0.5,
          predictions: [{ id: evil, reference: [evil, 'b'], hypothesis: ['<b>'] }],
          warnings: [evil],
        },
      ],
      { title: evil },
    );
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(html).toContain(`<title>&lt;script&gt;`);
  });

  it('skips charts whose data is absent and notes non-finite values', async () => {
    const html = await renderReportHtml([
      { epoch: 1, loss: 3 },
      { epoch: 2, loss: NaN, gradNorm: Infinity },
      { epoch: 3, loss: 2, gradNorm: 1 },
    ]);
    const charts = figures(html);
    expect([...charts.keys()]).toEqual(['loss', 'grad-norm']);
    expect(dataMarks(charts.get('loss')!)).toBe(1 + 2);
    expect(charts.get('loss')).toContain('1 non-finite value not plotted.');
    expect(html).toContain('The loss became NaN or Infinity.');
    expect(html).not.toContain('Predictions');
    expect(html).not.toContain('Warnings');

    const empty = await renderReportHtml([]);
    expect(empty).not.toContain('<svg');
    expect(empty).toContain('No epochs recorded.');
  });

  it('rejects a non-array history', async () => {
    await expect(renderReportHtml({} as never)).rejects.toThrow(
      "Argument 'history' passed to 'renderReportHtml' must be an array, but got an object.",
    );
    await expect(renderReportHtml([], { advice: 'no' as never })).rejects.toThrow(
      "Argument 'options.advice' passed to 'renderReportHtml' must be a boolean, but got 'no'.",
    );
  });
});
