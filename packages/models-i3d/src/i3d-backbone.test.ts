import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { BatchNormalization3D, GroupNormalization } from '@slr/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeValue } from '@slr/core';
import {
  applyI3DBackbone,
  buildI3DBackbone,
  type I3DBackboneOptions,
  I3D_INCEPTION_BLOCKS,
  i3dOutputLengths,
  i3dTemporalStrides,
  scaleChannels,
} from './index';

function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce(
    (sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b as number), 1),
    0,
  );
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('buildI3DBackbone', () => {
  it('has exactly the reference parameter counts (12,287,264; 12,697,264 with 400 logits)', () => {
    const cases: [Parameters<typeof buildI3DBackbone>[0], number, number][] = [
      // [options, trainable, non-trainable (moving mean and variance of every batch norm)]
      [{ inputShape: [16, 224, 224, 3] }, 12_287_264, 14_560],
      [{ inputShape: [16, 224, 224, 3], logitsClasses: 400 }, 12_697_264, 14_560],
      [
        { inputShape: [16, 224, 224, 3], logitsClasses: 400, logitsHead: 'pytorch-i3d' },
        12_697_264,
        14_560,
      ],
      [{ inputShape: [null, 112, 112, 3], temporalStride: 4 }, 12_287_264, 14_560],
      [{ inputShape: [16, 224, 224, 3], normalization: 'group' }, 12_287_264, 0],
      [{ inputShape: [32, 32, 32, 3], widthMultiplier: 1 / 8 }, 202_064, 1_832],
    ];
    for (const [options, trainable, nonTrainable] of cases) {
      const model = buildI3DBackbone(options);
      expect(trainableCount(model)).toBe(trainable);
      expect(model.countParams()).toBe(trainable + nonTrainable);
      model.dispose();
    }
  });

  it('lays out the Inception blocks with the reference widths and normalisation layers', () => {
    const model = buildI3DBackbone({ inputShape: [8, 64, 64, 3] });
    const widths = I3D_INCEPTION_BLOCKS.map(
      ({ name }) => model.getLayer(`${name}_concat`).outputShape[4],
    );
    expect(widths).toEqual([256, 480, 512, 512, 512, 528, 832, 832, 1024]);
    const convs = model.layers.filter((layer) => layer.getClassName() === 'Conv3D');
    expect(convs).toHaveLength(3 + 9 * 6);
    for (const conv of convs)
      expect(conv.getConfig()).toMatchObject({ useBias: false, padding: 'same' });
    expect(model.layers.filter((layer) => layer instanceof BatchNormalization3D)).toHaveLength(
      convs.length,
    );
    expect(model.getLayer('Conv3d_1a_7x7_bn').getConfig()).toMatchObject({
      momentum: 0.99,
      epsilon: 1e-3,
    });
    expect(model.getLayer('Conv3d_1a_7x7_conv').getConfig()).toMatchObject({
      kernelSize: [7, 7, 7],
      strides: [2, 2, 2],
    });
    expect(model.getLayer('MaxPool3d_4a_3x3').getConfig()).toMatchObject({
      poolSize: [3, 3, 3],
      strides: [2, 2, 2],
    });
    expect(model.getLayer('MaxPool3d_5a_2x2').getConfig()).toMatchObject({
      poolSize: [2, 2, 2],
      strides: [2, 2, 2],
    });
    model.dispose();
  });

  it('outputs [B, ⌈T/stride⌉, ⌈H/32⌉, ⌈W/32⌉, C] for several clip sizes, as its symbolic shape says', async () => {
    for (const temporalStride of [8, 4] as const) {
      const model = buildI3DBackbone({
        inputShape: [null, null, null, 3],
        widthMultiplier: 1 / 16,
        temporalStride,
      });
      for (const [batch, frames, height, width] of [
        [1, 8, 32, 32],
        [2, 9, 24, 40],
        [1, 17, 16, 16],
      ]) {
        const output = model.predict(
          tf.randomNormal([batch, frames, height, width, 3]),
        ) as tf.Tensor;
        const expected = [
          batch,
          Math.ceil(frames / temporalStride),
          Math.ceil(height / 32),
          Math.ceil(width / 32),
          64,
        ];
        expect(output.shape).toEqual(expected);
        expect((await output.data()).every(Number.isFinite)).toBe(true);
        output.dispose();
      }
      expect(model.outputs[0].shape).toEqual([null, null, null, null, 64]);
    }
    const fixed = buildI3DBackbone({ inputShape: [16, 224, 224, 3] });
    expect(fixed.outputs[0].shape).toEqual([null, 2, 7, 7, 1024]);
    fixed.dispose();
  });

  it("returns per-frame logits [B, T', classes] with logitsClasses", () => {
    const model = buildI3DBackbone({
      inputShape: [null, 32, 32, 3],
      widthMultiplier: 1 / 16,
      logitsClasses: 5,
    });
    expect(model.getLayer('Logits_conv').getConfig()).toMatchObject({
      useBias: true,
      filters: 5,
      kernelSize: [1, 1, 1],
    });
    const output = model.predict(tf.randomNormal([2, 12, 32, 32, 3])) as tf.Tensor;
    expect(output.shape).toEqual([2, 2, 5]);
    output.dispose();
  });

  it("with logitsHead 'pytorch-i3d' pools 2×7×7 without padding before the logits, as InceptionI3d", () => {
    const model = buildI3DBackbone({
      inputShape: [9, 193, 200, 3],
      widthMultiplier: 1 / 16,
      logitsClasses: 3,
      logitsHead: 'pytorch-i3d',
    });
    expect(model.layers.slice(-4).map((layer) => layer.name)).toEqual([
      'Logits_avg_pool',
      'Logits_dropout',
      'Logits_conv',
      'Logits_squeeze',
    ]);
    expect(model.getLayer('Logits_dropout').getConfig()).toMatchObject({ rate: 0.5 });
    const clip = tf.randomNormal([1, 9, 193, 200, 3]);
    const features = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer('Mixed_5c_concat').output,
    });
    const [kernel, bias] = model.getLayer('Logits_conv').getWeights();
    const [output, expected] = tf.tidy(() => {
      const mixed5c = features.predict(clip) as tf.Tensor5D; // [1, 2, 7, 7, C]
      expect(mixed5c.shape.slice(0, 4)).toEqual([1, 2, 7, 7]);
      // AvgPool3d([2, 7, 7], stride 1), then the 1×1×1 convolution: one frame, one pixel.
      const pooled = tf.avgPool3d(mixed5c, [2, 7, 7], [1, 1, 1], 'valid');
      const logits = tf.add(tf.conv3d(pooled, kernel as tf.Tensor5D, 1, 'valid'), bias);
      return [model.predict(clip) as tf.Tensor, tf.reshape(logits, [1, 1, 3])];
    });
    expect(output.shape).toEqual([1, 1, 3]);
    expect(Array.from(output.dataSync())).toEqual(
      Array.from(expected.dataSync()).map((value) => expect.closeTo(value, 5)),
    );
    tf.dispose([clip, output, expected]);
    model.dispose();
  });

  it("squeezes the pooled spatial axes as pytorch-i3d's x.squeeze(3).squeeze(3) does", () => {
    const shapes: [I3DBackboneOptions['inputShape'], (number | null)[]][] = [
      [
        [16, 224, 224, 3],
        [null, 1, 4],
      ],
      [
        [null, 193, 224, 3],
        [null, null, 4],
      ],
      [
        [9, 224, 256, 3],
        [null, 1, 2, 4],
      ], // H'' = 1 squeezed, W'' = 2 kept
      [
        [9, 256, 224, 3],
        [null, 1, 2, 1, 4],
      ], // H'' = 2: neither squeezed
    ];
    for (const [inputShape, outputShape] of shapes) {
      const model = buildI3DBackbone({
        inputShape,
        widthMultiplier: 1 / 16,
        logitsClasses: 4,
        logitsHead: 'pytorch-i3d',
      });
      expect(model.outputs[0].shape, JSON.stringify(inputShape)).toEqual(outputShape);
      model.dispose();
    }
  });

  it("uses GroupNormalization with normalization: 'group'", () => {
    const model = buildI3DBackbone({
      inputShape: [8, 32, 32, 3],
      widthMultiplier: 1 / 8,
      normalization: 'group',
      groups: 4,
    });
    const norms = model.layers.filter(
      (layer): layer is GroupNormalization => layer instanceof GroupNormalization,
    );
    expect(norms).toHaveLength(57);
    expect(model.layers.some((layer) => layer instanceof BatchNormalization3D)).toBe(false);
    for (const norm of norms) expect(norm.groups).toBeLessThanOrEqual(4);
    expect(norms.some((norm) => norm.groups === 4)).toBe(true);
    model.dispose();
  });

  it('rejects invalid options', () => {
    expect(() =>
      buildI3DBackbone({ inputShape: [8, 32, 32] as unknown as [number, number, number, number] }),
    ).toThrow(
      "Argument 'options.inputShape' passed to 'buildI3DBackbone' must be [T, H, W, C]: positive " +
        'integers, with null for a free T, H or W, but got [8, 32, 32].',
    );
    expect(() => buildI3DBackbone({ inputShape: [8, 32, 32, 3], widthMultiplier: 0 })).toThrow(
      "Argument 'options.widthMultiplier' passed to 'buildI3DBackbone' must be a finite number > 0, but got 0.",
    );
    expect(() => buildI3DBackbone({ inputShape: [8, 32, 32, 3], temporalStride: 2 as 4 })).toThrow(
      "Argument 'options.temporalStride' passed to 'buildI3DBackbone' must be one of 4, 8, but got 2.",
    );
    expect(() =>
      buildI3DBackbone({ inputShape: [8, 32, 32, 3], normalization: 'layer' as 'batch' }),
    ).toThrow(
      "Argument 'options.normalization' passed to 'buildI3DBackbone' must be one of 'batch', 'group', but got 'layer'.",
    );
    expect(() => buildI3DBackbone(null as never)).toThrow(
      "Argument 'options' passed to 'buildI3DBackbone' must be an object, but got null.",
    );
  });
});

