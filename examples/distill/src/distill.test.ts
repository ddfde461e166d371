import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '@slr/backend/node';
import { describeRequiring, testBackends } from '@slr/test-utils';
import { loadSoftTargets } from '@slr/train/node';
import { meanSd, resultsTable, runExperiment, verdict } from './distill';
import { files, teacherIdentity, type RunResult } from './experiment';
import { EXPERIMENTS, type ExperimentConfig } from './recipes';

const out = mkdtempSync(join(tmpdir(), 'slr-distill-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The small experiment shrunk to seconds: the code path of `pnpm distill`, not its numbers. */
const micro: ExperimentConfig = {
  ...EXPERIMENTS.small,
  corpus: {
    ...EXPERIMENTS.small.corpus,
    glosses: 4,
    trainSamples: 6,
    devSamples: 2,
    testSamples: 2,
  },
  teacherBudget: { ...EXPERIMENTS.small.teacherBudget, epochs: 1, batchSize: 6, evalEvery: 1 },
  studentBudget: { ...EXPERIMENTS.small.studentBudget, epochs: 1, batchSize: 6, evalEvery: 1 },
  beamWidth: 3,
  seeds: [1],
};

describe('the distillation experiment, end to end on a micro corpus', () => {
  it('trains the teacher, caches its soft targets, trains three students, writes table and report', async () => {
    const lines: string[] = [];
    const runs = await runExperiment(micro, {
      backend: 'cpu',
      out,
      modes: ['scratch', 'distilled', 'sequence'],
      parallel: 1,
      retrainTeacher: false,
      log: (l) => lines.push(l),
    });
    expect(runs.map((r) => r.name)).toEqual([
      'teacher',
      'scratch-seed1',
      'distilled-seed1',
      'sequence-seed1',
    ]);
    for (const r of runs) {
      for (const wer of [r.dev.greedy, r.dev.beam, r.test.greedy, r.test.beam])
        expect(wer).toBeGreaterThanOrEqual(0);
      expect(r.history).toHaveLength(1);
      expect(existsSync(files.run(out, r.name))).toBe(true);
    }
    expect(runs[2].history[0].kdLoss).toBeGreaterThan(0);
    expect(runs[1].history[0].kdLoss).toBeUndefined();
    const targets = await loadSoftTargets(files.softTargets(out), {
      expectTeacher: { config: teacherIdentity(micro).config },
    });
    expect(targets.size).toBe(6);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(4);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Knowledge distillation: I3D teacher → MobileNetV3 student');
    expect(html.match(/<svg/g)?.length).toBe(3);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('| student, distilled | 1 |');
    expect(lines.some((l) => l.includes('sequence-level targets'))).toBe(true);

    // A second run reuses the cached teacher and the students whose configuration is unchanged.
    const again: string[] = [];
    const rerun = await runExperiment(micro, {
      backend: 'cpu',
      out,
      modes: ['scratch', 'distilled'],
      parallel: 1,
      retrainTeacher: false,
      log: (l) => again.push(l),
    });
    expect(again.some((l) => l.includes('reusing the teacher'))).toBe(true);
    expect(again.filter((l) => l.includes('reusing the result of an earlier run'))).toHaveLength(2);
    expect(rerun.map((r) => [r.name, r.trainSeconds])).toEqual(
      runs.slice(0, 3).map((r) => [r.name, r.trainSeconds]),
    );
    // A changed distillation setting retrains the distilled student only; --rerun-students retrains all.
    const changed: string[] = [];
    const hotter = { ...micro, distillation: { ...micro.distillation, temperature: 4 } };
    await runExperiment(hotter, {
      backend: 'cpu',
      out,
      modes: ['scratch', 'distilled'],
      parallel: 1,
      retrainTeacher: false,
      log: (l) => changed.push(l),
    });
    expect(
      changed.filter((l) => l.includes('reusing the result')).map((l) => l.split(']')[0]),
    ).toEqual(['[scratch-seed1']);
    const fresh: string[] = [];
    await runExperiment(micro, {
      backend: 'cpu',
      out,
      modes: ['scratch'],
      parallel: 1,
      retrainTeacher: false,
      rerunStudents: true,
      log: (l) => fresh.push(l),
    });
    expect(fresh.some((l) => l.includes('reusing the result'))).toBe(false);
  });
});

// Registered where webgpu is one of the test backends (by default it is), like every backend
// suite: skipped where there is no WebGPU adapter, failing under CI=true.
if (testBackends().includes('webgpu'))
  describeRequiring('webgpu', 'the distillation experiment on webgpu', () => {
    it('runs the teacher, a student from scratch and a distilled student on the webgpu backend', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'slr-distill-webgpu-'));
      try {
        // The example's own way in (what `pnpm distill --backend webgpu` does); lavapipe in CI.
        await setupBackend('webgpu', { quiet: true, allowSoftwareAdapter: true });
        const runs = await runExperiment(micro, {
          backend: 'webgpu',
          out: dir,
          modes: ['scratch', 'distilled'],
          parallel: 1,
          retrainTeacher: false,
          log: () => undefined,
        });
        expect(tf.getBackend()).toBe('webgpu');
        expect(runs.map((r) => r.name)).toEqual(['teacher', 'scratch-seed1', 'distilled-seed1']);
        for (const r of runs) expect(Number.isFinite(r.history[0].loss)).toBe(true);
        expect(runs[2].history[0].kdLoss).toBeGreaterThan(0);
      } finally {
        await tf.setBackend('cpu');
        rmSync(dir, { recursive: true, force: true });
      }
    }, 240_000);
  });

describe('the table and the verdict', () => {
  const run = (kind: RunResult['kind'], seed: number, test: number): RunResult => ({
    kind,
    seed,
    name: `${kind}-${seed}`,
    key: '',
    parameters: 10,
    trainSeconds: 1,
    seconds: 1,
    history: [],
    dev: { greedy: test, beam: test },
    test: { greedy: test, beam: test },
  });
  it('reports mean ± sample standard deviation and the paired difference', () => {
    expect(meanSd([1, 2, 3])).toEqual({ mean: 2, sd: 1 });
    const runs = [
      run('teacher', 1, 0.1),
      run('scratch', 1, 0.5),
      run('scratch', 2, 0.6),
      run('scratch', 3, 0.7),
      run('distilled', 1, 0.3),
      run('distilled', 2, 0.41),
      run('distilled', 3, 0.52),
    ];
    expect(resultsTable(runs)).toContain('| student, from scratch | 3 | 10 | 60.0 ± 10.0 |');
    expect(verdict(runs)).toMatch(
      /^Distillation lowered the student's test WER \(greedy\) by 19.0 points \(mean over 3 seeds, ± 1.0 sd; better on 3 of 3 seeds/,
    );
    expect(verdict(runs)).toContain('larger than twice its standard error');
    expect(verdict([run('scratch', 1, 0.5), run('distilled', 1, 0.6)])).toMatch(
      /raised the student's test WER \(greedy\) by 10.0 points/,
    );
    expect(verdict([run('scratch', 1, 0.5)])).toBeUndefined();
  });
});
