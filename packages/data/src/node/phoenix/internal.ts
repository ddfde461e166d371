/**
 * Helpers of the PHOENIX reader and writer; not part of the package's API.
 */
import { ArgumentError, checkNumber } from '@slr/core';

/** Whether `name` can be a single path component: no separators, no `|`, no whitespace, not `.`/`..`. */
export function isSafeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\\/|\s\0]/.test(name);
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

/**
 * The shortest decimal text that reads back as the same float32 (`Math.fround`).
 *
 * @example
 * ```ts
 * float32Text(Math.fround(0.3)); // '0.3' (not '0.30000001192092896')
 * ```
 */
export function float32Text(value: number): string {
  checkNumber('float32Text', 'value', value);
  const target = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(target.toPrecision(digits)));
    if (Math.fround(Number(text)) === target) return text;
  }
  return String(Number(target.toPrecision(9)));
}

/** Checks a corpus folder argument: a non-empty string. */
export function checkDir(fn: string, dir: unknown): void {
  if (typeof dir !== 'string' || dir === '')
    throw new ArgumentError(fn, 'dir', 'be the path of a folder, a non-empty string', dir);
}

/** Checks a frame size `[H, W]` of integers >= 1 passed to `fn` as `argument`. */
export function checkFrameSize(fn: string, argument: string, size: unknown): void {
  if (
    !Array.isArray(size) ||
    size.length !== 2 ||
    !size.every((value) => Number.isInteger(value) && value >= 1)
  )
    throw new ArgumentError(fn, argument, 'be [H, W] with integers >= 1', size);
}

/** Checks `options.frameFolder` (a plain folder name) of `fn`'s options. */
export function checkFrameFolder(fn: string, frameFolder: unknown): void {
  if (frameFolder !== undefined && (typeof frameFolder !== 'string' || !isSafeName(frameFolder)))
    throw new ArgumentError(fn, 'options.frameFolder', 'be a plain folder name', frameFolder);
}
