/**
 * Each layout conversion, one by one, element by element: the PyTorch index every tfjs element
 * comes from, the PyTorch shapes told from tfjs shapes, and the round trip back to PyTorch.
 * (Their agreement with PyTorch's own modules is in `layouts-pytorch.test.ts`.)
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  ATTENTION_IN_PROJECTION,
  CONV1D,
  CONV1X1_AS_MATRIX,
  CONV2D,
  CONV3D,
  DEPTHWISE2D,
  LINEAR,
  LSTM,
  LSTM_ONE_BIAS,
  permute,
  SAME,
  type HostTensor,
  type Layout,
} from './layouts';

/** A tensor whose every value is distinct: its flat index plus `offset`. */
function numbered(shape: number[], offset = 0): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: size }, (_, i) => i + offset) };
}

/** The value at `index` (row-major). */
function at(x: HostTensor, index: number[]): number {
  let flat = 0;
  index.forEach((i, axis) => (flat = flat * x.shape[axis] + i));
  return x.data[flat];
}

/** Every index of `shape`, row-major. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const size = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < size; flat++) {
    const index = new Array<number>(shape.length);
    let rest = flat;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = rest % shape[axis];
      rest = Math.floor(rest / shape[axis]);
    }
    yield index;
  }
}

/**
 * Checks a one-to-one layout for a tfjs weight of `tfShape`: `torchShapes`, then that tfjs
 * element `index` is PyTorch element `source(index)`, then that `toTorch` gives the PyTorch
 * tensor back.
 */
function checkOneToOne(
  layout: Layout,
  tfShape: number[],
  torchShape: number[],
  source: (index: number[]) => number[],
): void {
  expect(layout.torchShapes([tfShape])).toEqual([torchShape]);
  const torch = numbered(torchShape);
  const [tfValue] = layout.toTfjs([torch], [tfShape]);
  expect(tfValue.shape).toEqual(tfShape);
  for (const index of indices(tfShape)) expect(at(tfValue, index)).toBe(at(torch, source(index)));
  const [back] = layout.toTorch([tfValue]);
  expect(back.shape).toEqual(torchShape);
  expect(Array.from(back.data)).toEqual(Array.from(torch.data));
  expect(back.data).not.toBe(torch.data); // a copy: the file's values are never aliased
}

describe('permute', () => {
  test.prop([
    fc
      .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 })
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.shuffledSubarray([...shape.keys()], { minLength: shape.length }),
        ),
      ),
  ])('moves every element to where NumPy’s transpose does', ([shape, permutation]) => {
    const x = numbered(shape);
    const y = permute(x, permutation);
    expect(y.shape).toEqual(permutation.map((axis) => shape[axis]));
    for (const index of indices(y.shape)) {
      const from = new Array<number>(shape.length);
      permutation.forEach((axis, i) => (from[axis] = index[i]));
      expect(at(y, index)).toBe(at(x, from));
    }
  });

  it('handles scalars and empty tensors', () => {
    expect(permute({ shape: [], data: new Float32Array([7]) }, [])).toEqual({
      shape: [],
      data: new Float32Array([7]),
    });
    expect(permute({ shape: [0, 3], data: new Float32Array(0) }, [1, 0]).shape).toEqual([3, 0]);
  });
});

