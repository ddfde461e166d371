/**
 * The error of every reader of this package: the file (or "the bytes" when no file was named),
 * the format it was read as, and what is wrong with it, in words.
 */

/**
 * A file that cannot be read as the format it claims (or was asked) to be: truncated, corrupt,
 * of an unsupported kind, or holding what a safe reader refuses (a pickle naming a global other
 * than the tensor-rebuilding ones). `file` and `problem` let a caller say it their own way.
 *
 * @example
 * ```ts
 * try {
 *   readSafetensors(new Uint8Array([1, 2, 3]), { file: 'model.safetensors' });
 * } catch (error) {
 *   if (error instanceof TorchFormatError) console.error(error.message);
 *   // "Cannot read 'model.safetensors' as safetensors: it is 3 bytes long, shorter than the
 *   //  8-byte header length that every safetensors file starts with."
 * }
 * ```
 */
export class TorchFormatError extends Error {
  /** The file named by the caller, or `undefined` when the bytes came without a name. */
  readonly file: string | undefined;
  /** The format the bytes were read as: `'safetensors'`, `'a PyTorch checkpoint'`, … */
  readonly format: string;
  /** What is wrong, in words (the message without the file and the format). */
  readonly problem: string;

  constructor(file: string | undefined, format: string, problem: string) {
    super(
      `Cannot read ${file === undefined ? 'the bytes' : `'${file}'`} as ${format}: ${problem}.`,
    );
    this.name = 'TorchFormatError';
    this.file = file;
    this.format = format;
    this.problem = problem;
  }
}

/** Throws a {@link TorchFormatError} for `file` read as `format`; the readers' one way to fail. */
export type Fail = (problem: string) => never;

/** A {@link Fail} for `file` read as `format`. */
export function failureFor(file: string | undefined, format: string): Fail {
  return (problem: string) => {
    throw new TorchFormatError(file, format, problem);
  };
}
