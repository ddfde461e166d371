import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectNoLeaks } from '@slr/test-utils';
import { setupBackend } from '../../index';
import {
  FAST_CPU_KERNELS,
  registerFastCpuKernels,
  unregisterFastCpuKernels,
} from '../fast-cpu-kernels';
import { replacedCpuKernel } from '../cpu/replacements';

type Pad2D =
  | 'same'
  | 'valid'
  | number
  | [[number, number], [number, number], [number, number], [number, number]];
type Format = 'NHWC' | 'NCHW';

const KERNELS = [
  tf.Conv2DBackpropFilter,
  tf.Conv3DBackpropFilterV2,
  tf.DepthwiseConv2dNativeBackpropFilter,
];

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

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-5 * Math.abs(expected[i]) + 1e-6;
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
      expect.fail(`element ${i}: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance})`);
    }
  }
}

/** Runs tfjs's own `cpu` kernel (the one replaced) and returns its values. */
function runReplaced(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): Float32Array {
  const original = replacedCpuKernel(kernelName);
  expect(original).toBeTypeOf('function');
  const backend = tf.backend() as unknown as {
    readSync(id: tf.DataId): tf.BackendValues;
    disposeData(id: tf.DataId): void;
  };
  const info = original!({
    inputs,
    backend: tf.backend(),
    attrs,
  } as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const values = Float32Array.from(backend.readSync(info.dataId) as Float32Array);
  backend.disposeData(info.dataId);
  return values;
}

/** Runs the kernel registered now (the replacement) through the engine. */
function runRegistered(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): Float32Array {
  const result = tf.engine().runKernel<tf.Tensor>(kernelName, inputs, attrs as tf.NamedAttrMap);
  const values = result.dataSync() as Float32Array;
  result.dispose();
  return values;
}

interface Conv2DCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  stride: [number, number];
  dilation: [number, number];
  pad: Pad2D;
  dataFormat: Format;
  seed: number;
}

const explicitPad = fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)).map(
  ([t, b, l, r]) =>
    [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ] as Pad2D,
);

function conv2dCase(options: {
  dilations: boolean;
  formats: Format[];
  maxSide?: number;
}): fc.Arbitrary<Conv2DCase> {
  const side = fc.integer({ min: 1, max: options.maxSide ?? 12 });
  const stride = fc.constantFrom(1, 2);
  return fc.record({
    batch: fc.integer({ min: 1, max: 4 }),
    height: side,
    width: side,
    inChannels: fc.integer({ min: 1, max: 9 }),
    outChannels: fc.integer({ min: 1, max: 9 }),
    filterHeight: fc.constantFrom(1, 3, 5),
    filterWidth: fc.constantFrom(1, 3, 5),
    stride: fc.tuple(stride, stride),
    dilation: options.dilations
      ? fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2))
      : fc.constant([1, 1] as [number, number]),
    pad: fc.oneof(fc.constantFrom<Pad2D>('same', 'valid'), fc.nat(2), explicitPad),
    dataFormat: fc.constantFrom(...options.formats),
    seed: fc.nat(),
  });
}

/**
 * `computeConv2DInfo` for a case (for a depthwise one, `outChannels` is the channel multiplier),
 * or `null` when the output would be empty or invalid.
 */
function conv2dInfo(c: Conv2DCase, depthwise = false): tf.backend_util.Conv2DInfo | null {
  const channelsFirst = c.dataFormat === 'NCHW';
  const xShape: [number, number, number, number] = channelsFirst
    ? [c.batch, c.inChannels, c.height, c.width]
    : [c.batch, c.height, c.width, c.inChannels];
  const pad =
    Array.isArray(c.pad) && channelsFirst
      ? ([c.pad[0], c.pad[3], c.pad[1], c.pad[2]] as Pad2D)
      : c.pad;
  try {
    const info = tf.backend_util.computeConv2DInfo(
      xShape,
      [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels],
      c.stride,
      c.dilation,
      pad,
      undefined,
      depthwise,
      channelsFirst ? 'channelsFirst' : 'channelsLast',
    );
    return info.outHeight > 0 && info.outWidth > 0 ? info : null;
  } catch {
    return null;
  }
}

