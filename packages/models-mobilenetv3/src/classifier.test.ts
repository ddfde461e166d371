import * as tf from '@tensorflow/tfjs';
import { HardSwish, SqueezeExcite } from '@slr/layers';
import { describe, expect, it } from 'vitest';
import {
  buildMobileNetV3Classifier,
  buildMobileNetV3Features,
  mobileNetV3Architecture,
} from './index';

function trainableParameters(model: tf.LayersModel): number {
  return model.trainableWeights.reduce(
    (sum, w) => sum + w.shape.reduce((a: number, b) => a * (b as number), 1),
    0,
  );
}

async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
      });
    }),
  );
  return saved!;
}

describe('buildMobileNetV3Classifier: the ImageNet architecture', () => {
  it.each([
    ['large', 5_483_032, 2_971_952, 960],
    ['small', 2_542_856, 927_008, 576],
  ] as const)(
    '%s has torchvision’s trainable parameter counts',
    (variant, total, features, channels) => {
      const classifier = buildMobileNetV3Classifier({
        variant,
        numClasses: 1000,
        inputShape: [224, 224, 3],
      });
      const extractor = buildMobileNetV3Features({ variant, inputShape: [224, 224, 3] });
      try {
        expect(trainableParameters(classifier)).toBe(total);
        expect(trainableParameters(extractor)).toBe(features);
        expect(classifier.outputShape).toEqual([null, 1000]);
        expect(extractor.outputShape).toEqual([null, 7, 7, channels]);
        // Every convolution is bias-free; BatchNorm's moving statistics are not trainable.
        for (const layer of classifier.layers) {
          if (layer.getClassName() === 'Conv2D' || layer.getClassName() === 'DepthwiseConv2D') {
            expect(layer.getConfig().useBias, layer.name).toBe(false);
          }
          if (layer.getClassName() === 'BatchNormalization') {
            expect(layer.getConfig().epsilon).toBe(0.001);
            expect(layer.trainableWeights).toHaveLength(2);
          }
        }
      } finally {
        classifier.dispose();
        extractor.dispose();
      }
    },
  );

  it.each(['large', 'small'] as const)(
    '%s halves the resolution as torchvision: 224 → 112 → … → 7',
    (variant) => {
      const model = buildMobileNetV3Features({ variant, inputShape: [224, 224, 3] });
      try {
        const arch = mobileNetV3Architecture(variant);
        expect(model.getLayer('stem_hswish').outputShape).toEqual([null, 112, 112, 16]);
        let size = 112;
        arch.blocks.forEach((block, i) => {
          size = block.stride === 2 ? size / 2 : size;
          const name = block.residual ? `block${i + 1}_add` : `block${i + 1}_project_bn`;
          expect(model.getLayer(name).outputShape, name).toEqual([
            null,
            size,
            size,
            block.outputChannels,
          ]);
          expect(model.layers.some((l) => l.name === `block${i + 1}_expand_conv`)).toBe(
            block.expandedChannels !== block.inputChannels,
          );
          expect(model.layers.some((l) => l.name === `block${i + 1}_se`)).toBe(block.squeezeExcite);
        });
        expect(size).toBe(7);
        expect(model.layers.filter((l) => l instanceof SqueezeExcite)).toHaveLength(
          arch.blocks.filter((b) => b.squeezeExcite).length,
        );
      } finally {
        model.dispose();
      }
    },
  );

  it('pads stride-2 convolutions symmetrically, (k − 1) / 2 on each side, as PyTorch', () => {
    const model = buildMobileNetV3Features({
      variant: 'small',
      widthMultiplier: 0.25,
      inputShape: [4, 4, 1],
    });
    const stem = model.getLayer('stem_conv');
    // getWeights() hands out the variables' own tensors: never dispose them.
    const ones = tf.onesLike(stem.getWeights()[0]);
    stem.setWeights([ones]);
    ones.dispose();
    const probe = tf.model({ inputs: model.inputs, outputs: stem.output });
    const y = probe.predict(tf.ones([1, 4, 4, 1])) as tf.Tensor;
    // Output (0, 0) sees rows and columns −1..1 (4 ones), output (1, 1) sees 1..3 (9 ones);
    // tfjs's 'same' would have padded only the end, giving 9 and 4.
    const values = y.arraySync() as number[][][][];
    expect(values[0][0][0][0]).toBe(4);
    expect(values[0][0][1][0]).toBe(6);
    expect(values[0][1][1][0]).toBe(9);
    y.dispose();
    model.dispose();
  });
});

