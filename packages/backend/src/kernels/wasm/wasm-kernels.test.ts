import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { loadWasmKernels } from '../../index';
import { replacedCpuKernel } from '../cpu/replacements';
import { registerFastCpuKernels, unregisterFastCpuKernels } from '../fast-cpu-kernels';
import { wasmKernelsSync } from './runtime';
import { WASM_KERNELS } from './wasm-kernels';

/** Values on a 1/64 grid in [-2, 2]: exact in float32, so sums depend little on their order. */
function randomValues(size: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = ((state >>> 8) % 257) / 64 - 2;
  }
  return values;
}

function random(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

/** Equal up to float32 rounding; NaN where NaN, infinities of the same sign. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        expect.fail(`element ${i}: ${a} vs ${e}`);
      }
      continue;
    }
    const tolerance = 1e-5 * Math.abs(e) + 1e-5;
    if (!(Math.abs(a - e) <= tolerance)) expect.fail(`element ${i}: ${a} vs ${e}`);
  }
}

type Backend = {
  readSync(id: tf.DataId): tf.BackendValues;
  disposeData(id: tf.DataId): void;
};

/** Runs tfjs's own `cpu` kernel (the one replaced). */
function runReplaced(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): { shape: number[]; values: Float32Array } {
  const original = replacedCpuKernel(kernelName);
  expect(original, kernelName).toBeTypeOf('function');
  const backend = tf.backend() as unknown as Backend;
  const info = original!({
    inputs,
    backend: tf.backend(),
    attrs,
  } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const values = Float32Array.from(backend.readSync(info.dataId) as Float32Array);
  backend.disposeData(info.dataId);
  return { shape: info.shape, values };
}

/** Runs the kernel registered now (the replacement) through the engine. */
function runRegistered(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): { shape: number[]; values: Float32Array } {
  const result = tf.engine().runKernel<tf.Tensor>(kernelName, inputs, attrs as tf.NamedAttrMap);
  const values = result.dataSync() as Float32Array;
  const shape = result.shape;
  result.dispose();
  return { shape, values };
}

function expectSameAsTfjs(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): void {
  const expected = runReplaced(kernelName, inputs, attrs);
  const actual = runRegistered(kernelName, inputs, attrs);
  expect(actual.shape).toEqual(expected.shape);
  expectClose(actual.values, expected.values);
}

beforeAll(async () => {
  expect(await loadWasmKernels()).toBe(true);
  // The sources' kernels, in place of the built ones the shared test set-up registered.
  unregisterFastCpuKernels();
  registerFastCpuKernels();
});

describe('WebAssembly GEMM', () => {
  /** A (m x k, strides rsA/csA) times B (k x n, strides rsB/csB), in float64 loops. */
  function reference(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    rsA: number,
    csA: number,
    b: Float32Array,
    rsB: number,
    csB: number,
  ): Float64Array {
    const c = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[i * rsA + p * csA] * b[p * rsB + j * csB];
        c[i * n + j] = sum;
      }
    return c;
  }

  test.prop(
    [
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 300 }),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.nat(),
    ],
    { numRuns: 60 },
  )(
    'equals a triple loop, for sizes not multiples of the 4x8 tile, transposes and accumulation',
    (m, n, k, transposeA, transposeB, accumulate, seed) => {
      const kernels = wasmKernelsSync()!;
      kernels.reset();
      const a = randomValues(m * k, seed);
      const b = randomValues(k * n, seed + 1);
      const c0 = randomValues(m * n, seed + 2);
      const [rsA, csA] = transposeA ? [1, m] : [k, 1];
      const [rsB, csB] = transposeB ? [1, k] : [n, 1];
      const ap = kernels.put(a);
      const bp = kernels.put(b);
      const cp = kernels.put(c0);
      kernels.gemm(m, n, k, ap, rsA, csA, bp, rsB, csB, cp, n, accumulate);
      const expected = reference(m, n, k, a, rsA, csA, b, rsB, csB);
      if (accumulate) for (let i = 0; i < expected.length; i++) expected[i] += c0[i];
      expectClose(kernels.take(cp, m * n), expected);
    },
  );

  it('handles products larger than its cache blocks (k > 256, n > 512, m > 128)', () => {
    const kernels = wasmKernelsSync()!;
    kernels.reset();
    const [m, n, k] = [131, 517, 259];
    const a = randomValues(m * k, 1);
    const b = randomValues(k * n, 2);
    const ap = kernels.put(a);
    const bp = kernels.put(b);
    const cp = kernels.alloc(m * n);
    kernels.gemm(m, n, k, ap, k, 1, bp, n, 1, cp, n, false);
    expectClose(kernels.take(cp, m * n), reference(m, n, k, a, k, 1, b, n, 1));
  });
  it('reads a transposed A in place for narrow products (n <= 8) with long k and m > 128', () => {
    const kernels = wasmKernelsSync()!;
    for (const [m, n, k, accumulate] of [
      [133, 8, 701, false],
      [130, 5, 300, true],
      [7, 1, 1029, false],
    ] as const) {
      kernels.reset();
      const a = randomValues(m * k, m);
      const b = randomValues(k * n, n);
      const c0 = randomValues(m * n, k);
      const ap = kernels.put(a);
      const bp = kernels.put(b);
      const cp = kernels.put(c0);
      kernels.gemm(m, n, k, ap, 1, m, bp, n, 1, cp, n, accumulate);
      const expected = reference(m, n, k, a, 1, m, b, n, 1);
      if (accumulate) for (let i = 0; i < expected.length; i++) expected[i] += c0[i];
      expectClose(kernels.take(cp, m * n), expected);
    }
  });
});

