import * as tf from '@tensorflow/tfjs';
import {
  type KernelArgs,
  type KernelReplacement,
  type KernelResult,
  type SyncBackend,
  delegate,
  read,
  realInputs,
} from '../cpu/replacements';
import type { WasmKernels } from './runtime';

/**
 * `cpu` convolutions and matrix products on the WebAssembly SIMD GEMM of `wasm/gemm.ts`:
 * convolutions gather input patches (im2col) a block of output rows at a time and multiply
 * them with the filter; a 1x1 convolution of stride 1 without padding is a plain GEMM; input
 * gradients multiply by the transposed filter and scatter the patches back (col2im); filter
 * gradients multiply the transposed patches with the output gradient. Depthwise convolutions
 * are not GEMM-shaped: they run directly over channels (NHWC), four at a time. Sums are float32,
 * as PyTorch's. Inputs they do not handle go to the kernel they replaced (tfjs's own): other
 * dtypes than float32 (the filter gradients also take int32 and bool, as tfjs's do), NCHW
 * depthwise, batch dimensions that do not broadcast, and a non-finite filter (forward) or output
 * gradient (filter gradient) of a padded convolution, where multiplying by the zero padding
 * would give NaN where tfjs skips the padding.
 */

/** Rows of im2col gathered at a time: about 1 MiB of patches, at least 64 rows. */
const CHUNK_FLOATS = 1 << 18;

/** A channels-last convolution, 2-D ones with depth 1. */
interface Geometry {
  batch: number;
  inD: number;
  inH: number;
  inW: number;
  inC: number;
  outD: number;
  outH: number;
  outW: number;
  outC: number;
  fd: number;
  fh: number;
  fw: number;
  sd: number;
  sh: number;
  sw: number;
  dd: number;
  dh: number;
  dw: number;
  padFront: number;
  padTop: number;
  padLeft: number;
  /** Whether any side is padded. */
  padded: boolean;
}

type PadInfo = { top: number; left: number; bottom: number; right: number };

function geometry2d(info: tf.backend_util.Conv2DInfo): Geometry {
  const p = info.padInfo as PadInfo;
  return {
    batch: info.batchSize,
    inD: 1,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outD: 1,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fd: 1,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sd: 1,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dd: 1,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    padFront: 0,
    padTop: p.top,
    padLeft: p.left,
    padded: p.top > 0 || p.left > 0 || p.bottom > 0 || p.right > 0,
  };
}

function geometry3d(info: tf.backend_util.Conv3DInfo): Geometry {
  const p = info.padInfo;
  return {
    batch: info.batchSize,
    inD: info.inDepth,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outD: info.outDepth,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fd: info.filterDepth,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sd: info.strideDepth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dd: info.dilationDepth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    padFront: p.front,
    padTop: p.top,
    padLeft: p.left,
    padded: p.front > 0 || p.back > 0 || p.top > 0 || p.bottom > 0 || p.left > 0 || p.right > 0,
  };
}

const outRows = (g: Geometry): number => g.batch * g.outD * g.outH * g.outW;
const patchSize = (g: Geometry): number => g.fd * g.fh * g.fw * g.inC;
const inSize = (g: Geometry): number => g.batch * g.inD * g.inH * g.inW * g.inC;
/** Whether im2col is the input itself: a 1x1(x1) filter, stride 1, no padding. */
const pointwise = (g: Geometry): boolean =>
  g.fd * g.fh * g.fw === 1 && g.sd * g.sh * g.sw === 1 && !g.padded;

function chunkRows(g: Geometry): number {
  return Math.max(64, Math.floor(CHUNK_FLOATS / Math.max(1, patchSize(g))));
}

