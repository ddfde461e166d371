/**
 * How PyTorch lays out each kind of weight, and how tfjs does: the conversions between a group
 * of PyTorch tensors (a state dict's entries) and the tfjs weights they become. Each layout is
 * explicit (no guessing from shapes) and goes both ways.
 *
 * @internal
 * @packageDocumentation
 */

/** A tensor's values on the host, row-major: what the files hold and tfjs weights are made of. */
export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * A conversion between PyTorch tensors and tfjs weights: `torchShapes` tells from the tfjs
 * weights' shapes which PyTorch shapes they take (checked before anything is converted),
 * `toTfjs` and `toTorch` convert the values. Both return new arrays: the inputs are not changed.
 */
export interface Layout {
  /** The layout in words, for error messages: "OIDHW (a Conv3d weight), DHWIO in tfjs". */
  readonly description: string;
  /** The PyTorch shapes, in the group's key order, for tfjs weights of `shapes`. */
  torchShapes(shapes: readonly (readonly number[])[]): number[][];
  /** The tfjs values, in the group's weight order, from the PyTorch tensors (of the checked shapes). */
  toTfjs(tensors: readonly HostTensor[], shapes: readonly (readonly number[])[]): HostTensor[];
  /** The PyTorch tensors, in the group's key order, from the tfjs values. */
  toTorch(values: readonly HostTensor[]): HostTensor[];
}

/** Inverse of a permutation: `inverse(p)[p[i]] = i`. */
function inverse(permutation: readonly number[]): number[] {
  const out = new Array<number>(permutation.length);
  permutation.forEach((axis, i) => (out[axis] = i));
  return out;
}

/**
 * `x` with its axes permuted as NumPy's `x.transpose(permutation)`: output axis i is input
 * axis `permutation[i]`. Walks the output in order, the input by strides.
 */
