/**
 * Helpers of the PHOENIX reader and writer; not part of the package's API.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/** Whether `name` can be a single path component: no separators, no `|`, no whitespace, not `.`/`..`. */
export function isSafeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\\/|\s\0]/.test(name);
}

/**
 * Writes `data` to `path` atomically: to a temporary file beside it, then renamed over it, so
 * readers see the old file or the new one, never a half-written one.
 *
 * @example
 * ```ts
 * await writeFileAtomic('/data/corpus/annotations/vocabulary.json', JSON.stringify(json));
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryPath(path);
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** A unique temporary name beside `path` (same folder, so that rename is atomic). */
export function temporaryPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Runs `task(0 … count-1)` with at most `limit` at once; the first failure rejects. */
export async function forEachLimited(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
