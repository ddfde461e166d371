import * as tf from '@tensorflow/tfjs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError } from '@slr/core';
import { LogSoftmax } from '../log-softmax-layer';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel, ModelIoError, saveModel, type ModelIoFileSystem } from './model-io';

/**
 * Faults injected into Node's `fs/promises` (which `saveModel` and the atomic writer of
 * `@slr/core/node` write with): each hook runs before the real call and may throw.
 */
const faults = vi.hoisted(() => ({
  open: undefined as ((file: string, flags: string) => void) | undefined,
  rename: undefined as ((from: string, to: string) => void) | undefined,
  removal: undefined as ((file: string) => void) | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsp>();
  const wrapped = {
    ...actual,
    open: (async (file: string, flags: string, ...rest: unknown[]) => {
      faults.open?.(String(file), flags);
      return await (actual.open as (...args: unknown[]) => Promise<unknown>)(file, flags, ...rest);
    }) as typeof actual.open,
    rename: async (from: string, to: string) => {
      faults.rename?.(String(from), String(to));
      return actual.rename(from, to);
    },
    unlink: async (file: string) => {
      faults.removal?.(String(file));
      return actual.unlink(file);
    },
    rm: async (file: string, options?: Parameters<typeof actual.rm>[1]) => {
      faults.removal?.(String(file));
      return actual.rm(file, options);
    },
  };
  return { ...wrapped, default: wrapped };
});

afterEach(() => {
  faults.open = undefined;
  faults.rename = undefined;
  faults.removal = undefined;
});

let root: string;
let counter = 0;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await fsp.mkdtemp(join(tmpdir(), 'slr-model-io-'));
});

afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

function freshDir(): string {
  return join(root, `model-${++counter}`);
}

/**
 * A small functional model: Conv1D over time, a Dense classifier and the LogSoftmax output
 * layer. `units` changes the architecture; `seed` the weights.
 */
function makeModel(seed: number, units = 7): tf.LayersModel {
  const input = tf.input({ shape: [6, 4], name: 'frames' });
  const conv = tf.layers
    .conv1d({
      filters: 5,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      name: 'conv',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }),
    })
    .apply(input) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({
      units,
      name: 'logits',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
      biasInitializer: tf.initializers.randomNormal({ seed: seed + 3 }),
    })
    .apply(conv) as tf.SymbolicTensor;
  const output = new LogSoftmax({ name: 'log_probs' }).apply(logits) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: `net_${seed}` });
}

const INPUT = (): tf.Tensor =>
  tf.tensor3d(
    Array.from({ length: 2 * 6 * 4 }, (_, i) => Math.sin(i * 0.7) * 2),
    [2, 6, 4],
  );

async function predict(model: tf.LayersModel): Promise<number[][][]> {
  const x = INPUT();
  const y = model.predict(x) as tf.Tensor;
  const values = (await y.array()) as number[][][];
  tf.dispose([x, y]);
  return values;
}

/** Catches the ModelIoError a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<ModelIoError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ModelIoError);
    return error as ModelIoError;
  }
  throw new Error('expected a rejection');
}

async function readModelJson(dir: string): Promise<tf.io.ModelJSON> {
  return JSON.parse(await fsp.readFile(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
}

type TopologyLayer = { class_name: string; config: Record<string, unknown> };
function topologyLayers(modelJson: tf.io.ModelJSON): TopologyLayer[] {
  // model.save writes the Keras layout: { class_name: 'Functional', config: { layers, ... } }.
  return (modelJson.modelTopology as { config: { layers: TopologyLayer[] } }).config.layers;
}

/** The artifacts a browser gets from the files: model.json and the concatenated weight files. */
async function artifactsFromFiles(dir: string): Promise<tf.io.ModelArtifacts> {
  const modelJson = await readModelJson(dir);
  const buffers = await Promise.all(
    modelJson.weightsManifest
      .flatMap((group) => group.paths)
      .map(async (p) => {
        const bytes = await fsp.readFile(join(dir, p));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      }),
  );
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs: tf.io.getWeightSpecs(modelJson.weightsManifest),
    weightData: tf.io.CompositeArrayBuffer.join(buffers),
  };
}

