/**
 * PyTorch weights in and out of tfjs models: `loadTorchWeights` assigns a state dict's tensors
 * to a model's weights through a naming scheme and its layouts, `torchStateDict` and
 * `torchWeightsBytes` give a model's weights as PyTorch names and lays them out.
 */
import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkBoolean, checkOneOf, checkOptions } from '@slr/core';
import { TorchWeightsError, type TorchWeightsErrorDetails } from './errors';
import { layersOf, type WeightGroup } from './mapping/groups';
import type { HostTensor } from './mapping/layouts';
import { NAMING_SCHEMES, NAMINGS, type TorchNaming } from './mapping/schemes';
import { checkFileOption, serializeSafetensors } from './safetensors';
import { isTensorData, type TensorData } from './tensor-data';
import { readTorchWeights } from './torch';

export type { TorchNaming } from './mapping/schemes';

/** A tfjs model, or an `@slr` `SequenceModel` (anything with its `tf.LayersModel` as `model`). */
export type TorchWeightsModel =
  | tf.LayersModel
  | {
      /** The `tf.LayersModel` inside (a `SequenceModel`'s `model`). */
      readonly model: tf.LayersModel;
    };

/**
 * PyTorch weights for {@link loadTorchWeights}: a whole file's bytes (safetensors or
 * `torch.save`, zip or legacy), or a state dict already read (`readTorchWeights(...).tensors`).
 */
export type TorchWeightsSource = Uint8Array | ArrayBuffer | ReadonlyMap<string, TensorData>;

/** Options of {@link loadTorchWeights}. */
export interface LoadTorchWeightsOptions {
  /**
   * How the file names its tensors. Default: told from its keys (the naming that recognises most
   * of them).
   */
  naming?: TorchNaming;
  /**
   * Refuse a file with a key no weight takes, or without a weight the model has (as PyTorch's
   * `load_state_dict(strict=True)`). Default `true`. A key of the wrong shape is refused either
   * way, as PyTorch refuses it.
   */
  strict?: boolean;
  /** The file's name, for error messages (and for telling safetensors by `.safetensors`). */
  file?: string;
}

/** A weight of the model that {@link loadTorchWeights} left as it was. */
export interface MissingWeight {
  /** The tfjs weight (`logits/kernel`). */
  weight: string;
  /** The PyTorch key it would load from; `undefined` when the naming has no name for it. */
  key: string | undefined;
  /** The PyTorch shape that key needs; `undefined` with `key`. */
  shape: number[] | undefined;
}

/** What {@link loadTorchWeights} did. */
export interface LoadTorchWeightsResult {
  /** The naming used (given, or told from the keys). */
  naming: TorchNaming;
  /** The PyTorch keys loaded, in the model's order. */
  loaded: string[];
  /** Keys of the file that no weight took (`num_batches_tracked` buffers are not counted). */
  unusedKeys: string[];
  /** Weights of the model that were not loaded (only without `strict`). */
  missingWeights: MissingWeight[];
}

/** Options of {@link torchStateDict} and {@link torchWeightsBytes}. */
export interface TorchStateDictOptions {
  /** The PyTorch names to give the weights. Default: the naming that names every weight. */
  naming?: TorchNaming;
}

/** Options of {@link torchWeightsBytes}. */
export interface TorchWeightsBytesOptions extends TorchStateDictOptions {
  /** The safetensors header's `__metadata__`. Default `{ format: 'pt' }`, as `safetensors.torch` writes. */
  metadata?: Record<string, string>;
}

const FLOAT_DTYPES: ReadonlySet<string> = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** At most this many names in one list of an error message. */
const LISTED = 5;

/** `[1, 2, 3]`. */
function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}

/** `'a', 'b', 'c' and 4 more`. */
function listText(items: readonly string[]): string {
  const shown = items.slice(0, LISTED).join(', ');
  return items.length > LISTED ? `${shown} and ${items.length - LISTED} more` : shown;
}

/** `1 key` / `2 keys`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The model's `tf.LayersModel`, or an `ArgumentError` naming `fn`. */
export function layersModelOf(fn: string, model: unknown): tf.LayersModel {
  if (model instanceof tf.LayersModel) return model;
  if (
    typeof model === 'object' &&
    model !== null &&
    (model as { model?: unknown }).model instanceof tf.LayersModel
  ) {
    return (model as { model: tf.LayersModel }).model;
  }
  throw new ArgumentError(fn, 'model', 'be a tf.LayersModel or an @slr SequenceModel', model);
}

