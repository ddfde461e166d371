import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import { FileSystemError } from '@slr/core/node';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedTensors, expectTensor, fixturePath } from '../../test/helpers';
import { readSafetensors, TorchFormatError } from '../index';
import { readTorchWeightsFile, writeSafetensorsFile } from './files';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'slr-interop-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const expected = expectedTensors();

describe('readTorchWeightsFile', () => {
  it.each([
    ['module.zip.pt', 'torch-zip', expected.module],
    ['module.legacy.pt', 'torch-legacy', expected.module],
    ['checkpoint.zip.pt', 'torch-zip', expected.module],
    ['weights.safetensors', 'safetensors', expected.safetensors],
  ] as const)('reads %s (%s) and its state dict', async (file, format, tensors) => {
    const weights = await readTorchWeightsFile(fixturePath(file));
    expect(weights.format).toBe(format);
    expect(new Set(weights.tensors.keys())).toEqual(new Set(Object.keys(tensors)));
    for (const [name, tensor] of Object.entries(tensors))
      expectTensor(weights.tensors.get(name), tensor, `${file} › ${name}`);
  });

  it('tells the format by the bytes, whatever the extension (.bin, .pth, none)', async () => {
    const dir = await tempDir();
    for (const [source, target, format] of [
      ['module.zip.pt', 'pytorch_model.bin', 'torch-zip'],
      ['module.legacy.pt', 'model.pth', 'torch-legacy'],
      ['weights.safetensors', 'weights', 'safetensors'],
    ]) {
      await copyFile(fixturePath(source), join(dir, target));
      expect((await readTorchWeightsFile(join(dir, target))).format).toBe(format);
    }
  });

  it('names the path in a file-system error and in a format error', async () => {
    const dir = await tempDir();
    const missing = join(dir, 'missing.pt');
    await expect(readTorchWeightsFile(missing)).rejects.toThrow(FileSystemError);
    await expect(readTorchWeightsFile(missing)).rejects.toThrow(
      `Could not read '${missing}': no such file or folder (ENOENT).`,
    );
    await expect(readTorchWeightsFile(dir)).rejects.toMatchObject({ code: 'EISDIR', path: dir });
    const text = join(dir, 'notes.pt');
    await writeFile(text, 'not weights');
    const error: unknown = await readTorchWeightsFile(text).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TorchFormatError);
    expect((error as TorchFormatError).file).toBe(text);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Cannot read '${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' as PyTorch weights: it is neither a zip archive`,
      ),
    );
    await expect(readTorchWeightsFile(fixturePath('foreign-global.pt'))).rejects.toThrow(
      /'os\.system'/,
    );
    await expect(readTorchWeightsFile('')).rejects.toThrow(ArgumentError);
  });
});

describe('writeSafetensorsFile', () => {
  it('writes atomically what writeSafetensors gives, leaving no temporary file, creating the folder', async () => {
    const dir = join(await tempDir(), 'export', 'run');
    const path = join(dir, 'student.safetensors');
    const weight = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    await writeSafetensorsFile(
      path,
      {
        'fc.weight': weight,
        'fc.bias': { dtype: 'float16', shape: [2], data: new Float32Array([0.5, -1]) },
      },
      { metadata: { format: 'pt' }, createFolder: true },
    );
    weight.dispose();
    expect(await readdir(dir)).toEqual(['student.safetensors']);
    const { tensors, metadata } = readSafetensors(await readFile(path), { file: path });
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('fc.weight')?.data).toEqual(new Float32Array([1, 2, 3, 4]));
    expect(tensors.get('fc.bias')).toEqual({
      dtype: 'float16',
      shape: [2],
      data: new Float32Array([0.5, -1]),
    });
    expect((await readTorchWeightsFile(path)).format).toBe('safetensors');
  });

  it('names the path when the folder is missing, and its own name in argument errors', async () => {
    const path = join(await tempDir(), 'missing', 'w.safetensors');
    await expect(writeSafetensorsFile(path, {})).rejects.toThrow(
      `Could not write '${path}': no such file or folder (ENOENT).`,
    );
    await expect(
      writeSafetensorsFile(path, { w: { dtype: 'int8', shape: [1], data: new Int32Array([300]) } }),
    ).rejects.toThrow(
      "Argument 'tensors.w' passed to 'writeSafetensorsFile' must hold only values that int8 can " +
        'represent (integers in [-128, 127]), but got 300 at index 0.',
    );
    await expect(writeSafetensorsFile(path, {}, { createFolder: 'yes' as never })).rejects.toThrow(
      /options\.createFolder/,
    );
    await expect(writeSafetensorsFile(3 as never, {})).rejects.toThrow(ArgumentError);
  });
});
