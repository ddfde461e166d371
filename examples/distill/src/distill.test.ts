import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '@slr/backend/node';
import { describeRequiring, testBackends } from '@slr/test-utils';
import { loadSoftTargets } from '@slr/train/node';
import { meanSd, pairedComparison, resultsTable, runExperiment, verdict } from './distill';
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
  video: { ...EXPERIMENTS.small.video, fps: 8 },
  beamWidth: 3,
  seeds: [1],
};

describe('the distillation experiment, end to end on a micro corpus', () => {
  it('trains the teacher, caches its soft targets, trains four students, writes table and report', async () => {
    const lines: string[] = [];
    const runs = await runExperiment(micro, {
      backend: 'cpu',
      out,
      modes: ['scratch', 'distilled', 'vac', 'sequence'],
      parallel: 1,
      retrainTeacher: false,
      log: (l) => lines.push(l),
    });
    expect(runs.map((r) => r.name)).toEqual([
      'teacher',
      'scratch-seed1',
      'distilled-seed1',
      'vac-seed1',
      'sequence-seed1',
    ]);
    for (const r of runs) {
      for (const wer of [r.dev.greedy, r.dev.beam, r.test.greedy, r.test.beam])
        expect(wer).toBeGreaterThanOrEqual(0);
      expect(r.history).toHaveLength(1);
      expect(existsSync(files.run(out, r.name))).toBe(true);
    }
    expect(runs[2].history[0].kdLoss).toBeGreaterThan(0);
    expect(runs[3].history[0].kdLoss).toBeGreaterThan(0);
    expect(runs[1].history[0].kdLoss).toBeUndefined();
    // The teacher's soft targets, described; every run's training-split WER.
    const stats = runs[0].softTargets;
    expect(stats?.blankFrames).toBeGreaterThanOrEqual(0);
    expect(stats?.blankFrames).toBeLessThanOrEqual(1);
    expect(Object.keys(stats?.meanTopProbabilityAt ?? {})).toEqual(['τ=2', 'τ=8']);
    expect(stats?.teacherFrames).toBeGreaterThan(0);
    for (const r of runs) expect(r.train?.greedy).toBeGreaterThanOrEqual(0);
    const targets = await loadSoftTargets(files.softTargets(out), {
      expectTeacher: { config: teacherIdentity(micro).config },
    });
    expect(targets.size).toBe(6);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.runs).toHaveLength(5);
    expect(results.comparisons.map((c: { arm: string }) => c.arm)).toEqual([
      'distilled',
      'vac',
      'sequence',
    ]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Knowledge distillation: I3D teacher → MobileNetV3 student');
    expect(html).toContain('per seed');
    expect(html).toContain('CTC with label smoothing ε = 0.5'); // the teacher's recipe
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain(
      '| student, frame-level KD | 1 |',
    );
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
    // Deltas −0.20, −0.19, −0.18: mean −0.19, sd 0.01, standard error 0.01 / √3; the gap
    // between the scratch students (0.6) and the teacher (0.1) is 0.5, so 38% of it closed.
    const c = pairedComparison(runs, 'distilled');
    expect(c?.seeds).toEqual([1, 2, 3]);
    expect(c?.deltas.greedy.map((d) => Number(d.toFixed(6)))).toEqual([-0.2, -0.19, -0.18]);
    expect(c?.mean.greedy).toBeCloseTo(-0.19, 12);
    expect(c?.standardError.greedy).toBeCloseTo(0.01 / Math.sqrt(3), 12);
    expect(c?.gap.greedy).toBeCloseTo(0.5, 12);
    expect(c?.gapClosed.greedy).toBeCloseTo(0.38, 12);
    expect(verdict(runs)).toMatch(
      /^student, frame-level KD against from scratch, test WER paired by seed: greedy 19.0 points lower \(± 0.6 standard error, more than twice its standard error; better on 3 of 3 seeds, 38% of the 50.0-point teacher–student gap closed\)/,
    );
    // Unpaired seeds are left out; a worse arm closes a negative share.
    const worse = [run('teacher', 1, 0.2), run('scratch', 1, 0.5), run('scratch', 2, 0.5)];
    const w = pairedComparison([...worse, run('vac', 2, 0.6)], 'vac');
    expect(w?.seeds).toEqual([2]);
    expect(w?.gapClosed.greedy).toBeCloseTo(-1 / 3, 12);
    expect(verdict([...worse, run('vac', 2, 0.6)], 'vac')).toMatch(
      /greedy 10.0 points higher \(± 0.0 standard error; better on 0 of 1 seeds, the 30.0-point teacher–student gap widened by 33%\)/,
    );
    // No teacher, or a teacher no better than the students: no gap to close.
    expect(
      pairedComparison([run('scratch', 1, 0.5), run('distilled', 1, 0.4)], 'distilled')?.gapClosed,
    ).toEqual({ greedy: undefined, beam: undefined });
    expect(
      pairedComparison(
        [run('teacher', 1, 0.6), run('scratch', 1, 0.5), run('sequence', 1, 0.4)],
        'sequence',
      )?.gap.greedy,
    ).toBeUndefined();
    expect(verdict([run('scratch', 1, 0.5)])).toBeUndefined();
  });
});
