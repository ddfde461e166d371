/**
 * Checks of the common kinds of argument. Each returns the value when it passes and throws an
 * {@link ArgumentError} naming the function and the argument when it does not.
 */
import { ArgumentError } from './errors';

/** Bounds of a number: `min`/`max` inclusive unless `minExclusive`/`maxExclusive`. */
export interface NumberBounds {
  /** The smallest allowed value (inclusive unless `minExclusive`). */
  min?: number;
  /** The largest allowed value (inclusive unless `maxExclusive`). */
  max?: number;
  /** Whether `min` itself is refused. */
  minExclusive?: boolean;
  /** Whether `max` itself is refused. */
  maxExclusive?: boolean;
}

/** "in [0, 1)", ">= 1", "> 0", or "" for no bounds. */
function boundsText(bounds: NumberBounds): string {
  const { min, max, minExclusive = false, maxExclusive = false } = bounds;
  if (min !== undefined && max !== undefined)
    return ` in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
  if (min !== undefined) return ` ${minExclusive ? '>' : '>='} ${min}`;
  if (max !== undefined) return ` ${maxExclusive ? '<' : '<='} ${max}`;
  return '';
}

function withinBounds(value: number, bounds: NumberBounds): boolean {
  const { min, max, minExclusive = false, maxExclusive = false } = bounds;
  if (min !== undefined && (minExclusive ? value <= min : value < min)) return false;
  if (max !== undefined && (maxExclusive ? value >= max : value > max)) return false;
  return true;
}

/**
 * Returns `value` when it is a finite number within `bounds`.
 *
 * @example
 * ```ts
 * checkNumber('createOptimizer', 'config.learningRate', 1e-3, { min: 0, minExclusive: true }); // 0.001
 * checkNumber('createOptimizer', 'config.learningRate', -1, { min: 0, minExclusive: true });
 * // ArgumentError: Argument 'config.learningRate' passed to 'createOptimizer' must be a finite
 * // number > 0, but got -1.
 * ```
 */
export function checkNumber(
  fn: string,
  argument: string,
  value: unknown,
  bounds: NumberBounds = {},
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !withinBounds(value, bounds))
    throw new ArgumentError(fn, argument, `be a finite number${boundsText(bounds)}`, value);
  return value;
}

/**
 * Returns `value` when it is an integer within `bounds`.
 *
 * @example
 * ```ts
 * checkInteger('ctcBeamSearch', 'options.beamWidth', 10, { min: 1 }); // 10
 * checkInteger('ctcBeamSearch', 'options.beamWidth', 2.5, { min: 1 });
 * // ArgumentError: Argument 'options.beamWidth' passed to 'ctcBeamSearch' must be an integer >= 1,
 * // but got 2.5.
 * ```
 */
export function checkInteger(
  fn: string,
  argument: string,
  value: unknown,
  bounds: NumberBounds = {},
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || !withinBounds(value, bounds))
    throw new ArgumentError(fn, argument, `be an integer${boundsText(bounds)}`, value);
  return value;
}

/**
 * Returns `value` when it is one of `allowed`.
 *
 * @example
 * ```ts
 * checkOneOf('ctcLoss', 'options.reduction', 'mean', ['none', 'sum', 'mean']); // 'mean'
 * checkOneOf('ctcLoss', 'options.reduction', 'avg', ['none', 'sum', 'mean']);
 * // ArgumentError: Argument 'options.reduction' passed to 'ctcLoss' must be one of 'none', 'sum',
 * // 'mean', but got 'avg'.
 * ```
 */
export function checkOneOf<const T extends string | number | boolean>(
  fn: string,
  argument: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (!allowed.includes(value as T)) {
    const list = allowed.map((item) => (typeof item === 'string' ? `'${item}'` : String(item)));
    throw new ArgumentError(fn, argument, `be one of ${list.join(', ')}`, value);
  }
  return value as T;
}

/**
 * Returns `value` when it is a boolean.
 *
 * @example
 * ```ts
 * checkBoolean('ctcLoss', 'options.zeroInfinity', true); // true
 * ```
 */
export function checkBoolean(fn: string, argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(fn, argument, 'be a boolean', value);
  return value;
}

/**
 * Returns an options object, `{}` for `undefined`; refuses `null`, arrays and every
 * non-object (a frequent slip: `fn(x, null)` would otherwise fail deep inside with "Cannot read
 * properties of null").
 *
 * @example
 * ```ts
 * function decode(options?: { beamWidth?: number }): number {
 *   const { beamWidth = 10 } = checkOptions('decode', options);
 *   return beamWidth;
 * }
 * decode(); // 10
 * decode(null as never); // as a JavaScript caller may:
 * // ArgumentError: Argument 'options' passed to 'decode' must be an object or undefined, but got null.
 * ```
 */
export function checkOptions<T extends object>(
  fn: string,
  value: T | undefined,
  argument = 'options',
): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ArgumentError(fn, argument, 'be an object or undefined', value);
  return value;
}