/** A model's weights as a naming scheme names them, with those it leaves unnamed. */
interface Naming {
  naming: TorchNaming;
  groups: WeightGroup[];
  unnamed: tf.LayerVariable[];
}

/** The groups of `naming` for `model`, with the weights it has no name for. */
function nameWeights(model: tf.LayersModel, naming: TorchNaming): Naming {
  const groups = NAMING_SCHEMES[naming].groups(layersOf(model));
  const named = new Set<tf.LayerVariable>();
  const keys = new Set<string>();
  for (const group of groups) {
    for (const weight of group.weights) {
      if (named.has(weight))
        throw new Error(`naming '${naming}' names '${weight.originalName}' twice`);
      named.add(weight);
    }
    for (const key of [...group.keys, ...(group.buffers ?? []).map((buffer) => buffer.key)]) {
      if (keys.has(key)) throw new Error(`naming '${naming}' gives the key '${key}' twice`);
      keys.add(key);
    }
  }
  const unnamed = model.weights.filter((weight) => !named.has(weight));
  return { naming, groups, unnamed };
}

/** The state dict of `source`, checked, with the file's name. */
function stateDictOf(
  fn: string,
  source: unknown,
  file: string | undefined,
): ReadonlyMap<string, TensorData> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    return readTorchWeights(source, { file }).tensors;
  }
  if (source instanceof Map) {
    for (const [key, value] of source as Map<unknown, unknown>) {
      if (typeof key !== 'string' || !isTensorData(value)) {
        throw new ArgumentError(
          fn,
          'source',
          'be a Map of tensors ({ dtype, shape, data }) by name',
          source,
          { actualText: `a Map whose entry ${String(key)} is ${typeof value}` },
        );
      }
    }
    return source as ReadonlyMap<string, TensorData>;
  }
  const path =
    typeof source === 'string'
      ? " (a path is read by loadTorchWeights of '@slr/interop/node')"
      : '';
  throw new ArgumentError(
    fn,
    'source',
    `be a Uint8Array or an ArrayBuffer (a file's contents) or a Map of tensors by name${path}`,
    source,
  );
}

/** The naming of a state dict's keys, as given or told from the keys (and the model). */
function resolveNaming(
  model: tf.LayersModel,
  keys: readonly string[],
  given: TorchNaming | undefined,
  fail: (details: Omit<TorchWeightsErrorDetails, 'action' | 'model' | 'file'>) => never,
): Naming {
  if (given !== undefined) return nameWeights(model, given);
  // The naming that recognises most keys; among equals, the one that names the model's weights.
  const counts = NAMINGS.map(
    (naming) => keys.filter((key) => NAMING_SCHEMES[naming].recognises(key)).length,
  );
  const most = Math.max(0, ...counts);
  let candidates = most === 0 ? [] : NAMINGS.filter((_, i) => counts[i] === most);
  if (candidates.length > 1) {
    const namings = candidates.map((candidate) => nameWeights(model, candidate));
    const naming = namings.filter((n) => n.groups.length > 0);
    if (naming.length === 1) return naming[0];
    // Namings that give this model the same names (a MobileNetV3 feature extractor is
    // `features.*` in torchvision's and in slr_torch's): the first, as any would load alike.
    const keysOf = (n: Naming) => n.groups.flatMap((group) => group.keys).join('\n');
    if (naming.length > 1 && naming.every((n) => keysOf(n) === keysOf(naming[0]))) return naming[0];
    if (naming.length > 1) candidates = naming.map((n) => n.naming);
  }
  if (candidates.length === 1) return nameWeights(model, candidates[0]);
  const known = NAMINGS.map((naming) => `'${naming}'`).join(' or ');
  const shown = listText(keys.map((key) => `'${key}'`));
  return fail({
    problem:
      candidates.length === 0
        ? keys.length === 0
          ? 'it holds no tensor'
          : `none of its keys (${shown}) is a name that ${known} gives; pass options.naming to ` +
            'say which naming the file uses'
        : `its keys are as much ${candidates.map((c) => `'${c}'`).join("'s as ")}'s; pass ` +
          'options.naming to say which naming the file uses',
  });
}

/**
 * Loads `source` into `model` (the work of {@link loadTorchWeights}, its errors naming `fn`):
 * every check first, then the conversions, then the assignments, so that a refused file leaves
 * the model as it was.
 */
