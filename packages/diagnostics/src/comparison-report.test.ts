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

/** The SVG of each chart of a page, by caption. */
function chartSvgs(html: string): Map<string, string> {
  const found = html.matchAll(
    /<figure class="chart" data-chart="chart-\d+"><figcaption>([^<]*)<\/figcaption>(<svg[\s\S]*?<\/svg>)/g,
  );
  return new Map([...found].map((m) => [m[1], m[2]]));
}

/** The elements (`<path …/>`, `<line …/>`, `<text …>…</text>`) of the marks of one kind. */
function marks(svg: string, kind: 'area' | 'line' | 'rule' | 'symbol' | 'text'): string[] {
  const groups = svg.matchAll(
    new RegExp(`<g class="mark-${kind} role-mark[^>]*>([\\s\\S]*?)</g>`, 'g'),
  );
  return [...groups].flatMap(
    (g) => g[1].match(/<(path|line|text)\b[^>]*?(\/>|>[^<]*<\/text>)/g) ?? [],
  );
}

describe('comparison report: bands on curves', () => {
  const banded: ComparisonReport = {
    title: 'Bands',
    curves: [
      {
        caption: 'Dev WER over 3 seeds',
        xLabel: 'epoch',
        yLabel: 'WER',
        series: [
          {
            name: 'scratch',
            // Given out of order: the band follows x. x = 3 has none (the band breaks there);
            // x = 5 stands alone (a bar); x = 6's band is not finite (left out, counted).
            points: [
              { x: 2, y: 0.7, low: 0.65, high: 0.75 },
              { x: 1, y: 0.9, low: 0.8, high: 1 },
              { x: 3, y: 0.6 },
              { x: 5, y: 0.5, low: 0.45, high: 0.55 },
              { x: 6, y: 0.45, low: Number.NaN, high: 0.5 },
            ],
          },
          {
            name: 'distilled',
            points: [
              { x: 1, y: 0.8 },
              { x: 2, y: 0.5 },
            ],
          },
        ],
      },
    ],
  };

  it('draws a translucent area in the colour of the line, behind it, where points have a band', async () => {
    const html = await renderComparisonReportHtml(banded);
    const svg = chartSvgs(html).get('Dev WER over 3 seeds') ?? '';
    const areas = marks(svg, 'area');
    expect(areas).toHaveLength(1);
    expect(areas[0]).toContain('group: scratch');
    expect(areas[0]).toMatch(/opacity="0\.2"/);
    // One area from x = 1 to x = 2: four corners (two points, upper and lower edges).
    expect(areas[0].match(/d="M[^"]*"/)?.[0].match(/[ML]/g)).toHaveLength(4);
    const lines = marks(svg, 'line');
    const stroke = lines.find((l) => l.includes('series: scratch'))?.match(/stroke="([^"]+)"/)?.[1];
    expect(stroke).toBeDefined();
    expect(areas[0]).toContain(`fill="${stroke}"`);
    expect(lines.find((l) => l.includes('series: distilled'))).not.toContain(`stroke="${stroke}"`);
    // The lone band at x = 5 is a translucent bar of the same colour.
    const bars = marks(svg, 'rule');
    expect(bars).toHaveLength(1);
    expect(bars[0]).toContain('epoch: 5');
    expect(bars[0]).toContain(`stroke="${stroke}"`);
    // Behind the lines: drawn first.
    expect(svg.indexOf('class="mark-area')).toBeLessThan(svg.indexOf('class="mark-line'));
    expect(html).toContain('1 non-finite value not plotted.');
    // One legend, of the lines' (opaque) colours.
    expect(svg.match(/class="mark-group role-legend"/g)).toHaveLength(1);
    const legendSymbols = svg.match(/<g class="mark-symbol role-legend-symbol[\s\S]*?<\/g>/g);
    expect(legendSymbols?.[0]).toContain('opacity="1"');
  });

  it('cuts a band reaching 0 or below at the bottom of a log axis', async () => {
    const html = await renderComparisonReportHtml({
      title: 'Log',
      curves: [
        {
          caption: 'Loss',
          xLabel: 'epoch',
          yLabel: 'loss',
          logY: true,
          series: [
            {
              name: 'run',
              points: [
                { x: 1, y: 1, low: -1, high: 3 },
                { x: 2, y: 0.5, low: 0.2, high: 0.8 },
              ],
            },
          ],
        },
      ],
    });
    const svg = chartSvgs(html).get('Loss') ?? '';
    const area = marks(svg, 'area')[0];
    const corners = [...(area.match(/d="([^"]*)"/)?.[1].matchAll(/-?[\d.]+,(-?[\d.]+)/g) ?? [])];
    const ys = corners.map((c) => Number(c[1]));
    expect(ys.every(Number.isFinite)).toBe(true);
    expect(Math.max(...ys)).toBeCloseTo(240); // the bottom of the plot (its height)
    expect(html).not.toContain('not plotted');
  });

  it('refuses a band with one edge or that does not hold its point', async () => {
    const withPoint = (point: object): ComparisonReport => ({
      title: 't',
      curves: [
        {
          caption: 'c',
          xLabel: 'x',
          yLabel: 'y',
          series: [{ name: 's', points: [{ x: 0, y: 0 }, point as never] }],
        },
      ],
    });
    const at = "Argument 'report.curves[0].series[0].points[1]";
    const fn = "passed to 'renderComparisonReportHtml'";
    await expect(renderComparisonReportHtml(withPoint({ x: 1, y: 0.5, low: 0.4 }))).rejects.toThrow(
      `${at}.high' ${fn} must be given with 'low' (a band has both edges), but got undefined.`,
    );
    await expect(
      renderComparisonReportHtml(withPoint({ x: 1, y: 0.5, high: 0.6 })),
    ).rejects.toThrow(
      `${at}.low' ${fn} must be given with 'high' (a band has both edges), but got undefined.`,
    );
    await expect(
      renderComparisonReportHtml(withPoint({ x: 1, y: 0.5, low: 0.55, high: 0.6 })),
    ).rejects.toThrow(
      `${at}' ${fn} must have 'low' ≤ 'y' ≤ 'high', but got low 0.55, y 0.5, high 0.6.`,
    );
    await expect(
      renderComparisonReportHtml(withPoint({ x: 1, y: 0.5, low: 0.4, high: '0.6' })),
    ).rejects.toThrow(`${at}.high' ${fn} must be a number or absent, but got '0.6'.`);
    // A non-finite edge is not refused: it is left out and counted.
    await expect(
      renderComparisonReportHtml(
        withPoint({ x: 1, y: 0.5, low: 0.4, high: Number.POSITIVE_INFINITY }),
      ),
    ).resolves.toContain('1 non-finite value not plotted.');
  });
});

describe('comparison report: scatter charts', () => {
  const scatter: ComparisonReport = {
    title: 'Architectures',
    bars: [{ caption: 'Test WER', valueLabel: 'WER', bars: [{ label: 'teacher', value: 0.2 }] }],
    scatters: [
      {
        caption: 'Test WER vs trainable parameters',
        xLabel: 'trainable parameters',
        yLabel: 'test WER',
        logX: true,
        points: [
          { label: 'I3D <teacher>', x: 3e6, y: 0.2, yError: 0.02, group: 'I3D' },
          { label: 'MobileNetV3', x: 2e5, y: 0.35, xError: 3e5, yError: 0.03, group: 'student' },
          { label: 'MobileNetV3 distilled', x: 2e5, y: 0.3, group: 'student' },
          { label: 'broken', x: Number.NaN, y: 0.5 },
          { label: 'no time', x: 1e5, y: 0.4, yError: Number.NaN },
        ],
      },
    ],
  };

  it('draws a labelled point per model, coloured by group, with error bars, after the bars', async () => {
    const html = await renderComparisonReportHtml(scatter);
    const charts = chartSvgs(html);
    expect([...charts.keys()]).toEqual(['Test WER', 'Test WER vs trainable parameters']);
    const svg = charts.get('Test WER vs trainable parameters') ?? '';
    const points = marks(svg, 'symbol');
    expect(points).toHaveLength(4);
    const fill = (label: string): string | undefined =>
      points.find((p) => p.includes(`group: ${label}`))?.match(/fill="([^"]+)"/)?.[1];
    expect(fill('I3D')).not.toEqual(fill('student'));
    const texts = marks(svg, 'text').map((t) => t.match(/>([^<]*)<\/text>/)?.[1]);
    expect(texts).toEqual([
      'I3D &lt;teacher&gt;',
      'MobileNetV3',
      'MobileNetV3 distilled',
      'no time',
    ]);
    // Error bars: one horizontal (its lower end, below 0, cut at the chart's edge), two vertical.
    const rules = marks(svg, 'rule');
    expect(rules).toHaveLength(3);
    expect(rules.filter((r) => /y2="0"/.test(r))).toHaveLength(1);
    for (const r of rules) expect(r).not.toMatch(/NaN|Infinity/);
    expect(html).toContain('2 non-finite values not plotted.');
  });

  it('says when no point can be drawn', async () => {
    const html = await renderComparisonReportHtml({
      title: 't',
      scatters: [
        {
          caption: 'c',
          xLabel: 'x',
          yLabel: 'y',
          logY: true,
          points: [{ label: 'a', x: 1, y: 0 }],
        },
      ],
    });
    expect(html).toContain('<p class="note">No data to chart.</p>');
  });

  it('refuses malformed scatter charts and points', async () => {
    const fn = "passed to 'renderComparisonReportHtml'";
    const withPoints = (points: unknown[], extra: object = {}): ComparisonReport => ({
      title: 't',
      scatters: [{ caption: 'c', xLabel: 'x', yLabel: 'y', points: points as never, ...extra }],
    });
    await expect(renderComparisonReportHtml({ title: 't', scatters: {} as never })).rejects.toThrow(
      `Argument 'report.scatters' ${fn} must be an array, but got an object.`,
    );
    await expect(
      renderComparisonReportHtml({ title: 't', scatters: [{ caption: 'c' } as never] }),
    ).rejects.toThrow(
      `Argument 'report.scatters[0]' ${fn} must be an object with an array 'points', but got an object.`,
    );
    await expect(renderComparisonReportHtml(withPoints([{ x: 1, y: 2 }]))).rejects.toThrow(
      `Argument 'report.scatters[0].points[0]' ${fn} must be an object with a string 'label', but got an object.`,
    );
    await expect(
      renderComparisonReportHtml(withPoints([{ label: 'a', x: '1', y: 2 }])),
    ).rejects.toThrow(
      `Argument 'report.scatters[0].points[0].x' ${fn} must be a number, but got '1'.`,
    );
    await expect(
      renderComparisonReportHtml(withPoints([{ label: 'a', x: 1, y: 2, yError: -0.1 }])),
    ).rejects.toThrow(
      `Argument 'report.scatters[0].points[0].yError' ${fn} ` +
        'must be ≥ 0 (half the length of an error bar), but got -0.1.',
    );
    await expect(
      renderComparisonReportHtml(withPoints([{ label: 'a', x: 1, y: 2, group: 3 }])),
    ).rejects.toThrow(
      `Argument 'report.scatters[0].points[0].group' ${fn} must be a string or absent, but got 3.`,
    );
    await expect(renderComparisonReportHtml(withPoints([], { logX: 'yes' }))).rejects.toThrow(
      `Argument 'report.scatters[0].logX' ${fn} must be a boolean, but got 'yes'.`,
    );
  });
});
