/**
 * `loadTorchWeights`, `torchStateDict` and `torchWeightsBytes` without PyTorch: the names and
 * shapes they give are torchvision's and pytorch-i3d's (as `test-fixtures/torch-names.json`
 * records them), weights survive the round trip, the naming is told from the keys, and every
 * refusal names the file, the key and both shapes, leaves the model as it was and no tensor
 * behind. (Parity with PyTorch's outputs is in `torch-parity.test.ts`.)
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildI3DBackbone, buildI3DTeacher } from '@slr/models-i3d';
import {
  buildMobileNetV3Classifier,
  buildMobileNetV3Features,
  buildMobileNetV3Student,
} from '@slr/models-mobilenetv3';
import { fixturePath } from '../test/helpers';
import {
  loadTorchWeights,
  readSafetensors,
  torchStateDict,
  TorchWeightsError,
  torchWeightsBytes,
  type TensorData,
} from './index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** torch-names.json: each model's state-dict keys, in PyTorch's order, with dtype and shape. */
const TORCH_NAMES = JSON.parse(readFileSync(fixturePath('torch-names.json'), 'utf8')) as Record<
  string,
  Record<string, [string, number[]]>
>;

/** A state dict as `[key, dtype, shape]` rows, sorted by key. */
function rows(stateDict: Map<string, TensorData>): [string, string, number[]][] {
  return [...stateDict]
    .map(([key, tensor]): [string, string, number[]] => [key, tensor.dtype, tensor.shape])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The fixture's rows of a model, sorted by key. */
function torchRows(model: string): [string, string, number[]][] {
  return Object.entries(TORCH_NAMES[model])
    .map(([key, [dtype, shape]]): [string, string, number[]] => [key, dtype, shape])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Every weight's values, by name. */
function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(
    model.weights.map((weight) => [
      weight.originalName,
      weight.read().dataSync<'float32'>().slice(),
    ]),
  );
}

/** The names of the weights whose values differ between two snapshots (or that one lacks). */
function differing(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((name) => {
    const [x, y] = [a.get(name), b.get(name)];
    return (
      x === undefined || y === undefined || x.length !== y.length || x.some((v, i) => v !== y[i])
    );
  });
}

function smallClassifier(seed = 1, numClasses = 10): tf.LayersModel {
  return buildMobileNetV3Classifier({
    variant: 'small',
    numClasses,
    inputShape: [32, 32, 3],
    seed,
  });
}

/** A copy of a state dict with some keys changed or removed (`undefined`). */
function edited(
  stateDict: Map<string, TensorData>,
  changes: Record<string, TensorData | undefined>,
): Map<string, TensorData> {
  const out = new Map(stateDict);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) out.delete(key);
    else out.set(key, value);
  }
  return out;
}

const floats = (shape: number[]): TensorData => ({
  dtype: 'float32',
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
});

describe('torchStateDict: the names and shapes of torchvision and pytorch-i3d', () => {
  it("MobileNetV3-Large (1000 classes) has torchvision's mobilenet_v3_large() keys, dtypes and shapes", () => {
    const model = buildMobileNetV3Classifier({
      variant: 'large',
      numClasses: 1000,
      inputShape: [null, null, 3],
    });
    const stateDict = torchStateDict(model);
    expect(rows(stateDict)).toEqual(torchRows('mobilenet_v3_large'));
    // In PyTorch's order too: module by module, as state_dict() lists them.
    expect([...stateDict.keys()]).toEqual(Object.keys(TORCH_NAMES.mobilenet_v3_large));
    model.dispose();
  });

  it("MobileNetV3-Small (10 classes) has torchvision's mobilenet_v3_small(num_classes=10) keys", () => {
    const model = smallClassifier();
    const stateDict = torchStateDict(model, { naming: 'torchvision' });
    expect(rows(stateDict)).toEqual(torchRows('mobilenet_v3_small_10_classes'));
    expect([...stateDict.keys()]).toEqual(Object.keys(TORCH_NAMES.mobilenet_v3_small_10_classes));
    model.dispose();
  });

  it("the I3D backbone with 400 logits has pytorch-i3d's InceptionI3d(400) keys, dtypes and shapes", () => {
    const model = buildI3DBackbone({
      inputShape: [16, 224, 224, 3],
      logitsClasses: 400,
      logitsHead: 'pytorch-i3d',
    });
    expect(rows(torchStateDict(model))).toEqual(torchRows('inception_i3d'));
    model.dispose();
  });

  it('writes BatchNorm num_batches_tracked as an int64 0, and leaves no tensor behind', () => {
    const model = smallClassifier();
    const before = tf.memory().numTensors;
    const stateDict = torchStateDict(model);
    expect(tf.memory().numTensors).toBe(before);
    expect(stateDict.get('features.0.1.num_batches_tracked')).toEqual({
      dtype: 'int64',
      shape: [],
      data: new BigInt64Array([0n]),
    });
    model.dispose();
  });
});