describe('BatchMatMul and _FusedMatMul', () => {
  const batchShapes = fc.constantFrom<[number[], number[]]>(
    [[], []],
    [[3], [3]],
    [[3], []],
    [[], [2]],
    [
      [2, 3],
      [1, 3],
    ],
    [[1], [4]],
  );
  test.prop(
    [
      batchShapes,
      fc.integer({ min: 1, max: 13 }),
      fc.integer({ min: 1, max: 13 }),
      fc.integer({ min: 1, max: 21 }),
      fc.boolean(),
      fc.boolean(),
      fc.nat(),
    ],
    { numRuns: 80 },
  )('equal tfjs’s kernels', ([outerA, outerB], m, n, k, transposeA, transposeB, seed) => {
    const a = random([...outerA, ...(transposeA ? [k, m] : [m, k])], seed);
    const b = random([...outerB, ...(transposeB ? [n, k] : [k, n])], seed + 1);
    const bias = random([n], seed + 2);
    const prelu = random([n], seed + 3);
    expectSameAsTfjs(tf.BatchMatMul, { a, b }, { transposeA, transposeB });
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu']) {
      expectSameAsTfjs(
        tf._FusedMatMul,
        { a, b, bias },
        { transposeA, transposeB, activation, leakyreluAlpha: 0.3 },
      );
    }
    expectSameAsTfjs(
      tf._FusedMatMul,
      { a, b, preluActivationWeights: prelu },
      { transposeA, transposeB, activation: 'prelu' },
    );
    tf.dispose([a, b, bias, prelu]);
  });

  it('hands int32 and unusual biases to tfjs’s kernel', () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const b = tf.tensor2d([5, 6, 7, 8], [2, 2], 'int32');
    const product = tf.matMul(a, b);
    expect(product.dtype).toBe('int32');
    expect(Array.from(product.dataSync())).toEqual([19, 22, 43, 50]);
    const x = random([2, 3], 1);
    const w = random([3, 4], 2);
    const bias = random([2, 4], 3); // per row and column: tfjs's Add broadcasts it
    expectSameAsTfjs(
      tf._FusedMatMul,
      { a: x, b: w, bias },
      { transposeA: false, transposeB: false, activation: 'relu' },
    );
    tf.dispose([a, b, product, x, w, bias]);
  });
});

