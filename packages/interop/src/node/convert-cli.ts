/**
 * `slr-convert`'s arguments, messages and exit codes (`src/node/cli.ts` runs it on the process).
 *
 * @internal
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { setupBackend } from '@slr/backend';
import { ArgumentError } from '@slr/core';
import { FileSystemError } from '@slr/core/node';
import { ModelIoError } from '@slr/layers/node';
import { TorchFormatError, TorchWeightsError } from '../errors';
import { NAMINGS, type TorchNaming } from '../mapping/schemes';
import {
  convertToTfjs,
  convertToTorch,
  ConvertUsageError,
  MODEL_KIND_NAMES,
  MODEL_KINDS,
} from './convert';

const kindLines = MODEL_KIND_NAMES.map(
  (name) =>
    `  ${name.padEnd(28)}${MODEL_KINDS[name].description.replaceAll('\n', `\n${' '.repeat(30)}`)}`,
).join('\n');

/** `slr-convert --help`. */
export const USAGE = `Usage:
  slr-convert to-tfjs <checkpoint> <model-folder> --model KIND [options]
  slr-convert to-torch <model-folder> <out.safetensors> [--naming NAMING]

to-tfjs: builds the @slr model of KIND, loads the PyTorch checkpoint into it
(torch.save's .pt/.pth, zip or legacy format, or .safetensors; every weight
must match, as load_state_dict(strict=True)), and writes <model-folder>:
model.json and its weights, which tf.loadLayersModel reads (in a browser,
import '@slr/layers' first: the models use its layers).

to-torch: reads a model folder (written by to-tfjs, or by saveModel of
@slr/layers/node) and writes its weights as safetensors, under PyTorch's names
and layouts: model.load_state_dict(safetensors.torch.load_file(...),
strict=True) loads them into the PyTorch twin.

Models (--model):
${kindLines}

Options:
  --model KIND          the model the checkpoint is of (to-tfjs; required)
  --num-classes N       classes of the model's head (default: told from the
                        checkpoint)
  --input-shape SHAPE   the input of one sample, 'null' for any size: e.g.
                        224,224,3 or null,224,224,3 (default: null,null,3 for
                        MobileNetV3, null,224,224,3 for I3D)
  --options JSON        more options of the model's builder, e.g.
                        '{"widthMultiplier":0.5}' (buildMobileNetV3Classifier,
                        buildI3DBackbone, …)
  --naming NAMING       the PyTorch names: ${NAMINGS.join(', ')} (default: the
                        model's; for to-torch, the one that names every weight)
  --partial             to-tfjs: load the weights that match and list the rest,
                        as load_state_dict(strict=False), instead of refusing
  -h, --help            show this help

Exit codes: 0 done, 1 a file could not be read, converted or written,
2 wrong arguments.
`;

class UsageError extends Error {}

/** Where `slr-convert` writes. */
export interface ConvertIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

function integer(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\+?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1)
    throw new UsageError(`--${flag} must be an integer ≥ 1, but got '${text}'.`);
  return value;
}

function inputShape(text: string | undefined): (number | null)[] | undefined {
  if (text === undefined) return undefined;
  const parts = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .split(/\s*[,x×]\s*/);
  const shape = parts.map((part) =>
    part === 'null' || part === '?' ? null : /^\d+$/.test(part) ? Number(part) : NaN,
  );
  if (parts.length < 2 || shape.some((d) => d !== null && !(Number.isSafeInteger(d) && d > 0))) {
    throw new UsageError(
      `--input-shape must be dimensions separated by commas, each a positive integer or 'null' ` +
        `(e.g. 224,224,3 or null,224,224,3), but got '${text}'.`,
    );
  }
  return shape;
}

function builderOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--options must be a JSON object, but it is not JSON: ${(error as Error).message}.`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--options must be a JSON object, but got '${text}'.`);
  return parsed as Record<string, unknown>;
}

function naming(text: string | undefined): TorchNaming | undefined {
  if (text === undefined) return undefined;
  if (!NAMINGS.includes(text as TorchNaming))
    throw new UsageError(`--naming must be one of ${NAMINGS.join(', ')}, but got '${text}'.`);
  return text as TorchNaming;
}

type Command =
  | { help: true }
  | {
      help: false;
      command: 'to-tfjs';
      checkpoint: string;
      folder: string;
      kind: string;
      numClasses?: number;
      inputShape?: (number | null)[];
      naming?: TorchNaming;
      options: Record<string, unknown>;
      partial: boolean;
    }
  | { help: false; command: 'to-torch'; folder: string; out: string; naming?: TorchNaming };