export function loadStateDict(
  fn: string,
  model: TorchWeightsModel,
  source: TorchWeightsSource,
  options: LoadTorchWeightsOptions,
): LoadTorchWeightsResult {
  const layersModel = layersModelOf(fn, model);
  checkOptions(fn, options);
  const file = checkFileOption(fn, options.file);
  const given =
    options.naming === undefined
      ? undefined
      : checkOneOf(fn, 'options.naming', options.naming, NAMINGS);
  const strict = checkBoolean(fn, 'options.strict', options.strict ?? true);
  const tensors = stateDictOf(fn, source, file);

  const failWith = (naming: string | undefined) => {
    return (details: Omit<TorchWeightsErrorDetails, 'action' | 'model' | 'file'>): never => {
      throw new TorchWeightsError({
        action: 'load',
        file,
        model: layersModel.name,
        naming,
        ...details,
      });
    };
  };
  const { naming, groups, unnamed } = resolveNaming(
    layersModel,
    [...tensors.keys()],
    given,
    failWith(undefined),
  );
  const fail = failWith(naming);

  const loadable: { group: WeightGroup; shapes: number[][] }[] = [];
  const missingWeights: MissingWeight[] = unnamed.map((weight) => ({
    weight: weight.originalName,
    key: undefined,
    shape: undefined,
  }));
  const taken = new Set<string>();
  for (const group of groups) {
    for (const buffer of group.buffers ?? []) taken.add(buffer.key);
    const shapes = group.weights.map((weight) => weight.shape as number[]);
    const torchShapes = group.layout.torchShapes(shapes);
    const weightsText = group.weights
      .map((weight, i) => `'${weight.originalName}' ${shapeText(shapes[i])}`)
      .join(', ');
    let complete = true;
    group.keys.forEach((key, i) => {
      const tensor = tensors.get(key);
      if (tensor === undefined) {
        complete = false;
        return;
      }
      if (shapeText(tensor.shape) !== shapeText(torchShapes[i])) {
        fail({
          key,
          weight: group.weights[0].originalName,
          expectedShape: torchShapes[i],
          actualShape: tensor.shape,
          problem:
            `key '${key}' has shape ${shapeText(tensor.shape)}, but the model needs ` +
            `${shapeText(torchShapes[i])} for ${group.weights.length === 1 ? 'weight' : 'weights'} ` +
            `${weightsText} (${group.layout.description})`,
        });
      }
      if (!FLOAT_DTYPES.has(tensor.dtype)) {
        fail({
          key,
          weight: group.weights[0].originalName,
          expectedShape: torchShapes[i],
          actualShape: tensor.shape,
          problem:
            `key '${key}' holds ${tensor.dtype} values, but weights load only from floating-point ` +
            `tensors (float32, float64, float16, bfloat16)`,
        });
      }
    });
    if (complete) {
      loadable.push({ group, shapes });
      for (const key of group.keys) taken.add(key);
    } else {
      const absent = group.keys.findIndex((key) => !tensors.has(key));
      for (const weight of group.weights) {
        missingWeights.push({
          weight: weight.originalName,
          key: group.keys[absent],
          shape: torchShapes[absent],
        });
      }
    }
  }
  const unusedKeys = [...tensors.keys()].filter((key) => !taken.has(key));

  if (strict && (missingWeights.length > 0 || unusedKeys.length > 0)) {
    const problems: string[] = [];
    const nameless = missingWeights.filter((missing) => missing.key === undefined);
    const absent = missingWeights.filter((missing) => missing.key !== undefined);
    if (nameless.length > 0) {
      problems.push(
        `${count(nameless.length, 'weight')} of the model ${nameless.length === 1 ? 'has' : 'have'} ` +
          `no PyTorch name in this naming: ${listText(nameless.map((m) => `'${m.weight}'`))}`,
      );
    }
    if (absent.length > 0) {
      const keys = [...new Set(absent.map((m) => m.key))];
      const described = keys.map((key) => {
        const first = absent.find((m) => m.key === key)!;
        return `'${key}' ${shapeText(first.shape!)} (for weight '${first.weight}')`;
      });
      problems.push(
        `the file lacks ${count(keys.length, 'key')} the model needs: ${listText(described)}`,
      );
    }
    if (unusedKeys.length > 0) {
      const described = unusedKeys.map((key) => `'${key}' ${shapeText(tensors.get(key)!.shape)}`);
      problems.push(
        `${count(unusedKeys.length, 'key')} of the file ${unusedKeys.length === 1 ? 'matches' : 'match'} ` +
          `no weight of the model: ${listText(described)}`,
      );
    }
    // The fields name the first problem: a key the file lacks, else a key no weight takes, else
    // a weight without a name.
    const [firstAbsent] = absent;
    const firstUnused = firstAbsent === undefined ? unusedKeys[0] : undefined;
    fail({
      key: firstAbsent?.key ?? firstUnused,
      weight: firstAbsent?.weight ?? (firstUnused === undefined ? nameless[0]?.weight : undefined),
      expectedShape: firstAbsent?.shape,
      actualShape: firstUnused === undefined ? undefined : tensors.get(firstUnused)!.shape,
      problem: `${problems.join('; ')}. Pass { strict: false } to load what matches and get these as lists`,
    });
  }

  // Every check passed: convert everything, then assign (a failed conversion changes nothing).
  const values = loadable.flatMap(({ group, shapes }) =>
    group.layout
      .toTfjs(
        group.keys.map((key) => tensors.get(key)! as HostTensor),
        shapes,
      )
      .map((value, i) => [group.weights[i], value] as const),
  );
  for (const [weight, value] of values) {
    const tensor = tf.tensor(value.data, [...value.shape], 'float32');
    weight.write(tensor);
    tensor.dispose();
  }
  return {
    naming,
    loaded: loadable.flatMap(({ group }) => [...group.keys]),
    unusedKeys,
    missingWeights,
  };
}