type Pad =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];

const explicitPad = fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)).map(
  ([t, b, l, r]) =>
    [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ] as Pad,
);

const conv2dCase = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  height: fc.integer({ min: 1, max: 10 }),
  width: fc.integer({ min: 1, max: 10 }),
  inChannels: fc.integer({ min: 1, max: 9 }),
  outChannels: fc.integer({ min: 1, max: 11 }),
  filterHeight: fc.constantFrom(1, 2, 3, 5),
  filterWidth: fc.constantFrom(1, 2, 3),
  stride: fc.tuple(fc.constantFrom<number>(1, 2, 3), fc.constantFrom<number>(1, 2)),
  dilation: fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2)),
  pad: fc.oneof(fc.constantFrom<Pad>('same', 'valid'), fc.nat(2), explicitPad),
  channelsFirst: fc.boolean(),
  seed: fc.nat(),
});
type Conv2dCase = typeof conv2dCase extends fc.Arbitrary<infer T> ? T : never;

/** The conv info of a case, or null when tfjs refuses it or the output is empty. */
function infoOf(
  c: Conv2dCase,
  dilation: [number, number],
  depthwise = false,
): tf.backend_util.Conv2DInfo | null {
  const xShape: [number, number, number, number] = c.channelsFirst
    ? [c.batch, c.inChannels, c.height, c.width]
    : [c.batch, c.height, c.width, c.inChannels];
  try {
    const info = tf.backend_util.computeConv2DInfo(
      xShape,
      [c.filterHeight, c.filterWidth, c.inChannels, depthwise ? 2 : c.outChannels],
      c.stride,
      dilation,
      padOf(c),
      undefined,
      depthwise,
      c.channelsFirst ? 'channelsFirst' : 'channelsLast',
    );
    return info.outHeight > 0 && info.outWidth > 0 ? info : null;
  } catch {
    return null;
  }
}

function padOf(c: Conv2dCase): Pad {
  return Array.isArray(c.pad) && c.channelsFirst
    ? ([c.pad[0], c.pad[3], c.pad[1], c.pad[2]] as Pad)
    : c.pad;
}

describe('Conv2D, FusedConv2D, Conv2DBackpropInput', () => {
  test.prop([conv2dCase], { numRuns: 150 })('equal tfjs’s kernels', (c) => {
    const dilation: [number, number] = c.stride[0] > 1 || c.stride[1] > 1 ? [1, 1] : c.dilation;
    const info = infoOf(c, dilation);
    if (info == null) return;
    const x = random(info.inShape, c.seed);
    const filter = random(info.filterShape, c.seed + 1);
    const dy = random(info.outShape, c.seed + 2);
    const bias = random([info.outChannels], c.seed + 3);
    const dataFormat = c.channelsFirst ? 'NCHW' : 'NHWC';
    const attrs = { strides: c.stride, pad: padOf(c), dataFormat, dilations: dilation };
    expectSameAsTfjs(tf.Conv2D, { x, filter }, attrs);
    expectSameAsTfjs(
      tf.FusedConv2D,
      { x, filter, bias },
      { ...attrs, activation: c.seed % 2 === 0 ? 'relu' : 'leakyrelu', leakyreluAlpha: 0.1 },
    );
    if (dilation[0] === 1 && dilation[1] === 1) {
      expectSameAsTfjs(
        tf.Conv2DBackpropInput,
        { dy, filter },
        { ...attrs, inputShape: info.inShape },
      );
    }
    tf.dispose([x, filter, dy, bias]);
  });

  it('handles pointwise convolutions over many rows as one product', () => {
    const x = random([2, 17, 19, 24], 1);
    const filter = random([1, 1, 24, 40], 2);
    const dy = random([2, 17, 19, 40], 3);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 };
    expectSameAsTfjs(tf.Conv2D, { x, filter }, attrs);
    expectSameAsTfjs(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: x.shape });
    tf.dispose([x, filter, dy]);
  });
  it('handles explicit padding wider than the filter (outputs wholly in the padding)', () => {
    const x = random([2, 3, 4, 2], 8);
    const filter = random([2, 3, 2, 3], 9);
    const pad = [
      [0, 0],
      [4, 3],
      [5, 6],
      [0, 0],
    ];
    expectSameAsTfjs(
      tf.Conv2D,
      { x, filter },
      { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 },
    );
    expectSameAsTfjs(
      tf.Conv2D,
      { x, filter },
      { strides: 1, pad, dataFormat: 'NHWC', dilations: [1, 2] },
    );
    tf.dispose([x, filter]);
  });
});