describe('saveModel / loadModel', () => {
  it('round-trips a model: same outputs, standard model.json, metadata', async () => {
    const dir = freshDir();
    const model = makeModel(1);
    const info = await saveModel(model, dir, {
      metadata: { epoch: 3, vocabulary: ['<blank>', 'hello'] },
    });

    expect(info.modelJsonPath).toBe(join(dir, 'model.json'));
    expect(info.weightsPaths).toHaveLength(1);
    expect(info.weightsPaths[0]).toMatch(/weights\.[0-9a-f]{16}\.bin$/);
    expect(info.weightDataBytes).toBe((3 * 4 * 5 + 5 + 5 * 7 + 7) * 4);
    expect((await fsp.readdir(dir)).sort()).toEqual(
      ['model.json', info.weightsPaths[0].split('/').pop()].sort(),
    );

    const modelJson = await readModelJson(dir);
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v4\./);
    expect(modelJson.convertedBy).toBeNull();
    expect(modelJson.userDefinedMetadata).toEqual({ epoch: 3, vocabulary: ['<blank>', 'hello'] });
    expect(modelJson.weightsManifest[0].weights.map((w) => [w.name, w.shape])).toEqual([
      ['conv/kernel', [3, 4, 5]],
      ['conv/bias', [5]],
      ['logits/kernel', [5, 7]],
      ['logits/bias', [7]],
    ]);
    expect(topologyLayers(modelJson).map((l) => l.class_name)).toEqual([
      'InputLayer',
      'Conv1D',
      'Dense',
      'SlrLogSoftmax',
    ]);

    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(await predict(model));
    expect(loaded.getUserDefinedMetadata()).toEqual({ epoch: 3, vocabulary: ['<blank>', 'hello'] });
    loaded.dispose();
    model.dispose();
  });

  it('leaves no tensors behind', async () => {
    const dir = freshDir();
    const model = makeModel(2);
    const before = tf.memory().numTensors;
    await saveModel(model, dir);
    expect(tf.memory().numTensors).toBe(before);
    const loaded = await loadModel(dir);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('shards the weights (group1-shardNofM) and loads them back', async () => {
    const dir = freshDir();
    const model = makeModel(3);
    const info = await saveModel(model, dir, { shardSizeBytes: 100 });
    const total = info.weightDataBytes;
    expect(info.weightsPaths.map((p) => p.split('/').pop())).toEqual(
      Array.from({ length: Math.ceil(total / 100) }, (_, i) =>
        expect.stringMatching(
          new RegExp(`^group1-shard${i + 1}of${Math.ceil(total / 100)}\\.[0-9a-f]{16}\\.bin$`),
        ),
      ),
    );
    const sizes = await Promise.all(info.weightsPaths.map(async (p) => (await fsp.stat(p)).size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...sizes)).toBe(100);
    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(await predict(model));
    loaded.dispose();
    model.dispose();
  });

  it('writes files tf.loadLayersModel reads from memory, as a browser would', async () => {
    const dir = freshDir();
    const model = makeModel(4);
    await saveModel(model, dir, { shardSizeBytes: 128 });
    const artifacts = await artifactsFromFiles(dir);
    const viaMemory = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const viaHandler = await tf.loadLayersModel({ load: () => Promise.resolve(artifacts) });
    expect(await predict(viaMemory)).toEqual(await predict(model));
    expect(await predict(viaHandler)).toEqual(await predict(model));
    [viaMemory, viaHandler, model].forEach((m) => m.dispose());
  });

  it('serves over HTTP: tf.io.http resolves the manifest paths relative to model.json', async () => {
    const dir = freshDir();
    const model = makeModel(5);
    await saveModel(model, dir, { shardSizeBytes: 64, metadata: { note: 'http' } });
    const requested: string[] = [];
    const fetchFunc = async (input: RequestInfo | URL): Promise<Response> => {
      const url = new URL(
        typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      );
      requested.push(url.pathname);
      const file = join(dir, url.pathname.replace(/^\/models\/net\//, ''));
      try {
        return new Response(await fsp.readFile(file), { status: 200 });
      } catch {
        return new Response('not found', { status: 404 });
      }
    };
    const loaded = await tf.loadLayersModel(
      tf.io.http('http://example.test/models/net/model.json', { fetchFunc }),
    );
    expect(requested[0]).toBe('/models/net/model.json');
    expect(
      requested
        .slice(1)
        .every((p) => /^\/models\/net\/group1-shard\d+of\d+\.[0-9a-f]{16}\.bin$/.test(p)),
    ).toBe(true);
    expect(await predict(loaded)).toEqual(await predict(model));
    expect(loaded.getUserDefinedMetadata()).toEqual({ note: 'http' });
    loaded.dispose();
    model.dispose();
  });

  it("loads tfjs-node's layout (weights.bin) and replaces it cleanly", async () => {
    const dir = freshDir();
    await fsp.mkdir(dir);
    const model = makeModel(6);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((a) => {
        artifacts = a;
        return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) });
      }),
    );
    const a = artifacts as tf.io.ModelArtifacts;
    await fsp.writeFile(join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    await fsp.writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: a.modelTopology,
        format: a.format,
        generatedBy: a.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: ['./weights.bin'], weights: a.weightSpecs }],
      }),
    );
    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(await predict(model));

    const other = makeModel(7);
    const info = await saveModel(other, dir);
    expect(info.removedPaths).toEqual([join(dir, 'weights.bin')]);
    expect((await fsp.readdir(dir)).sort()).toEqual(
      ['model.json', info.weightsPaths[0].split('/').pop()].sort(),
    );
    [loaded, model, other].forEach((m) => m.dispose());
  });

  it('replaces a model: the old weights are deleted, identical weights keep their file', async () => {
    const dir = freshDir();
    const first = makeModel(8);
    const second = makeModel(9, 11);
    const a = await saveModel(first, dir);
    const again = await saveModel(first, dir);
    expect(again.weightsPaths).toEqual(a.weightsPaths);
    expect(again.removedPaths).toEqual([]);
    const b = await saveModel(second, dir);
    expect(b.removedPaths).toEqual(a.weightsPaths);
    expect((await fsp.readdir(dir)).sort()).toEqual(
      ['model.json', b.weightsPaths[0].split('/').pop()].sort(),
    );
    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(await predict(second));
    [loaded, first, second].forEach((m) => m.dispose());
  });
  it('includes the optimizer state and training config on request', async () => {
    const dir = freshDir();
    const model = makeModel(17);
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const [x, y] = [INPUT(), tf.zeros([2, 6, 7])];
    await model.fit(x, y, { epochs: 2, verbose: 0 });
    await saveModel(model, dir, { includeOptimizer: true });
    const modelJson = await readModelJson(dir);
    expect(modelJson.trainingConfig?.loss).toBe('mean_squared_error');
    expect(modelJson.weightsManifest[0].weights.some((w) => w.group === 'optimizer')).toBe(true);
    const loaded = await loadModel(dir);
    expect(loaded.optimizer).toBeInstanceOf(tf.AdamOptimizer);
    expect(await predict(loaded)).toEqual(await predict(model));
    tf.dispose([x, y]);
    [loaded, model].forEach((m) => m.dispose());
  });
});