describe('loadTorchWeights', () => {
  it('loads what torchWeightsBytes wrote: every weight, the naming told from the keys', async () => {
    const source = smallClassifier(1);
    const target = smallClassifier(2);
    const bytes = torchWeightsBytes(source);
    expect(readSafetensors(bytes).metadata).toEqual({ format: 'pt' });
    const before = tf.memory().numTensors;
    const result = await loadTorchWeights(target, bytes);
    expect(tf.memory().numTensors).toBe(before);
    expect(result.naming).toBe('torchvision');
    expect(result.unusedKeys).toEqual([]);
    expect(result.missingWeights).toEqual([]);
    const keys = Object.keys(TORCH_NAMES.mobilenet_v3_small_10_classes);
    expect(result.loaded).toEqual(keys.filter((key) => !key.endsWith('num_batches_tracked')));
    expect(differing(snapshot(target), snapshot(source))).toEqual([]);
    // An ArrayBuffer too (a fetch's arrayBuffer()).
    const other = smallClassifier(3);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    await loadTorchWeights(other, buffer as ArrayBuffer);
    expect(differing(snapshot(other), snapshot(source))).toEqual([]);
    source.dispose();
    target.dispose();
    other.dispose();
  });

  it('loads an I3D (pytorch-i3d) from a state dict already read, as a Map', async () => {
    const options = {
      inputShape: [null, 193, 193, 3] as [null, number, number, number],
      widthMultiplier: 1 / 16,
      logitsClasses: 5,
      logitsHead: 'pytorch-i3d' as const,
    };
    const source = buildI3DBackbone(options);
    const target = buildI3DBackbone(options);
    const result = await loadTorchWeights(target, torchStateDict(source));
    expect(result.naming).toBe('pytorch-i3d');
    expect(result.loaded).toContain('Mixed_5c.b2b.bn.running_var');
    expect(result.loaded).toContain('logits.conv3d.bias');
    expect(differing(snapshot(target), snapshot(source))).toEqual([]);
    source.dispose();
    target.dispose();
  });

  it('takes an @slr SequenceModel: torchvision weights into a student, pytorch-i3d into a teacher', async () => {
    const classifier = buildMobileNetV3Classifier({
      variant: 'small',
      numClasses: 10,
      inputShape: [null, null, 3],
    });
    const student = buildMobileNetV3Student({
      variant: 'small',
      numClasses: 5,
      inputShape: [null, 32, 32, 3],
      temporalChannels: 8,
      lstmUnits: 4,
    });
    // Not strict: the student has no classifier, and its temporal head and LSTM have no torchvision name.
    const result = await loadTorchWeights(student, torchStateDict(classifier), { strict: false });
    expect(result.naming).toBe('torchvision');
    expect(result.unusedKeys).toEqual([
      'classifier.0.weight',
      'classifier.0.bias',
      'classifier.3.weight',
      'classifier.3.bias',
    ]);
    expect(result.missingWeights.length).toBeGreaterThan(0);
    expect(
      result.missingWeights.every(({ key, shape }) => key === undefined && shape === undefined),
    ).toBe(true);
    expect(result.missingWeights.map(({ weight }) => weight)).toContain('classifier/kernel');
    const features = (snap: Map<string, Float32Array>) =>
      new Map([...snap].filter(([name]) => /^(stem|block\d+|last)_/.test(name)));
    const loadedFeatures = features(snapshot(student.model));
    expect(loadedFeatures.size).toBe(result.loaded.length);
    expect(differing(loadedFeatures, features(snapshot(classifier)))).toEqual([]);

    const backbone = buildI3DBackbone({ inputShape: [null, 32, 32, 3], widthMultiplier: 1 / 8 });
    const teacher = buildI3DTeacher({
      numClasses: 5,
      inputShape: [null, 32, 32, 3],
      widthMultiplier: 1 / 8,
      lstmUnits: 4,
    });
    const loaded = await loadTorchWeights(teacher, torchStateDict(backbone), { strict: false });
    expect(loaded.naming).toBe('pytorch-i3d');
    expect(loaded.unusedKeys).toEqual([]);
    expect(loaded.loaded).toHaveLength(backbone.weights.length);
    for (const model of [classifier, student.model, backbone, teacher.model]) model.dispose();
  });

  it('ignores num_batches_tracked, whatever it holds', async () => {
    const model = smallClassifier();
    const stateDict = torchStateDict(model);
    stateDict.set('features.0.1.num_batches_tracked', {
      dtype: 'int64',
      shape: [],
      data: new BigInt64Array([123n]),
    });
    const result = await loadTorchWeights(model, stateDict);
    expect(result.unusedKeys).toEqual([]);
    expect(result.loaded).not.toContain('features.0.1.num_batches_tracked');
    model.dispose();
  });

  describe('refusals: the file, the key and both shapes; the model as it was; no tensor left', () => {
    const cases: [
      string,
      (stateDict: Map<string, TensorData>) => Map<string, TensorData>,
      { strict?: boolean },
      string,
      Partial<TorchWeightsError>,
    ][] = [
      [
        'a key of the wrong shape',
        (s) => edited(s, { 'classifier.3.weight': floats([5, 1024]) }),
        {},
        "Cannot load 'small.safetensors' into model 'mobilenet_v3_small' (naming 'torchvision'): key " +
          "'classifier.3.weight' has shape [5, 1024], but the model needs [10, 1024] for weight 'logits/kernel' " +
          '[1024, 10] ([out, in] (a Linear weight), [in, out] in tfjs).',
        {
          key: 'classifier.3.weight',
          weight: 'logits/kernel',
          expectedShape: [10, 1024],
          actualShape: [5, 1024],
        },
      ],
      [
        'a key of the wrong shape, even without strict (as PyTorch)',
        (s) => edited(s, { 'features.1.block.0.0.weight': floats([16, 1, 3, 3, 1]) }),
        { strict: false },
        "key 'features.1.block.0.0.weight' has shape [16, 1, 3, 3, 1], but the model needs [16, 1, 3, 3] for " +
          "weight 'block1_depthwise_conv/depthwise_kernel' [3, 3, 16, 1] ([C·M, 1, H, W] (a depthwise Conv2d " +
          'weight), [H, W, C, M] in tfjs).',
        {
          key: 'features.1.block.0.0.weight',
          expectedShape: [16, 1, 3, 3],
          actualShape: [16, 1, 3, 3, 1],
        },
      ],
      [
        'a missing key',
        (s) => edited(s, { 'features.0.1.running_var': undefined }),
        {},
        "Cannot load 'small.safetensors' into model 'mobilenet_v3_small' (naming 'torchvision'): the file " +
          "lacks 1 key the model needs: 'features.0.1.running_var' [16] (for weight 'stem_bn/moving_variance'). " +
          'Pass { strict: false } to load what matches and get these as lists.',
        { key: 'features.0.1.running_var', weight: 'stem_bn/moving_variance', expectedShape: [16] },
      ],
      [
        'a key no weight takes',
        (s) => edited(s, { 'classifier.3.scale': floats([10]) }),
        {},
        "1 key of the file matches no weight of the model: 'classifier.3.scale' [10]. Pass { strict: false }",
        { key: 'classifier.3.scale', actualShape: [10], expectedShape: undefined },
      ],
      [
        'an integer tensor for a weight',
        (s) =>
          edited(s, {
            'classifier.3.bias': { dtype: 'int32', shape: [10], data: new Int32Array(10) },
          }),
        {},
        "key 'classifier.3.bias' holds int32 values, but weights load only from floating-point tensors",
        { key: 'classifier.3.bias' },
      ],
    ];
    for (const [what, edit, options, message, fields] of cases) {
      it(what, async () => {
        const model = smallClassifier(1);
        const source = smallClassifier(2);
        const stateDict = edit(torchStateDict(source));
        source.dispose();
        const before = snapshot(model);
        const tensors = tf.memory().numTensors;
        const error = await loadTorchWeights(model, stateDict, {
          ...options,
          file: 'small.safetensors',
        }).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(TorchWeightsError);
        expect((error as Error).message).toContain(message);
        expect(error).toMatchObject({
          file: 'small.safetensors',
          model: 'mobilenet_v3_small',
          naming: 'torchvision',
          ...fields,
        });
        expect(tf.memory().numTensors).toBe(tensors);
        expect(differing(snapshot(model), before)).toEqual([]);
        model.dispose();
      });
    }
  });

  it('without strict, loads what matches and lists the rest', async () => {
    const model = smallClassifier(1);
    const source = smallClassifier(2);
    const before = snapshot(model);
    const stateDict = edited(torchStateDict(source), {
      'classifier.3.weight': undefined,
      'extra.weight': floats([3]),
    });
    const result = await loadTorchWeights(model, stateDict, { strict: false });
    expect(result.unusedKeys).toEqual(['extra.weight']);
    expect(result.missingWeights).toEqual([
      { weight: 'logits/kernel', key: 'classifier.3.weight', shape: [10, 1024] },
    ]);
    const after = snapshot(model);
    expect(after.get('logits/kernel')).toEqual(before.get('logits/kernel'));
    expect(after.get('logits/bias')).toEqual(snapshot(source).get('logits/bias'));
    model.dispose();
    source.dispose();
  });

  it('refuses keys of no naming it knows, asking for one', async () => {
    const model = smallClassifier();
    const stateDict = new Map(
      [...torchStateDict(model)].map(([key, value]) => [`module.${key}`, value] as const),
    );
    await expect(loadTorchWeights(model, stateDict, { file: 'ddp.pt' })).rejects.toThrow(
      "Cannot load 'ddp.pt' into model 'mobilenet_v3_small': none of its keys ('module.features.0.0.weight', " +
        "'module.features.0.1.weight', 'module.features.0.1.bias', 'module.features.0.1.running_mean', " +
        "'module.features.0.1.running_var' and 239 more) is a name that 'torchvision' or 'pytorch-i3d' " +
        "or 'slr' gives; pass options.naming to say which naming the file uses.",
    );
    model.dispose();
  });

  it('names the weights a naming cannot name (a group-normalised I3D has no pytorch-i3d BatchNorm)', async () => {
    const model = buildI3DBackbone({
      inputShape: [8, 32, 32, 3],
      widthMultiplier: 1 / 8,
      normalization: 'group',
    });
    await expect(loadTorchWeights(model, new Map(), { naming: 'pytorch-i3d' })).rejects.toThrow(
      /114 weights of the model have no PyTorch name in this naming: 'Conv3d_1a_7x7_gn\/gamma', .* and 109 more; the file lacks 57 keys the model needs: 'Conv3d_1a_7x7.conv3d.weight' \[8, 3, 7, 7, 7\] \(for weight 'Conv3d_1a_7x7_conv\/kernel'\)/,
    );
    model.dispose();
  });

  it('checks its arguments', async () => {
    const model = smallClassifier();
    const bytes = new Uint8Array(8);
    const cases: [Promise<unknown>, string][] = [
      [
        loadTorchWeights(null as never, bytes),
        "Argument 'model' passed to 'loadTorchWeights' must be a tf.LayersModel or an @slr " +
          'SequenceModel, but got null.',
      ],
      [
        loadTorchWeights(model, 'weights.pt' as never),
        "Argument 'source' passed to 'loadTorchWeights' must be a Uint8Array or an ArrayBuffer (a file's contents) " +
          "or a Map of tensors by name (a path is read by loadTorchWeights of '@slr/interop/node'), " +
          "but got 'weights.pt'.",
      ],
      [
        loadTorchWeights(model, new Map([['a', 1]]) as never),
        "Argument 'source' passed to 'loadTorchWeights' must be a Map of tensors ({ dtype, shape, data }) by name",
      ],
      [
        loadTorchWeights(model, bytes, null as never),
        "Argument 'options' passed to 'loadTorchWeights' must be an object or undefined, but got null.",
      ],
      [
        loadTorchWeights(model, bytes, { naming: 'timm' as never }),
        "Argument 'options.naming' passed to 'loadTorchWeights' must be one of 'torchvision', " +
          "'pytorch-i3d', 'slr', but got 'timm'.",
      ],
      [
        loadTorchWeights(model, bytes, { strict: 'yes' as never }),
        "Argument 'options.strict' passed to 'loadTorchWeights' must be a boolean, but got 'yes'.",
      ],
    ];
    for (const [promise, message] of cases) await expect(promise).rejects.toThrow(message);
    expect(() => torchStateDict({} as never)).toThrow(
      "Argument 'model' passed to 'torchStateDict' must be a tf.LayersModel or an @slr SequenceModel, " +
        'but got an object.',
    );
    expect(() => torchWeightsBytes(model, { naming: 'timm' as never })).toThrow(
      "Argument 'options.naming' passed to 'torchWeightsBytes' must be one of 'torchvision', " +
        "'pytorch-i3d', 'slr', but got 'timm'.",
    );
    model.dispose();
  });
});

