/**
 * Pooling over channels-last tensors ([batch, depth, height, width, channels]; a 2-D pooling is
 * one of depth 1) with the channels in the innermost loop, reproducing tfjs-backend-cpu 4.22's
 * `cpu` kernels value for value: which element a max-pooling gradient goes to (ties, NaN, the
 * 3-D kernel's window-position encoding), the order of float64 sums, and the divisions.
 */

/** The geometry of a pooling, from tfjs's `computePool2DInfo`/`computePool3DInfo`. */
export interface PoolGeometry {
  batch: number;
  inDepth: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outDepth: number;
  outHeight: number;
  outWidth: number;
  filterDepth: number;
  filterHeight: number;
  filterWidth: number;
  strideDepth: number;
  strideHeight: number;
  strideWidth: number;
  padFront: number;
  padTop: number;
  padLeft: number;
}

/** One spatial axis: for each output index, where its window starts (may be < 0) and ends. */
interface Axis {
  corner: Int32Array;
  begin: Int32Array;
  end: Int32Array;
}

function axis(outSize: number, stride: number, pad: number, filter: number, inSize: number): Axis {
  const corner = new Int32Array(outSize);
  const begin = new Int32Array(outSize);
  const end = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    corner[o] = o * stride - pad;
    begin[o] = Math.max(0, corner[o]);
    end[o] = Math.min(inSize, corner[o] + filter);
  }
  return { corner, begin, end };
}

/**
 * The windows of a pooling, one output position after another in order: `next()` fills
 * `offsets` with the input offsets (channel 0) of the elements of the next window clipped to
 * the input, in tfjs's order (depth, row, column), and returns how many there are.
 */
class Windows {
  readonly offsets: Int32Array;
  /** The number of output positions (batch × depth × height × width). */
  readonly positions: number;
  /** The current window's corner: the input coordinates of its first position (may be < 0). */
  cornerD = 0;
  cornerH = 0;
  cornerW = 0;
  private readonly d: Axis;
  private readonly h: Axis;
  private readonly w: Axis;
  private b = 0;
  private od = 0;
  private oh = 0;
  private ow = -1;

  constructor(private readonly g: PoolGeometry) {
    this.d = axis(g.outDepth, g.strideDepth, g.padFront, g.filterDepth, g.inDepth);
    this.h = axis(g.outHeight, g.strideHeight, g.padTop, g.filterHeight, g.inHeight);
    this.w = axis(g.outWidth, g.strideWidth, g.padLeft, g.filterWidth, g.inWidth);
    this.offsets = new Int32Array(Math.max(1, g.filterDepth * g.filterHeight * g.filterWidth));
    this.positions = g.batch * g.outDepth * g.outHeight * g.outWidth;
  }

  /** Moves to the next output position and loads its window; returns its element count. */
  next(): number {
    const g = this.g;
    if (++this.ow === g.outWidth) {
      this.ow = 0;
      if (++this.oh === g.outHeight) {
        this.oh = 0;
        if (++this.od === g.outDepth) {
          this.od = 0;
          this.b++;
        }
      }
    }
    const { d, h, w, offsets, od, oh, ow } = this;
    const C = g.channels;
    const H = g.inHeight;
    const W = g.inWidth;
    const batchOffset = this.b * g.inDepth * H * W;
    const w0 = w.begin[ow];
    const w1 = w.end[ow];
    let n = 0;
    for (let id = d.begin[od]; id < d.end[od]; id++) {
      for (let ih = h.begin[oh]; ih < h.end[oh]; ih++) {
        let base = (batchOffset + (id * H + ih) * W + w0) * C;
        for (let iw = w0; iw < w1; iw++, base += C) offsets[n++] = base;
      }
    }
    this.cornerD = d.corner[od];
    this.cornerH = h.corner[oh];
    this.cornerW = w.corner[ow];
    return n;
  }
}

function outputSize(g: PoolGeometry): number {
  return g.batch * g.outDepth * g.outHeight * g.outWidth * g.channels;
}

function inputSize(g: PoolGeometry): number {
  return g.batch * g.inDepth * g.inHeight * g.inWidth * g.channels;
}

/**
 * Max pooling: each output is the largest element of its window; NaN elements are passed over
 * (a window of NaN only, or with no element, gives -Infinity), as tfjs's `cpu` kernels do.
 */
export function maxPoolForward(x: ArrayLike<number>, g: PoolGeometry): Float32Array {
  const C = g.channels;
  const out = new Float32Array(outputSize(g));
  const windows = new Windows(g);
  const offsets = windows.offsets;
  for (let p = 0, o = 0; p < windows.positions; p++, o += C) {
    const n = windows.next();
    for (let c = 0; c < C; c++) {
      let best = -Infinity;
      for (let k = 0; k < n; k++) {
        const v = x[offsets[k] + c];
        if (v > best) best = v;
      }
      out[o + c] = best;
    }
  }
  return out;
}

/**
 * Average pooling over the elements each window covers (padding left out of the count),
 * summing in float64 in tfjs's order. A window covering no element gives `emptyValue` (tfjs's
 * 2-D kernel gives NaN, its 3-D kernel 0).
 */
export function avgPoolForward(
  x: ArrayLike<number>,
  g: PoolGeometry,
  emptyValue: number,
): Float32Array {
  const C = g.channels;
  const out = new Float32Array(outputSize(g));
  const windows = new Windows(g);
  const offsets = windows.offsets;
  for (let p = 0, o = 0; p < windows.positions; p++, o += C) {
    const n = windows.next();
    if (n === 0) {
      out.fill(emptyValue, o, o + C);
      continue;
    }
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += x[offsets[k] + c];
      out[o + c] = sum / n;
    }
  }
  return out;
}