export function permute(x: HostTensor, permutation: readonly number[]): HostTensor {
  const rank = x.shape.length;
  const shape = permutation.map((axis) => x.shape[axis]);
  const inputStrides = new Array<number>(rank);
  for (let axis = rank - 1, stride = 1; axis >= 0; axis--) {
    inputStrides[axis] = stride;
    stride *= x.shape[axis];
  }
  const strides = permutation.map((axis) => inputStrides[axis]);
  const data = new Float32Array(x.data.length);
  if (data.length === 0) return { shape, data };
  if (rank === 0) {
    data[0] = x.data[0];
    return { shape, data };
  }
  const last = rank - 1;
  const inner = shape[last];
  const innerStride = strides[last];
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let out = 0; out < data.length; out += inner) {
    for (let i = 0, from = source; i < inner; i++, from += innerStride)
      data[out + i] = x.data[from];
    // Advance the odometer over the outer axes.
    for (let axis = last - 1; axis >= 0; axis--) {
      index[axis]++;
      source += strides[axis];
      if (index[axis] < shape[axis]) break;
      source -= strides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return { shape, data };
}

/** `x` with another shape of as many values (a copy). */
function reshaped(x: HostTensor, shape: readonly number[]): HostTensor {
  return { shape: [...shape], data: new Float32Array(x.data) };
}

/** A one-to-one layout: the PyTorch tensor is the tfjs weight transposed by `toTfjs`. */
function transposed(description: string, toTfjs: readonly number[]): Layout {
  const toTorch = inverse(toTfjs);
  return {
    description,
    torchShapes: ([shape]) => [toTorch.map((axis) => shape[axis])],
    toTfjs: ([tensor]) => [permute(tensor, toTfjs)],
    toTorch: ([value]) => [permute(value, toTorch)],
  };
}

/** The same values in the same shape: biases, BatchNorm's weight, bias and running statistics. */
export const SAME: Layout = {
  description: 'the same shape in PyTorch and tfjs',
  torchShapes: ([shape]) => [[...shape]],
  toTfjs: ([tensor]) => [reshaped(tensor, tensor.shape)],
  toTorch: ([value]) => [reshaped(value, value.shape)],
};

/** `nn.Conv3d` weight `[O, I, D, H, W]` ↔ tfjs `conv3d` kernel `[D, H, W, I, O]`. */
export const CONV3D: Layout = transposed('OIDHW (a Conv3d weight), DHWIO in tfjs', [2, 3, 4, 1, 0]);

/** `nn.Conv2d` weight `[O, I, H, W]` ↔ tfjs `conv2d` kernel `[H, W, I, O]`. */
export const CONV2D: Layout = transposed('OIHW (a Conv2d weight), HWIO in tfjs', [2, 3, 1, 0]);

/** `nn.Conv1d` weight `[O, I, K]` ↔ tfjs `conv1d` kernel `[K, I, O]`. */
export const CONV1D: Layout = transposed('OIK (a Conv1d weight), KIO in tfjs', [2, 1, 0]);

/** `nn.Linear` weight `[out, in]` ↔ tfjs `dense` kernel `[in, out]`. */
export const LINEAR: Layout = transposed('[out, in] (a Linear weight), [in, out] in tfjs', [1, 0]);

/**
 * Depthwise `nn.Conv2d` (`groups = C`) weight `[C·M, 1, H, W]` ↔ tfjs `depthwiseConv2d` kernel
 * `[H, W, C, M]` (M the depth multiplier): PyTorch's output channel `c·M + m` is tfjs's
 * `[c, m]`.
 */
export const DEPTHWISE2D: Layout = {
  description: '[C·M, 1, H, W] (a depthwise Conv2d weight), [H, W, C, M] in tfjs',
  torchShapes: ([[h, w, c, m]]) => [[c * m, 1, h, w]],
  toTfjs: ([tensor], [shape]) => [{ ...permute(tensor, [2, 3, 0, 1]), shape: [...shape] }],
  toTorch: ([value]) => {
    const [h, w, c, m] = value.shape;
    return [permute({ shape: [h, w, c * m, 1], data: value.data }, [2, 3, 0, 1])];
  },
};

/**
 * A 1×1 `nn.Conv2d` weight `[out, in, 1, 1]` ↔ a matrix `[in, out]` (torchvision's
 * `SqueezeExcitation` `fc1`/`fc2` ↔ `SqueezeExcite`'s `reduce_kernel`/`expand_kernel`).
 */
export const CONV1X1_AS_MATRIX: Layout = {
  description: '[out, in, 1, 1] (a 1×1 Conv2d weight), [in, out] in tfjs',
  torchShapes: ([[inputs, outputs]]) => [[outputs, inputs, 1, 1]],
  toTfjs: ([tensor]) => {
    const [outputs, inputs] = tensor.shape;
    return [permute({ shape: [outputs, inputs], data: tensor.data }, [1, 0])];
  },
  toTorch: ([value]) => {
    const [inputs, outputs] = value.shape;
    return [{ ...permute(value, [1, 0]), shape: [outputs, inputs, 1, 1] }];
  },
};

/** Element-wise `a + b` of two tensors of one shape. */
function sum(a: HostTensor, b: HostTensor): HostTensor {
  return { shape: [...a.shape], data: a.data.map((value, i) => value + b.data[i]) };
}

/**
 * One direction of one layer of `nn.LSTM`: `weight_ih` `[4H, D]`, `weight_hh` `[4H, H]`,
 * `bias_ih` `[4H]`, `bias_hh` `[4H]` ↔ a tfjs `lstm`'s `kernel` `[D, 4H]`, `recurrent_kernel`
 * `[H, 4H]`, `bias` `[4H]`. Both stack the gates in the same order (PyTorch's i, f, g, o is
 * tfjs's i, f, c, o), so the kernels are transposes; tfjs has one bias where PyTorch adds two:
 * loading sums them, saving writes the bias as `bias_ih` and zeros as `bias_hh`.
 */
export const LSTM: Layout = {
  description:
    "nn.LSTM's weight_ih [4H, D], weight_hh [4H, H], bias_ih and bias_hh [4H] (gates i, f, g, o), " +
    'kernel [D, 4H], recurrent_kernel [H, 4H] and one bias [4H] in tfjs (gates i, f, c, o)',
  torchShapes: ([kernel, recurrent, bias]) => [
    [kernel[1], kernel[0]],
    [recurrent[1], recurrent[0]],
    [...bias],
    [...bias],
  ],
  toTfjs: ([weightIh, weightHh, biasIh, biasHh]) => [
    permute(weightIh, [1, 0]),
    permute(weightHh, [1, 0]),
    sum(biasIh, biasHh),
  ],
  toTorch: ([kernel, recurrent, bias]) => [
    permute(kernel, [1, 0]),
    permute(recurrent, [1, 0]),
    reshaped(bias, bias.shape),
    { shape: [...bias.shape], data: new Float32Array(bias.data.length) },
  ],
};

/**
 * An LSTM direction with one bias (`weight_ih`, `weight_hh`, `bias`, as tfjs has it) ↔ a tfjs
 * `lstm`'s `kernel`, `recurrent_kernel`, `bias`: the kernels transposed, the bias as it is.
 */
export const LSTM_ONE_BIAS: Layout = {
  description:
    'weight_ih [4H, D], weight_hh [4H, H] and bias [4H] (gates i, f, g, o), kernel [D, 4H], ' +
    'recurrent_kernel [H, 4H] and bias [4H] in tfjs (gates i, f, c, o)',
  torchShapes: ([kernel, recurrent, bias]) => [
    [kernel[1], kernel[0]],
    [recurrent[1], recurrent[0]],
    [...bias],
  ],
  toTfjs: ([weightIh, weightHh, bias]) => [
    permute(weightIh, [1, 0]),
    permute(weightHh, [1, 0]),
    reshaped(bias, bias.shape),
  ],
  toTorch: ([kernel, recurrent, bias]) => [
    permute(kernel, [1, 0]),
    permute(recurrent, [1, 0]),
    reshaped(bias, bias.shape),
  ],
};

/** Rows `[start, start + count)` of a tensor (along its first axis). */
function rows(x: HostTensor, start: number, count: number): HostTensor {
  const size = x.data.length / x.shape[0];
  return {
    shape: [count, ...x.shape.slice(1)],
    data: x.data.slice(start * size, (start + count) * size),
  };
}

/** Tensors stacked along their first axis. */
function stackRows(parts: readonly HostTensor[]): HostTensor {
  const data = new Float32Array(parts.reduce((n, part) => n + part.data.length, 0));
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  const first = parts.reduce((n, part) => n + part.shape[0], 0);
  return { shape: [first, ...parts[0].shape.slice(1)], data };
}

/**
 * `nn.MultiheadAttention`'s packed input projection (`in_proj_weight` `[3E, E]`,
 * `in_proj_bias` `[3E]`: queries, keys, values stacked) ↔ `CrossAttention`'s `query_kernel`,
 * `key_kernel`, `value_kernel` `[E, E]` and `query_bias`, `key_bias`, `value_bias` `[E]`. Both
 * split heads the same way (head h is features h·d to (h+1)·d), so each block is a transpose.
 */
export const ATTENTION_IN_PROJECTION: Layout = {
  description:
    "nn.MultiheadAttention's in_proj_weight [3E, E] and in_proj_bias [3E] (queries, keys, values), " +
    'query_kernel, key_kernel, value_kernel [E, E] and their biases [E] in tfjs',
  torchShapes: ([query, key, value, queryBias]) => [
    [query[1] + key[1] + value[1], query[0]],
    [3 * queryBias[0]],
  ],
  toTfjs: ([weight, bias]) => {
    const e = weight.shape[0] / 3;
    return [
      ...[0, 1, 2].map((block) => permute(rows(weight, block * e, e), [1, 0])),
      ...[0, 1, 2].map((block) => rows(bias, block * e, e)),
    ];
  },
  toTorch: ([query, key, value, queryBias, keyBias, valueBias]) => [
    stackRows([query, key, value].map((kernel) => permute(kernel, [1, 0]))),
    stackRows([queryBias, keyBias, valueBias]),
  ],
};