/**
 * Loads PyTorch weights into a model: every tensor of the state dict goes to the model's weight
 * of that PyTorch name under `naming`, converted from PyTorch's layout to tfjs's (convolution
 * kernels OIDHW → DHWIO and OIHW → HWIO, depthwise kernels, `Linear` weights transposed,
 * BatchNorm's running statistics as moving ones). `source` is a file's bytes (safetensors or
 * `torch.save`, zip or legacy; `@slr/interop/node`'s `loadTorchWeights` also takes a path) or a
 * state dict already read.
 *
 * With `strict` (the default) the file must have every weight of the model and nothing else,
 * as PyTorch's `load_state_dict(strict=True)`; BatchNorm's `num_batches_tracked` buffers carry
 * no weight and are ignored. A key of the wrong shape is refused even without `strict`, as
 * PyTorch refuses it. Every refusal is a {@link TorchWeightsError} naming the file, the key
 * and both shapes, and leaves the model as it was.
 *
 * Namings: `'torchvision'` (MobileNetV3 classifiers and feature extractors of
 * `@slr/models-mobilenetv3`), `'pytorch-i3d'` (the I3D backbone of `@slr/models-i3d`) and
 * `'slr'` (the whole teacher and student, as their `slr_torch` twins name them, as in
 * `train_ddp.py`'s checkpoints); told from the keys when `naming` is not given.
 *
 * @param model - a `tf.LayersModel`, or an `@slr` `SequenceModel`
 * @param source - the file's bytes, or its state dict
 * @param options - `naming`, `strict` (default `true`), `file` (its name, for messages)
 * @returns the naming used, the keys loaded, the keys no weight took, the weights left as they were
 *
 * @example
 * ```ts
 * import { buildMobileNetV3Classifier } from '@slr/models-mobilenetv3';
 *
 * declare const bytes: Uint8Array; // torch.save(torchvision.models.mobilenet_v3_small().state_dict(), …)
 *
 * const model = buildMobileNetV3Classifier({
 *   variant: 'small',
 *   numClasses: 1000,
 *   inputShape: [224, 224, 3],
 * });
 * const { naming, loaded } = await loadTorchWeights(model, bytes, { file: 'mobilenet_v3_small.pth' });
 * console.log(naming, loaded.length); // 'torchvision' 210 (the 34 num_batches_tracked are not weights)
 * ```
 */
export function loadTorchWeights(
  model: TorchWeightsModel,
  source: TorchWeightsSource,
  options: LoadTorchWeightsOptions = {},
): Promise<LoadTorchWeightsResult> {
  // A refusal rejects the promise rather than throwing.
  return new Promise((resolve) =>
    resolve(loadStateDict('loadTorchWeights', model, source, options)),
  );
}

