import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { generateSignCorpus } from '@slr/data';
import {
  comparisonTable,
  compareArchitectures,
  markdownTable,
  NOT_TRAINED,
  readDistillationResults,
  runArchitectureComparison,
  werRows,
  type ArchitectureMeasurement,
  type BackendStatus,
  type DistillationResults,
} from './compare-architectures';
import type { RunResult } from './experiment';
import { buildTeacher, EXPERIMENTS, trainableParameters, type ExperimentConfig } from './recipes';

const root = mkdtempSync(join(tmpdir(), 'slr-compare-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The small experiment shrunk to seconds: 16×16 clips at 3 fps, batches of 2. */
const tiny: ExperimentConfig = {
  ...EXPERIMENTS.small,
  corpus: {
    ...EXPERIMENTS.small.corpus,
    glosses: 4,
    trainSamples: 2,
    devSamples: 3,
    testSamples: 1,
  },
  video: { height: 16, width: 16, fps: 3 },
  teacherBudget: { ...EXPERIMENTS.small.teacherBudget, batchSize: 2 },
  studentBudget: { ...EXPERIMENTS.small.studentBudget, batchSize: 2 },
  seeds: [1, 2],
};

const run = (kind: RunResult['kind'], seed: number, test: number, dev = test): RunResult => ({
  kind,
  seed,
  name: kind === 'teacher' ? 'teacher' : `${kind}-seed${seed}`,
  key: '',
  parameters: 1,
  trainSeconds: 1,
  seconds: 1,
  history: [],
  dev: { greedy: dev, beam: dev - 0.01 },
  test: { greedy: test, beam: test - 0.01 },
});

/** A distillation run's results.json, as `pnpm distill` writes it. */
function fakeResults(config: ExperimentConfig, runs: RunResult[]): DistillationResults {
  return { size: config.size, backend: 'cpu', wallSeconds: 1, config, runs };
}

function writeResults(dir: string, results: DistillationResults): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
}

const COLUMNS_CPU = [
  'model',
  'training',
  'trainable parameters',
  'on disk (MB)',
  'forward ms/clip (cpu)',
  'train step ms (cpu)',
  'runs',
  'dev WER greedy (%)',
  'dev WER beam (%)',
  'test WER greedy (%)',
  'test WER beam (%)',
];

const svgCount = (html: string): number => html.match(/<svg/g)?.length ?? 0;

describe('the architecture comparison on the cpu backend, tiny configuration', () => {
  it('measures the three architectures and writes table, data and report without WER results', async () => {
    const out = join(root, 'without');
    const lines: string[] = [];
    const tensors = tf.memory().numTensors;
    const comparison = await compareArchitectures(tiny, {
      backends: ['cpu'],
      iterations: 1,
      distillOut: join(root, 'no-distill'),
      out,
      log: (l) => lines.push(l),
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.getBackend()).toBe('cpu');

    const classes = generateSignCorpus(tiny.corpus).vocabulary.size;
    const teacher = buildTeacher(tiny, classes);
    expect(comparison.measurements.map((m) => m.id)).toEqual([
      'teacher',
      'student-large',
      'student-small',
    ]);
    expect(comparison.measurements[0].parameters).toBe(trainableParameters(teacher.model));
    teacher.model.dispose();
    for (const m of comparison.measurements) {
      expect(m.parameters).toBeGreaterThan(0);
      expect(m.bytes).toBeGreaterThanOrEqual(4 * m.parameters);
      expect(m.forwardMs.cpu).toBeGreaterThan(0);
      expect(m.stepMs.cpu).toBeGreaterThan(0);
      expect(m.forwardMs.webgpu).toBeUndefined();
      expect(m.batchSize).toBe(2);
    }
    expect(comparison.measurements[1].parameters).toBeGreaterThan(
      comparison.measurements[2].parameters,
    );
    expect(comparison.clipFrames).toBeGreaterThan(0);

    expect(comparison.table.columns).toEqual(COLUMNS_CPU);
    expect(comparison.table.rows.map((r) => r.slice(0, 2))).toEqual([
      ['I3D teacher', '—'],
      ['MobileNetV3-Large student', '—'],
      ['MobileNetV3-Small student', '—'],
    ]);
    for (const row of comparison.table.rows) {
      expect(row).toHaveLength(COLUMNS_CPU.length);
      expect(row.slice(6)).toEqual(['—', '—', '—', '—', '—']);
    }
    expect(comparison.table.rows[0][2]).toBe(
      comparison.measurements[0].parameters.toLocaleString('en-US'),
    );
    expect(comparison.distillation.results).toBeUndefined();
    expect(comparison.distillation.note).toContain('pnpm distill --size small');
    expect(lines.some((l) => l.startsWith('MobileNetV3-Small student on cpu: forward'))).toBe(true);

    const markdown = readFileSync(join(out, 'comparison.md'), 'utf8');
    expect(markdown).toBe(comparison.markdown);
    expect(markdown).toContain(markdownTable(comparison.table));
    expect(markdown.split('\n').filter((l) => l.startsWith('|'))).toHaveLength(2 + 3);
    expect(markdown).toContain('pnpm distill');
    const json = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(json.measurements).toHaveLength(3);
    expect(json.table.rows).toEqual(comparison.table.rows);
    expect(json.config.video).toEqual(tiny.video);
    const html = readFileSync(join(out, 'comparison.html'), 'utf8');
    // Parameters, MB on disk, forward ms (cpu), step ms (cpu); no WER chart without results.
    expect(svgCount(html)).toBe(4);
    expect(html.match(/<figure/g)).toHaveLength(4);
    expect(html).not.toContain('Test WER');
  });

  it('fills the WER columns of the teacher and the trained variant from results.json', async () => {
    const out = join(root, 'with');
    const distillOut = join(root, 'distill');
    writeResults(
      distillOut,
      fakeResults(tiny, [
        run('teacher', 1, 0.2),
        run('scratch', 1, 0.5),
        run('scratch', 2, 0.6),
        run('distilled', 1, 0.4, 0.3),
        run('distilled', 2, 0.4, 0.5),
      ]),
    );
    const comparison = await compareArchitectures(tiny, {
      backends: ['cpu'],
      iterations: 1,
      distillOut,
      out,
    });
    expect(comparison.distillation.trainedVariant).toBe('small');
    expect(comparison.table.columns).toEqual(COLUMNS_CPU);
    const rows = comparison.table.rows;
    expect(rows.map((r) => [r[0], r[1], r[6]])).toEqual([
      ['I3D teacher', 'CTC, label smoothing ε = 0.5', '1'],
      ['MobileNetV3-Large student', NOT_TRAINED, '—'],
      ['MobileNetV3-Small student', 'from scratch', '2'],
      ['MobileNetV3-Small student', 'frame-level KD', '2'],
    ]);
    expect(rows[0].slice(7)).toEqual(['20.0', '19.0', '20.0', '19.0']);
    expect(rows[1].slice(7)).toEqual(['—', '—', '—', '—']);
    expect(rows[2].slice(7)).toEqual(['55.0 ± 7.1', '54.0 ± 7.1', '55.0 ± 7.1', '54.0 ± 7.1']);
    expect(rows[3].slice(7)).toEqual(['40.0 ± 14.1', '39.0 ± 14.1', '40.0 ± 0.0', '39.0 ± 0.0']);
    // The trained variant's rows repeat its measurements.
    expect(rows[3].slice(2, 6)).toEqual(rows[2].slice(2, 6));
    expect(comparison.wer.map((w) => w.kind)).toEqual(['teacher', 'scratch', 'distilled']);

    const markdown = readFileSync(join(out, 'comparison.md'), 'utf8');
    expect(markdown.split('\n').filter((l) => l.startsWith('|'))).toHaveLength(2 + 4);
    expect(markdown).toContain(`| ${NOT_TRAINED} |`);
    expect(markdown).not.toContain('pnpm distill');
    const json = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(json.wer).toHaveLength(3);
    expect(json.distillation.trainedVariant).toBe('small');
    const html = readFileSync(join(out, 'comparison.html'), 'utf8');
    // The bars, then a scatter of test WER against parameters and one against the step time.
    expect(svgCount(html)).toBe(7);
    expect(html.match(/<figure/g)).toHaveLength(7);
    expect(html).toContain('Test WER, greedy (mean ± sd over seeds)');
    expect(html).toContain('against trainable parameters');
    expect(html).toContain('against the training step (cpu)');
    expect(html).toContain('MobileNetV3-Small student, frame-level KD');
  });
});

describe('the distillation results', () => {
  it('are left out, saying why and how to make them, when missing or of another configuration', async () => {
    const missing = await readDistillationResults(join(root, 'nowhere'), EXPERIMENTS.large);
    expect(missing.results).toBeUndefined();
    expect(missing.note).toMatch(
      /does not exist; run `pnpm distill --size large --out .*nowhere` to fill the WER columns/,
    );

    const other = join(root, 'other');
    writeResults(
      other,
      fakeResults({ ...tiny, video: { ...tiny.video, height: 32 } }, [run('teacher', 1, 0.2)]),
    );
    const mismatched = await readDistillationResults(other, tiny);
    expect(mismatched.results).toBeUndefined();
    expect(mismatched.note).toContain(
      "another configuration (it differs from the 'small' experiment in: video)",
    );

    const broken = join(root, 'broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'results.json'), '{"runs": ');
    expect((await readDistillationResults(broken, tiny)).note).toContain('could not be read');

    // Other seeds and the other variant are the same configuration.
    const large = join(root, 'large-variant');
    writeResults(
      large,
      fakeResults({ ...tiny, seeds: [5], student: { ...tiny.student, variant: 'large' } }, [
        run('teacher', 5, 0.2),
        run('scratch', 5, 0.3),
      ]),
    );
    const source = await readDistillationResults(large, tiny);
    expect(source.trainedVariant).toBe('large');
    expect(source.note).toContain('MobileNetV3-Large student with seed 5');
    expect(werRows(source.results as DistillationResults).map((r) => r.model)).toEqual([
      'teacher',
      'student-large',
    ]);
  });

  it('mark the variant the distillation run did not train', () => {
    const measured = (
      id: ArchitectureMeasurement['id'],
      label: string,
      variant?: 'large' | 'small',
    ): ArchitectureMeasurement => ({
      id,
      label,
      ...(variant ? { variant } : {}),
      parameters: 1234,
      bytes: 5e6,
      batchSize: 8,
      forwardMs: { cpu: 12.34, webgpu: 150.2 },
      stepMs: { cpu: 99.94, webgpu: 1234.4 },
    });
    const measurements = [
      measured('teacher', 'I3D teacher'),
      measured('student-large', 'MobileNetV3-Large student', 'large'),
      measured('student-small', 'MobileNetV3-Small student', 'small'),
    ];
    const backends: BackendStatus[] = [
      { name: 'cpu', available: true, note: '' },
      { name: 'webgpu', available: true, software: true, adapter: 'llvmpipe', note: '' },
    ];
    const results = fakeResults({ ...tiny, student: { ...tiny.student, variant: 'large' } }, [
      run('scratch', 1, 0.3),
      run('sequence', 1, 0.25),
    ]);
    const table = comparisonTable(measurements, backends, { results, trainedVariant: 'large' });
    expect(table.columns.slice(4, 8)).toEqual([
      'forward ms/clip (cpu)',
      'forward ms/clip (webgpu, software)',
      'train step ms (cpu)',
      'train step ms (webgpu, software)',
    ]);
    expect(table.rows.map((r) => r.slice(0, 8))).toEqual([
      [
        'I3D teacher',
        'no teacher run in results.json',
        '1,234',
        '5.00',
        '12.3',
        '150',
        '99.9',
        '1234',
      ],
      ['MobileNetV3-Large student', 'from scratch', '1,234', '5.00', '12.3', '150', '99.9', '1234'],
      [
        'MobileNetV3-Large student',
        'sequence-level KD',
        '1,234',
        '5.00',
        '12.3',
        '150',
        '99.9',
        '1234',
      ],
      ['MobileNetV3-Small student', NOT_TRAINED, '1,234', '5.00', '12.3', '150', '99.9', '1234'],
    ]);
    const lines = markdownTable(table).split('\n');
    expect(lines).toHaveLength(2 + 4);
    expect(lines[1]).toMatch(/^\|:-+\|:-+\|-+:\|/);
  });
});

describe('the command line', () => {
  it('names the flag, the expected and the actual value, and exits with 2', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const logs = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await runArchitectureComparison(['--size', 'medium'])).toBe(2);
      expect(errors).toHaveBeenLastCalledWith(
        "--size must be 'small' or 'large', but got 'medium'.",
      );
      expect(await runArchitectureComparison(['--backends', 'cpu,gpu'])).toBe(2);
      expect(errors).toHaveBeenLastCalledWith(
        "--backends takes cpu and webgpu, separated by commas, but got 'gpu' in 'cpu,gpu'.",
      );
      expect(await runArchitectureComparison(['--iterations', '0'])).toBe(2);
      expect(errors).toHaveBeenLastCalledWith("--iterations must be an integer ≥ 1, but got '0'.");
      expect(await runArchitectureComparison(['--iterations', '2.5'])).toBe(2);
      expect(await runArchitectureComparison(['--colour'])).toBe(2);
      expect(String(errors.mock.lastCall?.[0])).toContain("'--colour'");
      expect(await runArchitectureComparison(['--help'])).toBe(0);
      expect(String(logs.mock.lastCall?.[0])).toContain('--distill-out <dir>');
      expect(existsSync(join('.out', 'compare-medium'))).toBe(false);
    } finally {
      errors.mockRestore();
      logs.mockRestore();
    }
  });
});
