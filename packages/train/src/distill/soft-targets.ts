import * as tf from '@tensorflow/tfjs';
import { ctcBeamSearch, type LanguageModel } from '@slr/ctc';
import {
  disposeBatch,
  makeBatch,
  type GlossVocabulary,
  type SignBatch,
  type SignSample,
} from '@slr/data';
import type { SequenceModel } from '@slr/layers';
import { ArgumentError, checkInteger, checkOptions } from '@slr/core';

/**
 * Who produced a set of soft targets: a name, the configuration the teacher was built and
 * trained with, and a fingerprint of its weights ({@link modelFingerprint}). Stored with the
 * targets, so a cache made by another teacher is never used by mistake.
 */
export interface TeacherIdentity {
  /** A name for the teacher. */
  name: string;
  /** Any JSON-serialisable description of the teacher (architecture options, training run). */
  config: Record<string, unknown>;
  /** SHA-256 of the teacher's weights, hex. */
  fingerprint: string;
}

/** One sample's cached teacher outputs. */
export interface SoftTargetEntry {
  /** The teacher's valid output frames for the sample. */
  frames: number;
  /** `[frames, V]` row-major log-probabilities at temperature 1. */
  logProbs: Float32Array;
  /** The teacher's beam-search transcript (gloss ids), when extracted with `beamWidth`. */
  hypothesis?: number[];
}

/**
 * A teacher's per-frame log-probabilities for a set of samples, keyed by sample id, made
 * once by {@link extractSoftTargets} so a student's epochs never rerun the teacher. Saved and
 * loaded with `saveSoftTargets` / `loadSoftTargets` of `@slr/train/node`;
 * {@link SoftTargets.batch} gives the padded tensor a training step needs.
 *
 * @example
 * ```ts
 * const softTargets = await extractSoftTargets(teacher, trainSamples, { identity: { name: 'i3d' } });
 * // The teacher's [T, B, V] log-probabilities for a batch, and its frames per sample:
 * const { logProbs, lengths } = softTargets.batch(batch.ids);
 * ```
 */
export class SoftTargets {
  constructor(
    /** The teacher that made the targets. */
    readonly teacher: TeacherIdentity,
    /** Classes V of every entry (blank included). */
    readonly numClasses: number,
    /** Entries by sample id. */
    readonly entries: ReadonlyMap<string, SoftTargetEntry>,
  ) {
    checkInteger('SoftTargets', 'numClasses', numClasses, { min: 1 });
    for (const [id, entry] of entries) {
      if (entry.logProbs.length !== entry.frames * numClasses) {
        throw new ArgumentError(
          'SoftTargets',
          `entries.get('${id}').logProbs`,
          `hold ${entry.frames} × ${numClasses} values (frames × classes)`,
          entry.logProbs,
        );
      }
    }
  }

  /** Number of samples. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The entry of sample `id`, if cached.
   *
   * @example
   * ```ts
   * softTargets.get('train_0001')?.frames; // the teacher's output frames for that sample
   * ```
   */
  get(id: string): SoftTargetEntry | undefined {
    return this.entries.get(id);
  }

  /**
   * The cached log-probabilities of the samples `ids`, time-major and padded: `logProbs`
   * `[max frames, B, V]` (padding frames hold the uniform distribution, and are never read by
   * {@link distillationLoss}) and `lengths` (each sample's frames). Throws, naming the
   * first missing id, when a sample was not extracted.
   *
   * @example
   * ```ts
   * const { logProbs, lengths } = softTargets.batch(['train_0001', 'train_0002']);
   * logProbs.dispose();
   * ```
   */
  batch(ids: readonly string[]): {
    /** `[max frames, B, V]` log-probabilities, time-major. */
    logProbs: tf.Tensor3D;
    /** The teacher's frames of each sample. */
    lengths: number[];
  } {
    if (ids.length === 0)
      throw new ArgumentError('SoftTargets.batch', 'ids', 'hold at least one sample id', ids);
    const entries = ids.map((id, index) => {
      const entry = this.entries.get(id);
      if (entry === undefined) {
        throw new ArgumentError(
          'SoftTargets.batch',
          `ids[${index}]`,
          'be the id of a sample with soft targets ' +
            `(${this.size} cached, teacher '${this.teacher.name}')`,
          id,
          { actualText: `'${id}', which has none` },
        );
      }
      return entry;
    });
    const batch = ids.length;
    const classes = this.numClasses;
    const frames = Math.max(1, ...entries.map((e) => e.frames));
    const data = new Float32Array(frames * batch * classes).fill(-Math.log(classes));
    entries.forEach((entry, b) => {
      for (let t = 0; t < entry.frames; t++)
        data.set(
          entry.logProbs.subarray(t * classes, (t + 1) * classes),
          (t * batch + b) * classes,
        );
    });
    return {
      logProbs: tf.tensor3d(data, [frames, batch, classes]),
      lengths: entries.map((e) => e.frames),
    };
  }
}