function conv2dInputs(c: Conv2DCase, info: tf.backend_util.Conv2DInfo) {
  const x = tf.tensor(
    randomValues(
      info.inShape.reduce((a, b) => a * b, 1),
      c.seed,
    ),
    info.inShape,
  );
  const dy = tf.tensor(
    randomValues(
      info.outShape.reduce((a, b) => a * b, 1),
      c.seed + 1,
    ),
    info.outShape,
  );
  const attrs = {
    strides: c.stride,
    pad:
      Array.isArray(c.pad) && c.dataFormat === 'NCHW'
        ? [c.pad[0], c.pad[3], c.pad[1], c.pad[2]]
        : c.pad,
    dataFormat: c.dataFormat,
    dimRoundingMode: undefined,
    filterShape: info.filterShape,
    dilations: c.dilation,
  };
  return { x, dy, attrs };
}

/** The filter gradient of an NHWC convolution by its definition, in float64. */
function conv2dFilterGradByLoops(
  x: Float32Array,
  dy: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  depthwise = false,
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const multiplier = depthwise ? outChannels / inChannels : 1;
  const dw = new Float64Array(
    info.filterHeight * info.filterWidth * inChannels * (depthwise ? multiplier : outChannels),
  );
  for (let fy = 0; fy < info.filterHeight; fy++)
    for (let fx = 0; fx < info.filterWidth; fx++)
      for (let b = 0; b < batchSize; b++)
        for (let oy = 0; oy < outHeight; oy++)
          for (let ox = 0; ox < outWidth; ox++) {
            const iy = oy * info.strideHeight - info.padInfo.top + fy * info.dilationHeight;
            const ix = ox * info.strideWidth - info.padInfo.left + fx * info.dilationWidth;
            if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) continue;
            for (let ci = 0; ci < inChannels; ci++) {
              const xv = x[((b * inHeight + iy) * inWidth + ix) * inChannels + ci];
              const dyRow = ((b * outHeight + oy) * outWidth + ox) * outChannels;
              if (depthwise) {
                for (let q = 0; q < multiplier; q++) {
                  dw[((fy * info.filterWidth + fx) * inChannels + ci) * multiplier + q] +=
                    xv * dy[dyRow + ci * multiplier + q];
                }
              } else {
                for (let co = 0; co < outChannels; co++) {
                  dw[((fy * info.filterWidth + fx) * inChannels + ci) * outChannels + co] +=
                    xv * dy[dyRow + co];
                }
              }
            }
          }
  return new Float32Array(dw);
}

// The sources' kernels, in place of the built ones the shared test set-up registered.
beforeAll(() => {
  unregisterFastCpuKernels();
  registerFastCpuKernels();
});