describe('torchStateDict: refusals', () => {
  it('refuses a naming that cannot name every weight, naming them', () => {
    const student = buildMobileNetV3Student({
      variant: 'small',
      numClasses: 5,
      inputShape: [null, 32, 32, 3],
      temporalChannels: 8,
      lstmUnits: 4,
    });
    const before = tf.memory().numTensors;
    expect(() => torchStateDict(student, { naming: 'torchvision' })).toThrow(
      /^Cannot save model 'mobilenet_v3_small_student' as PyTorch weights \(naming 'torchvision'\): \d+ weights of the model have no PyTorch name in this naming: 'temporal1_conv\/kernel', /,
    );
    expect(tf.memory().numTensors).toBe(before);
    student.model.dispose();
    const custom = tf.sequential({
      layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'head' })],
      name: 'custom',
    });
    expect(() => torchStateDict(custom)).toThrow(
      "Cannot save model 'custom' as PyTorch weights: no naming names every weight of the model " +
        "('torchvision' leaves 2 weights unnamed, 'pytorch-i3d' leaves 2 weights unnamed, 'slr' " +
        'leaves 2 weights unnamed); pass options.naming to see which',
    );
    custom.dispose();
  });

  it('saves a feature extractor under features.* alone', () => {
    const features = buildMobileNetV3Features({ variant: 'small', inputShape: [32, 32, 3] });
    const keys = [...torchStateDict(features).keys()];
    expect(keys.every((key) => key.startsWith('features.'))).toBe(true);
    expect(keys).toEqual(
      Object.keys(TORCH_NAMES.mobilenet_v3_small_10_classes).filter((key) =>
        key.startsWith('features.'),
      ),
    );
    features.dispose();
  });
});