describe('buildI3DBackbone and applyI3DBackbone: failures', () => {
  const BASE: I3DBackboneOptions = { inputShape: [8, 32, 32, 3], widthMultiplier: 1 / 8 };

  it('checks every option before building any layer: a rejected build leaves no tensor behind', () => {
    const cases: [Partial<Record<keyof I3DBackboneOptions, unknown>>, string][] = [
      [
        { logitsClasses: 0 },
        "'options.logitsClasses' passed to 'buildI3DBackbone' must be an integer >= 1, but got 0",
      ],
      [
        { logitsClasses: 2.5 },
        "'options.logitsClasses' passed to 'buildI3DBackbone' must be an integer >= 1, but got 2.5",
      ],
      [
        { widthMultiplier: Number.NaN },
        "'options.widthMultiplier' passed to 'buildI3DBackbone' must be a finite number > 0, but got NaN",
      ],
      [
        { minChannels: 0 },
        "'options.minChannels' passed to 'buildI3DBackbone' must be an integer >= 1, but got 0",
      ],
      [
        { normalization: 'group', groups: 0 },
        "'options.groups' passed to 'buildI3DBackbone' must be an integer >= 1, but got 0",
      ],
      [
        { batchNormMomentum: -1 },
        "'options.batchNormMomentum' passed to 'buildI3DBackbone' must be a finite number in [0, 1], but got -1",
      ],
      [
        { normEpsilon: -1 },
        "'options.normEpsilon' passed to 'buildI3DBackbone' must be a finite number > 0, but got -1",
      ],
      [
        { temporalStride: 16 },
        "'options.temporalStride' passed to 'buildI3DBackbone' must be one of 4, 8, but got 16",
      ],
      [
        { inputShape: [8, 32, 32, 0] },
        "'options.inputShape' passed to 'buildI3DBackbone' must be [T, H, W, C]",
      ],
      [
        { name: 5 },
        "'options.name' passed to 'buildI3DBackbone' must be a non-empty string, but got 5",
      ],
      [
        { logitsClasses: 4, logitsHead: 'kinetics' },
        "'options.logitsHead' passed to 'buildI3DBackbone' must be one of 'per-frame', " +
          "'pytorch-i3d', but got 'kinetics'",
      ],
      [
        { logitsClasses: 4, logitsHead: 'pytorch-i3d' },
        "'options.inputShape' passed to 'buildI3DBackbone' must have frames of known size, at least 193×193 pixels, " +
          "and at least 2 frames after the temporal stride with logitsHead 'pytorch-i3d' (its AvgPool3d([2, 7, 7]) " +
          'needs a 7×7 Mixed_5c map), but got [8, 32, 32, 3]',
      ],
      [
        { logitsClasses: 4, logitsHead: 'pytorch-i3d', inputShape: [null, 224, null, 3] },
        "'options.inputShape' passed to 'buildI3DBackbone' must have frames of known size",
      ],
      [
        { logitsClasses: 4, logitsHead: 'pytorch-i3d', inputShape: [8, 224, 224, 3] },
        "'options.inputShape' passed to 'buildI3DBackbone' must have frames of known size, at least 193×193 pixels, " +
          'and at least 2 frames after the temporal stride',
      ],
    ];
    for (const [invalid, message] of cases) {
      const before = tf.memory().numTensors;
      expect(() => buildI3DBackbone({ ...BASE, ...invalid } as I3DBackboneOptions)).toThrow(
        `Argument ${message}`,
      );
      expect(tf.memory().numTensors, JSON.stringify(invalid)).toBe(before);
    }
    for (const options of [undefined, null, 'x']) {
      expect(() => buildI3DBackbone(options as never)).toThrow(
        `Argument 'options' passed to 'buildI3DBackbone' must be an object, but got ${describeValue(options)}.`,
      );
    }
  });

  it('applyI3DBackbone checks its input', () => {
    expect(() => applyI3DBackbone(null as never, BASE)).toThrow(
      "Argument 'input' passed to 'applyI3DBackbone' must be a symbolic tensor [B, T, H, W, C], but got null.",
    );
    expect(() => applyI3DBackbone(tf.input({ shape: [32, 32, 3] }), BASE)).toThrow(
      "Argument 'input' passed to 'applyI3DBackbone' must be a symbolic tensor [B, T, H, W, C], but got " +
        'shape [null, 32, 32, 3].',
    );
  });

  it('takes a model name', () => {
    const model = buildI3DBackbone({ ...BASE, name: 'my_backbone' });
    expect(model.name).toBe('my_backbone');
    model.dispose();
  });
});

