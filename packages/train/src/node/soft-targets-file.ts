/**
 * Soft targets on disk: one file per set, written atomically, checked when read (its teacher,
 * its size and a SHA-256 of its data). Node.js only.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@slr/core/node';
import { SoftTargets, type SoftTargetEntry, type TeacherIdentity } from '../distill/soft-targets';

/**
 * The error of a soft-target file that is missing, corrupt or made by another teacher;
 * `path` names the file.
 *
 * @example
 * ```ts
 * try {
 *   await loadSoftTargets('runs/teacher/soft-targets.bin');
 * } catch (error) {
 *   if (error instanceof SoftTargetsError) console.error(error.path, error.message);
 * }
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

/** The first 8 bytes of a soft-target file (format 1). */
const MAGIC = 'SLRKD001';
/** The magic, then the header's length (uint32, little-endian). */
const PREFIX_BYTES = 12;
/** The length of a SHA-256 in hex: the header's length does not depend on the digest. */
const SHA256_HEX_PLACEHOLDER = '0'.repeat(64);

/**
 * Writes soft targets to one file, atomically (`writeFileAtomic` of `@slr/core/node`: a
 * temporary file beside it, synced, renamed over `file`), so a crash leaves the old file or the
 * new one, never a mix; the folder is created when missing. The file holds a JSON header
 * (teacher identity, classes, each sample's id, frames and transcript, a SHA-256 of the data)
 * and the float32 log-probabilities. A failed write names `file`.
 *
 * @example
 * ```ts
 * await saveSoftTargets('runs/teacher/soft-targets.bin', softTargets);
 * ```
 */
export async function saveSoftTargets(file: string, targets: SoftTargets): Promise<void> {
  const ids = [...targets.entries.keys()];
  const entryOf = (id: string): SoftTargetEntry => targets.entries.get(id) as SoftTargetEntry;
  const values = ids.reduce((sum, id) => sum + entryOf(id).logProbs.length, 0);
  const samples = ids.map((id) => {
    const entry = entryOf(id);
    return {
      id,
      frames: entry.frames,
      ...(entry.hypothesis ? { hypothesis: entry.hypothesis } : {}),
    };
  });
  const headerWith = (sha256: string): Uint8Array =>
    new TextEncoder().encode(
      JSON.stringify({
        format: 1,
        teacher: targets.teacher,
        numClasses: targets.numClasses,
        sha256,
        samples,
      }),
    );
  // The whole file in one buffer, the data written in place (no second copy of what can be
  // gigabytes): the header's length is known before the digest, which has a fixed length.
  const headerBytes = headerWith(SHA256_HEX_PLACEHOLDER).byteLength;
  const dataOffset = PREFIX_BYTES + headerBytes + ((4 - ((PREFIX_BYTES + headerBytes) % 4)) % 4);
  const bytes = new Uint8Array(dataOffset + values * 4);
  const data = new Float32Array(bytes.buffer, dataOffset, values);
  let offset = 0;
  for (const id of ids) {
    const { logProbs } = entryOf(id);
    data.set(logProbs, offset);
    offset += logProbs.length;
  }
  const sha256 = createHash('sha256').update(bytes.subarray(dataOffset)).digest('hex');
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(8, headerBytes, true);
  bytes.set(headerWith(sha256), PREFIX_BYTES);
  await writeFileAtomic(file, bytes, { createFolder: true });
}

/** Options of {@link loadSoftTargets}. */
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
 * const softTargets = await loadSoftTargets('runs/teacher/soft-targets.bin', {
 *   expectTeacher: { name: 'i3d-tiny', fingerprint: await modelFingerprint(teacher.model) },
 * });
 * ```
 */
export async function loadSoftTargets(
  file: string,
  options: LoadSoftTargetsOptions = {},
): Promise<SoftTargets> {
  let buffer: Uint8Array;
  try {
    buffer = await readFile(file);
  } catch (error) {
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (
    buffer.byteLength < PREFIX_BYTES ||
    new TextDecoder().decode(buffer.subarray(0, 8)) !== MAGIC
  ) {
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} are not a soft-target file (expected the '${MAGIC}' header).`,
    );
  }
  const headerLength = new DataView(buffer.buffer, buffer.byteOffset, PREFIX_BYTES).getUint32(
    8,
    true,
  );
  if (PREFIX_BYTES + headerLength > buffer.byteLength)
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
    header = JSON.parse(
      new TextDecoder().decode(buffer.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)),
    ) as typeof header;
  } catch (error) {
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} have a corrupt header: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const start = PREFIX_BYTES + headerLength + ((4 - ((PREFIX_BYTES + headerLength) % 4)) % 4);
  const expectedBytes = header.samples.reduce((n, s) => n + s.frames * header.numClasses, 0) * 4;
  if (buffer.byteLength - start !== expectedBytes) {
    throw new SoftTargetsError(
      file,
      `Soft targets ${file} are truncated or corrupt: ` +
        `expected ${expectedBytes} bytes of data, but found ${buffer.byteLength - start}.`,
    );
  }
  const bytes = buffer.subarray(start);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
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