describe('filter-gradient kernels: registration', () => {
  it('replaces tfjs’s cpu kernels once, keeping the originals', () => {
    for (const name of KERNELS) {
      const registered = tf.getKernel(name, 'cpu').kernelFunc;
      const original = replacedCpuKernel(name);
      expect(original, name).toBeTypeOf('function');
      expect(registered).not.toBe(original);
    }
  });

  it('is idempotent, also across a second copy of the module', async () => {
    const before = KERNELS.map((name) => [
      tf.getKernel(name, 'cpu').kernelFunc,
      replacedCpuKernel(name),
    ]);
    registerFastCpuKernels();
    registerFastCpuKernels();
    vi.resetModules();
    const copy = await import('../fast-cpu-kernels');
    copy.registerFastCpuKernels();
    const after = KERNELS.map((name) => [
      tf.getKernel(name, 'cpu').kernelFunc,
      replacedCpuKernel(name),
    ]);
    expect(after).toEqual(before);
    for (let i = 0; i < KERNELS.length; i++) expect(after[i][0]).toBe(before[i][0]);
  });

  it('takes the place of a tfjs kernel registered after it', () => {
    const name = tf.Conv2DBackpropFilter;
    const replacement = tf.getKernel(name, 'cpu').kernelFunc;
    const original = replacedCpuKernel(name)!;
    try {
      tf.unregisterKernel(name, 'cpu');
      tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: original });
      expect(replacedCpuKernel(name)).toBeUndefined();
      registerFastCpuKernels();
      expect(tf.getKernel(name, 'cpu').kernelFunc).not.toBe(original);
      expect(replacedCpuKernel(name)).toBe(original);
    } finally {
      tf.unregisterKernel(name, 'cpu');
      tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: replacement });
    }
  });

  it('are taken out by unregisterFastCpuKernels, which registers tfjs’s own again', () => {
    const replacements = KERNELS.map((name) => tf.getKernel(name, 'cpu').kernelFunc);
    const originals = KERNELS.map((name) => replacedCpuKernel(name)!);
    try {
      unregisterFastCpuKernels();
      unregisterFastCpuKernels(); // harmless when they are not registered
      KERNELS.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBeUndefined();
      });
      registerFastCpuKernels();
      KERNELS.forEach((name, i) => {
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).not.toBe(originals[i]);
        expect(replacedCpuKernel(name), name).toBe(originals[i]);
      });
    } finally {
      KERNELS.forEach((name, i) => {
        tf.unregisterKernel(name, 'cpu');
        tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: replacements[i] });
      });
    }
  });

  it("are what setupBackend('cpu') registers, and fastCpuKernels: false restores tfjs’s", async () => {
    for (const name of KERNELS) expect(FAST_CPU_KERNELS).toContain(name);
    const originals = KERNELS.map((name) => replacedCpuKernel(name)!);
    try {
      await setupBackend('cpu', { fastCpuKernels: false });
      KERNELS.forEach((name, i) =>
        expect(tf.getKernel(name, 'cpu').kernelFunc, name).toBe(originals[i]),
      );
      const info = await setupBackend('cpu');
      expect(info.backend).toBe('cpu');
      KERNELS.forEach((name, i) => expect(replacedCpuKernel(name), name).toBe(originals[i]));
    } finally {
      registerFastCpuKernels();
    }
  });

  it('computes filter gradients even when no tfjs kernel was registered before it', () => {
    const name = tf.Conv2DBackpropFilter;
    const replacement = tf.getKernel(name, 'cpu').kernelFunc;
    try {
      tf.unregisterKernel(name, 'cpu');
      registerFastCpuKernels();
      expect(tf.getKernel(name, 'cpu').kernelFunc).not.toBe(replacement);
      expect(replacedCpuKernel(name)).toBeUndefined();
      const x = tf.ones([1, 2, 2, 1]);
      const dy = tf.ones([1, 2, 2, 1]);
      const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape: [1, 1, 1, 1] };
      expect(runRegistered(name, { x, dy }, attrs)).toEqual(new Float32Array([4]));
      tf.dispose([x, dy]);
    } finally {
      tf.unregisterKernel(name, 'cpu');
      tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: replacement });
    }
  });
});