describe('how loadModel builds the model', () => {
  /** tfjs-layers' `Initializer` base class (not exported by tfjs): the parent of `Zeros`. */
  const Initializer = Object.getPrototypeOf(tf.initializers.zeros().constructor) as new () => {
    getConfig(): tf.serialization.ConfigDict;
  };
  /** An initialiser that counts its calls, to see whether loading runs the initialisers. */
  class CountingInitializer extends Initializer {
    static readonly className = 'SlrTestCountingInitializer';
    static calls = 0;
    apply(shape: number[]): tf.Tensor {
      CountingInitializer.calls++;
      return tf.fill(shape, 0.5);
    }
    override getConfig(): tf.serialization.ConfigDict {
      return {};
    }
  }
  tf.serialization.registerClass(
    CountingInitializer as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  );

  it('skips the initialisers on a strict load (as tf.loadLayersModel does) and runs them otherwise', async () => {
    const dir = freshDir();
    const input = tf.input({ shape: [3] });
    const output = tf.layers
      .dense({
        units: 2,
        name: 'dense',
        kernelInitializer: new CountingInitializer() as never,
      })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    await saveModel(model, dir);
    CountingInitializer.calls = 0;
    const strict = await loadModel(dir);
    expect(CountingInitializer.calls).toBe(0);
    expect(strict.getWeights()[0].arraySync()).toEqual(model.getWeights()[0].arraySync());
    const lenient = await loadModel(dir, { strict: false });
    expect(CountingInitializer.calls).toBe(1);
    expect(lenient.getWeights()[0].arraySync()).toEqual(model.getWeights()[0].arraySync());
    [model, strict, lenient].forEach((m) => m.dispose());
  });

  it('loads Sequential models and Keras files with model_config, keeping their classes', async () => {
    const dir = freshDir();
    const model = tf.sequential({
      name: 'seq',
      layers: [
        tf.layers.dense({ units: 3, inputShape: [4], name: 'd1' }),
        new LogSoftmax({ name: 'log_probs' }),
      ],
    });
    await saveModel(model, dir);
    const x = tf.ones([2, 4]);
    const expected = (model.predict(x) as tf.Tensor).arraySync();
    const loaded = await loadModel(dir);
    expect(loaded).toBeInstanceOf(tf.Sequential);
    expect(loaded.getClassName()).toBe('Sequential');
    expect((loaded.predict(x) as tf.Tensor).arraySync()).toEqual(expected);
    // Keras' full-model layout nests the topology under model_config.
    const modelJson = await readModelJson(dir);
    modelJson.modelTopology = { model_config: modelJson.modelTopology };
    await fsp.writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
    const keras = await loadModel(dir);
    expect(keras.getClassName()).toBe('Sequential');
    expect((keras.predict(x) as tf.Tensor).arraySync()).toEqual(expected);
    // Saving a loaded model writes its own class, never the one loadModel builds it with.
    await saveModel(keras, dir);
    expect(JSON.stringify(await readModelJson(dir))).not.toContain('SlrModelIoLoading');
    [model, loaded, keras].forEach((m) => m.dispose());
    x.dispose();
  });
});