function geometryArgs(g: Geometry): number[] {
  return [
    g.inD,
    g.inH,
    g.inW,
    g.inC,
    g.outD,
    g.outH,
    g.outW,
    g.fd,
    g.fh,
    g.fw,
    g.sd,
    g.sh,
    g.sw,
    g.dd,
    g.dh,
    g.dw,
    g.padFront,
    g.padTop,
    g.padLeft,
  ];
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/** y = conv(x, w), channels last; w is [fd, fh, fw, inC, outC]. */
function convForward(
  k: WasmKernels,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  g: Geometry,
): Float32Array {
  k.reset();
  const m = outRows(g);
  const kk = patchSize(g);
  const n = g.outC;
  const xp = k.put(x);
  const wp = k.put(w);
  const yp = k.alloc(m * n);
  if (pointwise(g)) {
    k.gemm(m, n, kk, xp, kk, 1, wp, n, 1, yp, n, false);
  } else {
    const chunk = chunkRows(g);
    const col = k.alloc(Math.min(chunk, m) * kk);
    const args = geometryArgs(g);
    for (let r0 = 0; r0 < m; r0 += chunk) {
      const rows = Math.min(chunk, m - r0);
      k.exports.im2col(xp, ...args, r0, rows, col);
      k.gemm(rows, n, kk, col, kk, 1, wp, n, 1, yp + r0 * n * 4, n, false);
    }
  }
  return k.take(yp, m * n);
}

/** dx of y = conv(x, w), from dy, channels last. */
function convInputGradient(
  k: WasmKernels,
  dy: ArrayLike<number>,
  w: ArrayLike<number>,
  g: Geometry,
): Float32Array {
  k.reset();
  const m = outRows(g);
  const kk = patchSize(g);
  const n = g.outC;
  const size = inSize(g);
  const dyp = k.put(dy);
  const wp = k.put(w);
  if (pointwise(g)) {
    const dxp = k.alloc(size);
    k.gemm(m, kk, n, dyp, n, 1, wp, 1, n, dxp, kk, false);
    return k.take(dxp, size);
  }
  const dxp = k.zeros(size);
  const chunk = chunkRows(g);
  const col = k.alloc(Math.min(chunk, m) * kk);
  const args = geometryArgs(g);
  for (let r0 = 0; r0 < m; r0 += chunk) {
    const rows = Math.min(chunk, m - r0);
    k.gemm(rows, kk, n, dyp + r0 * n * 4, n, 1, wp, 1, n, col, kk, false);
    k.exports.col2im(col, ...args, r0, rows, dxp);
  }
  return k.take(dxp, size);
}

/** dw of y = conv(x, w), from x and dy, channels last. */
function convFilterGradient(
  k: WasmKernels,
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  g: Geometry,
): Float32Array {
  k.reset();
  const m = outRows(g);
  const kk = patchSize(g);
  const n = g.outC;
  const xp = k.put(x);
  const dyp = k.put(dy);
  const dwp = k.alloc(kk * n);
  if (m === 0) return k.take(k.zeros(kk * n), kk * n);
  if (pointwise(g)) {
    k.gemm(kk, n, m, xp, 1, kk, dyp, n, 1, dwp, n, false);
  } else {
    const chunk = chunkRows(g);
    const col = k.alloc(Math.min(chunk, m) * kk);
    const args = geometryArgs(g);
    for (let r0 = 0; r0 < m; r0 += chunk) {
      const rows = Math.min(chunk, m - r0);
      k.exports.im2col(xp, ...args, r0, rows, col);
      k.gemm(kk, n, rows, col, 1, kk, dyp + r0 * n * 4, n, 1, dwp, n, r0 > 0);
    }
  }
  return k.take(dwp, kk * n);
}

/** NCHW -> NHWC (`toLast`) or back, for 4-D values. */
function transposeChannels(
  values: ArrayLike<number>,
  batch: number,
  channels: number,
  pixels: number,
  toLast: boolean,
): Float32Array {
  const out = new Float32Array(batch * channels * pixels);
  for (let b = 0; b < batch; b++) {
    const base = b * channels * pixels;
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < pixels; p++) {
        if (toLast) out[base + p * channels + c] = values[base + c * pixels + p];
        else out[base + c * pixels + p] = values[base + p * channels + c];
      }
    }
  }
  return out;
}

