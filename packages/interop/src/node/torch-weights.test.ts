import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FileSystemError } from '@slr/core/node';
import { buildMobileNetV3Classifier, buildMobileNetV3Student } from '@slr/models-mobilenetv3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { torchStateDict, TorchWeightsError, writeSafetensors } from '../index';
import { readTorchWeightsFile } from './files';
import { loadTorchWeights, saveTorchWeights } from './torch-weights';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'slr-interop-weights-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
beforeAll(async () => {
  await tf.setBackend('cpu');
});

function classifier(seed: number): tf.LayersModel {
  return buildMobileNetV3Classifier({
    variant: 'small',
    numClasses: 10,
    inputShape: [32, 32, 3],
    seed,
  });
}

/** The names of the weights whose values differ between two models. */
function differing(a: tf.LayersModel, b: tf.LayersModel): string[] {
  return a.weights
    .filter((weight, i) => {
      const [x, y] = [weight.read().dataSync(), b.weights[i].read().dataSync()];
      return x.some((value, j) => value !== y[j]);
    })
    .map((weight) => weight.originalName);
}

describe('saveTorchWeights and loadTorchWeights by path', () => {
  it('writes a safetensors file of the PyTorch state dict, which loads back by its path', async () => {
    const dir = await tempDir();
    const path = join(dir, 'export', 'small.safetensors');
    const source = classifier(1);
    const target = classifier(2);
    const before = tf.memory().numTensors;
    await saveTorchWeights(source, path, { createFolder: true });
    const { format, tensors, metadata } = await readTorchWeightsFile(path);
    expect(format).toBe('safetensors');
    expect(metadata).toEqual({ format: 'pt' });
    expect(new Set(tensors.keys())).toEqual(new Set(torchStateDict(source).keys()));
    const result = await loadTorchWeights(target, path);
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ naming: 'torchvision', unusedKeys: [], missingWeights: [] });
    expect(differing(target, source)).toEqual([]);
    source.dispose();
    target.dispose();
  });

  it('refuses a file with a key of the wrong shape, naming the file, the key and what was expected', async () => {
    const dir = await tempDir();
    const path = join(dir, 'bad-shape.safetensors');
    const model = classifier(1);
    const stateDict = torchStateDict(model);
    stateDict.set('features.0.0.weight', {
      dtype: 'float32',
      shape: [16, 3, 5, 5],
      data: new Float32Array(16 * 3 * 25),
    });
    await writeFile(path, writeSafetensors(stateDict));
    await expect(loadTorchWeights(model, path)).rejects.toThrow(
      new TorchWeightsError({
        action: 'load',
        file: path,
        model: 'mobilenet_v3_small',
        naming: 'torchvision',
        problem:
          "key 'features.0.0.weight' has shape [16, 3, 5, 5], but the model needs [16, 3, 3, 3] for weight " +
          "'stem_conv/kernel' [3, 3, 3, 16] (OIHW (a Conv2d weight), HWIO in tfjs)",
      }).message,
    );
    model.dispose();
  });

  it('refuses a file without a key the model needs, naming the file, the key and its shape', async () => {
    const dir = await tempDir();
    const path = join(dir, 'missing.safetensors');
    const model = classifier(1);
    const stateDict = torchStateDict(model);
    stateDict.delete('features.4.block.2.fc2.weight');
    await writeFile(path, writeSafetensors(stateDict));
    await expect(loadTorchWeights(model, path)).rejects.toThrow(
      `Cannot load '${path}' into model 'mobilenet_v3_small' (naming 'torchvision'): the file lacks 1 key ` +
        "the model needs: 'features.4.block.2.fc2.weight' [96, 24, 1, 1] (for weight 'block4_se/expand_kernel').",
    );
    model.dispose();
  });

  it('names the path of a file it cannot read', async () => {
    const dir = await tempDir();
    const model = classifier(1);
    const path = join(dir, 'absent.pt');
    const error = await loadTorchWeights(model, path).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(FileSystemError);
    expect((error as Error).message).toContain(`'${path}'`);
    model.dispose();
  });

  it('refuses to save what the naming cannot name, writing nothing', async () => {
    const dir = await tempDir();
    const path = join(dir, 'student.safetensors');
    const student = buildMobileNetV3Student({
      variant: 'small',
      numClasses: 5,
      inputShape: [null, 32, 32, 3],
      temporalChannels: 8,
      lstmUnits: 4,
    });
    await expect(saveTorchWeights(student, path, { naming: 'torchvision' })).rejects.toThrow(
      `Cannot save model 'mobilenet_v3_small_student' as PyTorch weights to '${path}' (naming 'torchvision'): `,
    );
    expect(await readdir(dir)).toEqual([]);
    student.model.dispose();
  });

  it('checks its arguments', async () => {
    const model = classifier(1);
    await expect(saveTorchWeights(model, '')).rejects.toThrow(
      "Argument 'path' passed to 'saveTorchWeights' must be a non-empty string, but got ''.",
    );
    await expect(
      saveTorchWeights(model, 'x.safetensors', { createFolder: 1 as never }),
    ).rejects.toThrow(
      "Argument 'options.createFolder' passed to 'saveTorchWeights' must be a boolean, but got 1.",
    );
    await expect(saveTorchWeights(null as never, 'x.safetensors')).rejects.toThrow(
      "Argument 'model' passed to 'saveTorchWeights' must be a tf.LayersModel or an @slr SequenceModel",
    );
    await expect(loadTorchWeights(model, '')).rejects.toThrow(
      "Argument 'source' passed to 'loadTorchWeights' must be a non-empty path, but got ''.",
    );
    model.dispose();
  });
});