describe("naming 'slr': the slr_torch twins of the teacher and the student", () => {
  const teacherOptions = {
    numClasses: 7,
    inputShape: [null, 32, 32, 3] as [null, number, number, number],
    widthMultiplier: 1 / 8,
    lstmUnits: 12,
    attentionHeads: 2,
    attentionKeyDim: 8,
    pose: { keypoints: 5, units: 12 },
    lstmLayers: 2,
    normalization: 'group' as const,
    groups: 4,
  };
  const studentOptions = {
    variant: 'small' as const,
    numClasses: 6,
    inputShape: [null, 32, 32, 3] as [null, number, number, number],
    widthMultiplier: 0.25,
    temporalHead: 'K3-P2-K2',
    temporalChannels: 16,
    lstmUnits: 16,
  };
  const lstmKeys = (k: number) =>
    ['', '_reverse'].flatMap((suffix) =>
      ['weight_ih', 'weight_hh', 'bias'].map((name) => `lstm.${name}_l${k}${suffix}`),
    );

  it("names the teacher as I3DTeacher's state_dict: backbone., pose.dense., attention., lstm., classifier", () => {
    const teacher = buildI3DTeacher(teacherOptions);
    const stateDict = torchStateDict(teacher);
    // As python/slr_torch's I3DTeacher(...).state_dict() lists them (197 keys, in its order).
    expect(stateDict.size).toBe(197);
    expect([...stateDict.keys()].filter((key) => !key.startsWith('backbone.'))).toEqual([
      ...[0, 1].flatMap((i) => [`pose.dense.${i}.weight`, `pose.dense.${i}.bias`]),
      ...['query', 'key', 'value', 'output'].flatMap((p) => [
        `attention.${p}.weight`,
        `attention.${p}.bias`,
      ]),
      ...lstmKeys(0),
      ...lstmKeys(1),
      'classifier.weight',
      'classifier.bias',
    ]);
    expect([...stateDict.keys()].slice(0, 3)).toEqual([
      'backbone.Conv3d_1a_7x7.conv3d.weight',
      'backbone.Conv3d_1a_7x7.gn.weight',
      'backbone.Conv3d_1a_7x7.gn.bias',
    ]);
    const shape = (key: string) => stateDict.get(key)?.shape;
    expect(shape('backbone.Mixed_5c.b3b.gn.weight')).toEqual([16]);
    expect(shape('pose.dense.0.weight')).toEqual([12, 10]);
    expect(shape('attention.query.weight')).toEqual([16, 128]);
    expect(shape('lstm.weight_ih_l1_reverse')).toEqual([48, 24]);
    expect(shape('lstm.weight_hh_l0')).toEqual([48, 12]);
    expect(shape('lstm.bias_l0')).toEqual([48]);
    expect(shape('classifier.weight')).toEqual([7, 24]);
    teacher.model.dispose();
  });

  it("names the student as MobileNetV3Student's state_dict: features., temporal., lstm., classifier", () => {
    const student = buildMobileNetV3Student(studentOptions);
    const keys = [...torchStateDict(student).keys()];
    expect(keys.filter((key) => !key.startsWith('features.'))).toEqual([
      ...[0, 2].flatMap((i) => [
        `temporal.${i}.conv.weight`,
        ...['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map(
          (name) => `temporal.${i}.bn.${name}`,
        ),
      ]),
      ...lstmKeys(0),
      'classifier.weight',
      'classifier.bias',
    ]);
    expect(keys.filter((key) => key.startsWith('features.'))).toEqual(
      Object.keys(TORCH_NAMES.mobilenet_v3_small_10_classes).filter((key) =>
        key.startsWith('features.'),
      ), // the same MobileNetV3-Small blocks, narrower
    );
    student.model.dispose();
  });

  it("loads what it saved, the naming told from the keys ('slr')", async () => {
    const pairs = [
      [buildI3DTeacher(teacherOptions), buildI3DTeacher(teacherOptions)],
      [
        buildI3DTeacher({ ...teacherOptions, pose: undefined, normalization: 'batch' }),
        buildI3DTeacher({ ...teacherOptions, pose: undefined, normalization: 'batch' }),
      ],
      [buildMobileNetV3Student(studentOptions), buildMobileNetV3Student(studentOptions)],
      [
        buildMobileNetV3Student({ ...studentOptions, temporalHead: 'none', lstmUnits: 0 }),
        buildMobileNetV3Student({ ...studentOptions, temporalHead: 'none', lstmUnits: 0 }),
      ],
    ];
    for (const [source, target] of pairs) {
      for (const weight of source.model.weights) {
        const value = tf.randomNormal(weight.shape as number[], 0, 0.5, 'float32', 7);
        weight.write(weight.originalName.endsWith('moving_variance') ? tf.abs(value) : value);
      }
      const before = tf.memory().numTensors;
      const result = await loadTorchWeights(target, torchWeightsBytes(source));
      expect(tf.memory().numTensors).toBe(before);
      expect(result.naming).toBe('slr');
      expect(result.unusedKeys).toEqual([]);
      expect(result.missingWeights).toEqual([]);
      // By position: the student's LSTM is named by a global counter, so each model's differs.
      source.model.weights.forEach((weight, i) => {
        const loaded = target.model.weights[i].read().dataSync();
        expect(loaded, weight.originalName).toEqual(weight.read().dataSync());
      });
      source.model.dispose();
      target.model.dispose();
    }
  });

  it("tells torchvision's names from slr_torch's: a feature extractor's keys load as 'torchvision'", async () => {
    const source = buildMobileNetV3Features({ variant: 'small', inputShape: [32, 32, 3] });
    const target = buildMobileNetV3Features({ variant: 'small', inputShape: [32, 32, 3] });
    // Both namings give these keys; either loads them alike.
    const result = await loadTorchWeights(target, torchStateDict(source));
    expect(result.naming).toBe('torchvision');
    expect(differing(snapshot(target), snapshot(source))).toEqual([]);
    // A classifier's file is torchvision's; a student's, slr_torch's.
    const classifier = smallClassifier();
    expect((await loadTorchWeights(classifier, torchStateDict(classifier))).naming).toBe(
      'torchvision',
    );
    for (const model of [source, target, classifier]) model.dispose();
  });
});
