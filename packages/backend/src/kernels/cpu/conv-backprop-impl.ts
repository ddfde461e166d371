/**
 * Filter gradients of convolutions over plain typed arrays: the arithmetic behind the `cpu`
 * kernels of `conv-backprop-kernels.ts`, free of tfjs so that it can be tested on its own.
 *
 * A convolution's filter gradient is a matrix product: with one row per output position
 * (`N = batch · outDepth · outHeight · outWidth` rows), the input patches `P` (`N × K`,
 * `K = filterDepth · filterHeight · filterWidth · inChannels`) and the output gradient `dY`
 * (`N × outChannels`) give `dW = Pᵀ · dY`. The patches are gathered a block of rows at a time
 * (not at all for a 1×1 filter with stride 1 and no padding over contiguous channels-last
 * input, where `P` is the input itself) and multiplied with a 4×4 register-blocked loop. Sums
 * are carried in float64, as tfjs's own kernels do, and rounded to float32 once at the end.
 */

/** Element strides of a rank-5 tensor seen as `[batch, depth, row, column, channel]`. */
export interface ConvLayout {
  batch: number;
  depth: number;
  row: number;
  col: number;
  channel: number;
}

/**
 * Geometry of a 3-D convolution (a 2-D one has depth 1): sizes, strides, dilations and the
 * padding before the first element along each spatial axis.
 */
export interface ConvGeometry {
  batch: number;
  inDepth: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outDepth: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterDepth: number;
  filterHeight: number;
  filterWidth: number;
  strideDepth: number;
  strideHeight: number;
  strideWidth: number;
  dilationDepth: number;
  dilationHeight: number;
  dilationWidth: number;
  padFront: number;
  padTop: number;
  padLeft: number;
}

/**
 * Strides of a contiguous channels-last (`NDHWC`, or `NHWC` with depth 1) tensor.
 *
 * @example
 * ```ts
 * channelsLastLayout(5, 8, 8, 3); // { batch: 960, depth: 192, row: 24, col: 3, channel: 1 }
 * ```
 */
export function channelsLastLayout(
  depth: number,
  height: number,
  width: number,
  channels: number,
): ConvLayout {
  return {
    batch: depth * height * width * channels,
    depth: height * width * channels,
    row: width * channels,
    col: channels,
    channel: 1,
  };
}

/**
 * Strides of a contiguous channels-first `NCHW` tensor, seen with depth 1.
 *
 * @example
 * ```ts
 * channelsFirstLayout(8, 8, 3); // { batch: 192, depth: 0, row: 8, col: 1, channel: 64 }
 * ```
 */
export function channelsFirstLayout(height: number, width: number, channels: number): ConvLayout {
  return {
    batch: channels * height * width,
    depth: 0,
    row: width,
    col: 1,
    channel: height * width,
  };
}

/** Rows of patches gathered at a time: a block that stays in cache while it is multiplied. */
function blockRows(columns: number): number {
  return Math.max(8, Math.min(256, Math.floor(65536 / Math.max(1, columns))));
}

function isRowMajor(
  layout: ConvLayout,
  depth: number,
  height: number,
  width: number,
  channels: number,
): boolean {
  const dense = channelsLastLayout(depth, height, width, channels);
  return (
    layout.channel === 1 &&
    (width <= 1 || layout.col === dense.col) &&
    (height <= 1 || layout.row === dense.row) &&
    (depth <= 1 || layout.depth === dense.depth) &&
    layout.batch === dense.batch
  );
}

/**
 * Adds `Aᵀ · B` to `c` (`k × m`, row-major, float64), where `A` is `rows × k` starting at
 * `a[aStart]` and `B` is `rows × m` starting at `b[bStart]`, both row-major and dense.
 *
 * @example
 * ```ts
 * const c = new Float64Array(1);
 * accumulateTransposedProduct(new Float32Array([1, 2]), 0, 1, new Float32Array([3, 4]), 0, 1, 2, c);
 * // c[0] === 11
 * ```
 */
