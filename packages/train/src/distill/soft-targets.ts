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
import { configError, requireInteger } from '../errors';

type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');
type Crypto = typeof import('node:crypto');

/**
 * Who produced a set of soft targets: a name, the configuration the teacher was built and
 * trained with, and a fingerprint of its weights ({@link modelFingerprint}). Stored with the
 * targets, so a cache made by another teacher is never used by mistake.
 *
 * @example
 * ```ts
 * const identity: TeacherIdentity = { name: 'i3d-tiny', config: { widthMultiplier: 0.125 }, fingerprint: await modelFingerprint(teacher.model) };
 * ```
 */
export interface TeacherIdentity {
  /** A name for the teacher. */
  name: string;
  /** Any JSON-serialisable description of the teacher (architecture options, training run). */
  config: Record<string, unknown>;
  /** SHA-256 of the teacher's weights, hex. */
  fingerprint: string;
}

/**
 * One sample's cached teacher outputs.
 *
 * @example
 * ```ts
 * const entry: SoftTargetEntry = targets.get('train_0001')!;
 * entry.frames; // the teacher's output frames for this sample
 * ```
 */
export interface SoftTargetEntry {
  /** The teacher's valid output frames for the sample. */
  frames: number;
  /** `[frames, V]` row-major log-probabilities at temperature 1. */
  logProbs: Float32Array;
  /** The teacher's beam-search transcript (gloss ids), when extracted with `beamWidth`. */
  hypothesis?: number[];
}

/**
 * The error of a soft-target file that is missing, corrupt or made by another teacher;
 * `path` names the file.
 *
 * @example
 * ```ts
 * try { await loadSoftTargets('runs/teacher/soft-targets.bin'); }
 * catch (e) { if (e instanceof SoftTargetsError) console.error(e.path, e.message); }
 * ```
 */