/**
 * SHA-256 (hex) of a model's weights, in order, with their names and shapes: equal for the
 * same weights, different after any training step. Uses Web Crypto (Node.js 20+, browsers).
 *
 * @example
 * ```ts
 * const fingerprint = await modelFingerprint(teacher.model); // 'e3b0c442…'
 * ```
 */
export async function modelFingerprint(model: tf.LayersModel): Promise<string> {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  for (const weight of model.weights) {
    const value = weight.read();
    parts.push(encoder.encode(`${weight.originalName}:${value.shape.join('x')}:${value.dtype};`));
    const data = await value.data();
    parts.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.byteLength;
  }
  const digest = await globalThis.crypto.subtle.digest('SHA-256', all);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Options of {@link extractSoftTargets}. */
export interface ExtractSoftTargetsOptions {
  /** The teacher's name and configuration; its weights' fingerprint is computed and added. */
  identity: {
    /** A name for the teacher. */
    name: string;
    /** How it was built and trained (any JSON). */
    config?: Record<string, unknown>;
  };
  /** Samples per teacher forward pass. Default 8. */
  batchSize?: number;
  /**
   * Also decode each sample with beam search of this width and keep the best transcript
   * (sequence-level distillation).
   */
  beamWidth?: number;
  /** Language model for that beam search. */
  languageModel?: LanguageModel;
  /** Weight of the language model. */
  lmWeight?: number;
  /**
   * What the teacher's `apply` takes from a batch. Default: the videos (a pose stream:
   * `(b) => [b.videos, b.keypoints!]`).
   */
  inputs?: (batch: SignBatch) => tf.Tensor | tf.Tensor[];
  /** Called after each batch with the samples done so far. */
  onProgress?: (done: number) => void;
}

/**
 * Runs the teacher once, in inference mode, over `samples` and keeps its per-frame
 * log-probabilities (at temperature 1; the loss applies τ) and, with `beamWidth`, its
 * beam-search transcripts, keyed by sample id. The result carries the teacher's identity and
 * weight fingerprint; save it with `saveSoftTargets` (`@slr/train/node`) so that a student's
 * epochs (and later runs) never rerun the teacher.
 *
 * @example
 * ```ts
 * const softTargets = await extractSoftTargets(teacher, corpus.samples('train'), {
 *   identity: { name: 'i3d-tiny', config: { widthMultiplier: 0.125 } },
 *   beamWidth: 10,
 * });
 * await saveSoftTargets('runs/teacher/soft-targets.bin', softTargets);
 * ```
 */
export async function extractSoftTargets(
  teacher: SequenceModel,
  samples: Iterable<SignSample> | AsyncIterable<SignSample>,
  options: ExtractSoftTargetsOptions,
): Promise<SoftTargets> {
  const fn = 'extractSoftTargets';
  if (teacher == null || typeof teacher.apply !== 'function')
    throw new ArgumentError(fn, 'teacher', 'be a SequenceModel', teacher);
  options = checkOptions(fn, options);
  if (options.identity == null || typeof options.identity.name !== 'string')
    throw new ArgumentError(fn, 'options.identity', 'be an object with a name', options.identity);
  const batchSize = checkInteger(fn, 'options.batchSize', options.batchSize ?? 8, { min: 1 });
  if (options.beamWidth !== undefined)
    checkInteger(fn, 'options.beamWidth', options.beamWidth, { min: 1 });
  const shape = teacher.model.outputs[0].shape;
  const classes = shape[shape.length - 1] as number;
  const entries = new Map<string, SoftTargetEntry>();
  let pending: SignSample[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const batch = makeBatch(pending);
    try {
      const logProbs = tf.tidy(() =>
        teacher.apply(options.inputs ? options.inputs(batch) : batch.videos, false),
      );
      try {
        const lengths = teacher.outputLengths(batch.inputLengths);
        const [, b] = logProbs.shape;
        const data = (await logProbs.data()) as Float32Array;
        let hypotheses: number[][] | undefined;
        if (options.beamWidth !== undefined) {
          const decoded = await ctcBeamSearch(logProbs, lengths, {
            beamWidth: options.beamWidth,
            nBest: 1,
            lm: options.languageModel,
            lmWeight: options.lmWeight,
          });
          hypotheses = decoded.map((n) => n[0]?.tokens ?? []);
        }
        pending.forEach((sample, i) => {
          if (entries.has(sample.id))
            throw new ArgumentError(fn, 'samples', 'have unique sample ids', sample.id, {
              actualText: `'${sample.id}' twice`,
            });
          const frames = lengths[i];
          const own = new Float32Array(frames * classes);
          for (let t = 0; t < frames; t++)
            own.set(data.subarray((t * b + i) * classes, (t * b + i + 1) * classes), t * classes);
          entries.set(sample.id, {
            frames,
            logProbs: own,
            ...(hypotheses ? { hypothesis: hypotheses[i] } : {}),
          });
        });
      } finally {
        logProbs.dispose();
      }
    } finally {
      disposeBatch(batch);
    }
    pending = [];
    options.onProgress?.(entries.size);
  };
  for await (const sample of samples) {
    pending.push(sample);
    if (pending.length === batchSize) await flush();
  }
  await flush();
  const fingerprint = await modelFingerprint(teacher.model);
  return new SoftTargets(
    { name: options.identity.name, config: options.identity.config ?? {}, fingerprint },
    classes,
    entries,
  );
}

/**
 * Sequence-level distillation's training samples: each sample with its teacher's beam-search
 * transcript as the target (glosses spelled with `vocabulary`), so the student is trained with
 * CTC on what the teacher recognises instead of the annotation. A sample whose transcript is
 * empty keeps its annotation (CTC needs a target here). Needs targets extracted with `beamWidth`.
 *
 * @example
 * ```ts
 * const softTargets = await extractSoftTargets(teacher, trainSamples, {
 *   identity: { name: 'i3d' },
 *   beamWidth: 10,
 * });
 * const relabelled = teacherTranscripts(trainSamples, softTargets, corpus.vocabulary);
 * await train({ ...trainOptions, model: student, trainSamples: relabelled });
 * ```
 */
export function teacherTranscripts(
  samples: readonly SignSample[],
  targets: SoftTargets,
  vocabulary: GlossVocabulary,
): SignSample[] {
  return samples.map((sample) => {
    const entry = targets.get(sample.id);
    if (entry === undefined)
      throw new ArgumentError(
        'teacherTranscripts',
        'samples',
        `be samples with soft targets (teacher '${targets.teacher.name}')`,
        sample.id,
        { actualText: `'${sample.id}', which has none` },
      );
    if (entry.hypothesis === undefined)
      throw new ArgumentError(
        'teacherTranscripts',
        'targets',
        'be soft targets extracted with beamWidth (these hold no transcripts)',
        targets,
        { actualText: `a transcript-less entry for '${sample.id}'` },
      );
    if (entry.hypothesis.length === 0) return sample;
    const { spans: _spans, ...rest } = sample; // the annotation's alignment no longer matches
    return {
      ...rest,
      glossIds: [...entry.hypothesis],
      glosses: entry.hypothesis.map((id) => vocabulary.glossOf(id)),
    };
  });
}
