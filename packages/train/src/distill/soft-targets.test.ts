import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeBatch, disposeBatch, GlossVocabulary } from '@slr/data';
import { tinySamples, tinySequenceModel, useTemporaryFolders } from '../../test/tiny';
import { train } from '../trainer';
import { loadSoftTargets, saveSoftTargets, SoftTargetsError } from '../node/soft-targets-file';
import {
  extractSoftTargets,
  modelFingerprint,
  SoftTargets,
  teacherTranscripts,
} from './soft-targets';

const tempDir = useTemporaryFolders('slr-kd-');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const samples = tinySamples([[1, 2], [3, 4, 1], [2], [4, 3]]);
const identity = { name: 'tiny-teacher', config: { hidden: 16 } };

describe('extractSoftTargets', () => {
  it("keeps each sample's own frames of the teacher's inference-mode outputs, by id", async () => {
    const teacher = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    const before = tf.memory().numTensors;
    const targets = await extractSoftTargets(teacher, samples, { identity, batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(targets.size).toBe(4);
    expect(targets.numClasses).toBe(5);
    expect(targets.teacher.fingerprint).toBe(await modelFingerprint(teacher.model));
    const batch = makeBatch(samples);
    const out = teacher.apply(batch.videos, false).arraySync();
    samples.forEach((sample, b) => {
      const entry = targets.get(sample.id)!;
      expect(entry.frames).toBe(sample.frameShape[0]);
      for (let t = 0; t < entry.frames; t++) {
        Array.from(entry.logProbs.subarray(t * 5, t * 5 + 5)).forEach((v, k) =>
          expect(v).toBeCloseTo(out[t][b][k], 5),
        );
      }
    });
    // batch(): time-major, padded with the uniform distribution, lengths per sample.
    const { logProbs, lengths } = targets.batch([samples[2].id, samples[1].id]);
    expect(lengths).toEqual([3, 9]);
    expect(logProbs.shape).toEqual([9, 2, 5]);
    const a = logProbs.arraySync();
    expect(a[0][1][3]).toBeCloseTo(out[0][1][3], 5);
    expect(a[5][0][0]).toBeCloseTo(-Math.log(5), 6);
    tf.dispose([logProbs]);
    disposeBatch(batch);
    expect(() => targets.batch(['nope'])).toThrow(
      "Argument 'ids[0]' passed to 'SoftTargets.batch' must be the id of a sample with soft " +
        "targets (4 cached, teacher 'tiny-teacher'), but got 'nope', which has none.",
    );
  });

  it('fingerprints change with the weights', async () => {
    const a = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    const b = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    const c = tinySequenceModel({ features: 12, numClasses: 5, seed: 3 });
    expect(await modelFingerprint(a.model)).toBe(await modelFingerprint(b.model));
    expect(await modelFingerprint(a.model)).not.toBe(await modelFingerprint(c.model));
  });
});

describe('saveSoftTargets / loadSoftTargets', () => {
  it('round-trips every value, transcript and the identity, atomically', async () => {
    const teacher = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    const targets = await extractSoftTargets(teacher, samples, { identity, beamWidth: 4 });
    const dir = tempDir();
    const file = join(dir, 'kd', 'soft-targets.bin');
    await saveSoftTargets(file, targets);
    expect(readdirSync(join(dir, 'kd'))).toEqual(['soft-targets.bin']); // no temporary file left
    const loaded = await loadSoftTargets(file, {
      expectTeacher: {
        name: 'tiny-teacher',
        fingerprint: targets.teacher.fingerprint,
        config: { hidden: 16 },
      },
    });
    expect(loaded.teacher).toEqual(targets.teacher);
    expect(loaded.numClasses).toBe(5);
    expect([...loaded.entries.keys()]).toEqual([...targets.entries.keys()]);
    for (const [id, entry] of targets.entries) {
      const got = loaded.get(id)!;
      expect(got.frames).toBe(entry.frames);
      expect(Array.from(got.logProbs)).toEqual(Array.from(entry.logProbs));
      expect(got.hypothesis).toEqual(entry.hypothesis);
    }
    // Overwriting replaces the file in one step.
    await saveSoftTargets(
      file,
      new SoftTargets(targets.teacher, 5, new Map([...targets.entries].slice(0, 1))),
    );
    expect((await loadSoftTargets(file)).size).toBe(1);
  });

  it('refuses a corrupt, truncated or foreign file with an error naming it', async () => {
    const teacher = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    const targets = await extractSoftTargets(teacher, samples, { identity });
    const dir = tempDir();
    const file = join(dir, 'soft-targets.bin');
    await saveSoftTargets(file, targets);
    await expect(loadSoftTargets(file, { expectTeacher: { fingerprint: 'abc' } })).rejects.toThrow(
      /were made by another teacher: expected teacher fingerprint "abc", but the file has "[0-9a-f]{64}"/,
    );
    await expect(
      loadSoftTargets(file, { expectTeacher: { config: { hidden: 32 } } }),
    ).rejects.toThrow(/expected teacher config \{"hidden":32\}/);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0x55;
    writeFileSync(file, bytes);
    await expect(loadSoftTargets(file)).rejects.toThrow(/are corrupt: their data's SHA-256 is/);
    writeFileSync(file, bytes.subarray(0, bytes.length - 8));
    const error = await loadSoftTargets(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SoftTargetsError);
    expect((error as SoftTargetsError).path).toBe(file);
    expect((error as Error).message).toMatch(
      /are truncated or corrupt: expected \d+ bytes of data, but found \d+/,
    );
    writeFileSync(file, 'hello world, not soft targets');
    await expect(loadSoftTargets(file)).rejects.toThrow(/is|are not a soft-target file/);
    await expect(loadSoftTargets(join(dir, 'missing.bin'))).rejects.toThrow(/cannot be read/);
    // A write that fails names the file asked for, not a temporary one beside it.
    const under = join(file, 'soft-targets.bin');
    await expect(saveSoftTargets(under, targets)).rejects.toThrow(
      `Could not create the folder of '${under}': `,
    );
  });
});

describe('teacherTranscripts (sequence-level distillation)', () => {
  it("replaces each target by the teacher's beam transcript, keeping the annotation when it is empty", async () => {
    const vocabulary = GlossVocabulary.ordered(['G1', 'G2', 'G3', 'G4']);
    const teacher = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    const targets = await extractSoftTargets(teacher, samples, { identity, beamWidth: 3 });
    const relabelled = teacherTranscripts(samples, targets, vocabulary);
    relabelled.forEach((sample, i) => {
      const hypothesis = targets.get(samples[i].id)!.hypothesis!;
      if (hypothesis.length === 0) expect(sample).toBe(samples[i]);
      else {
        expect(sample.glossIds).toEqual(hypothesis);
        expect(sample.glosses).toEqual(hypothesis.map((id) => `G${id}`));
        expect(sample.frames).toBe(samples[i].frames);
      }
    });
    const plain = await extractSoftTargets(teacher, samples, { identity });
    expect(() => teacherTranscripts(samples, plain, vocabulary)).toThrow(
      /extracted with beamWidth/,
    );
  });
});

describe('inputs: what apply takes from a batch', () => {
  it('train() (steps and evaluation) and extractSoftTargets give the model inputs(batch)', async () => {
    const inner = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    const seen: number[] = [];
    // A two-input model: the videos and a per-sample scale; the scale must arrive.
    const model = {
      ...inner,
      apply: (inputs: tf.Tensor | tf.Tensor[], training: boolean) => {
        const [videos, scale] = inputs as tf.Tensor[];
        seen.push(scale.dataSync()[0]);
        return inner.apply(tf.mul(videos, scale), training);
      },
    };
    const inputs = (batch: { videos: tf.Tensor }): tf.Tensor[] => [batch.videos, tf.scalar(0.5)];
    await train({
      model,
      inputs,
      trainSamples: samples,
      evalSamples: samples,
      epochs: 1,
      batchSize: 2,
      optimizer: { name: 'adam', learningRate: 0.01 },
      callbacks: { onWarning: () => undefined },
    });
    expect(seen).toEqual([0.5, 0.5, 0.5, 0.5]); // two steps, two evaluation batches
    seen.length = 0;
    const targets = await extractSoftTargets(model, samples, { identity, inputs, batchSize: 4 });
    expect(seen).toEqual([0.5]);
    expect(targets.size).toBe(4);
  });
});

describe('train() with distillation', () => {
  it("learns from a trained teacher's cached outputs and logs both terms", async () => {
    const teacher = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    await train({
      model: teacher,
      trainSamples: samples,
      epochs: 60,
      batchSize: 4,
      seed: 1,
      optimizer: { name: 'adam', learningRate: 0.05 },
      callbacks: { onWarning: () => undefined },
    });
    const targets = await extractSoftTargets(teacher, samples, { identity });
    const student = tinySequenceModel({ features: 12, numClasses: 5, seed: 9, hidden: 8 });
    const counts: number[] = [];
    const result = await train({
      model: student,
      trainSamples: samples,
      evalSamples: samples,
      epochs: 40,
      batchSize: 2,
      seed: 1,
      optimizer: { name: 'adam', learningRate: 0.05 },
      distillation: { targets, temperature: 2, alpha: 0.5 },
      callbacks: {
        onWarning: () => undefined,
        onBatchEnd: () => {
          counts.push(tf.memory().numTensors);
        },
      },
    });
    const first = result.history[0];
    const last = result.history[result.history.length - 1];
    expect(first.kdLoss).toBeGreaterThan(0);
    expect(first.loss).toBeCloseTo(0.5 * first.ctcLoss! + 0.5 * first.kdLoss!, 4);
    expect(last.kdLoss!).toBeLessThan(first.kdLoss! / 4);
    expect(last.ctcLoss!).toBeLessThan(first.ctcLoss!);
    // No growth over 80 steps (the count alternates within an epoch while the next batch is prefetched).
    expect(counts.slice(-2)).toEqual(counts.slice(0, 2));
    expect(Math.max(...counts)).toBe(Math.max(counts[0], counts[1]));
  });

  it('with α = 1 takes exactly the steps of plain CTC training', async () => {
    const teacher = tinySequenceModel({ features: 12, numClasses: 5, seed: 2 });
    const targets = await extractSoftTargets(teacher, samples, { identity });
    const run = async (distil: boolean): Promise<number[]> => {
      const model = tinySequenceModel({ features: 12, numClasses: 5, seed: 4 });
      const r = await train({
        model,
        trainSamples: samples,
        epochs: 3,
        batchSize: 2,
        seed: 1,
        optimizer: { name: 'adam', learningRate: 0.05 },
        ...(distil ? { distillation: { targets, alpha: 1 } } : {}),
        callbacks: { onWarning: () => undefined },
      });
      return r.history.map((h) => h.loss);
    };
    const plain = await run(false);
    const distilled = await run(true);
    distilled.forEach((l, i) => expect(l).toBeCloseTo(plain[i], 5));
  });

  it('rejects targets over other classes and label smoothing alongside', async () => {
    const teacher = tinySequenceModel({ features: 12, numClasses: 6, seed: 2 });
    const targets = await extractSoftTargets(teacher, samples, { identity });
    const student = tinySequenceModel({ features: 12, numClasses: 5, seed: 4 });
    const base = {
      model: student,
      trainSamples: samples,
      epochs: 1,
      batchSize: 2,
      optimizer: { name: 'adam' as const, learningRate: 0.05 },
    };
    await expect(train({ ...base, distillation: { targets } })).rejects.toThrow(
      "Argument 'options.distillation.targets' passed to 'train' must be soft targets over the " +
        "model's 5 classes, but got targets over 6 classes (teacher 'tiny-teacher').",
    );
    await expect(train({ ...base, distillation: { targets, temperature: -1 } })).rejects.toThrow(
      "Argument 'options.distillation.temperature' passed to 'train'",
    );
    await expect(
      train({ ...base, labelSmoothing: 0.1, distillation: { targets } }),
    ).rejects.toThrow(
      "Argument 'options.labelSmoothing' passed to 'train' must be 0 or unset when options.distillation is set",
    );
  });
});