describe('layouts, one by one', () => {
  it('SAME: biases, BatchNorm weight, bias, running_mean, running_var', () => {
    checkOneToOne(SAME, [5], [5], (index) => index);
  });

  it('CONV3D: Conv3d OIDHW → conv3d DHWIO', () => {
    checkOneToOne(CONV3D, [2, 3, 4, 5, 6], [6, 5, 2, 3, 4], ([d, h, w, i, o]) => [o, i, d, h, w]);
  });

  it('CONV2D: Conv2d OIHW → conv2d HWIO', () => {
    checkOneToOne(CONV2D, [3, 2, 5, 4], [4, 5, 3, 2], ([h, w, i, o]) => [o, i, h, w]);
  });

  it('CONV1D: Conv1d OIK → conv1d KIO', () => {
    checkOneToOne(CONV1D, [5, 3, 4], [4, 3, 5], ([k, i, o]) => [o, i, k]);
  });

  it('LINEAR: Linear [out, in] → dense [in, out]', () => {
    checkOneToOne(LINEAR, [3, 7], [7, 3], ([i, o]) => [o, i]);
  });

  it('DEPTHWISE2D: depthwise Conv2d [C·M, 1, H, W] → depthwiseConv2d [H, W, C, M]', () => {
    // PyTorch's output channel c·M + m of group c is tfjs's [c, m].
    checkOneToOne(DEPTHWISE2D, [3, 2, 4, 2], [8, 1, 3, 2], ([h, w, c, m]) => [c * 2 + m, 0, h, w]);
    checkOneToOne(DEPTHWISE2D, [5, 5, 6, 1], [6, 1, 5, 5], ([h, w, c]) => [c, 0, h, w]);
  });

  it('CONV1X1_AS_MATRIX: 1×1 Conv2d [out, in, 1, 1] → matrix [in, out] (squeeze-excite)', () => {
    checkOneToOne(CONV1X1_AS_MATRIX, [6, 2], [2, 6, 1, 1], ([i, o]) => [o, i, 0, 0]);
  });

  it("LSTM: nn.LSTM's two kernels transposed, gates in the same order, its two biases summed", () => {
    const [d, h] = [3, 2];
    const tfShapes = [[d, 4 * h], [h, 4 * h], [4 * h]];
    expect(LSTM.torchShapes(tfShapes)).toEqual([[4 * h, d], [4 * h, h], [4 * h], [4 * h]]);
    const torch = [
      numbered([4 * h, d]),
      numbered([4 * h, h], 100),
      numbered([4 * h], 1000),
      numbered([4 * h], 0.5),
    ];
    const [kernel, recurrent, bias] = LSTM.toTfjs(torch, tfShapes);
    for (const [i, g] of indices([d, 4 * h])) expect(at(kernel, [i, g])).toBe(at(torch[0], [g, i]));
    for (const [i, g] of indices([h, 4 * h]))
      expect(at(recurrent, [i, g])).toBe(at(torch[1], [g, i]));
    expect(Array.from(bias.data)).toEqual(
      Array.from({ length: 4 * h }, (_, g) => 1000 + g + 0.5 + g),
    );
    // Saving: tfjs's one bias as bias_ih, zeros as bias_hh (their sum is the bias).
    const back = LSTM.toTorch([kernel, recurrent, bias]);
    expect(back.map((t) => t.shape)).toEqual([[4 * h, d], [4 * h, h], [4 * h], [4 * h]]);
    expect(Array.from(back[0].data)).toEqual(Array.from(torch[0].data));
    expect(Array.from(back[1].data)).toEqual(Array.from(torch[1].data));
    expect(Array.from(back[2].data)).toEqual(Array.from(bias.data));
    expect(Array.from(back[3].data)).toEqual(new Array(4 * h).fill(0));
  });

  it('LSTM_ONE_BIAS: kernels transposed, the one bias as it is', () => {
    const tfShapes = [[3, 8], [2, 8], [8]];
    expect(LSTM_ONE_BIAS.torchShapes(tfShapes)).toEqual([[8, 3], [8, 2], [8]]);
    const torch = [numbered([8, 3]), numbered([8, 2], 100), numbered([8], 1000)];
    const tfValues = LSTM_ONE_BIAS.toTfjs(torch, tfShapes);
    expect(tfValues.map((t) => t.shape)).toEqual(tfShapes);
    expect(at(tfValues[0], [2, 5])).toBe(at(torch[0], [5, 2]));
    const back = LSTM_ONE_BIAS.toTorch(tfValues);
    back.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(torch[i].data)));
  });

  it("ATTENTION_IN_PROJECTION: nn.MultiheadAttention's packed in_proj → query, key, value kernels and biases", () => {
    const e = 4;
    const tfShapes = [[e, e], [e, e], [e, e], [e], [e], [e]];
    expect(ATTENTION_IN_PROJECTION.torchShapes(tfShapes)).toEqual([[3 * e, e], [3 * e]]);
    const torch = [numbered([3 * e, e]), numbered([3 * e], 1000)];
    const tfValues = ATTENTION_IN_PROJECTION.toTfjs(torch, tfShapes);
    expect(tfValues.map((t) => t.shape)).toEqual(tfShapes);
    for (let block = 0; block < 3; block++) {
      for (const [i, o] of indices([e, e]))
        expect(at(tfValues[block], [i, o])).toBe(at(torch[0], [block * e + o, i]));
      expect(Array.from(tfValues[3 + block].data)).toEqual(
        Array.from(torch[1].data.slice(block * e, (block + 1) * e)),
      );
    }
    const back = ATTENTION_IN_PROJECTION.toTorch(tfValues);
    back.forEach((t, i) => {
      expect(t.shape).toEqual(torch[i].shape);
      expect(Array.from(t.data)).toEqual(Array.from(torch[i].data));
    });
  });
});