describe('atomic saving', () => {
  /**
   * Makes the rename onto model.json fail: the moment a crash would hit. With `processDies`,
   * nothing cleans up afterwards either: every later rename and removal fails too.
   */
  function crashAtCommit(options: { processDies: boolean }): void {
    let crashed = false;
    const dead = (): never => {
      throw new Error('process is gone');
    };
    faults.rename = (_from, to) => {
      if (crashed && options.processDies) dead();
      if (to.endsWith('model.json')) {
        crashed = true;
        throw Object.assign(new Error('simulated crash before model.json was renamed'), {
          code: 'EIO',
        });
      }
    };
    faults.removal = () => {
      if (crashed && options.processDies) dead();
    };
  }

  it('keeps the previous model loadable when a save fails before model.json is replaced', async () => {
    const dir = freshDir();
    const old = makeModel(10);
    const next = makeModel(11, 9); // another architecture: mixing the two could not load at all
    const saved = await saveModel(old, dir);

    crashAtCommit({ processDies: false });
    const error = await rejection(saveModel(next, dir));
    faults.rename = undefined;
    expect(error.code).toBe('SAVE_FAILED');
    expect(error.path).toBe(join(dir, 'model.json'));
    expect(error.message).toBe(
      `saveModel: Could not write '${join(dir, 'model.json')}': an input/output error (EIO). ` +
        `The model previously in ${dir}, if any, is unchanged.`,
    );
    expect((error.cause as Error).cause).toMatchObject({
      message: 'simulated crash before model.json was renamed',
    });

    // The failed save cleaned up after itself.
    expect((await fsp.readdir(dir)).sort()).toEqual(
      ['model.json', saved.weightsPaths[0].split('/').pop()].sort(),
    );
    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(await predict(old));
    [loaded, old, next].forEach((m) => m.dispose());
  });

  it('keeps the previous model loadable after a hard crash between the weights and model.json', async () => {
    const dir = freshDir();
    const old = makeModel(12);
    const next = makeModel(13, 9);
    const saved = await saveModel(old, dir);
    const oldModelJson = await fsp.readFile(join(dir, 'model.json'), 'utf8');

    crashAtCommit({ processDies: true });
    await expect(saveModel(next, dir)).rejects.toThrow(/input\/output error \(EIO\)/);
    faults.rename = undefined;
    faults.removal = undefined;
    // The new weights are on disk under their own name (and a temporary model.json): nothing of
    // the old model was touched.
    const left = await fsp.readdir(dir);
    expect(left).toContainEqual(expect.stringMatching(/^\.model\.json\.tmp-\d+-[0-9a-f]+$/));
    expect(left.length).toBeGreaterThan(2);
    expect(await fsp.readFile(join(dir, 'model.json'), 'utf8')).toBe(oldModelJson);
    const loaded = await loadModel(dir);
    expect(await predict(loaded)).toEqual(await predict(old));

    // The next successful save removes the crashed save's leftovers.
    const info = await saveModel(next, dir);
    expect(info.removedPaths.sort()).toEqual(
      left
        .filter((f) => f !== 'model.json' && f !== info.weightsPaths[0].split('/').pop())
        .map((f) => join(dir, f))
        .sort(),
    );
    expect(info.removedPaths).toContain(saved.weightsPaths[0]);
    expect((await fsp.readdir(dir)).sort()).toEqual(
      ['model.json', info.weightsPaths[0].split('/').pop()].sort(),
    );
    const reloaded = await loadModel(dir);
    expect(await predict(reloaded)).toEqual(await predict(next));
    [loaded, reloaded, old, next].forEach((m) => m.dispose());
  });

  it('writes every file under a temporary name first and renames model.json last', async () => {
    const dir = freshDir();
    const operations: string[] = [];
    faults.open = (file, flags) => {
      if (file.startsWith(dir)) operations.push(`open ${file.split('/').pop()} ${flags}`);
    };
    faults.rename = (from, to) => {
      operations.push(`rename ${from.split('/').pop()} -> ${to.split('/').pop()}`);
    };
    const model = makeModel(14);
    await saveModel(model, dir, { shardSizeBytes: 200 });
    const renames = operations.filter((op) => op.startsWith('rename'));
    expect(renames.length).toBeGreaterThan(2);
    expect(renames.at(-1)).toMatch(/^rename \.model\.json\.tmp-\d+-[0-9a-f]+ -> model\.json$/);
    for (const op of renames.slice(0, -1))
      expect(op).toMatch(
        /^rename \.(group1-shard\d+of\d+\.[0-9a-f]{16}\.bin)\.tmp-\d+-[0-9a-f]+ -> \1$/,
      );
    // Every data file is written under its temporary name, never in place.
    const writes = operations.filter((op) => op.startsWith('open') && !op.endsWith(' r'));
    expect(writes.length).toBe(renames.length);
    for (const op of writes) expect(op).toMatch(/^open \..+\.tmp-\d+-[0-9a-f]+ w$/);
    model.dispose();
  });

  it('a reader racing a save retries on the new model.json', async () => {
    const dir = freshDir();
    const old = makeModel(15);
    const next = makeModel(16, 9);
    await saveModel(old, dir);
    let raced = false;
    const fs = { ...fsp } as ModelIoFileSystem;
    fs.readFile = (async (file: string, options?: unknown) => {
      if (!raced && String(file).endsWith('.bin')) {
        raced = true;
        await saveModel(next, dir); // replaces model.json and deletes the weights being read
      }
      return fsp.readFile(file, options as undefined);
    }) as ModelIoFileSystem['readFile'];
    const loaded = await loadModel(dir, { fs });
    expect(raced).toBe(true);
    expect(await predict(loaded)).toEqual(await predict(next));
    [loaded, old, next].forEach((m) => m.dispose());
  });
});