function float32(...tensors: (tf.TensorInfo | undefined)[]): boolean {
  return tensors.every((t) => t == null || t.dtype === 'float32');
}

type ConvAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function conv2dInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  dilations: [number, number] | number,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    attrs.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast',
  );
}

/** The output of a 2-D convolution (NHWC values), or undefined to delegate. */
function conv2dValues(
  k: WasmKernels,
  backend: SyncBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: ConvAttrs,
): { info: tf.backend_util.Conv2DInfo; values: Float32Array } | undefined {
  if (!float32(x, filter) || x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  const info = conv2dInfo(x.shape, filter.shape, attrs, attrs.dilations ?? 1);
  const g = geometry2d(info);
  const w = read(backend, filter);
  if (g.padded && !allFinite(w)) return undefined;
  let xv = read(backend, x);
  if (info.dataFormat === 'channelsFirst') {
    xv = transposeChannels(xv, g.batch, g.inC, g.inH * g.inW, true);
  }
  return { info, values: convForward(k, xv, w, g) };
}

function nhwcToFormat(info: tf.backend_util.Conv2DInfo, values: Float32Array): Float32Array {
  return info.dataFormat === 'channelsFirst'
    ? transposeChannels(
        values,
        info.batchSize,
        info.outChannels,
        info.outHeight * info.outWidth,
        false,
      )
    : values;
}

function conv2d(k: WasmKernels, args: KernelArgs, original?: tf.KernelFunc): KernelResult {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const backend = args.backend as SyncBackend;
  const result = conv2dValues(k, backend, x, filter, args.attrs as unknown as ConvAttrs);
  if (result == null) return delegate(original, tf.Conv2D, args);
  const { info, values } = result;
  return backend.makeTensorInfo(info.outShape, 'float32', nhwcToFormat(info, values));
}

type Activation = 'linear' | 'relu' | 'relu6' | 'prelu' | 'leakyrelu' | 'sigmoid' | 'elu';
const ACTIVATIONS: ReadonlySet<string> = new Set([
  'linear',
  'relu',
  'relu6',
  'prelu',
  'leakyrelu',
  'sigmoid',
  'elu',
]);

/**
 * Whether `t` broadcasts along the last axis of an output of rank `rank` with `n` there: a
 * scalar, or `n` values on the last axis with ones before.
 */
function perLastAxis(t: tf.TensorInfo, rank: number, n: number): boolean {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.shape.length > rank) return false;
  if (size === 1) return true;
  return size === n && t.shape[t.shape.length - 1] === n;
}

/** Adds a per-last-axis bias and applies tfjs's activation in place (values NHWC-like). */
function biasAndActivation(
  values: Float32Array,
  n: number,
  bias: ArrayLike<number> | undefined,
  activation: Activation | undefined,
  prelu: ArrayLike<number> | undefined,
  leakyreluAlpha: number,
): void {
  if (bias != null) {
    if (bias.length === 1) {
      const b = bias[0];
      for (let i = 0; i < values.length; i++) values[i] += b;
    } else {
      for (let i = 0; i < values.length; i += n) {
        for (let j = 0; j < n; j++) values[i + j] += bias[j];
      }
    }
  }
  switch (activation) {
    case undefined:
    case 'linear':
      return;
    case 'relu':
      for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0;
      return;
    case 'relu6':
      for (let i = 0; i < values.length; i++) values[i] = Math.min(Math.max(0, values[i]), 6);
      return;
    case 'leakyrelu':
      for (let i = 0; i < values.length; i++) {
        if (values[i] < 0) values[i] = leakyreluAlpha * values[i];
      }
      return;
    case 'prelu': {
      const a = prelu!;
      for (let i = 0; i < values.length; i++) {
        if (values[i] < 0) values[i] = (a.length === 1 ? a[0] : a[i % n]) * values[i];
      }
      return;
    }
    case 'sigmoid':
      for (let i = 0; i < values.length; i++) values[i] = 1 / (1 + Math.exp(-values[i]));
      return;
    case 'elu':
      for (let i = 0; i < values.length; i++) {
        if (!(values[i] >= 0)) values[i] = Math.exp(values[i]) - 1;
      }
      return;
  }
}

