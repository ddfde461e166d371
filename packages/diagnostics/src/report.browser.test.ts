/**
 * Opens a written report in headless Chromium (driven by playwright-core) and checks that
 * every chart drew data marks and that the page logs no errors and fetches nothing.
 *
 * Needs Chromium: the Debian package `chromium`, or a Chromium binary named by the environment
 * variable `CHROMIUM_PATH`. Without it the test is skipped, saying so; under CI=true it fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH, describeRequiring } from '@slr/test-utils';
import { writeReport } from './node';
import { REPORT_CHARTS } from './report';
import type { TrainingHistoryEntry } from './report';

const history: TrainingHistoryEntry[] = [1, 2, 3, 4, 5].map((epoch) => ({
  epoch,
  step: epoch * 50,
  loss: 6 / epoch,
  lr: 1e-3 * Math.min(1, epoch / 2),
  gradNorm: 3 / epoch,
  wer: 1 - epoch / 6,
  predictions: [
    {
      id: `<clip ${epoch}>`,
      reference: ['ICH', 'GEHEN', 'HAUS'],
      hypothesis: ['ICH', 'HAUS', 'HAUS'],
    },
  ],
  warnings: epoch === 3 ? ['2 steps skipped: <non-finite> loss'] : [],
}));

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeRequiring('chromium', 'report in headless Chromium', () => {
  it('draws marks in every chart, with no console errors and no requests', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slr-report-browser-'));
    dirs.push(dir);
    const file = await writeReport(history, join(dir, 'out'));
    const userDataDir = join(dir, 'profile'); // fresh profile every run

    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('request', (request) => requests.push(request.url()));

      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });

      const marks = await page.evaluate(() =>
        Array.from(document.querySelectorAll('figure.chart')).map((figure) => ({
          id: figure.getAttribute('data-chart'),
          svgs: figure.querySelectorAll('svg').length,
          // data marks only: inside Vega's role-mark groups (not axes, grid or legend)
          marks: figure.querySelectorAll(
            'svg g.role-mark path, svg g.role-mark rect, svg g.role-mark circle, svg g.role-mark line',
          ).length,
          // drawn: the marks have a non-empty box in the laid-out page
          drawn: Array.from(figure.querySelectorAll('svg g.role-mark path')).filter((el) => {
            const box = (el as SVGGraphicsElement).getBBox();
            return box.width > 0 || box.height > 0;
          }).length,
        })),
      );
      expect(marks.map((m) => m.id)).toEqual(REPORT_CHARTS.map((c) => c.id));
      for (const m of marks) {
        expect(m.svgs, String(m.id)).toBe(1);
        expect(m.marks, String(m.id)).toBeGreaterThan(0);
        expect(m.drawn, String(m.id)).toBeGreaterThan(0);
      }
      // escaped text shows as text, not markup
      await expect(page.locator('table.predictions td').first().textContent()).resolves.toBe(
        '<clip 5>',
      );
      expect(await page.locator('script').count()).toBe(0);

      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await context.close();
    }
  });
});