describe('clear errors', () => {
  async function savedDir(
    seed: number,
  ): Promise<{ dir: string; weights: string; model: tf.LayersModel }> {
    const dir = freshDir();
    const model = makeModel(seed);
    const info = await saveModel(model, dir);
    return { dir, weights: info.weightsPaths[0], model };
  }

  it('a missing directory', async () => {
    const dir = join(root, 'does-not-exist');
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('NO_DIRECTORY');
    expect(error.message).toBe(`loadModel: directory ${dir} does not exist.`);
  });

  it('a directory without model.json', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir);
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('NO_MODEL_JSON');
    expect(error.path).toBe(join(dir, 'model.json'));
    expect(error.message).toContain(`${join(dir, 'model.json')} is missing`);
  });

  it('malformed JSON', async () => {
    const { dir, model } = await savedDir(20);
    const file = join(dir, 'model.json');
    const text = await fsp.readFile(file, 'utf8');
    await fsp.writeFile(file, text.slice(0, text.length / 2));
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('MALFORMED_JSON');
    expect(error.path).toBe(file);
    expect(error.message).toMatch(
      new RegExp(
        `^loadModel: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON \\(.+\\); the file is corrupt`,
      ),
    );
    model.dispose();
  });

  it('JSON that is not a layers model', async () => {
    const dir = freshDir();
    await fsp.mkdir(dir);
    await fsp.writeFile(
      join(dir, 'model.json'),
      JSON.stringify({ format: 'graph-model', modelTopology: {}, weightsManifest: [] }),
    );
    expect((await rejection(loadModel(dir))).message).toContain("its format is 'graph-model'");
    await fsp.writeFile(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [] }));
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('NOT_A_LAYERS_MODEL');
    expect(error.message).toContain("'modelTopology' is missing");
    await fsp.writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        modelTopology: {},
        weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }],
      }),
    );
    expect((await rejection(loadModel(dir))).message).toContain(
      "'../../etc/passwd', which is outside",
    );
  });

  it('a layer fed from a layer or a call that does not exist (tfjs would wait for it forever)', async () => {
    const { dir, model } = await savedDir(27);
    const modelJson = await readModelJson(dir);
    const logits = topologyLayers(modelJson).find(
      (l) => l.config.name === 'logits',
    ) as TopologyLayer & Record<string, unknown>;
    const file = join(dir, 'model.json');
    for (const [inbound, problem] of [
      [
        [[['nope', 0, 0, {}]]],
        "layer 'logits' takes an input from 'nope', which is not a layer of the model",
      ],
      [
        [[['conv', 1, 0, {}]]],
        "layer 'logits' takes an input from call 1 of layer 'conv', which never happens " +
          '(a cycle, or a corrupt inbound_nodes)',
      ],
      [[[{}]], "layer 'logits' has an input that names no layer ({})"],
    ] as const) {
      logits['inbound_nodes'] = inbound;
      await fsp.writeFile(file, JSON.stringify(modelJson));
      const error = await rejection(loadModel(dir));
      expect(error.code).toBe('NOT_A_LAYERS_MODEL');
      expect(error.message).toBe(
        `loadModel: ${file} is not a tfjs layers-model model.json: ${problem}.`,
      );
    }
    // A cycle: conv fed by logits, logits by conv.
    logits['inbound_nodes'] = [[['conv', 0, 0, {}]]];
    (
      topologyLayers(modelJson).find((l) => l.config.name === 'conv') as TopologyLayer &
        Record<string, unknown>
    )['inbound_nodes'] = [[['logits', 0, 0, {}]]];
    await fsp.writeFile(file, JSON.stringify(modelJson));
    expect((await rejection(loadModel(dir))).message).toContain('which never happens');
    model.dispose();
  });

  it('truncated weights', async () => {
    const { dir, weights, model } = await savedDir(21);
    const bytes = await fsp.readFile(weights);
    await fsp.writeFile(weights, bytes.subarray(0, bytes.byteLength - 8));
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('WEIGHTS_SIZE');
    expect(error.path).toBe(weights);
    expect(error.message).toBe(
      `loadModel: weights file ${weights} is too short: ${bytes.byteLength - 8} bytes, but the weightsManifest in ` +
        `${join(dir, 'model.json')} describes ${bytes.byteLength} bytes (a truncated file, or ` +
        `weights from another save).`,
    );
    model.dispose();
  });

  it('a missing weights file', async () => {
    const { dir, weights, model } = await savedDir(22);
    await fsp.unlink(weights);
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('WEIGHTS_MISSING');
    expect(error.message).toBe(
      `loadModel: weights file ${weights} (named in ${join(dir, 'model.json')}) is missing.`,
    );
    model.dispose();
  });

  it('a manifest that does not match the architecture', async () => {
    const { dir, weights, model } = await savedDir(23);
    const modelJson = await readModelJson(dir);
    const logits = topologyLayers(modelJson).find(
      (l) => l.config.name === 'logits',
    ) as TopologyLayer;
    logits.config.units = 8; // the architecture now wants a [5, 8] kernel; the weights hold [5, 7]
    await fsp.writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('ARCHITECTURE_MISMATCH');
    expect(error.message).toContain(
      `the weights in ${weights} do not match the architecture in ${join(dir, 'model.json')}`,
    );
    expect(error.message).toContain(
      "'logits/kernel' has shape [5,7] in the manifest but [5,8] in the architecture",
    );
    expect(error.message).toContain(
      "'logits/bias' has shape [7] in the manifest but [8] in the architecture",
    );
    expect(error.message).toContain('(tfjs: Shape mismatch');
    model.dispose();
  });

  it('a manifest naming weights the architecture lacks', async () => {
    const { dir, model } = await savedDir(24);
    const modelJson = await readModelJson(dir);
    modelJson.weightsManifest[0].weights[3].name = 'logits/scale';
    await fsp.writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('ARCHITECTURE_MISMATCH');
    expect(error.message).toContain(
      "'logits/scale' is in the manifest but the architecture has no such weight",
    );
    expect(error.message).toContain("'logits/bias' is in the architecture but not in the manifest");
    model.dispose();
  });

  it('an unregistered layer class', async () => {
    const { dir, model } = await savedDir(25);
    const file = join(dir, 'model.json');
    await fsp.writeFile(
      file,
      (await fsp.readFile(file, 'utf8')).replace('"SlrLogSoftmax"', '"SlrNotImported"'),
    );
    const error = await rejection(loadModel(dir));
    expect(error.code).toBe('UNKNOWN_CLASS');
    expect(error.message).toBe(
      `loadModel: ${file} uses the layer class 'SlrNotImported', which is not registered with ` +
        `tf.serialization.registerClass: import the package that defines it (for the @slr ` +
        `layers, import '@slr/layers') before loading.`,
    );
    model.dispose();
  });

  it('bad save options', async () => {
    const model = makeModel(26);
    const shards = saveModel(model, freshDir(), { shardSizeBytes: 0 });
    await expect(shards).rejects.toBeInstanceOf(ArgumentError);
    await expect(shards).rejects.toThrow(
      "Argument 'options.shardSizeBytes' passed to 'saveModel' must be an integer >= 1, but got 0.",
    );
    await expect(
      saveModel(model, freshDir(), { metadata: [] as unknown as Record<string, unknown> }),
    ).rejects.toThrow(
      "Argument 'options.metadata' passed to 'saveModel' must be a plain JSON object, but got [].",
    );
    await expect(saveModel(model, freshDir(), null as never)).rejects.toThrow(
      "Argument 'options' passed to 'saveModel' must be an object or undefined, but got null.",
    );
    await expect(loadModel(freshDir(), null as never)).rejects.toThrow(
      "Argument 'options' passed to 'loadModel' must be an object or undefined, but got null.",
    );
    await expect(loadModel(freshDir(), { strict: 'no' as never })).rejects.toThrow(
      "Argument 'options.strict' passed to 'loadModel' must be a boolean, but got 'no'.",
    );
    await expect(loadModel(freshDir(), { fs: {} as never })).rejects.toThrow(
      "Argument 'options.fs' passed to 'loadModel' must be an object with the readFile and stat of " +
        "'node:fs/promises', but got an object.",
    );
    await expect(loadModel('', {})).rejects.toThrow(
      "Argument 'dir' passed to 'loadModel' must be a non-empty string (a folder path), but got ''.",
    );
    const file = join(root, 'a-file');
    await fsp.writeFile(file, 'x');
    const error = await rejection(saveModel(model, join(file, 'sub')));
    expect(error.message).toBe(
      `saveModel: Could not create the folder '${join(file, 'sub')}': a part of the path is not a folder (ENOTDIR).`,
    );
    model.dispose();
  });
});