describe('Conv3D, Conv3DBackpropInputV2', () => {
  const conv3dCase = fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    depth: fc.integer({ min: 1, max: 6 }),
    side: fc.integer({ min: 1, max: 7 }),
    inChannels: fc.integer({ min: 1, max: 5 }),
    outChannels: fc.integer({ min: 1, max: 9 }),
    filter: fc.tuple(fc.constantFrom(1, 2, 3), fc.constantFrom(1, 3), fc.constantFrom(1, 3)),
    stride: fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2), fc.constantFrom(1, 2)),
    dilated: fc.boolean(),
    pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
    seed: fc.nat(),
  });
  test.prop([conv3dCase], { numRuns: 80 })('equal tfjs’s kernels', (c) => {
    const xShape: [number, number, number, number, number] = [
      c.batch,
      c.depth,
      c.side,
      c.side + 1,
      c.inChannels,
    ];
    const filterShape: [number, number, number, number, number] = [
      ...c.filter,
      c.inChannels,
      c.outChannels,
    ];
    const dilations: [number, number, number] =
      c.dilated && c.stride.every((s) => s === 1) ? [2, 1, 2] : [1, 1, 1];
    let info: tf.backend_util.Conv3DInfo;
    try {
      info = tf.backend_util.computeConv3DInfo(xShape, filterShape, c.stride, dilations, c.pad);
    } catch {
      return;
    }
    if (info.outDepth <= 0 || info.outHeight <= 0 || info.outWidth <= 0) return;
    const x = random(xShape, c.seed);
    const filter = random(filterShape, c.seed + 1);
    const dy = random(info.outShape, c.seed + 2);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NDHWC', dilations };
    expectSameAsTfjs(tf.Conv3D, { x, filter }, attrs);
    if (dilations.every((d) => d === 1)) {
      expectSameAsTfjs(
        tf.Conv3DBackpropInputV2,
        { dy, filter },
        { strides: c.stride, pad: c.pad, inputShape: xShape },
      );
    }
    tf.dispose([x, filter, dy]);
  });
  it('handle few-channel inputs under filters wider than the input (the I3D stem)', () => {
    for (const [xShape, filterShape, strides] of [
      [
        [2, 6, 9, 10, 3],
        [7, 7, 7, 3, 8],
        [2, 2, 2],
      ],
      [
        [1, 2, 3, 2, 3],
        [3, 7, 7, 3, 5],
        [1, 1, 1],
      ],
    ] as [number[], number[], number[]][]) {
      const x = random(xShape, 5);
      const filter = random(filterShape, 6);
      const attrs = { strides, pad: 'same', dataFormat: 'NDHWC', dilations: 1 };
      const y = tf.conv3d(x as tf.Tensor5D, filter as tf.Tensor5D, strides as [1, 1, 1], 'same');
      const dy = random(y.shape, 7);
      expectSameAsTfjs(tf.Conv3D, { x, filter }, attrs);
      expectSameAsTfjs(tf.Conv3DBackpropFilterV2, { x, dy }, { strides, pad: 'same', filterShape });
      tf.dispose([x, filter, y, dy]);
    }
  });
});