describe('Conv2DBackpropFilter', () => {
  test.prop([conv2dCase({ dilations: false, formats: ['NHWC', 'NCHW'] })], { numRuns: 150 })(
    'equals tfjs’s kernel (NHWC and NCHW, every padding, strides 1 and 2)',
    (c) => {
      const info = conv2dInfo(c);
      fc.pre(info != null);
      const { x, dy, attrs } = conv2dInputs(c, info);
      const expected = runReplaced(tf.Conv2DBackpropFilter, { x, dy }, attrs);
      const actual = expectNoLeaks(
        () => runRegistered(tf.Conv2DBackpropFilter, { x, dy }, attrs),
        0,
      );
      expectClose(actual, expected);
      tf.dispose([x, dy]);
    },
  );

  test.prop([conv2dCase({ dilations: true, formats: ['NHWC'] })], { numRuns: 100 })(
    'equals the definition with dilations',
    (c) => {
      const info = conv2dInfo(c);
      fc.pre(info != null);
      const { x, dy, attrs } = conv2dInputs(c, info);
      const expected = conv2dFilterGradByLoops(
        x.dataSync() as Float32Array,
        dy.dataSync() as Float32Array,
        info,
      );
      expectClose(runRegistered(tf.Conv2DBackpropFilter, { x, dy }, attrs), expected);
      tf.dispose([x, dy]);
    },
  );

  it('handles pointwise filters over many rows (the MobileNetV3 case)', () => {
    // 200 frames of 8×8: 12 800 rows, several blocks of patches, channels not a multiple of 4.
    const c: Conv2DCase = {
      batch: 200,
      height: 8,
      width: 8,
      inChannels: 18,
      outChannels: 7,
      filterHeight: 1,
      filterWidth: 1,
      stride: [1, 1],
      dilation: [1, 1],
      pad: 'valid',
      dataFormat: 'NHWC',
      seed: 7,
    };
    const info = conv2dInfo(c)!;
    const { x, dy, attrs } = conv2dInputs(c, info);
    expectClose(
      runRegistered(tf.Conv2DBackpropFilter, { x, dy }, attrs),
      runReplaced(tf.Conv2DBackpropFilter, { x, dy }, attrs),
    );
    tf.dispose([x, dy]);
  });

  test.prop([conv2dCase({ dilations: false, formats: ['NHWC'], maxSide: 9 })], { numRuns: 40 })(
    'is what tf.grad of tf.conv2d gives for the filter, without leaking tensors',
    (c) => {
      const info = conv2dInfo(c);
      fc.pre(info != null);
      const { x, dy, attrs } = conv2dInputs(c, info);
      const filter = tf.tensor(
        randomValues(
          info.filterShape.reduce((a, b) => a * b, 1),
          c.seed + 2,
        ),
        info.filterShape,
      );
      const loss = (w: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, attrs.pad as 'same', 'NHWC'),
            dy,
          ),
        );
      const grad = expectNoLeaks(() => tf.grad(loss)(filter), 1);
      expectClose(
        grad.dataSync(),
        conv2dFilterGradByLoops(x.dataSync() as Float32Array, dy.dataSync() as Float32Array, info),
      );
      tf.dispose([x, dy, filter, grad]);
    },
  );

  it('matches central differences of a conv2d loss', () => {
    const x = tf.tensor<tf.Rank.R4>(randomValues(2 * 5 * 5 * 4, 11), [2, 5, 5, 4]);
    const weights = tf.tensor<tf.Rank.R4>(randomValues(3 * 3 * 4 * 4, 12), [3, 3, 4, 4]);
    const loss = (w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 2, 'same')));
    const grad = tf.grad(loss)(weights).dataSync();
    const w = weights.dataSync();
    // The loss is quadratic in the weights, so central differences are exact but for rounding.
    const step = 0.25;
    for (const i of [0, 7, 25, 53, 143]) {
      const shifted = (delta: number) =>
        tf.tidy(() => {
          const values = Float32Array.from(w);
          values[i] += delta;
          return loss(tf.tensor4d(values, weights.shape)).dataSync()[0];
        });
      const numeric = (shifted(step) - shifted(-step)) / (2 * step);
      expect(Math.abs(grad[i] - numeric)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
    }
    tf.dispose([x, weights]);
  });
});