interface FusedInputs {
  bias?: tf.TensorInfo;
  preluActivationWeights?: tf.TensorInfo;
}

/** Whether bias and activation are ones {@link biasAndActivation} applies for this output. */
function fusableEpilogue(
  inputs: FusedInputs,
  activation: string | undefined,
  rank: number,
  n: number,
): boolean {
  const { bias, preluActivationWeights: prelu } = inputs;
  if (activation != null && !ACTIVATIONS.has(activation)) return false;
  if (bias != null && (!float32(bias) || !perLastAxis(bias, rank, n))) return false;
  if (activation === 'prelu' && (prelu == null || !float32(prelu) || !perLastAxis(prelu, rank, n)))
    return false;
  return true;
}

function fusedConv2d(k: WasmKernels, args: KernelArgs, original?: tf.KernelFunc): KernelResult {
  const inputs = args.inputs as unknown as {
    x: tf.TensorInfo;
    filter: tf.TensorInfo;
  } & FusedInputs;
  const attrs = args.attrs as unknown as ConvAttrs & {
    activation?: Activation;
    leakyreluAlpha?: number;
  };
  const backend = args.backend as SyncBackend;
  const outC = inputs.filter.shape[3];
  const epilogueOk =
    fusableEpilogue(inputs, attrs.activation, 4, outC) &&
    // NCHW: only per-channel 1-D biases and scalar PReLU weights (tfjs aligns those specially).
    (attrs.dataFormat !== 'NCHW' ||
      ((inputs.bias == null || inputs.bias.shape.length === 1) &&
        (attrs.activation !== 'prelu' ||
          inputs.preluActivationWeights!.shape.reduce((a, b) => a * b, 1) === 1)));
  if (!epilogueOk) return delegate(original, tf.FusedConv2D, args);
  const result = conv2dValues(k, backend, inputs.x, inputs.filter, attrs);
  if (result == null) return delegate(original, tf.FusedConv2D, args);
  const { info, values } = result;
  biasAndActivation(
    values,
    info.outChannels,
    inputs.bias && read(backend, inputs.bias),
    attrs.activation,
    inputs.preluActivationWeights && read(backend, inputs.preluActivationWeights),
    attrs.leakyreluAlpha ?? 0.2,
  );
  return backend.makeTensorInfo(info.outShape, 'float32', nhwcToFormat(info, values));
}

function conv2dBackpropInput(
  k: WasmKernels,
  args: KernelArgs,
  original?: tf.KernelFunc,
): KernelResult {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  if (!float32(dy, filter) || dy.shape.length !== 4 || filter.shape.length !== 4) {
    return delegate(original, tf.Conv2DBackpropInput, args);
  }
  const backend = args.backend as SyncBackend;
  const info = conv2dInfo(attrs.inputShape, filter.shape, attrs, 1);
  const g = geometry2d(info);
  let dyv = read(backend, dy);
  if (info.dataFormat === 'channelsFirst') {
    dyv = transposeChannels(dyv, g.batch, g.outC, g.outH * g.outW, true);
  }
  let dx = convInputGradient(k, dyv, read(backend, filter), g);
  if (info.dataFormat === 'channelsFirst') {
    dx = transposeChannels(dx, g.batch, g.inC, g.inH * g.inW, false);
  }
  return backend.makeTensorInfo([...attrs.inputShape], 'float32', dx);
}