describe('DepthwiseConv2dNative, DepthwiseConv2dNativeBackpropInput', () => {
  test.prop([conv2dCase, fc.constantFrom(1, 2, 3)], { numRuns: 120 })(
    'equal tfjs’s kernels, channel multipliers 1 to 3',
    (c, multiplier) => {
      const stride: [number, number] = [c.stride[0], c.stride[0]];
      const dilation: [number, number] = stride[0] > 1 ? [1, 1] : c.dilation;
      const d = { ...c, stride, channelsFirst: false };
      const info = infoOf(d, dilation, true);
      if (info == null) return;
      const filterShape = [c.filterHeight, c.filterWidth, c.inChannels, multiplier];
      const outShape = [...info.outShape.slice(0, 3), c.inChannels * multiplier];
      const x = random(info.inShape, c.seed);
      const filter = random(filterShape, c.seed + 1);
      const dy = random(outShape, c.seed + 2);
      const attrs = { strides: stride, pad: padOf(d), dilations: dilation };
      expectSameAsTfjs(tf.DepthwiseConv2dNative, { x, filter }, attrs);
      // tfjs's input gradient ignores dilations (tf.grad refuses dilated depthwise ones).
      if (dilation[0] === 1 && dilation[1] === 1) {
        expectSameAsTfjs(
          tf.DepthwiseConv2dNativeBackpropInput,
          { dy, filter },
          { ...attrs, inputShape: info.inShape },
        );
      }
      tf.dispose([x, filter, dy]);
    },
  );
});