/** The naming for saving `model`: the given one, or the one that names every weight. */
function namingForSaving(
  fn: string,
  model: tf.LayersModel,
  given: unknown,
  file: string | undefined,
): Naming {
  const fail = (
    naming: string | undefined,
    details: Omit<TorchWeightsErrorDetails, 'action' | 'model' | 'file' | 'naming'>,
  ): never => {
    throw new TorchWeightsError({ action: 'save', file, model: model.name, naming, ...details });
  };
  if (given !== undefined) {
    const naming = nameWeights(model, checkOneOf(fn, 'options.naming', given, NAMINGS));
    const [first] = naming.unnamed;
    if (first !== undefined) {
      fail(naming.naming, {
        weight: first.originalName,
        problem:
          `${count(naming.unnamed.length, 'weight')} of the model ${naming.unnamed.length === 1 ? 'has' : 'have'} ` +
          `no PyTorch name in this naming: ${listText(naming.unnamed.map((w) => `'${w.originalName}'`))}`,
      });
    }
    return naming;
  }
  const namings = NAMINGS.map((naming) => nameWeights(model, naming));
  const complete = namings.filter((n) => n.unnamed.length === 0 && n.groups.length > 0);
  if (complete.length >= 1) return complete[0];
  return fail(undefined, {
    problem: `no naming names every weight of the model (${namings
      .map((n) => `'${n.naming}' leaves ${count(n.unnamed.length, 'weight')} unnamed`)
      .join(', ')}); pass options.naming to see which`,
  });
}

/** {@link torchStateDict} for `fn`, naming `file` in its errors. */
export function stateDictFor(
  fn: string,
  model: TorchWeightsModel,
  options: TorchStateDictOptions,
  file?: string,
): Map<string, TensorData> {
  const layersModel = layersModelOf(fn, model);
  checkOptions(fn, options);
  const { groups } = namingForSaving(fn, layersModel, options.naming, file);
  const out = new Map<string, TensorData>();
  for (const group of groups) {
    const values = group.weights.map((weight) => ({
      shape: weight.shape as number[],
      data: weight.read().dataSync<'float32'>(),
    }));
    group.layout.toTorch(values).forEach((value, i) => {
      out.set(group.keys[i], { dtype: 'float32', shape: [...value.shape], data: value.data });
    });
    for (const buffer of group.buffers ?? []) out.set(buffer.key, buffer.value());
  }
  return out;
}

/**
 * A model's weights as a PyTorch state dict: every weight under its PyTorch name in PyTorch's
 * layout (the inverse of {@link loadTorchWeights}), float32, in the model's order; BatchNorm's
 * `num_batches_tracked` as 0 (tfjs does not count batches). Refused with a
 * {@link TorchWeightsError} when the naming has no name for some weight.
 *
 * @param model - a `tf.LayersModel`, or an `@slr` `SequenceModel`
 * @param options - `naming`: default, the naming that names every weight of the model
 *
 * @example
 * ```ts
 * import { buildI3DBackbone } from '@slr/models-i3d';
 *
 * const backbone = buildI3DBackbone({ inputShape: [16, 224, 224, 3], logitsClasses: 400 });
 * const stateDict = torchStateDict(backbone, { naming: 'pytorch-i3d' });
 * stateDict.get('Conv3d_1a_7x7.conv3d.weight')?.shape; // [64, 3, 7, 7, 7]
 * ```
 */
export function torchStateDict(
  model: TorchWeightsModel,
  options: TorchStateDictOptions = {},
): Map<string, TensorData> {
  return stateDictFor('torchStateDict', model, options);
}

/**
 * A model's weights as the bytes of a safetensors file that PyTorch loads into the model's
 * PyTorch twin with `load_state_dict(safetensors.torch.load_file(path), strict=True)`: the state
 * dict of {@link torchStateDict}, written by `writeSafetensors`. `saveTorchWeights` of
 * `@slr/interop/node` writes it to a file.
 *
 * @param model - a `tf.LayersModel`, or an `@slr` `SequenceModel`
 * @param options - `naming` (default: the one that names every weight), `metadata` (default `{ format: 'pt' }`)
 *
 * @example
 * ```ts
 * import { buildMobileNetV3Classifier } from '@slr/models-mobilenetv3';
 *
 * const model = buildMobileNetV3Classifier({ variant: 'large', numClasses: 10, inputShape: [96, 96, 3] });
 * const bytes = torchWeightsBytes(model); // naming 'torchvision'
 * // PyTorch: mobilenet_v3_large(num_classes=10).load_state_dict(load_file('large.safetensors'))
 * ```
 */
export function torchWeightsBytes(
  model: TorchWeightsModel,
  options: TorchWeightsBytesOptions = {},
): Uint8Array {
  const fn = 'torchWeightsBytes';
  const { metadata, ...rest } = checkOptions(fn, options);
  return serializeSafetensors(fn, stateDictFor(fn, model, rest), {
    metadata: metadata ?? { format: 'pt' },
  });
}