describe('buildMobileNetV3Classifier: forward passes on small configurations', () => {
  it.each([
    ['small', 0.25, [64, 64, 3], 10],
    ['large', 0.5, [96, 96, 3], 7],
    ['small', 0.5, [48, 80, 3], 3],
    ['large', 0.25, [224, 224, 3], 5],
  ] as const)(
    '%s ×%s at %j gives [B, classes]',
    (variant, widthMultiplier, inputShape, numClasses) => {
      const model = buildMobileNetV3Classifier({
        variant,
        widthMultiplier,
        inputShape: [...inputShape],
        numClasses,
        seed: 1,
      });
      const batch = inputShape[0] === 224 ? 1 : 2;
      const x = tf.randomUniform([batch, ...inputShape], -1, 1, 'float32', 3);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([batch, numClasses]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, y]);
      model.dispose();
    },
  );

  it('accepts any image size when H and W are null, and a softmax output', () => {
    const model = buildMobileNetV3Classifier({
      variant: 'small',
      widthMultiplier: 0.25,
      inputShape: [null, null, 3],
      numClasses: 4,
      outputActivation: 'softmax',
    });
    for (const size of [32, 40]) {
      const y = model.predict(tf.zeros([1, size, size, 3])) as tf.Tensor;
      expect(y.shape).toEqual([1, 4]);
      expect(tf.sum(y).dataSync()[0]).toBeCloseTo(1, 5);
      y.dispose();
    }
    model.dispose();
  });

  it('initialises reproducibly from a seed', () => {
    const build = (seed: number) =>
      buildMobileNetV3Classifier({
        variant: 'small',
        widthMultiplier: 0.25,
        inputShape: [32, 32, 3],
        numClasses: 3,
        seed,
      });
    const [a, b, c] = [build(5), build(5), build(6)];
    const first = (m: tf.LayersModel) =>
      Array.from(m.getLayer('block4_se').getWeights()[0].dataSync());
    expect(first(a)).toEqual(first(b));
    expect(first(a)).not.toEqual(first(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects bad options', () => {
    expect(() =>
      buildMobileNetV3Classifier({ variant: 'large', numClasses: 0, inputShape: [32, 32, 3] }),
    ).toThrow(
      "Argument 'options.numClasses' passed to 'buildMobileNetV3Classifier' must be an integer >= 1, but got 0.",
    );
    expect(() =>
      buildMobileNetV3Classifier({
        variant: 'tiny' as never,
        numClasses: 2,
        inputShape: [32, 32, 3],
      }),
    ).toThrow(
      "Argument 'options.variant' passed to 'buildMobileNetV3Classifier' must be one of 'large', " +
        "'small', but got 'tiny'.",
    );
    expect(() =>
      buildMobileNetV3Classifier({
        variant: 'small',
        numClasses: 2,
        inputShape: [32, 32] as never,
      }),
    ).toThrow(
      "Argument 'options.inputShape' passed to 'buildMobileNetV3Classifier' must be [H, W, C] of " +
        'positive integers (H and W may be null), but got [32, 32].',
    );
    expect(() => buildMobileNetV3Features(null as never)).toThrow(
      "Argument 'options' passed to 'buildMobileNetV3Features' must be an object, but got null.",
    );
  });
});

describe('buildMobileNetV3Classifier and buildMobileNetV3Features: failures', () => {
  it('check every option before building any layer: a rejected build leaves no tensor behind', () => {
    const base = { variant: 'small', inputShape: [32, 32, 3], widthMultiplier: 0.25 };
    const cases: [Record<string, unknown>, string][] = [
      [
        { variant: 'tiny' },
        "'options.variant' passed to 'FN' must be one of 'large', 'small', but got 'tiny'",
      ],
      [
        { widthMultiplier: -1 },
        "'options.widthMultiplier' passed to 'FN' must be a finite number > 0, but got -1",
      ],
      [
        { batchNormMomentum: 2 },
        "'options.batchNormMomentum' passed to 'FN' must be a finite number in [0, 1], but got 2",
      ],
      [{ inputShape: [32, 32, 0] }, "'options.inputShape' passed to 'FN' must be [H, W, C]"],
      [{ seed: 'x' }, "'options.seed' passed to 'FN' must be a safe integer, but got 'x'"],
      [{ name: '' }, "'options.name' passed to 'FN' must be a non-empty string, but got ''"],
    ];
    const classifierCases: [Record<string, unknown>, string][] = [
      [{ numClasses: 0 }, "'options.numClasses' passed to 'FN' must be an integer >= 1, but got 0"],
      [
        { dropout: -0.5 },
        "'options.dropout' passed to 'FN' must be a finite number in [0, 1), but got -0.5",
      ],
      [
        { outputActivation: 'relu' },
        "'options.outputActivation' passed to 'FN' must be one of 'linear', 'softmax', but got 'relu'",
      ],
    ];
    const builders: [string, (options: never) => tf.LayersModel, typeof cases][] = [
      ['buildMobileNetV3Features', buildMobileNetV3Features, cases],
      ['buildMobileNetV3Classifier', buildMobileNetV3Classifier, [...cases, ...classifierCases]],
    ];
    for (const [fn, build, invalidCases] of builders) {
      for (const [invalid, message] of invalidCases) {
        const before = tf.memory().numTensors;
        expect(() => build({ ...base, numClasses: 3, ...invalid } as never)).toThrow(
          `Argument ${message.replace('FN', fn)}`,
        );
        expect(tf.memory().numTensors, `${fn} ${JSON.stringify(invalid)}`).toBe(before);
      }
      expect(() => build(undefined as never)).toThrow(
        `Argument 'options' passed to '${fn}' must be an object, but got undefined.`,
      );
      const named = build({ ...base, numClasses: 3, name: `my_${fn}` } as never);
      expect(named.name).toBe(`my_${fn}`);
      named.dispose();
    }
  });
});

describe('buildMobileNetV3Classifier: serialisation', () => {
  it('round-trips through withSaveHandler → fromMemory and modelFromJSON with the same outputs', async () => {
    const model = buildMobileNetV3Classifier({
      variant: 'small',
      widthMultiplier: 0.25,
      inputShape: [64, 64, 3],
      numClasses: 5,
      seed: 2,
    });
    const artifacts = await saveToMemory(model);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const fromJson = await tf.models.modelFromJSON(
      artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
    );
    fromJson.setWeights(model.getWeights());
    try {
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(
        model.layers.map((l) => l.getClassName()),
      );
      expect(loaded.layers.some((l) => l instanceof HardSwish)).toBe(true);
      expect(loaded.layers.some((l) => l instanceof SqueezeExcite)).toBe(true);
      expect(trainableParameters(loaded)).toBe(trainableParameters(model));
      const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 4);
      const expected = Array.from((model.predict(x) as tf.Tensor).dataSync());
      expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(expected);
      expect(Array.from((fromJson.predict(x) as tf.Tensor).dataSync())).toEqual(expected);
    } finally {
      model.dispose();
      loaded.dispose();
      fromJson.dispose();
    }
  });
});

describe('batchNormMomentum', () => {
  it('sets the momentum of every BatchNorm layer of the backbone', () => {
    const model = buildMobileNetV3Features({
      variant: 'small',
      inputShape: [32, 32, 3],
      widthMultiplier: 0.25,
      batchNormMomentum: 0.9,
    });
    const momenta = model.layers
      .filter((layer) => layer.getClassName() === 'BatchNormalization')
      .map((layer) => layer.getConfig().momentum);
    expect(momenta.length).toBeGreaterThan(10);
    expect(new Set(momenta)).toEqual(new Set([0.9]));
    const standard = buildMobileNetV3Features({
      variant: 'small',
      inputShape: [32, 32, 3],
      widthMultiplier: 0.25,
    });
    expect(
      new Set(
        standard.layers
          .filter((layer) => layer.getClassName() === 'BatchNormalization')
          .map((layer) => layer.getConfig().momentum),
      ),
    ).toEqual(new Set([0.99]));
    model.dispose();
    standard.dispose();
  });
});