function conv2dBackpropFilter(
  k: WasmKernels,
  args: KernelArgs,
  original?: tf.KernelFunc,
): KernelResult {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  if (!realInputs(x, dy) || x.shape.length !== 4) {
    return delegate(original, tf.Conv2DBackpropFilter, args);
  }
  const backend = args.backend as SyncBackend;
  const info = conv2dInfo(x.shape, attrs.filterShape, attrs, attrs.dilations ?? 1);
  const g = geometry2d(info);
  let dyv = read(backend, dy);
  if (g.padded && !allFinite(dyv)) return delegate(original, tf.Conv2DBackpropFilter, args);
  let xv = read(backend, x);
  if (info.dataFormat === 'channelsFirst') {
    xv = transposeChannels(xv, g.batch, g.inC, g.inH * g.inW, true);
    dyv = transposeChannels(dyv, g.batch, g.outC, g.outH * g.outW, true);
  }
  const dw = convFilterGradient(k, xv, dyv, g);
  return backend.makeTensorInfo([...info.filterShape], 'float32', dw);
}

type Conv3dAttrs = {
  strides: [number, number, number] | number;
  pad: 'valid' | 'same';
  dilations?: [number, number, number] | number;
};

function conv3dInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Conv3dAttrs,
  dilations: [number, number, number] | number,
): tf.backend_util.Conv3DInfo {
  return tf.backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number],
    filterShape as [number, number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
  );
}

function conv3d(k: WasmKernels, args: KernelArgs, original?: tf.KernelFunc): KernelResult {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv3dAttrs & { dataFormat?: string };
  if (
    !float32(x, filter) ||
    x.shape.length !== 5 ||
    filter.shape.length !== 5 ||
    (attrs.dataFormat != null && attrs.dataFormat !== 'NDHWC')
  ) {
    return delegate(original, tf.Conv3D, args);
  }
  const backend = args.backend as SyncBackend;
  const info = conv3dInfo(x.shape, filter.shape, attrs, attrs.dilations ?? 1);
  const g = geometry3d(info);
  const w = read(backend, filter);
  if (g.padded && !allFinite(w)) return delegate(original, tf.Conv3D, args);
  return backend.makeTensorInfo(info.outShape, 'float32', convForward(k, read(backend, x), w, g));
}

function conv3dBackpropInput(
  k: WasmKernels,
  args: KernelArgs,
  original?: tf.KernelFunc,
): KernelResult {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv3dAttrs & { inputShape: number[] };
  if (!float32(dy, filter) || dy.shape.length !== 5 || filter.shape.length !== 5) {
    return delegate(original, tf.Conv3DBackpropInputV2, args);
  }
  const backend = args.backend as SyncBackend;
  const info = conv3dInfo(attrs.inputShape, filter.shape, attrs, 1);
  const g = geometry3d(info);
  const dx = convInputGradient(k, read(backend, dy), read(backend, filter), g);
  return backend.makeTensorInfo([...attrs.inputShape], 'float32', dx);
}

function conv3dBackpropFilter(
  k: WasmKernels,
  args: KernelArgs,
  original?: tf.KernelFunc,
): KernelResult {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv3dAttrs & { filterShape: number[] };
  if (!realInputs(x, dy) || x.shape.length !== 5) {
    return delegate(original, tf.Conv3DBackpropFilterV2, args);
  }
  const backend = args.backend as SyncBackend;
  const info = conv3dInfo(x.shape, attrs.filterShape, attrs, attrs.dilations ?? 1);
  const g = geometry3d(info);
  const dyv = read(backend, dy);
  if (g.padded && !allFinite(dyv)) return delegate(original, tf.Conv3DBackpropFilterV2, args);
  const dw = convFilterGradient(k, read(backend, x), dyv, g);
  return backend.makeTensorInfo([...info.filterShape], 'float32', dw);
}