export function accumulateTransposedProduct(
  a: Float32Array,
  aStart: number,
  k: number,
  b: Float32Array,
  bStart: number,
  m: number,
  rows: number,
  c: Float64Array,
): void {
  const k4 = k - (k % 4);
  const m4 = m - (m % 4);
  for (let i = 0; i < k4; i += 4) {
    for (let j = 0; j < m4; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      let ia = aStart + i;
      let ib = bStart + j;
      for (let n = 0; n < rows; n++) {
        const a0 = a[ia],
          a1 = a[ia + 1],
          a2 = a[ia + 2],
          a3 = a[ia + 3];
        const b0 = b[ib],
          b1 = b[ib + 1],
          b2 = b[ib + 2],
          b3 = b[ib + 3];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
        ia += k;
        ib += m;
      }
      let o = i * m + j;
      c[o] += c00;
      c[o + 1] += c01;
      c[o + 2] += c02;
      c[o + 3] += c03;
      o += m;
      c[o] += c10;
      c[o + 1] += c11;
      c[o + 2] += c12;
      c[o + 3] += c13;
      o += m;
      c[o] += c20;
      c[o + 1] += c21;
      c[o + 2] += c22;
      c[o + 3] += c23;
      o += m;
      c[o] += c30;
      c[o + 1] += c31;
      c[o + 2] += c32;
      c[o + 3] += c33;
    }
    for (let j = m4; j < m; j++) {
      let c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      let ia = aStart + i;
      let ib = bStart + j;
      for (let n = 0; n < rows; n++) {
        const bv = b[ib];
        c0 += a[ia] * bv;
        c1 += a[ia + 1] * bv;
        c2 += a[ia + 2] * bv;
        c3 += a[ia + 3] * bv;
        ia += k;
        ib += m;
      }
      c[i * m + j] += c0;
      c[(i + 1) * m + j] += c1;
      c[(i + 2) * m + j] += c2;
      c[(i + 3) * m + j] += c3;
    }
  }
  for (let i = k4; i < k; i++) {
    for (let j = 0; j < m4; j += 4) {
      let c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      let ia = aStart + i;
      let ib = bStart + j;
      for (let n = 0; n < rows; n++) {
        const av = a[ia];
        c0 += av * b[ib];
        c1 += av * b[ib + 1];
        c2 += av * b[ib + 2];
        c3 += av * b[ib + 3];
        ia += k;
        ib += m;
      }
      const o = i * m + j;
      c[o] += c0;
      c[o + 1] += c1;
      c[o + 2] += c2;
      c[o + 3] += c3;
    }
    for (let j = m4; j < m; j++) {
      let s = 0;
      let ia = aStart + i;
      let ib = bStart + j;
      for (let n = 0; n < rows; n++) {
        s += a[ia] * b[ib];
        ia += k;
        ib += m;
      }
      c[i * m + j] += s;
    }
  }
}

function toFloat32(values: ArrayLike<number>): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/**
 * Filter gradient of a convolution: `dW[fd, fh, fw, ci, co] = Σ x[patch] · dy[position, co]`
 * over every batch entry and output position, with zero padding outside the input. `x` and
 * `dy` may have any layout (`xLayout`, `dyLayout`); the result is dense, shaped
 * `[filterDepth, filterHeight, filterWidth, inChannels, outChannels]`.
 *
 * @example
 * ```ts
 * // A 1×1 filter over a 1×1×2 input with one output channel.
 * const g = { batch: 1, inDepth: 1, inHeight: 1, inWidth: 2, inChannels: 1, outDepth: 1, outHeight: 1,
 *   outWidth: 2, outChannels: 1, filterDepth: 1, filterHeight: 1, filterWidth: 1, strideDepth: 1,
 *   strideHeight: 1, strideWidth: 1, dilationDepth: 1, dilationHeight: 1, dilationWidth: 1,
 *   padFront: 0, padTop: 0, padLeft: 0 };
 * const dw = convFilterGradient(new Float32Array([1, 2]), channelsLastLayout(1, 1, 2, 1),
 *   new Float32Array([3, 4]), channelsLastLayout(1, 1, 2, 1), g); // [11]
 * ```
 */