export class SoftTargetsError extends Error {
  /** `'SoftTargetsError'`. */
  override readonly name = 'SoftTargetsError';
  constructor(
    /** The file that could not be used. */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A teacher's per-frame log-probabilities for a set of samples, keyed by sample id, made
 * once by {@link extractSoftTargets} so a student's epochs never rerun the teacher. Saved and
 * loaded with {@link saveSoftTargets} / {@link loadSoftTargets}; {@link SoftTargets.batch}
 * gives the padded tensor a training step needs.
 *
 * @example
 * ```ts
 * const targets = await extractSoftTargets(teacher, trainSamples, { identity });
 * const { logProbs, lengths } = targets.batch(batch.ids); // [T, B, V], the teacher's frames per sample
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
    requireInteger('numClasses', numClasses, 1);
    for (const [id, entry] of entries) {
      if (entry.logProbs.length !== entry.frames * numClasses) {
        throw new Error(
          configError(
            `entries['${id}'].logProbs`,
            `${entry.frames} × ${numClasses} values`,
            `${entry.logProbs.length}`,
          ),
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
   * targets.get('train_0001')?.hypothesis;
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
   * const { logProbs, lengths } = targets.batch(['train_0001', 'train_0002']);
   * logProbs.dispose();
   * ```
   */
  batch(ids: readonly string[]): {
    /** `[max frames, B, V]` log-probabilities, time-major. */
    logProbs: tf.Tensor3D;
    /** The teacher's frames of each sample. */
    lengths: number[];
  } {
    if (ids.length === 0) throw new Error(configError('ids', 'at least one sample id', '[]'));
    const entries = ids.map((id) => {
      const entry = this.entries.get(id);
      if (entry === undefined) {
        throw new Error(
          configError(
            'ids',
            `ids of samples with soft targets (${this.size} cached, teacher '${this.teacher.name}')`,
            `'${id}', which has none`,
          ),
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

/**
 * Options of {@link extractSoftTargets}.
 *
 * @example
 * ```ts
 * const options: ExtractSoftTargetsOptions = { identity, batchSize: 8, beamWidth: 10 };
 * ```
 */
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
  /** Also decode each sample with beam search of this width and keep the best transcript (sequence-level distillation). */
  beamWidth?: number;
  /** Language model for that beam search. */
  languageModel?: LanguageModel;
  /** Weight of the language model. */
  lmWeight?: number;
  /** What the teacher's `apply` takes from a batch. Default: the videos (a pose stream: `(b) => [b.videos, b.keypoints!]`). */
  inputs?: (batch: SignBatch) => tf.Tensor | tf.Tensor[];
  /** Called after each batch with the samples done so far. */
  onProgress?: (done: number) => void;
}

/**
 * Runs the teacher once, in inference mode, over `samples` and keeps its per-frame
 * log-probabilities (at temperature 1; the loss applies τ) and, with `beamWidth`, its
 * beam-search transcripts, keyed by sample id. The result carries the teacher's identity and
 * weight fingerprint; save it with {@link saveSoftTargets} so a student's epochs (and later
 * runs) never rerun the teacher.
 *
 * @example
 * ```ts
 * const targets = await extractSoftTargets(teacher, corpus.samples('train', video), {
 *   identity: { name: 'i3d-tiny', config: teacherConfig }, beamWidth: 10,
 * });
 * await saveSoftTargets('runs/teacher/soft-targets.bin', targets);
 * ```
 */
export async function extractSoftTargets(
  teacher: SequenceModel,
  samples: Iterable<SignSample> | AsyncIterable<SignSample>,
  options: ExtractSoftTargetsOptions,
): Promise<SoftTargets> {
  if (teacher == null || typeof teacher.apply !== 'function')
    throw new Error(configError('teacher', 'a SequenceModel', teacher));
  if (options?.identity == null || typeof options.identity.name !== 'string')
    throw new Error(configError('identity', 'an object with a name', options?.identity));
  const batchSize = requireInteger('batchSize', options.batchSize ?? 8, 1);
  if (options.beamWidth !== undefined) requireInteger('beamWidth', options.beamWidth, 1);
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
            throw new Error(configError('samples', 'unique sample ids', `'${sample.id}' twice`));
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
 * const targets = await extractSoftTargets(teacher, trainSamples, { identity, beamWidth: 10 });
 * const relabelled = teacherTranscripts(trainSamples, targets, corpus.vocabulary);
 * await train({ model: student, trainSamples: relabelled, ... });
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
      throw new Error(
        configError(
          'samples',
          `samples with soft targets (teacher '${targets.teacher.name}')`,
          `'${sample.id}', which has none`,
        ),
      );
    if (entry.hypothesis === undefined)
      throw new Error(
        configError(
          'targets',
          'soft targets extracted with beamWidth (they hold no transcripts)',
          `'${sample.id}' without one`,
        ),
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

const MAGIC = 'SLRKD001';

async function nodeModules(): Promise<{ fs: Fs; path: Path; crypto: Crypto }> {
  const fs = (await import(/* @vite-ignore */ 'node:fs/promises' as string)) as Fs;
  const path = (await import(/* @vite-ignore */ 'node:path' as string)) as Path;
  const crypto = (await import(/* @vite-ignore */ 'node:crypto' as string)) as Crypto;
  return { fs, path, crypto };
}

/**
 * Writes soft targets to one file, atomically: a temporary file beside it is written, synced
 * and renamed over `file`, so a crash leaves the old file or the new one, never a mix. The
 * file holds a JSON header (teacher identity, classes, each sample's id, frames and
 * transcript, a SHA-256 of the data) and the float32 log-probabilities. Node.js only.
 *
 * @example
 * ```ts
 * await saveSoftTargets('runs/teacher/soft-targets.bin', targets);
 * ```
 */
export async function saveSoftTargets(file: string, targets: SoftTargets): Promise<void> {
  const { fs, path, crypto } = await nodeModules();
  const ids = [...targets.entries.keys()];
  const total = ids.reduce(
    (n, id) => n + (targets.entries.get(id) as SoftTargetEntry).logProbs.length,
    0,
  );
  const data = new Float32Array(total);
  let offset = 0;
  const samples = ids.map((id) => {
    const entry = targets.entries.get(id) as SoftTargetEntry;
    data.set(entry.logProbs, offset);
    offset += entry.logProbs.length;
    return {
      id,
      frames: entry.frames,
      ...(entry.hypothesis ? { hypothesis: entry.hypothesis } : {}),
    };
  });
  const bytes = new Uint8Array(data.buffer);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const header = new TextEncoder().encode(
    JSON.stringify({
      format: 1,
      teacher: targets.teacher,
      numClasses: targets.numClasses,
      sha256,
      samples,
    }),
  );
  const prefix = new Uint8Array(12);
  prefix.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(prefix.buffer).setUint32(8, header.byteLength, true);
  // Float32 data starts at a multiple of 4 bytes.
  const pad = (4 - ((12 + header.byteLength) % 4)) % 4;
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`,
  );
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(prefix);
    await handle.writeFile(header);
    await handle.writeFile(new Uint8Array(pad));
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  await fs.rename(tmp, file);
}

/**
 * Options of {@link loadSoftTargets}.
 *
 * @example
 * ```ts
 * const options: LoadSoftTargetsOptions = { expectTeacher: { fingerprint: await modelFingerprint(teacher.model) } };
 * ```
 */
export interface LoadSoftTargetsOptions {
  /** Refuse targets whose teacher differs in any of these fields (`config` compared as JSON). */
  expectTeacher?: Partial<TeacherIdentity>;
}

/**
 * Reads soft targets written by {@link saveSoftTargets}. Throws {@link SoftTargetsError}
 * naming the file when it is missing, truncated, corrupt (its data's SHA-256 differs) or was
 * made by another teacher than `expectTeacher`. Node.js only.
 *
 * @example
 * ```ts
 * const targets = await loadSoftTargets('runs/teacher/soft-targets.bin', { expectTeacher: { name: 'i3d-tiny', fingerprint } });
 * ```
 */
export async function loadSoftTargets(
  file: string,
  options: LoadSoftTargetsOptions = {},
): Promise<SoftTargets> {
  const { fs, crypto } = await nodeModules();
  let buffer: Uint8Array;
  try {
    buffer = await fs.readFile(file);
  } catch (error) {
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (buffer.byteLength < 12 || new TextDecoder().decode(buffer.subarray(0, 8)) !== MAGIC) {
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} are not a soft-target file (expected the '${MAGIC}' header).`,
    );
  }
  const headerLength = new DataView(buffer.buffer, buffer.byteOffset, 12).getUint32(8, true);
  if (12 + headerLength > buffer.byteLength)
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} are truncated (header of ${headerLength} bytes, file of ${buffer.byteLength}).`,
    );
  let header: {
    format: number;
    teacher: TeacherIdentity;
    numClasses: number;
    sha256: string;
    samples: { id: string; frames: number; hypothesis?: number[] }[];
  };
  try {
    header = JSON.parse(new TextDecoder().decode(buffer.subarray(12, 12 + headerLength)));
  } catch (error) {
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} have a corrupt header: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const start = 12 + headerLength + ((4 - ((12 + headerLength) % 4)) % 4);
  const expectedBytes = header.samples.reduce((n, s) => n + s.frames * header.numClasses, 0) * 4;
  if (buffer.byteLength - start !== expectedBytes) {
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} are truncated or corrupt: expected ${expectedBytes} bytes of data, but found ${buffer.byteLength - start}.`,
    );
  }
  const bytes = buffer.subarray(start);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== header.sha256)
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} are corrupt: their data's SHA-256 is ${sha256}, the header says ${header.sha256}.`,
    );
  const expect = options.expectTeacher ?? {};
  for (const key of ['name', 'fingerprint', 'config'] as const) {
    if (expect[key] === undefined) continue;
    const want = JSON.stringify(expect[key]);
    const got = JSON.stringify(header.teacher[key]);
    if (want !== got)
      throw new SoftTargetsError(
        file,
        `Soft targets ${file} were made by another teacher: expected teacher ${key} ${want}, but the file has ${got}.`,
      );
  }
  const copy = new Uint8Array(bytes.byteLength); // aligned, and independent of Node's Buffer pool
  copy.set(bytes);
  const data = new Float32Array(copy.buffer);
  const entries = new Map<string, SoftTargetEntry>();
  let offset = 0;
  for (const s of header.samples) {
    const length = s.frames * header.numClasses;
    entries.set(s.id, {
      frames: s.frames,
      logProbs: data.subarray(offset, offset + length),
      ...(s.hypothesis ? { hypothesis: s.hypothesis } : {}),
    });
    offset += length;
  }
  return new SoftTargets(header.teacher, header.numClasses, entries);
}
