import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSignCorpus } from '../synthetic/index';
import type { SignSample } from '../types';
import { PHOENIX_CSV_HEADER, phoenixPaths, readPhoenixSplit } from './index';

/** `slr-data-synth` from source, as a child process (tsx), the way `pnpm data:synth` runs the built one. */
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
const cli = join(repoRoot, 'packages', 'data', 'src', 'node', 'cli.ts');
/** The installed command: a committed file that starts the built tool. */
const bin = join(repoRoot, 'packages', 'data', 'bin', 'slr-data-synth.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      [cli, ...args],
      { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

describe('slr-data-synth', () => {
  it('starts with a node shebang', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('says to build first when the built tool is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'slr-synth-bin-'));
    roots.push(root);
    mkdirSync(join(root, 'bin'));
    copyFileSync(bin, join(root, 'bin', 'slr-data-synth.js'));
    writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'bin', 'slr-data-synth.js'), '--help'],
        { encoding: 'utf8' },
        (error, _stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
      );
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(root, 'dist', 'cli.js')} is missing`);
    expect(stderr).toContain("Run 'pnpm build'");
  });

  it('writes a tiny synthetic corpus in the PHOENIX layout', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'slr-synth-cli-')), 'corpus');
    roots.push(out);
    const { code, stdout, stderr } = await run([
      '--out',
      out,
      '--glosses',
      '4',
      '--train',
      '3',
      '--dev',
      '1',
      '--test',
      '1',
      '--size',
      '16x12',
      '--fps',
      '5',
      '--seed',
      '3',
      '--keypoints',
    ]);
    expect(stderr).toMatch(/^train: 3\/3 samples, \d+ frames, \d+ frames\/s done$/m);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(
      /^Wrote .*: train 3 samples \/ \d+ frames, dev 1 samples \/ \d+ frames, test 1 samples \/ \d+ frames; 4 glosses; 16x12 at 5 fps, keypoints/,
    );

    const corpus = generateSignCorpus({
      seed: 3,
      glosses: 4,
      trainSamples: 3,
      devSamples: 1,
      testSamples: 1,
      difficulty: 0.3,
    });
    const paths = phoenixPaths(out);
    expect(JSON.parse(readFileSync(paths.vocabulary, 'utf8'))).toEqual(corpus.vocabulary.toJSON());
    for (const split of ['train', 'dev', 'test'] as const) {
      const lines = readFileSync(paths.corpusCsv(split), 'utf8').trimEnd().split('\n');
      expect(lines[0]).toBe(PHOENIX_CSV_HEADER);
      expect(lines.slice(1)).toEqual(
        corpus.splits[split].map(
          (spec) => `${spec.id}|${spec.id}/1/*.png|${spec.signer}|${spec.glosses.join(' ')}`,
        ),
      );
      for (const spec of corpus.splits[split]) {
        const frames = readdirSync(paths.frameDir(split, spec.id)).sort();
        expect(frames[0]).toBe('images0001.png');
        expect(
          frames.every((name, index) => name === `images${String(index + 1).padStart(4, '0')}.png`),
        ).toBe(true);
        expect(existsSync(paths.keypoints(split, spec.id))).toBe(true);
      }
    }
    const metadata = await sharp(paths.frameFile('dev', corpus.splits.dev[0].id, 0)).metadata();
    expect([metadata.width, metadata.height, metadata.channels]).toEqual([12, 16, 3]);

    // What is on disk is the rendered corpus, within 8-bit quantisation.
    const read: SignSample[] = [];
    for await (const sample of readPhoenixSplit(out, 'train')) read.push(sample);
    read.forEach((sample, index) => {
      const rendered = corpus.renderSample(corpus.splits.train[index], {
        height: 16,
        width: 12,
        fps: 5,
        keypoints: true,
      });
      expect(sample.frameShape).toEqual(rendered.frameShape);
      expect(sample.glossIds).toEqual(rendered.glossIds);
      expect(sample.keypoints).toEqual(rendered.keypoints);
      expect(sample.keypointNames).toEqual(rendered.keypointNames);
      let max = 0;
      for (let i = 0; i < rendered.frames.length; i++)
        max = Math.max(max, Math.abs(rendered.frames[i] - sample.frames[i]));
      expect(max).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    });
  });

  it('prints --help, and names the flag at fault', async () => {
    const [help, unknown, size, count, difficulty, missing] = await Promise.all([
      run(['--help']),
      run(['--out', '/tmp/never', '--bogus']),
      run(['--out', '/tmp/never', '--size', '112']),
      run(['--out', '/tmp/never', '--train=abc']),
      run(['--out', '/tmp/never', '--difficulty', '2']),
      run(['--train', '3']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: slr-data-synth --out DIR');
    for (const flag of [
      '--glosses',
      '--train',
      '--dev',
      '--test',
      '--size',
      '--fps',
      '--difficulty',
      '--seed',
      '--keypoints',
    ])
      expect(help.stdout).toContain(flag);
    expect([unknown.code, size.code, count.code, difficulty.code, missing.code]).toEqual([
      2, 2, 2, 2, 2,
    ]);
    expect(unknown.stderr).toContain("'--bogus'");
    expect(size.stderr).toContain('--size must be HxW');
    expect(count.stderr).toContain("--train must be an integer ≥ 0, but got 'abc'");
    expect(difficulty.stderr).toContain('--difficulty must be a number');
    expect(missing.stderr).toContain('--out DIR is required');
    expect(existsSync('/tmp/never')).toBe(false);
  });
});