function parse(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        'num-classes': { type: 'string' },
        'input-shape': { type: 'string' },
        options: { type: 'string' },
        naming: { type: 'string' },
        partial: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const [command, ...paths] = positionals;
  if (command === undefined) throw new UsageError('a command is required: to-tfjs or to-torch.');
  if (command !== 'to-tfjs' && command !== 'to-torch')
    throw new UsageError(`unknown command '${command}': the commands are to-tfjs and to-torch.`);
  const [first, second] = paths;
  const names =
    command === 'to-tfjs' ? '<checkpoint> <model-folder>' : '<model-folder> <out.safetensors>';
  if (paths.length !== 2 || first.trim() === '' || second.trim() === '') {
    const got = paths.length === 0 ? 'none' : paths.map((p) => `'${p}'`).join(' ');
    throw new UsageError(`${command} takes two paths, ${names}, but got ${got}.`);
  }
  if (command === 'to-torch') {
    for (const flag of ['model', 'num-classes', 'input-shape', 'options', 'partial'] as const)
      if (values[flag] !== undefined)
        throw new UsageError(`--${flag} is an option of to-tfjs, not of to-torch.`);
    if (!second.endsWith('.safetensors'))
      throw new UsageError(
        `to-torch writes safetensors (torch.load cannot read them): name the file *.safetensors, but got '${second}'.`,
      );
    return { help: false, command, folder: first, out: second, naming: naming(values.naming) };
  }
  if (values.model === undefined)
    throw new UsageError(`--model KIND is required: one of ${MODEL_KIND_NAMES.join(', ')}.`);
  if (!(values.model in MODEL_KINDS))
    throw new UsageError(
      `unknown model '${values.model}': --model must be one of ${MODEL_KIND_NAMES.join(', ')}.`,
    );
  return {
    help: false,
    command,
    checkpoint: first,
    folder: second,
    kind: values.model,
    numClasses: integer('num-classes', values['num-classes']),
    inputShape: inputShape(values['input-shape']),
    naming: naming(values.naming),
    options: builderOptions(values.options),
    partial: values.partial ?? false,
  };
}

/** `[1, 2]`. */
function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : d)).join(', ')}]`;
}

/** `1.2 MB`. */
function sizeText(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Up to 5 names, then how many more. */
function listText(items: readonly string[]): string {
  const shown = items.slice(0, 5).join(', ');
  return items.length > 5 ? `${shown} and ${items.length - 5} more` : shown;
}

/** Errors about a file, said in their own words (no stack). */
function isFileError(error: unknown): error is Error {
  return (
    error instanceof TorchWeightsError ||
    error instanceof TorchFormatError ||
    error instanceof FileSystemError ||
    error instanceof ModelIoError
  );
}

/**
 * Runs `slr-convert` with `argv` (the arguments after the command's name), writing to `io`;
 * resolves to the exit code: 0 done, 1 a file could not be read, converted or written, 2 wrong
 * arguments.
 */
export async function runSlrConvert(argv: string[], io: ConvertIo): Promise<number> {
  let command: Command;
  try {
    command = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`slr-convert: ${error.message}\nRun 'slr-convert --help' for the usage.\n`);
    return 2;
  }
  if (command.help) {
    io.stdout(USAGE);
    return 0;
  }
  await setupBackend('cpu', { quiet: true });
  try {
    if (command.command === 'to-torch') {
      const result = await convertToTorch(command.folder, command.out, command.naming);
      const namingText = result.naming === undefined ? '' : ` (naming '${result.naming}')`;
      io.stdout(
        `Wrote ${command.out}: ${result.keys} tensors of model '${result.model}'${namingText} ` +
          `from ${command.folder}.\n`,
      );
      return 0;
    }
    const result = await convertToTfjs(command);
    const { load, model } = result;
    const input = model.inputs.map((x) => shapeText(x.shape.slice(1))).join(', ');
    const files = result.weightsPaths.length;
    io.stdout(
      `Wrote ${result.modelJsonPath} and ${files} weight file${files === 1 ? '' : 's'} ` +
        `(${sizeText(result.weightDataBytes)}): model '${model.name}' (${command.kind}, input ` +
        `${input}, output ${shapeText(model.outputs[0].shape.slice(1))}), ${load.loaded.length} ` +
        `tensors loaded from ${command.checkpoint} (naming '${load.naming}').\n`,
    );
    if (load.unusedKeys.length > 0)
      io.stderr(
        `slr-convert: ${load.unusedKeys.length} keys of the checkpoint were not used (--partial): ` +
          `${listText(load.unusedKeys.map((key) => `'${key}'`))}.\n`,
      );
    if (load.missingWeights.length > 0)
      io.stderr(
        `slr-convert: ${load.missingWeights.length} weights of the model kept their initial values ` +
          `(--partial): ${listText(load.missingWeights.map((m) => `'${m.weight}'`))}.\n`,
      );
    model.dispose();
    return 0;
  } catch (error) {
    if (error instanceof ConvertUsageError) {
      io.stderr(`slr-convert: ${error.message}.\nRun 'slr-convert --help' for the usage.\n`);
      return 2;
    }
    if (error instanceof ArgumentError) {
      // A builder refusing --options or --input-shape.
      io.stderr(`slr-convert: ${error.message}\nRun 'slr-convert --help' for the usage.\n`);
      return 2;
    }
    if (!isFileError(error)) throw error;
    // slr-convert's word for loadTorchWeights's { strict: false }.
    const message = error.message.replace('Pass { strict: false }', 'Pass --partial');
    io.stderr(`slr-convert: ${message}\n`);
    return 1;
  }
}