describe('scaleChannels and output lengths', () => {
  it('scales channel counts with a floor', () => {
    expect([64, 192, 16, 1024].map((c) => scaleChannels(c, 1))).toEqual([64, 192, 16, 1024]);
    expect([64, 192, 16, 1024].map((c) => scaleChannels(c, 1 / 8))).toEqual([8, 24, 4, 128]);
    expect(scaleChannels(16, 1 / 8, 8)).toBe(8);
  });

  it('follows the strided layers', () => {
    expect(i3dTemporalStrides(8)).toEqual([2, 2, 2]);
    expect(i3dTemporalStrides(4)).toEqual([2, 2, 1]);
    expect(i3dOutputLengths([32, 27, 9, 1, 0], 4)).toEqual([8, 7, 3, 1, 0]);
    expect(() => i3dOutputLengths([2.5])).toThrow(
      "Argument 'inputLengths[0]' passed to 'i3dOutputLengths' must be an integer >= 0, but got 2.5.",
    );
    // Every form of Lengths.
    const lengths = tf.tensor1d([32, 27], 'int32');
    expect(i3dOutputLengths(lengths, 4)).toEqual([8, 7]);
    expect(i3dOutputLengths(new Int32Array([32, 27]), 4)).toEqual([8, 7]);
    lengths.dispose();
  });

  test.prop([fc.array(fc.nat(10_000), { maxLength: 8 }), fc.constantFrom(4 as const, 8 as const)])(
    'is ⌈L / stride⌉ for every length',
    (lengths, stride) => {
      expect(i3dOutputLengths(lengths, stride)).toEqual(
        lengths.map((length) => Math.ceil(length / stride)),
      );
    },
  );
});