describe('DepthwiseConv2dNativeBackpropFilter', () => {
  const depthwiseCase = (dilations: boolean) =>
    fc.tuple(conv2dCase({ dilations, formats: ['NHWC'] }), fc.constantFrom(1, 1, 2, 3));

  function depthwiseInputs(c: Conv2DCase, multiplier: number) {
    const info = conv2dInfo({ ...c, outChannels: multiplier }, true);
    if (info == null) return null;
    const x = tf.tensor(
      randomValues(
        info.inShape.reduce((a, b) => a * b, 1),
        c.seed,
      ),
      info.inShape,
    );
    const dy = tf.tensor(
      randomValues(
        info.outShape.reduce((a, b) => a * b, 1),
        c.seed + 1,
      ),
      info.outShape,
    );
    const attrs = {
      strides: c.stride,
      dilations: c.dilation,
      pad: c.pad,
      dimRoundingMode: undefined,
      filterShape: info.filterShape,
    };
    return { info, x, dy, attrs };
  }

  test.prop([depthwiseCase(false)], { numRuns: 100 })('equals tfjs’s kernel', ([c, multiplier]) => {
    const inputs = depthwiseInputs(c, multiplier);
    fc.pre(inputs != null);
    const { x, dy, attrs } = inputs;
    const name = tf.DepthwiseConv2dNativeBackpropFilter;
    const actual = expectNoLeaks(() => runRegistered(name, { x, dy }, attrs), 0);
    expectClose(actual, runReplaced(name, { x, dy }, attrs));
    tf.dispose([x, dy]);
  });

  test.prop([depthwiseCase(true)], { numRuns: 60 })(
    'equals the definition with dilations',
    ([c, multiplier]) => {
      const inputs = depthwiseInputs(c, multiplier);
      fc.pre(inputs != null);
      const { info, x, dy, attrs } = inputs;
      const expected = conv2dFilterGradByLoops(
        x.dataSync() as Float32Array,
        dy.dataSync() as Float32Array,
        info,
        true,
      );
      expectClose(
        runRegistered(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, attrs),
        expected,
      );
      tf.dispose([x, dy]);
    },
  );

  it('is what tf.grad of tf.depthwiseConv2d gives for the filter', () => {
    const x = tf.tensor<tf.Rank.R4>(randomValues(3 * 7 * 7 * 5, 21), [3, 7, 7, 5]);
    const filter = tf.tensor<tf.Rank.R4>(randomValues(3 * 3 * 5 * 2, 22), [3, 3, 5, 2]);
    const dy = tf.tensor(randomValues(3 * 4 * 4 * 10, 23), [3, 4, 4, 10]);
    const grad = expectNoLeaks(
      () =>
        tf.grad((w: tf.Tensor) =>
          tf.sum(tf.mul(tf.depthwiseConv2d(x, w as tf.Tensor4D, 2, 'same'), dy)),
        )(filter),
      1,
    );
    const attrs = { strides: 2, dilations: 1, pad: 'same', filterShape: [3, 3, 5, 2] };
    expectClose(
      grad.dataSync(),
      runReplaced(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, attrs),
    );
    tf.dispose([x, filter, dy, grad]);
  });
});