export function convFilterGradient(
  xValues: ArrayLike<number>,
  xLayout: ConvLayout,
  dyValues: ArrayLike<number>,
  dyLayout: ConvLayout,
  g: ConvGeometry,
): Float32Array {
  const x = toFloat32(xValues);
  const dy = toFloat32(dyValues);
  const ci = g.inChannels;
  const m = g.outChannels;
  const taps = g.filterDepth * g.filterHeight * g.filterWidth;
  const k = taps * ci;
  const outPlane = g.outHeight * g.outWidth;
  const outVolume = g.outDepth * outPlane;
  const n = g.batch * outVolume;
  if (k === 0 || m === 0 || n === 0) return new Float32Array(k * m);
  const acc = new Float64Array(k * m);

  // A 1×1×1 filter with unit strides and no padding reads the input itself as the patches.
  const patchesAreInput =
    taps === 1 &&
    g.strideDepth === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.padFront === 0 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outDepth === g.inDepth &&
    g.outHeight === g.inHeight &&
    g.outWidth === g.inWidth &&
    isRowMajor(xLayout, g.inDepth, g.inHeight, g.inWidth, ci);
  const dyIsRowMajor = isRowMajor(dyLayout, g.outDepth, g.outHeight, g.outWidth, m);

  const rowsPerBlock = blockRows(Math.max(patchesAreInput ? 0 : k, dyIsRowMajor ? 0 : m));
  const patches = patchesAreInput ? x : new Float32Array(rowsPerBlock * k);
  const grads = dyIsRowMajor ? dy : new Float32Array(rowsPerBlock * m);

  const { strideDepth: sd, strideHeight: sh, strideWidth: sw } = g;
  const { dilationDepth: dd, dilationHeight: dh, dilationWidth: dw } = g;
  const xc = xLayout.channel;
  const yc = dyLayout.channel;
  const rowsAreContiguous = dw === 1 && xc === 1 && xLayout.col === ci;
  const rowLength = g.filterWidth * ci;

  for (let n0 = 0; n0 < n; n0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, n - n0);
    if (!patchesAreInput || !dyIsRowMajor) {
      for (let r = 0; r < rows; r++) {
        const pos = n0 + r;
        const b = Math.floor(pos / outVolume);
        const rest = pos - b * outVolume;
        const oz = Math.floor(rest / outPlane);
        const rest2 = rest - oz * outPlane;
        const oy = Math.floor(rest2 / g.outWidth);
        const ox = rest2 - oy * g.outWidth;
        if (!dyIsRowMajor) {
          const src =
            b * dyLayout.batch + oz * dyLayout.depth + oy * dyLayout.row + ox * dyLayout.col;
          const dst = r * m;
          for (let j = 0; j < m; j++) grads[dst + j] = dy[src + j * yc];
        }
        if (!patchesAreInput) {
          let dst = r * k;
          const xBatch = b * xLayout.batch;
          const ix0 = ox * sw - g.padLeft;
          // First and last-plus-one filter column inside the input, for contiguous copies.
          const fxLo = Math.min(g.filterWidth, Math.max(0, -ix0));
          const fxHi = Math.max(fxLo, Math.min(g.filterWidth, g.inWidth - ix0));
          for (let fz = 0; fz < g.filterDepth; fz++) {
            const iz = oz * sd - g.padFront + fz * dd;
            const zInside = iz >= 0 && iz < g.inDepth;
            for (let fy = 0; fy < g.filterHeight; fy++) {
              const iy = oy * sh - g.padTop + fy * dh;
              const yInside = zInside && iy >= 0 && iy < g.inHeight;
              if (rowsAreContiguous) {
                // The filter row's taps inside the input are one run of the input.
                const rowEnd = dst + rowLength;
                if (!yInside) {
                  patches.fill(0, dst, rowEnd);
                } else {
                  const start = dst + fxLo * ci;
                  const end = dst + fxHi * ci;
                  if (start > dst) patches.fill(0, dst, start);
                  let src = xBatch + iz * xLayout.depth + iy * xLayout.row + (ix0 + fxLo) * ci;
                  for (let p = start; p < end; p++) patches[p] = x[src++];
                  if (rowEnd > end) patches.fill(0, end, rowEnd);
                }
                dst = rowEnd;
                continue;
              }
              for (let fx = 0; fx < g.filterWidth; fx++) {
                const ix = ox * sw - g.padLeft + fx * dw;
                if (yInside && ix >= 0 && ix < g.inWidth) {
                  const src = xBatch + iz * xLayout.depth + iy * xLayout.row + ix * xLayout.col;
                  if (xc === 1) for (let c = 0; c < ci; c++) patches[dst + c] = x[src + c];
                  else for (let c = 0; c < ci; c++) patches[dst + c] = x[src + c * xc];
                } else {
                  patches.fill(0, dst, dst + ci);
                }
                dst += ci;
              }
            }
          }
        }
      }
    }
    accumulateTransposedProduct(
      patches,
      patchesAreInput ? n0 * k : 0,
      k,
      grads,
      dyIsRowMajor ? n0 * m : 0,
      m,
      rows,
      acc,
    );
  }
  return new Float32Array(acc);
}