describe('failed loads leave no tensors behind', () => {
  /** Saves a fresh model, lets `corrupt` damage the folder, and loads it expecting `code`. */
  async function failedLoad(
    seed: number,
    code: ModelIoError['code'],
    corrupt: (dir: string, modelJson: tf.io.ModelJSON) => Promise<tf.io.ModelJSON | void>,
    options: { strict?: boolean; includeOptimizer?: boolean } = {},
  ): Promise<ModelIoError> {
    const dir = freshDir();
    const model = makeModel(seed);
    if (options.includeOptimizer === true) {
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      const [x, y] = [INPUT(), tf.zeros([2, 6, 7])];
      await model.fit(x, y, { epochs: 1, verbose: 0 });
      tf.dispose([x, y]);
    }
    await saveModel(model, dir, { includeOptimizer: options.includeOptimizer });
    model.dispose();
    const changed = await corrupt(dir, await readModelJson(dir));
    if (changed) await fsp.writeFile(join(dir, 'model.json'), JSON.stringify(changed));
    const before = tf.memory().numTensors;
    const variables = Object.keys(tf.engine().state.registeredVariables).length;
    const error = await rejection(loadModel(dir, { strict: options.strict }));
    expect(error.code).toBe(code);
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(tf.engine().state.registeredVariables)).toHaveLength(variables);
    return error;
  }

  function layerNamed(modelJson: tf.io.ModelJSON, name: string): TopologyLayer {
    return topologyLayers(modelJson).find((l) => l.config.name === name) as TopologyLayer;
  }

  it('weights of the wrong shape, strict or not', async () => {
    for (const strict of [true, false]) {
      const error = await failedLoad(
        30,
        'ARCHITECTURE_MISMATCH',
        async (_dir, modelJson) => {
          layerNamed(modelJson, 'logits').config.units = 8;
          return Promise.resolve(modelJson);
        },
        { strict },
      );
      expect(error.message).toContain(
        "'logits/kernel' has shape [5,7] in the manifest but [5,8] in the architecture",
      );
    }
  });

  it('weights the architecture does not have', async () => {
    const error = await failedLoad(31, 'ARCHITECTURE_MISMATCH', (_dir, modelJson) => {
      modelJson.weightsManifest[0].weights[3].name = 'logits/scale';
      return Promise.resolve(modelJson);
    });
    expect(error.message).toContain("'logits/bias' is in the architecture but not in the manifest");
  });

  it('an unregistered layer class after layers with weights', async () => {
    const error = await failedLoad(32, 'UNKNOWN_CLASS', (_dir, modelJson) => {
      layerNamed(modelJson, 'logits').class_name = 'SlrNotImported';
      return Promise.resolve(modelJson);
    });
    expect(error.message).toContain("uses the layer class 'SlrNotImported'");
  });

  it('a layer configuration tfjs cannot build', async () => {
    await failedLoad(33, 'LOAD_FAILED', (_dir, modelJson) => {
      layerNamed(modelJson, 'logits').config.kernel_initializer = {
        class_name: 'VarianceScaling',
        config: { scale: -1, mode: 'fan_in', distribution: 'normal', seed: null },
      };
      return Promise.resolve(modelJson);
    });
  });

  it('a weight of a dtype tfjs cannot decode', async () => {
    const error = await failedLoad(34, 'LOAD_FAILED', (_dir, modelJson) => {
      modelJson.weightsManifest[0].weights[3].dtype = 'float64' as 'float32';
      return Promise.resolve(modelJson);
    });
    expect(error.message).toContain('float64');
  });

  it('a training configuration tfjs cannot compile', async () => {
    await failedLoad(
      35,
      'LOAD_FAILED',
      (_dir, modelJson) => {
        (modelJson.trainingConfig as { loss: string }).loss = 'no_such_loss';
        return Promise.resolve(modelJson);
      },
      { includeOptimizer: true },
    );
  });
});
