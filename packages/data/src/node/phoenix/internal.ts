/**
 * Helpers of the PHOENIX reader and writer; not part of the package's API.
 */

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
  if (!Number.isFinite(value))
    throw new Error(`Cannot write the non-finite number ${value} as JSON.`);
  const target = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(target.toPrecision(digits)));
    if (Math.fround(Number(text)) === target) return text;
  }
  return String(Number(target.toPrecision(9)));
}
