/**
 * How long jobs (training, writing a corpus) show their progress; one type for every package.
 */
import { ArgumentError } from './errors';

/**
 * How progress is shown: `'auto'` (a bar on a terminal, one plain line per update otherwise),
 * `'bar'`, `'lines'`, or `'off'`. Options that take it also take `true` (`'auto'`) and `false`
 * (`'off'`).
 */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'off';

const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bar', 'lines', 'off'];

/**
 * The {@link ProgressMode} of an option that also takes booleans, with `fallback` for
 * `undefined`; anything else is an {@link ArgumentError} naming `fn` and `argument`.
 *
 * @example
 * ```ts
 * resolveProgressMode('train', 'options.progress', true, 'off');      // 'auto'
 * resolveProgressMode('train', 'options.progress', undefined, 'off'); // 'off'
 * ```
 */
export function resolveProgressMode(
  fn: string,
  argument: string,
  value: boolean | ProgressMode | undefined,
  fallback: ProgressMode,
): ProgressMode {
  if (value === undefined) return fallback;
  if (value === true) return 'auto';
  if (value === false) return 'off';
  if (!PROGRESS_MODES.includes(value))
    throw new ArgumentError(fn, argument, "be 'auto', 'bar', 'lines', 'off' or a boolean", value);
  return value;
}