describe('Conv3DBackpropFilterV2', () => {
  const conv3dCase = fc.record({
    batch: fc.integer({ min: 1, max: 3 }),
    depth: fc.integer({ min: 1, max: 6 }),
    side: fc.integer({ min: 1, max: 7 }),
    inChannels: fc.integer({ min: 1, max: 6 }),
    outChannels: fc.integer({ min: 1, max: 6 }),
    filter: fc.tuple(fc.constantFrom(1, 3), fc.constantFrom(1, 3, 5), fc.constantFrom(1, 3)),
    stride: fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2), fc.constantFrom(1, 2)),
    pad: fc.constantFrom<'same' | 'valid'>('same', 'valid'),
    seed: fc.nat(),
  });

  /** The filter gradient of an NDHWC convolution by its definition, in float64. */
  function conv3dFilterGradByLoops(
    x: Float32Array,
    dy: Float32Array,
    info: tf.backend_util.Conv3DInfo,
  ): Float32Array {
    const dw = new Float64Array(info.filterShape.reduce((a, b) => a * b, 1));
    const { inDepth, inHeight, inWidth, inChannels, outDepth, outHeight, outWidth, outChannels } =
      info;
    for (let b = 0; b < info.batchSize; b++)
      for (let oz = 0; oz < outDepth; oz++)
        for (let oy = 0; oy < outHeight; oy++)
          for (let ox = 0; ox < outWidth; ox++)
            for (let fz = 0; fz < info.filterDepth; fz++)
              for (let fy = 0; fy < info.filterHeight; fy++)
                for (let fx = 0; fx < info.filterWidth; fx++) {
                  const iz = oz * info.strideDepth - info.padInfo.front + fz * info.dilationDepth;
                  const iy = oy * info.strideHeight - info.padInfo.top + fy * info.dilationHeight;
                  const ix = ox * info.strideWidth - info.padInfo.left + fx * info.dilationWidth;
                  if (
                    iz < 0 ||
                    iz >= inDepth ||
                    iy < 0 ||
                    iy >= inHeight ||
                    ix < 0 ||
                    ix >= inWidth
                  )
                    continue;
                  for (let ci = 0; ci < inChannels; ci++) {
                    const xv =
                      x[(((b * inDepth + iz) * inHeight + iy) * inWidth + ix) * inChannels + ci];
                    const dyRow =
                      (((b * outDepth + oz) * outHeight + oy) * outWidth + ox) * outChannels;
                    const dwRow =
                      (((fz * info.filterHeight + fy) * info.filterWidth + fx) * inChannels + ci) *
                      outChannels;
                    for (let co = 0; co < outChannels; co++) dw[dwRow + co] += xv * dy[dyRow + co];
                  }
                }
    return new Float32Array(dw);
  }

  test.prop(
    [conv3dCase, fc.tuple(fc.constantFrom(1, 2), fc.constantFrom(1, 2), fc.constantFrom(1, 2))],
    { numRuns: 60 },
  )('equals the definition with dilations', (c, dilations) => {
    const xShape: [number, number, number, number, number] = [
      c.batch,
      c.depth,
      c.side,
      c.side,
      c.inChannels,
    ];
    const filterShape: [number, number, number, number, number] = [
      ...c.filter,
      c.inChannels,
      c.outChannels,
    ];
    const info = tf.backend_util.computeConv3DInfo(xShape, filterShape, c.stride, dilations, c.pad);
    fc.pre(info.outDepth > 0 && info.outHeight > 0 && info.outWidth > 0);
    const x = tf.tensor(
      randomValues(
        xShape.reduce((a, b) => a * b, 1),
        c.seed,
      ),
      xShape,
    );
    const dy = tf.tensor(
      randomValues(
        info.outShape.reduce((a, b) => a * b, 1),
        c.seed + 1,
      ),
      info.outShape,
    );
    const attrs = { strides: c.stride, pad: c.pad, filterShape, dilations };
    const expected = conv3dFilterGradByLoops(
      x.dataSync() as Float32Array,
      dy.dataSync() as Float32Array,
      info,
    );
    expectClose(runRegistered(tf.Conv3DBackpropFilterV2, { x, dy }, attrs), expected);
    tf.dispose([x, dy]);
  });

  test.prop([conv3dCase], { numRuns: 100 })('equals tfjs’s kernel', (c) => {
    const xShape: [number, number, number, number, number] = [
      c.batch,
      c.depth,
      c.side,
      c.side,
      c.inChannels,
    ];
    const filterShape: [number, number, number, number, number] = [
      ...c.filter,
      c.inChannels,
      c.outChannels,
    ];
    const info = tf.backend_util.computeConv3DInfo(xShape, filterShape, c.stride, 1, c.pad);
    fc.pre(info.outDepth > 0 && info.outHeight > 0 && info.outWidth > 0);
    const x = tf.tensor(
      randomValues(
        xShape.reduce((a, b) => a * b, 1),
        c.seed,
      ),
      xShape,
    );
    const dy = tf.tensor(
      randomValues(
        info.outShape.reduce((a, b) => a * b, 1),
        c.seed + 1,
      ),
      info.outShape,
    );
    const attrs = { strides: c.stride, pad: c.pad, filterShape };
    const name = tf.Conv3DBackpropFilterV2;
    const actual = expectNoLeaks(() => runRegistered(name, { x, dy }, attrs), 0);
    expectClose(actual, runReplaced(name, { x, dy }, attrs));
    tf.dispose([x, dy]);
  });

  it('is what tf.grad of tf.conv3d gives for the filter', () => {
    const x = tf.tensor<tf.Rank.R5>(randomValues(2 * 5 * 6 * 6 * 4, 31), [2, 5, 6, 6, 4]);
    const filter = tf.tensor<tf.Rank.R5>(randomValues(3 * 3 * 3 * 4 * 8, 32), [3, 3, 3, 4, 8]);
    const dy = tf.tensor(randomValues(2 * 5 * 3 * 3 * 8, 33), [2, 5, 3, 3, 8]);
    const grad = expectNoLeaks(
      () =>
        tf.grad((w: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv3d(x, w as tf.Tensor5D, [1, 2, 2], 'same'), dy)),
        )(filter),
      1,
    );
    const attrs = { strides: [1, 2, 2], pad: 'same', filterShape: [3, 3, 3, 4, 8] };
    expectClose(grad.dataSync(), runReplaced(tf.Conv3DBackpropFilterV2, { x, dy }, attrs));
    tf.dispose([x, filter, dy, grad]);
  });
});