/**
 * Filter gradient of a depthwise 2-D convolution over channels-last input:
 * `dW[fh, fw, ci, q] = Σ x[patch, ci] · dy[position, ci · multiplier + q]`, shaped
 * `[filterHeight, filterWidth, inChannels, multiplier]`. The geometry's depth fields must be 1
 * and its `outChannels` is `inChannels · multiplier`.
 *
 * @example
 * ```ts
 * const g = { batch: 1, inDepth: 1, inHeight: 1, inWidth: 2, inChannels: 1, outDepth: 1, outHeight: 1,
 *   outWidth: 2, outChannels: 1, filterDepth: 1, filterHeight: 1, filterWidth: 1, strideDepth: 1,
 *   strideHeight: 1, strideWidth: 1, dilationDepth: 1, dilationHeight: 1, dilationWidth: 1,
 *   padFront: 0, padTop: 0, padLeft: 0 };
 * depthwiseFilterGradient(new Float32Array([1, 2]), new Float32Array([3, 4]), g); // [11]
 * ```
 */
export function depthwiseFilterGradient(
  xValues: ArrayLike<number>,
  dyValues: ArrayLike<number>,
  g: ConvGeometry,
): Float32Array {
  const x = toFloat32(xValues);
  const dy = toFloat32(dyValues);
  const ci = g.inChannels;
  const co = g.outChannels;
  const multiplier = ci === 0 ? 0 : co / ci;
  const acc = new Float64Array(g.filterHeight * g.filterWidth * co);
  const xRow = g.inWidth * ci;
  const xImage = g.inHeight * xRow;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        const dyStart = ((b * g.outHeight + oy) * g.outWidth + ox) * co;
        for (let fy = 0; fy < g.filterHeight; fy++) {
          const iy = oy * g.strideHeight - g.padTop + fy * g.dilationHeight;
          if (iy < 0 || iy >= g.inHeight) continue;
          for (let fx = 0; fx < g.filterWidth; fx++) {
            const ix = ox * g.strideWidth - g.padLeft + fx * g.dilationWidth;
            if (ix < 0 || ix >= g.inWidth) continue;
            const xStart = b * xImage + iy * xRow + ix * ci;
            const accStart = (fy * g.filterWidth + fx) * co;
            if (multiplier === 1) {
              for (let c = 0; c < ci; c++) acc[accStart + c] += x[xStart + c] * dy[dyStart + c];
            } else {
              for (let c = 0; c < ci; c++) {
                const xv = x[xStart + c];
                const o = c * multiplier;
                for (let q = 0; q < multiplier; q++)
                  acc[accStart + o + q] += xv * dy[dyStart + o + q];
              }
            }
          }
        }
      }
    }
  }
  return new Float32Array(acc);
}