function depthwiseInfo(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/** Runs the wasm depthwise loop in `mode` (0 forward, 1 input grad, 2 filter grad). */
function depthwiseRun(
  k: WasmKernels,
  mode: number,
  info: tf.backend_util.Conv2DInfo,
  a: ArrayLike<number> | undefined,
  b: ArrayLike<number> | undefined,
  c: ArrayLike<number> | undefined,
): Float32Array {
  k.reset();
  const inSizeAll = info.batchSize * info.inHeight * info.inWidth * info.inChannels;
  const outSizeAll = info.batchSize * info.outHeight * info.outWidth * info.outChannels;
  const filterSize = info.filterHeight * info.filterWidth * info.outChannels;
  const xp = a != null ? k.put(a) : k.zeros(inSizeAll);
  const yp = b != null ? k.put(b) : k.zeros(outSizeAll);
  const wp = c != null ? k.put(c) : k.zeros(filterSize);
  const p = info.padInfo;
  k.exports.depthwise(
    mode,
    xp,
    yp,
    wp,
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outChannels / info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.left,
  );
  if (mode === 0) return k.take(yp, outSizeAll);
  if (mode === 1) return k.take(xp, inSizeAll);
  return k.take(wp, filterSize);
}

function depthwiseConv2d(k: WasmKernels, args: KernelArgs, original?: tf.KernelFunc): KernelResult {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs;
  if (
    !float32(x, filter) ||
    x.shape.length !== 4 ||
    filter.shape.length !== 4 ||
    attrs.dataFormat === 'NCHW'
  ) {
    return delegate(original, tf.DepthwiseConv2dNative, args);
  }
  const backend = args.backend as SyncBackend;
  const info = depthwiseInfo(x.shape, filter.shape, attrs);
  const y = depthwiseRun(k, 0, info, read(backend, x), undefined, read(backend, filter));
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

function depthwiseBackpropInput(
  k: WasmKernels,
  args: KernelArgs,
  original?: tf.KernelFunc,
): KernelResult {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  if (!float32(dy, filter) || dy.shape.length !== 4 || filter.shape.length !== 4) {
    return delegate(original, tf.DepthwiseConv2dNativeBackpropInput, args);
  }
  const backend = args.backend as SyncBackend;
  const info = depthwiseInfo(attrs.inputShape, filter.shape, attrs);
  const dx = depthwiseRun(k, 1, info, undefined, read(backend, dy), read(backend, filter));
  return backend.makeTensorInfo([...attrs.inputShape], 'float32', dx);
}

function depthwiseBackpropFilter(
  k: WasmKernels,
  args: KernelArgs,
  original?: tf.KernelFunc,
): KernelResult {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  if (!realInputs(x, dy) || x.shape.length !== 4) {
    return delegate(original, tf.DepthwiseConv2dNativeBackpropFilter, args);
  }
  const backend = args.backend as SyncBackend;
  const info = depthwiseInfo(x.shape, attrs.filterShape, attrs);
  const dw = depthwiseRun(k, 2, info, read(backend, x), read(backend, dy), undefined);
  return backend.makeTensorInfo([...info.filterShape], 'float32', dw);
}

/** Batched matrix product values, or undefined to delegate. */
function matMulValues(
  k: WasmKernels,
  backend: SyncBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): { shape: number[]; values: Float32Array } | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (!float32(a, b) || ra < 2 || rb < 2) return undefined;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const kk = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (kk !== kb) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((x, y) => x * y, 1);
  const batchB = outerB.reduce((x, y) => x * y, 1);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  const batch = outer.reduce((x, y) => x * y, 1);
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  k.reset();
  const ap = k.put(read(backend, a));
  const bp = k.put(read(backend, b));
  const cp = k.alloc(batch * m * n);
  const [rsA, csA] = transposeA ? [1, m] : [kk, 1];
  const [rsB, csB] = transposeB ? [1, kk] : [n, 1];
  if (batchB === 1 && batchA === batch && !transposeA) {
    // One product: the batches of A stacked as rows.
    k.gemm(batch * m, n, kk, ap, kk, 1, bp, rsB, csB, cp, n, false);
  } else {
    for (let i = 0; i < batch; i++) {
      const aAt = ap + (batchA === 1 ? 0 : i) * m * kk * 4;
      const bAt = bp + (batchB === 1 ? 0 : i) * kk * n * 4;
      k.gemm(m, n, kk, aAt, rsA, csA, bAt, rsB, csB, cp + i * m * n * 4, n, false);
    }
  }
  return { shape: [...outer, m, n], values: k.take(cp, batch * m * n) };
}

type MatMulAttrs = { transposeA?: boolean; transposeB?: boolean };

function batchMatMul(k: WasmKernels, args: KernelArgs, original?: tf.KernelFunc): KernelResult {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as MatMulAttrs;
  const backend = args.backend as SyncBackend;
  const result = matMulValues(
    k,
    backend,
    a,
    b,
    attrs.transposeA === true,
    attrs.transposeB === true,
  );
  if (result == null) return delegate(original, tf.BatchMatMul, args);
  return backend.makeTensorInfo(result.shape, 'float32', result.values);
}

function fusedMatMul(k: WasmKernels, args: KernelArgs, original?: tf.KernelFunc): KernelResult {
  const inputs = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo } & FusedInputs;
  const attrs = (args.attrs ?? {}) as MatMulAttrs & {
    activation?: Activation;
    leakyreluAlpha?: number;
  };
  const backend = args.backend as SyncBackend;
  const { a, b } = inputs;
  const rank = Math.max(a.shape.length, b.shape.length);
  const n = attrs.transposeB === true ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  if (!fusableEpilogue(inputs, attrs.activation, rank, n)) {
    return delegate(original, tf._FusedMatMul, args);
  }
  const result = matMulValues(
    k,
    backend,
    a,
    b,
    attrs.transposeA === true,
    attrs.transposeB === true,
  );
  if (result == null) return delegate(original, tf._FusedMatMul, args);
  biasAndActivation(
    result.values,
    n,
    inputs.bias && read(backend, inputs.bias),
    attrs.activation,
    inputs.preluActivationWeights && read(backend, inputs.preluActivationWeights),
    attrs.leakyreluAlpha ?? 0.2,
  );
  return backend.makeTensorInfo(result.shape, 'float32', result.values);
}

