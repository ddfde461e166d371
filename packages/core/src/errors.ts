/**
 * The one error format of every `@slr` package: the argument, the function it was passed to,
 * what it must be, and what it was: "Argument 'x' passed to 'fn' must …, but got …." (tfjs's
 * wording, with PyTorch's habit of stating expected and actual values).
 */

/**
 * An argument that a function cannot use. Its message is in the project's one format; `fn` and
 * `argument` let a caller branch on which argument was wrong.
 *
 * @example
 * ```ts
 * const error = new ArgumentError('ctcLoss', 'blank', 'be an integer in [0, 9]', 12);
 * error.message; // "Argument 'blank' passed to 'ctcLoss' must be an integer in [0, 9], but got 12."
 * ```
 */
export class ArgumentError extends Error {
  /** The function the argument was passed to. */
  readonly fn: string;
  /** The argument (a dotted path for an option: `'options.beamWidth'`). */
  readonly argument: string;

  constructor(
    fn: string,
    argument: string,
    /** What the argument must be or do, after "must": `'be a positive integer'`. */
    must: string,
    /** The value received; described with {@link describeValue}. */
    actual: unknown,
    options?: {
      /** Shown instead of {@link describeValue}'s description of `actual`. */
      actualText?: string;
      /** The error that caused this one. */
      cause?: unknown;
    },
  ) {
    const shown = options?.actualText ?? describeValue(actual);
    super(
      `Argument '${argument}' passed to '${fn}' must ${must}, but got ${shown}.`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'ArgumentError';
    this.fn = fn;
    this.argument = argument;
  }
}

const MAX_SHOWN_ELEMENTS = 8;
const MAX_SHOWN_STRING = 60;

/**
 * A short description of any value for an error message: numbers and booleans as they are,
 * strings quoted, short arrays of primitives in full, tensors by dtype and shape, and anything
 * else by its kind.
 *
 * @example
 * ```ts
 * describeValue(-1);           // "-1"
 * describeValue('adagrad');    // "'adagrad'"
 * describeValue([3, -1]);      // "[3, -1]"
 * describeValue(new Array(20).fill(0)); // "an array of length 20"
 * describeValue(tf.zeros([2, 3]));      // "a float32 tensor of shape [2, 3]"
 * describeValue(new Int32Array(4));     // "an Int32Array of length 4"
 * describeValue(null);         // "null"
 * describeValue({ a: 1 });     // "an object"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'string':
      return value.length > MAX_SHOWN_STRING
        ? `'${value.slice(0, MAX_SHOWN_STRING)}…' (a string of length ${value.length})`
        : `'${value}'`;
    case 'function':
      return 'a function';
    case 'symbol':
      return value.toString();
    default:
      break;
  }
  if (isTensorLike(value))
    return `${article(value.dtype)} ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (Array.isArray(value)) {
    const primitives = value.every(
      (element) => element === null || ['number', 'string', 'boolean'].includes(typeof element),
    );
    if (primitives && value.length <= MAX_SHOWN_ELEMENTS)
      return `[${value.map((element) => (typeof element === 'string' ? `'${element}'` : String(element))).join(', ')}]`;
    return `an array of length ${value.length}`;
  }
  if (ArrayBuffer.isView(value)) {
    const length = (value as { length?: number }).length ?? value.byteLength;
    return `${article(value.constructor.name)} ${value.constructor.name} of length ${length}`;
  }
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name === 'string' && name !== '' && name !== 'Object')
    return `${article(name)} ${name}`;
  return 'an object';
}

/** Whether `value` looks like a tfjs tensor (duck-typed, so this package needs no tfjs). */
function isTensorLike(value: unknown): value is { dtype: string; shape: readonly number[] } {
  const candidate = value as { dtype?: unknown; shape?: unknown; dataId?: unknown };
  return (
    typeof candidate.dtype === 'string' &&
    Array.isArray(candidate.shape) &&
    candidate.dataId !== undefined
  );
}

function article(word: string): string {
  return /^([aeio]|u(?!int))/i.test(word) ? 'an' : 'a';
}
