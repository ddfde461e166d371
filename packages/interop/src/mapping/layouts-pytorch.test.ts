/**
 * Each layout against PyTorch's own module (`/usr/bin/python3` with torch, run at test time):
 * `nn.Conv3d`, `nn.Conv2d` (dense and depthwise), `nn.Conv1d`, `nn.Linear`, `nn.BatchNorm2d` in
 * eval mode with random running statistics, torchvision's `SqueezeExcitation`, `nn.LSTM` (its
 * two biases) and `nn.MultiheadAttention` (its packed input projection), with random weights:
 * their state dicts, converted by the layout into the matching tfjs layer, give PyTorch's
 * outputs for random inputs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CrossAttention, SqueezeExcite } from '@slr/layers';
import { describeRequiring, PYTHON_PATH } from '@slr/test-utils';
import { readSafetensors } from '../index';
import { weightsByName } from './groups';
import {
  ATTENTION_IN_PROJECTION,
  CONV1D,
  CONV1X1_AS_MATRIX,
  CONV2D,
  CONV3D,
  DEPTHWISE2D,
  LINEAR,
  LSTM,
  SAME,
  type HostTensor,
  type Layout,
} from './layouts';

const SCRIPT = fileURLToPath(new URL('../../test-fixtures/torch_parity.py', import.meta.url));

/** A tfjs layer standing for one PyTorch module, and how the module's tensors map onto it. */
interface LayerCase {
  /** The layer, and its inputs' shapes without the batch (channels-last). */
  layer: () => tf.layers.Layer;
  /** PyTorch keys, tfjs weight names and the layout between them. */
  groups: [keys: string[], weights: string[], layout: Layout][];
  /** PyTorch's layout → tfjs's, for inputs; its inverse is applied to the output. */
  channelsLast?: number[];
}

const one = (key: string, weight: string, layout: Layout): [string[], string[], Layout] => [
  [key],
  [weight],
  layout,
];

const CASES: Record<string, LayerCase> = {
  conv3d: {
    layer: () => tf.layers.conv3d({ filters: 5, kernelSize: [3, 2, 4] }),
    groups: [one('weight', 'kernel', CONV3D), one('bias', 'bias', SAME)],
    channelsLast: [0, 2, 3, 4, 1],
  },
  conv2d: {
    layer: () => tf.layers.conv2d({ filters: 4, kernelSize: [3, 2] }),
    groups: [one('weight', 'kernel', CONV2D), one('bias', 'bias', SAME)],
    channelsLast: [0, 2, 3, 1],
  },
  depthwise2d: {
    layer: () => tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }),
    groups: [one('weight', 'depthwise_kernel', DEPTHWISE2D), one('bias', 'bias', SAME)],
    channelsLast: [0, 2, 3, 1],
  },
  conv1d: {
    layer: () => tf.layers.conv1d({ filters: 5, kernelSize: 3 }),
    groups: [one('weight', 'kernel', CONV1D), one('bias', 'bias', SAME)],
    channelsLast: [0, 2, 1],
  },
  linear: {
    layer: () => tf.layers.dense({ units: 4 }),
    groups: [one('weight', 'kernel', LINEAR), one('bias', 'bias', SAME)],
  },
  batchnorm: {
    layer: () => tf.layers.batchNormalization({ epsilon: 1e-3 }),
    groups: [
      one('weight', 'gamma', SAME),
      one('bias', 'beta', SAME),
      one('running_mean', 'moving_mean', SAME),
      one('running_var', 'moving_variance', SAME),
    ],
    channelsLast: [0, 2, 3, 1],
  },
  squeeze_excite: {
    layer: () => new SqueezeExcite({ squeezeChannels: 4 }),
    groups: [
      one('fc1.weight', 'reduce_kernel', CONV1X1_AS_MATRIX),
      one('fc1.bias', 'reduce_bias', SAME),
      one('fc2.weight', 'expand_kernel', CONV1X1_AS_MATRIX),
      one('fc2.bias', 'expand_bias', SAME),
    ],
    channelsLast: [0, 2, 3, 1],
  },
  lstm: {
    // nn.LSTM's gates are sigmoids (tfjs's default recurrent activation is the hard sigmoid).
    layer: () =>
      tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }),
    groups: [
      [
        ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'],
        ['kernel', 'recurrent_kernel', 'bias'],
        LSTM,
      ],
    ],
  },
  attention: {
    // nn.MultiheadAttention(8, 2): heads of 4, no residual connection.
    layer: () => new CrossAttention({ numHeads: 2, keyDim: 4, residual: false }),
    groups: [
      [
        ['in_proj_weight', 'in_proj_bias'],
        ['query_kernel', 'key_kernel', 'value_kernel', 'query_bias', 'key_bias', 'value_bias'],
        ATTENTION_IN_PROJECTION,
      ],
      one('out_proj.weight', 'output_kernel', LINEAR),
      one('out_proj.bias', 'output_bias', SAME),
    ],
  },
};

