/**
 * PyTorch weights by path: read whichever format a file is in, write safetensors atomically.
 */
import { readFile } from 'node:fs/promises';
import { ArgumentError, checkOptions } from '@slr/core';
import { withFileSystemError, writeFileAtomic } from '@slr/core/node';
import {
  serializeSafetensors,
  type WritableTensor,
  type WriteSafetensorsOptions,
} from '../safetensors';
import { readTorchWeights, type TorchWeights } from '../torch';

/** Options of {@link writeSafetensorsFile}. */
export interface WriteSafetensorsFileOptions extends WriteSafetensorsOptions {
  /** Create the file's folder (and its parents) first. Default `false`. */
  createFolder?: boolean;
}

/**
 * Reads a file of PyTorch weights by its path: a safetensors file (`.safetensors`, or by its
 * header) or a `torch.save` checkpoint (zip or legacy format, `.pt`, `.pth`, `.bin`, …, told
 * apart by its first bytes), with its state dict found as `readTorchWeights` finds it. A file
 * that cannot be read is a `FileSystemError` naming the path and the cause; one that is not
 * PyTorch weights, or is corrupt, a `TorchFormatError` naming the path and what is wrong.
 *
 * @param path - the file
 *
 * @example
 * ```ts
 * const { format, tensors } = await readTorchWeightsFile('weights/rgb_imagenet.pt');
 * for (const [name, tensor] of tensors) console.log(name, tensor.dtype, tensor.shape);
 * ```
 */
export async function readTorchWeightsFile(path: string): Promise<TorchWeights> {
  if (typeof path !== 'string' || path === '') {
    throw new ArgumentError('readTorchWeightsFile', 'path', 'be a non-empty string', path);
  }
  const bytes = await withFileSystemError('read', path, () => readFile(path));
  return readTorchWeights(bytes, { file: path });
}

/**
 * Writes `tensors` to a safetensors file at `path`, atomically (a reader sees the old file or
 * the new one, never half of one): the bytes of `writeSafetensors`, which
 * `safetensors.torch.load_file` reads. A failed write is a `FileSystemError` naming `path`.
 *
 * @param path - the file to write
 * @param tensors - the tensors by name (see `writeSafetensors`)
 * @param options - `metadata`: the header's `__metadata__`; `createFolder`: create the folder first
 *
 * @example
 * ```ts
 * await writeSafetensorsFile(
 *   'export/student.safetensors',
 *   { 'fc.weight': tf.randomNormal([10, 4]), 'fc.bias': tf.zeros([10]) },
 *   { metadata: { format: 'pt' }, createFolder: true },
 * );
 * ```
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Map<string, WritableTensor> | Record<string, WritableTensor>,
  options: WriteSafetensorsFileOptions = {},
): Promise<void> {
  const fn = 'writeSafetensorsFile';
  if (typeof path !== 'string' || path === '')
    throw new ArgumentError(fn, 'path', 'be a non-empty string', path);
  const { createFolder, ...writeOptions } = checkOptions(fn, options);
  if (createFolder !== undefined && typeof createFolder !== 'boolean') {
    throw new ArgumentError(fn, 'options.createFolder', 'be a boolean', createFolder);
  }
  const bytes = serializeSafetensors(fn, tensors, writeOptions);
  await writeFileAtomic(path, bytes, { createFolder: createFolder ?? false });
}
