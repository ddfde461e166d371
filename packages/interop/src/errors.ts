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

/** What a {@link TorchWeightsError} tells beyond its message. */
export interface TorchWeightsErrorDetails {
  /** `'load'` (`loadTorchWeights`) or `'save'` (`saveTorchWeights`, `torchStateDict`, …). */
  readonly action: 'load' | 'save';
  /** The file, when one was named. */
  readonly file?: string;
  /** The tfjs model's name. */
  readonly model: string;
  /** The naming scheme, once known. */
  readonly naming?: string;
  /** The (first) PyTorch key at fault. */
  readonly key?: string;
  /** The (first) tfjs weight at fault (`stem_conv/kernel`, …). */
  readonly weight?: string;
  /** The PyTorch shape the model needs under `key`. */
  readonly expectedShape?: readonly number[];
  /** The shape the file has under `key`. */
  readonly actualShape?: readonly number[];
  /** What is wrong, in words (the message without the file, the model and the naming). */
  readonly problem: string;
}

/**
 * PyTorch weights that do not fit a model: a key with the wrong shape, a weight the file does
 * not have, a key no weight takes (with `strict`), a model the naming cannot name, a state dict
 * whose naming cannot be told. The message names the file, the key and both shapes; the fields
 * give them to branch on.
 *
 * @example
 * ```ts
 * declare const model: tf.LayersModel;
 * declare const bytes: Uint8Array;
 *
 * try {
 *   await loadTorchWeights(model, bytes, { file: 'mobilenet.pt' });
 * } catch (error) {
 *   if (!(error instanceof TorchWeightsError)) throw error;
 *   console.error(error.key, error.expectedShape, error.actualShape);
 *   // "Cannot load 'mobilenet.pt' into model 'mobilenet_v3_small' (naming 'torchvision'): key
 *   //  'classifier.3.weight' has shape [1000, 1024], but the model needs [10, 1024] for weight
 *   //  'logits/kernel' [1024, 10] ([out, in] (a Linear weight), [in, out] in tfjs)."
 * }
 * ```
 */
export class TorchWeightsError extends Error {
  /** `'load'` or `'save'`. */
  readonly action: 'load' | 'save';
  /** The file, or `undefined` when the weights came without a name. */
  readonly file: string | undefined;
  /** The tfjs model's name. */
  readonly model: string;
  /** The naming scheme, or `undefined` when it could not be told. */
  readonly naming: string | undefined;
  /** The (first) PyTorch key at fault, if any. */
  readonly key: string | undefined;
  /** The (first) tfjs weight at fault, if any. */
  readonly weight: string | undefined;
  /** The PyTorch shape the model needs under `key`, if known. */
  readonly expectedShape: readonly number[] | undefined;
  /** The shape the file has under `key`, if it has the key. */
  readonly actualShape: readonly number[] | undefined;
  /** What is wrong, in words. */
  readonly problem: string;

  constructor(details: TorchWeightsErrorDetails) {
    const file = details.file === undefined ? undefined : `'${details.file}'`;
    const naming = details.naming === undefined ? '' : ` (naming '${details.naming}')`;
    const what =
      details.action === 'load'
        ? `load ${file ?? 'the weights'} into model '${details.model}'`
        : `save model '${details.model}' as PyTorch weights${file === undefined ? '' : ` to ${file}`}`;
    super(`Cannot ${what}${naming}: ${details.problem}.`);
    this.name = 'TorchWeightsError';
    this.action = details.action;
    this.file = details.file;
    this.model = details.model;
    this.naming = details.naming;
    this.key = details.key;
    this.weight = details.weight;
    this.expectedShape = details.expectedShape;
    this.actualShape = details.actualShape;
    this.problem = details.problem;
  }
}