type WasmImplementation = (
  k: WasmKernels,
  args: KernelArgs,
  original?: tf.KernelFunc,
) => KernelResult;

const IMPLEMENTATIONS: Record<string, WasmImplementation> = {
  [tf.BatchMatMul]: batchMatMul,
  [tf._FusedMatMul]: fusedMatMul,
  [tf.Conv2D]: conv2d,
  [tf.FusedConv2D]: fusedConv2d,
  [tf.Conv2DBackpropInput]: conv2dBackpropInput,
  [tf.Conv2DBackpropFilter]: conv2dBackpropFilter,
  [tf.Conv3D]: conv3d,
  [tf.Conv3DBackpropInputV2]: conv3dBackpropInput,
  [tf.Conv3DBackpropFilterV2]: conv3dBackpropFilter,
  [tf.DepthwiseConv2dNative]: depthwiseConv2d,
  [tf.DepthwiseConv2dNativeBackpropInput]: depthwiseBackpropInput,
  [tf.DepthwiseConv2dNativeBackpropFilter]: depthwiseBackpropFilter,
};

/** The names of the `cpu` kernels that run on the WebAssembly module. */
export const WASM_KERNELS: readonly string[] = Object.keys(IMPLEMENTATIONS);

/** The replacements, bound to a ready module. */
export function wasmReplacements(k: WasmKernels): KernelReplacement[] {
  return WASM_KERNELS.map((kernelName) => ({
    kernelName,
    implementation: (args, original) => IMPLEMENTATIONS[kernelName](k, args, original),
  }));
}
