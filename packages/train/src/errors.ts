/**
 * Builds the message of a configuration error: the field, what was expected and what was given.
 *
 * @example
 * ```ts
 * throw new Error(configError('learningRate', 'a finite number > 0', -1));
 * // "Invalid 'learningRate': expected a finite number > 0, but got -1."
 * ```
 */
export function configError(field: string, expected: string, actual: unknown): string {
  const shown = typeof actual === 'string' ? `'${actual}'` : String(actual);
  return `Invalid '${field}': expected ${expected}, but got ${shown}.`;
}

/**
 * Returns `value` when it is a finite number within the bounds, else throws {@link configError}'s message.
 *
 * @example
 * ```ts
 * requireNumber('beta1', 0.9, 0, true, 1, false); // 0.9 (checks 0 <= beta1 < 1)
 * ```
 */
export function requireNumber(
  field: string,
  value: unknown,
  min: number,
  minInclusive: boolean,
  max = Infinity,
  maxInclusive = false,
): number {
  const lo = `${minInclusive ? '>=' : '>'} ${min}`;
  const hi = max === Infinity ? '' : ` and ${maxInclusive ? '<=' : '<'} ${max}`;
  const expected = `a finite number ${lo}${hi}`;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(configError(field, expected, value));
  if (minInclusive ? value < min : value <= min)
    throw new Error(configError(field, expected, value));
  if (maxInclusive ? value > max : value >= max)
    throw new Error(configError(field, expected, value));
  return value;
}

/**
 * Returns `value` when it is an integer >= `min`, else throws {@link configError}'s message.
 *
 * @example
 * ```ts
 * requireInteger('totalSteps', 100, 1); // 100
 * ```
 */
export function requireInteger(field: string, value: unknown, min: number): number {
  const expected = `an integer >= ${min}`;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new Error(configError(field, expected, value));
  return value;
}
