/**
 * PyTorch weights in and out of tfjs models by path: `loadTorchWeights` also reads a file,
 * `saveTorchWeights` writes safetensors atomically.
 */
import { readFile } from 'node:fs/promises';
import { ArgumentError, checkBoolean, checkOptions } from '@slr/core';
import { withFileSystemError, writeFileAtomic } from '@slr/core/node';
import { serializeSafetensors } from '../safetensors';
import {
  layersModelOf,
  loadStateDict,
  stateDictFor,
  type LoadTorchWeightsOptions,
  type LoadTorchWeightsResult,
  type TorchWeightsBytesOptions,
  type TorchWeightsModel,
  type TorchWeightsSource,
} from '../torch-weights';

/** Options of {@link saveTorchWeights}. */
export interface SaveTorchWeightsOptions extends TorchWeightsBytesOptions {
  /** Create the file's folder (and its parents) first. Default `false`. */
  createFolder?: boolean;
}

/**
 * `loadTorchWeights` of `@slr/interop` that also takes a path: loads the PyTorch weights of a
 * file (safetensors, or `torch.save` in the zip or legacy format, told apart by its bytes) into
 * `model`, every tensor through the naming's layouts, and returns what it loaded. With `strict`
 * (the default) a key no weight takes or a weight the file lacks is refused; a key of the wrong
 * shape always is. Refusals are `TorchWeightsError`s naming the file, the key and both shapes,
 * and leave the model as it was; a file that cannot be read is a `FileSystemError` of
 * `@slr/core/node` naming the path.
 *
 * @param model - a `tf.LayersModel`, or an `@slr` `SequenceModel`
 * @param source - the file's path, its bytes, or its state dict
 * @param options - `naming` (default: told from the keys), `strict` (default `true`), `file`
 *
 * @example
 * ```ts
 * import { buildI3DBackbone } from '@slr/models-i3d';
 *
 * // pytorch-i3d's Kinetics weights, logits included, as InceptionI3d(400) computes them.
 * const i3d = buildI3DBackbone({
 *   inputShape: [64, 224, 224, 3],
 *   logitsClasses: 400,
 *   logitsHead: 'pytorch-i3d',
 * });
 * await loadTorchWeights(i3d, 'models/rgb_imagenet.pt'); // naming 'pytorch-i3d', told from the keys
 *
 * // The backbone alone: the file's logits are left out, and listed.
 * const backbone = buildI3DBackbone({ inputShape: [null, 224, 224, 3] });
 * const { unusedKeys } = await loadTorchWeights(backbone, 'models/rgb_imagenet.pt', { strict: false });
 * // unusedKeys: ['logits.conv3d.weight', 'logits.conv3d.bias']
 * ```
 */
export async function loadTorchWeights(
  model: TorchWeightsModel,
  source: string | TorchWeightsSource,
  options: LoadTorchWeightsOptions = {},
): Promise<LoadTorchWeightsResult> {
  const fn = 'loadTorchWeights';
  layersModelOf(fn, model);
  checkOptions(fn, options);
  if (typeof source !== 'string') return loadStateDict(fn, model, source, options);
  if (source === '') throw new ArgumentError(fn, 'source', 'be a non-empty path', source);
  const bytes = await withFileSystemError('read', source, () => readFile(source));
  return loadStateDict(fn, model, bytes, { ...options, file: options.file ?? source });
}

/**
 * Writes a model's weights to a safetensors file that PyTorch loads into the model's PyTorch
 * twin with `strict=True` (`model.load_state_dict(safetensors.torch.load_file(path))`): every
 * weight under its PyTorch name and in PyTorch's layout (`torchStateDict`), float32, BatchNorm's
 * `num_batches_tracked` as 0. Written atomically: a reader sees the old file or the new one.
 * A weight the naming cannot name is a `TorchWeightsError`; a failed write a `FileSystemError`
 * naming `path`.
 *
 * @param model - a `tf.LayersModel`, or an `@slr` `SequenceModel`
 * @param path - the file to write (`.safetensors`)
 * @param options - `naming` (default: the one that names every weight), `metadata`, `createFolder`
 *
 * @example
 * ```ts
 * import { buildMobileNetV3Classifier } from '@slr/models-mobilenetv3';
 *
 * const model = buildMobileNetV3Classifier({ variant: 'small', numClasses: 10, inputShape: [96, 96, 3] });
 * await saveTorchWeights(model, 'export/mobilenet_v3_small.safetensors', { createFolder: true });
 * // PyTorch: mobilenet_v3_small(num_classes=10).load_state_dict(load_file(...), strict=True)
 * ```
 */
export async function saveTorchWeights(
  model: TorchWeightsModel,
  path: string,
  options: SaveTorchWeightsOptions = {},
): Promise<void> {
  const fn = 'saveTorchWeights';
  layersModelOf(fn, model);
  if (typeof path !== 'string' || path === '')
    throw new ArgumentError(fn, 'path', 'be a non-empty string', path);
  const { createFolder, metadata, ...rest } = checkOptions(fn, options);
  if (createFolder !== undefined) checkBoolean(fn, 'options.createFolder', createFolder);
  const bytes = serializeSafetensors(fn, stateDictFor(fn, model, rest, path), {
    metadata: metadata ?? { format: 'pt' },
  });
  await writeFileAtomic(path, bytes, { createFolder: createFolder ?? false });
}