let dir: string;
let manifest: Record<string, { inputs: number[][]; output: number[] }>;

function readTensor(path: string, shape: number[]): tf.Tensor {
  const bytes = readFileSync(path);
  return tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), shape);
}

describeRequiring('pytorch', "layouts against PyTorch's modules", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'slr-interop-layouts-'));
    manifest = JSON.parse(
      execFileSync(PYTHON_PATH, [SCRIPT, 'layers', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as typeof manifest;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, layerCase] of Object.entries(CASES)) {
    it(`${name}: the converted weights give PyTorch's output`, () => {
      const { inputs: inputShapes, output: outputShape } = manifest[name];
      const perm = layerCase.channelsLast;
      const inputs = inputShapes.map((shape, i) => {
        const x = readTensor(join(dir, `${name}.input${i}.bin`), shape);
        return perm === undefined ? x : tf.transpose(x, perm);
      });
      const symbolic = inputs.map((x) => tf.input({ shape: x.shape.slice(1) }));
      const layer = layerCase.layer();
      const model = tf.model({
        inputs: symbolic,
        outputs: layer.apply(symbolic.length === 1 ? symbolic[0] : symbolic) as tf.SymbolicTensor,
      });
      const tensors = readSafetensors(readFileSync(join(dir, `${name}.safetensors`))).tensors;
      const weights = weightsByName(layer);
      const assigned = new Set<string>();
      for (const [keys, names, layout] of layerCase.groups) {
        const variables = names.map((weightName) => weights.get(weightName)!);
        const shapes = variables.map((variable) => variable.shape as number[]);
        const torch = keys.map((key) => tensors.get(key)! as HostTensor);
        expect(torch.map((t) => t.shape)).toEqual(layout.torchShapes(shapes));
        layout.toTfjs(torch, shapes).forEach((value, i) => {
          const tensor = tf.tensor(value.data, [...value.shape]);
          variables[i].write(tensor);
          tensor.dispose();
          assigned.add(names[i]);
        });
        for (const key of keys) tensors.delete(key);
      }
      expect([...tensors.keys()], 'PyTorch tensors left over').toEqual([]);
      expect([...weights.keys()].filter((weightName) => !assigned.has(weightName))).toEqual([]);

      const output = model.predict(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor;
      const inverse = perm?.map((_, i) => perm.indexOf(i));
      const actual = inverse === undefined ? output : tf.transpose(output, inverse);
      const expected = readTensor(join(dir, `${name}.output.bin`), outputShape);
      expect(actual.shape).toEqual(outputShape);
      const error = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0];
      const scale = Math.max(1, tf.max(tf.abs(expected)).dataSync()[0]);
      expect(error, name).toBeLessThanOrEqual(1e-5 * scale);
      tf.dispose([...inputs, output, actual, expected]);
      model.dispose();
    });
  }
});
