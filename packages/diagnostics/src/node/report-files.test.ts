import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemError } from '@slr/core/node';
import { afterEach, describe, expect, it } from 'vitest';
import { renderReportHtml, type TrainingHistoryEntry } from '../report';
import { writeComparisonReport, writeReport } from './report-files';

const full: TrainingHistoryEntry[] = [1, 2, 3, 4].map((epoch) => ({
  epoch,
  step: epoch * 100,
  loss: 5 - epoch,
  lr: 1e-3 / epoch,
  gradNorm: 2 / epoch,
  wer: 1 - epoch / 5,
  predictions: [{ id: `s${epoch}`, reference: ['ICH', 'GEHEN'], hypothesis: ['ICH'] }],
  warnings: epoch === 2 ? ['gradient clipped'] : [],
}));

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'slr-report-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('writeReport', () => {
  it('writes dir/report.html, creating dir, leaving no temporary file', async () => {
    const dir = join(await tempDir(), 'nested', 'run');
    const file = await writeReport(full, dir);
    expect(file).toBe(join(dir, 'report.html'));
    expect(await readdir(dir)).toEqual(['report.html']);
    // Vega numbers gradient ids with a global counter, so compare with the ids normalised.
    const normalise = (html: string) => html.replace(/gradient_\d+/g, 'gradient_N');
    expect(normalise(await readFile(file, 'utf8'))).toBe(normalise(await renderReportHtml(full)));
  });

  it('replaces an existing report whole', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'report.html'), 'old');
    await writeReport([{ epoch: 1, loss: 1 }], dir, { title: 'new run' });
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<h1>new run</h1>');
    expect(await readdir(dir)).toEqual(['report.html']);
  });

  it('on a failed rename, throws, removes its temporary file and leaves the target alone', async () => {
    const dir = await tempDir();
    // report.html is a non-empty directory: the rename onto it fails.
    await mkdir(join(dir, 'report.html'));
    await writeFile(join(dir, 'report.html', 'keep'), 'x');
    const failure = writeReport(full, dir);
    await expect(failure).rejects.toBeInstanceOf(FileSystemError);
    await expect(failure).rejects.toThrow(`Could not write '${join(dir, 'report.html')}'`);
    expect(await readdir(dir)).toEqual(['report.html']);
    expect(await readdir(join(dir, 'report.html'))).toEqual(['keep']);
  });
});

describe('writeComparisonReport', () => {
  it('writes the page atomically, creating its folder', async () => {
    const dir = await tempDir();
    const file = await writeComparisonReport(
      {
        title: 'Teacher <vs> student',
        tables: [{ caption: 'Test WER', columns: ['model', 'WER'], rows: [['teacher', 0.21]] }],
        bars: [
          { caption: 'Test WER', valueLabel: 'WER', bars: [{ label: 'teacher', value: 0.21 }] },
        ],
      },
      join(dir, 'out'),
      'distill.html',
    );
    expect(file).toBe(join(dir, 'out', 'distill.html'));
    expect(await readdir(join(dir, 'out'))).toEqual(['distill.html']);
    expect(await readFile(file, 'utf8')).toContain('<h1>Teacher &lt;vs&gt; student</h1>');
    await expect(writeComparisonReport({ title: 't' }, dir, '')).rejects.toThrow(
      "Argument 'fileName' passed to 'writeComparisonReport' must be a non-empty string, but got ''.",
    );
  });
});