/** Whether some input element lies in more than one window. */
function windowsOverlap(g: PoolGeometry): boolean {
  return (
    (g.outDepth > 1 && g.strideDepth < g.filterDepth) ||
    (g.outHeight > 1 && g.strideHeight < g.filterHeight) ||
    (g.outWidth > 1 && g.strideWidth < g.filterWidth)
  );
}

/** How tfjs's max-pooling gradient kernels pick and locate the maximum of a window. */
export interface MaxPoolGradRule {
  /**
   * Whether the last of equal maxima gets the gradient (tfjs's 3-D kernel compares with `>=`)
   * rather than the first (its 2-D kernel, `>`).
   */
  lastMax: boolean;
  /**
   * The factor of the window row in tfjs's window-position code `d·H·W + r·rowFactor + c`: the
   * filter width in 2-D; in 3-D tfjs 4.22 uses the filter height, while its gradient decodes the
   * position with the width, so where they differ the gradient lands on the element the code
   * names when decoded with the width (or nowhere, when that is outside the window or input).
   */
  rowFactor: number;
}

/**
 * For each element of the current window, the input offset (channel 0) that tfjs's gradient
 * kernel gives the window's gradient to when that element is the maximum, or -1 for none (see
 * {@link MaxPoolGradRule}).
 */
function gradientTargets(
  g: PoolGeometry,
  windows: Windows,
  n: number,
  rowFactor: number,
  targets: Int32Array,
): void {
  const { inDepth: D, inHeight: H, inWidth: W, filterHeight: FH, filterWidth: FW } = g;
  const { offsets, cornerD, cornerH, cornerW } = windows;
  for (let k = 0; k < n; k++) {
    // The element's input coordinates, from its offset.
    const cell = offsets[k] / g.channels;
    const iw = cell % W;
    const ih = Math.floor(cell / W) % H;
    const id = Math.floor(cell / (W * H)) % D;
    const batchCell = cell - ((id * H + ih) * W + iw);
    // tfjs's code for the element's window position, decoded with the width.
    const code = (id - cornerD) * FH * FW + (ih - cornerH) * rowFactor + (iw - cornerW);
    const kd = Math.floor(code / (FH * FW));
    const kh = Math.floor((code - kd * FH * FW) / FW);
    const kw = code - kd * FH * FW - kh * FW;
    const d = cornerD + kd;
    const h = cornerH + kh;
    const w = cornerW + kw;
    const inside = kd < g.filterDepth && d >= 0 && d < D && h >= 0 && h < H && w >= 0 && w < W;
    targets[k] = inside ? (batchCell + (d * H + h) * W + w) * g.channels : -1;
  }
}

/**
 * The input gradient of max pooling: each output's gradient goes to the maximum of its window
 * (see {@link MaxPoolGradRule}); a window without a maximum (all NaN) passes none on. Where an
 * element takes gradients from several windows they are summed in float64 in output order, as
 * tfjs does.
 */
export function maxPoolBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  g: PoolGeometry,
  rule: MaxPoolGradRule,
): Float32Array {
  const C = g.channels;
  // Float64 where an element may take several gradients; else float32 (0 + v is v).
  const acc = windowsOverlap(g) ? new Float64Array(inputSize(g)) : new Float32Array(inputSize(g));
  const windows = new Windows(g);
  const offsets = windows.offsets;
  const exact = rule.rowFactor === g.filterWidth;
  const targets = exact ? offsets : new Int32Array(offsets.length);
  const lastMax = rule.lastMax;
  for (let p = 0, o = 0; p < windows.positions; p++, o += C) {
    const n = windows.next();
    if (!exact) gradientTargets(g, windows, n, rule.rowFactor, targets);
    for (let c = 0; c < C; c++) {
      let best = -Infinity;
      let at = -1;
      if (lastMax) {
        for (let k = 0; k < n; k++) {
          const v = x[offsets[k] + c];
          if (v >= best) {
            best = v;
            at = k;
          }
        }
      } else {
        for (let k = 0; k < n; k++) {
          const v = x[offsets[k] + c];
          if (v > best) {
            best = v;
            at = k;
          }
        }
      }
      if (at >= 0 && targets[at] >= 0) acc[targets[at] + c] += dy[o + c];
    }
  }
  return acc instanceof Float32Array ? acc : Float32Array.from(acc);
}

/**
 * The input gradient of average pooling as tfjs's kernels compute it: each output's gradient
 * spread over the elements of its window, summed in float64 in output order, times
 * `multiplier` (tfjs: 1 / the full window size, padding included).
 */
export function avgPoolBackward(
  dy: ArrayLike<number>,
  g: PoolGeometry,
  multiplier: number,
): Float32Array {
  const C = g.channels;
  const acc = new Float64Array(inputSize(g));
  const windows = new Windows(g);
  const offsets = windows.offsets;
  for (let p = 0, o = 0; p < windows.positions; p++, o += C) {
    const n = windows.next();
    for (let k = 0; k < n; k++) {
      const base = offsets[k];
      for (let c = 0; c < C; c++) acc[base + c] += dy[o + c];
    }
  }
  const out = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i] * multiplier;
  return out;
}