describe('NaN and Infinity', () => {
  it('propagate as through tfjs’s kernels, in padded convolutions too', () => {
    const x = random([1, 5, 5, 3], 1);
    const xData = x.dataSync().slice();
    xData[7] = NaN;
    xData[20] = Infinity;
    xData[31] = -Infinity;
    const xBad = tf.tensor(xData, x.shape);
    const filter = random([3, 3, 3, 4], 2);
    const fData = filter.dataSync().slice();
    fData[5] = Infinity;
    const filterBad = tf.tensor(fData, filter.shape);
    const dy = random([1, 5, 5, 4], 3);
    const dyData = dy.dataSync().slice();
    dyData[0] = Infinity;
    const dyBad = tf.tensor(dyData, dy.shape);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
    for (const [xs, fs] of [
      [xBad, filter],
      [x, filterBad],
    ]) {
      expectSameAsTfjs(tf.Conv2D, { x: xs, filter: fs }, attrs);
      expectSameAsTfjs(tf.FusedConv2D, { x: xs, filter: fs }, { ...attrs, activation: 'relu' });
    }
    for (const [dys, fs] of [
      [dyBad, filter],
      [dy, filterBad],
    ]) {
      expectSameAsTfjs(
        tf.Conv2DBackpropInput,
        { dy: dys, filter: fs },
        { ...attrs, inputShape: x.shape },
      );
    }
    for (const [xs, dys] of [
      [xBad, dy],
      [x, dyBad],
    ]) {
      expectSameAsTfjs(
        tf.Conv2DBackpropFilter,
        { x: xs, dy: dys },
        { ...attrs, filterShape: filter.shape },
      );
    }
    const dwFilter = tf.tensor(fData.slice(0, 27), [3, 3, 3, 1]);
    const dwDy = tf.tensor(dyData.slice(0, 75), [1, 5, 5, 3]);
    expectSameAsTfjs(tf.DepthwiseConv2dNative, { x: xBad, filter: dwFilter }, attrs);
    expectSameAsTfjs(
      tf.DepthwiseConv2dNativeBackpropInput,
      { dy: dwDy, filter: dwFilter },
      { ...attrs, inputShape: x.shape },
    );
    const a = tf.tensor2d([NaN, 1, Infinity, 2, 3, -Infinity], [2, 3]);
    const b = random([3, 5], 4);
    expectSameAsTfjs(tf.BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
    tf.dispose([x, xBad, filter, filterBad, dy, dyBad, dwFilter, dwDy, a, b]);
  });

  it('propagate through 3-D convolutions', () => {
    const x = random([1, 3, 4, 4, 2], 1);
    const data = x.dataSync().slice();
    data[9] = NaN;
    data[40] = -Infinity;
    const xBad = tf.tensor(data, x.shape);
    const filter = random([2, 3, 3, 2, 3], 2);
    const fData = filter.dataSync().slice();
    fData[3] = Infinity;
    const filterBad = tf.tensor(fData, filter.shape);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NDHWC', dilations: 1 };
    expectSameAsTfjs(tf.Conv3D, { x: xBad, filter }, attrs);
    expectSameAsTfjs(tf.Conv3D, { x, filter: filterBad }, attrs);
    tf.dispose([x, xBad, filter, filterBad]);
  });
});

describe('gradients', () => {
  function gradsWith(fast: boolean, f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]) {
    if (fast) registerFastCpuKernels();
    else unregisterFastCpuKernels();
    try {
      return tf
        .grads(f)(xs)
        .map((g) => {
          const values = g.dataSync().slice();
          g.dispose();
          return values;
        });
    } finally {
      registerFastCpuKernels();
    }
  }

  it('of conv2d, conv3d, depthwise, fused conv2d and matMul equal those through tfjs’s kernels', () => {
    const cases: [(...xs: tf.Tensor[]) => tf.Tensor, number[][]][] = [
      [
        (x, w) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'))),
        [
          [2, 9, 7, 3],
          [3, 3, 3, 5],
        ],
      ],
      [
        (x, w) => tf.sum(tf.sin(tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, [1, 2, 2], 'same'))),
        [
          [1, 5, 6, 6, 2],
          [3, 3, 3, 2, 4],
        ],
      ],
      [
        (x, w) =>
          tf.sum(tf.square(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'))),
        [
          [1, 7, 6, 4],
          [3, 3, 4, 1],
        ],
      ],
      [
        (x, w, b) =>
          tf.sum(
            tf.square(
              tf.fused.conv2d({
                x: x as tf.Tensor4D,
                filter: w as tf.Tensor4D,
                strides: 1,
                pad: 'valid',
                bias: b,
                activation: 'relu',
              }),
            ),
          ),
        [[1, 6, 6, 3], [2, 2, 3, 4], [4]],
      ],
      [
        (a, b) => tf.sum(tf.square(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true))),
        [
          [2, 5, 7],
          [2, 3, 7],
        ],
      ],
    ];
    cases.forEach(([f, shapes], i) => {
      const xs = shapes.map((shape, j) => random(shape, 10 * i + j));
      const fast = gradsWith(true, f, xs);
      const reference = gradsWith(false, f, xs);
      fast.forEach((g, j) => expectClose(g, reference[j]));
      tf.dispose(xs);
    });
  });
});

describe('memory', () => {
  it('leaks no tensor, on error paths either', () => {
    const x = random([1, 6, 6, 3], 1);
    const w = random([3, 3, 3, 4], 2);
    const x3 = random([1, 3, 6, 6, 3], 1);
    const w3 = random([2, 3, 3, 3, 4], 2);
    const dw = random([3, 3, 3, 1], 3);
    expectNoLeaks(() => {
      tf.tidy(() => {
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')),
        )([x, w]);
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, 'same')),
        )([x3, w3]);
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')),
        )([x, dw]);
        tf.matMul(tf.reshape(x, [6, 18]), tf.reshape(x, [18, 6]));
      });
    }, 0);
    expectNoLeaks(() => {
      expect(() =>
        tf.tidy(() => tf.matMul(tf.reshape(x, [6, 18]), tf.reshape(x, [6, 18]))),
      ).toThrow();
    }, 0);
    tf.dispose([x, w, x3, w3, dw]);
  });

  it('registers every kernel it lists', () => {
    for (const name of WASM_KERNELS) expect(replacedCpuKernel(name), name).toBeTypeOf('function');
  });
});
