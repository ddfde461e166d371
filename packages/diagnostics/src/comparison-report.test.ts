import { describe, expect, it } from 'vitest';
import { renderComparisonReportHtml, type ComparisonReport } from './comparison-report';

const report: ComparisonReport = {
  title: 'Teacher <vs> student',
  summary: ['Distillation lowered the test WER by 6 points & more.'],
  tables: [
    {
      caption: 'Test WER',
      columns: ['model', 'WER', 'parameters'],
      rows: [
        ['teacher', 0.2134567, 305421],
        ['student <small>', 0.35, 180013],
      ],
    },
  ],
  curves: [
    {
      caption: 'Dev WER',
      xLabel: 'epoch',
      yLabel: 'WER',
      series: [
        {
          name: 'scratch seed 1',
          group: 'scratch',
          points: [
            { x: 1, y: 0.9 },
            { x: 2, y: 0.7 },
            { x: 3, y: Number.NaN },
          ],
        },
        {
          name: 'distilled seed 1',
          group: 'distilled',
          points: [
            { x: 1, y: 0.8 },
            { x: 2, y: 0.5 },
          ],
        },
      ],
    },
  ],
  bars: [
    {
      caption: 'Test WER',
      valueLabel: 'WER',
      bars: [
        { label: 'scratch', value: 0.41, error: 0.03 },
        { label: 'distilled', value: 0.33, error: 0.02 },
      ],
    },
  ],
};

describe('comparison report', () => {
  it('renders escaped text, formatted tables and one SVG per chart', async () => {
    const html = await renderComparisonReportHtml(report);
    expect(html).toContain('<title>Teacher &lt;vs&gt; student</title>');
    expect(html).toContain('<p>Distillation lowered the test WER by 6 points &amp; more.</p>');
    expect(html).toContain('<td>student &lt;small&gt;</td>');
    expect(html).toContain('<td class="num">0.2135</td>');
    expect(html).toContain('<td class="num">305421</td>');
    const charts = [
      ...html.matchAll(
        /<figure class="chart" data-chart="(chart-\d)"><figcaption>([^<]*)<\/figcaption>(<svg[\s\S]*?<\/svg>)/g,
      ),
    ];
    expect(charts.map((m) => [m[1], m[2]])).toEqual([
      ['chart-0', 'Dev WER'],
      ['chart-1', 'Test WER'],
    ]);
    // Two lines (one path each) in the curves; two bars with error rules in the bar chart.
    expect(charts[0][3].match(/class="mark-line/g)?.length).toBeGreaterThanOrEqual(1);
    expect(charts[0][3]).toContain('scratch');
    expect(charts[1][3]).toContain('distilled');
    expect(html).toContain('1 non-finite value not plotted.');
    expect(html).not.toMatch(/<script/);
  });

  it('refuses malformed reports and tables', async () => {
    await expect(
      renderComparisonReportHtml({
        title: 't',
        tables: [{ caption: 'c', columns: ['a', 'b'], rows: [[1]] }],
      }),
    ).rejects.toThrow(
      "Argument 'report.tables[0].rows[0]' passed to 'renderComparisonReportHtml' " +
        'must hold 2 cells (one per column), but got 1.',
    );
    await expect(renderComparisonReportHtml(null as never)).rejects.toThrow(
      "Argument 'report' passed to 'renderComparisonReportHtml' must be an object with a string 'title', but got null.",
    );
  });
});
