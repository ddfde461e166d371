/**
 * Copying loops of the faster data-movement kernels (`data-movement-kernels.ts`): a strided box
 * copied one contiguous run at a time, and a tiling by doubling copies. They work on the typed
 * arrays the CPU backend keeps (`Float32Array`, `Int32Array`, `Uint8Array` for bool), and
 * convert between them as element assignment does (`TypedArray.set` converts the same way).
 */

/** What the loops need of a typed array. */
export interface NumericArray {
  [index: number]: number;
  readonly length: number;
  set(values: ArrayLike<number>, offset?: number): void;
  subarray(begin: number, end?: number): NumericArray;
  copyWithin(target: number, start: number, end?: number): unknown;
  fill(value: number): unknown;
}

/**
 * Runs at least this long are copied with `set(subarray(…))`; shorter ones element by element,
 * which costs less than making a view for a handful of values.
 */
const SET_MIN_RUN = 24;

/** Copies `length` values from `src[srcOffset…]` to `dst[dstOffset…]`. */
function copyRun(
  src: NumericArray,
  srcOffset: number,
  dst: NumericArray,
  dstOffset: number,
  length: number,
): void {
  if (length >= SET_MIN_RUN) {
    dst.set(src.subarray(srcOffset, srcOffset + length), dstOffset);
  } else {
    for (let i = 0; i < length; i++) dst[dstOffset + i] = src[srcOffset + i];
  }
}

/** Row-major strides of `shape`, the last axis's being 1. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = stride;
    stride *= shape[k];
  }
  return strides;
}

/** The number of elements of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/**
 * Copies a box of `extent` elements: element `i` (a multi-index) goes from
 * `src[srcOffset + Σ i[k]·srcStrides[k]]` to `dst[dstOffset + Σ i[k]·dstStrides[k]]`. Axes of
 * extent 1 are dropped and neighbouring axes that are contiguous in both arrays merged, so that
 * the innermost (stride 1 in both) is copied as whole runs and only the outer axes are walked.
 */
export function copyBox(
  src: NumericArray,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: NumericArray,
  dstOffset: number,
  dstStrides: readonly number[],
  extent: readonly number[],
): void {
  const sizes: number[] = [];
  const srcStep: number[] = [];
  const dstStep: number[] = [];
  for (let k = 0; k < extent.length; k++) {
    const n = extent[k];
    if (n === 0) return;
    if (n === 1) continue;
    const last = sizes.length - 1;
    if (last >= 0 && srcStep[last] === n * srcStrides[k] && dstStep[last] === n * dstStrides[k]) {
      sizes[last] *= n;
      srcStep[last] = srcStrides[k];
      dstStep[last] = dstStrides[k];
    } else {
      sizes.push(n);
      srcStep.push(srcStrides[k]);
      dstStep.push(dstStrides[k]);
    }
  }
  let outer = sizes.length;
  let run = 1;
  if (outer > 0 && srcStep[outer - 1] === 1 && dstStep[outer - 1] === 1) {
    outer -= 1;
    run = sizes[outer];
  }
  if (outer === 0) {
    copyRun(src, srcOffset, dst, dstOffset, run);
    return;
  }
  if (outer === 1) {
    const n = sizes[0];
    const ss = srcStep[0];
    const ds = dstStep[0];
    for (let i = 0; i < n; i++) copyRun(src, srcOffset + i * ss, dst, dstOffset + i * ds, run);
    return;
  }
  // Odometer over the outer axes, the last of them walked by the inner loop.
  const inner = outer - 1;
  const innerSize = sizes[inner];
  const innerSrc = srcStep[inner];
  const innerDst = dstStep[inner];
  const index = new Array<number>(inner).fill(0);
  let s = srcOffset;
  let d = dstOffset;
  for (;;) {
    for (let i = 0; i < innerSize; i++) copyRun(src, s + i * innerSrc, dst, d + i * innerDst, run);
    let k = inner - 1;
    for (; k >= 0; k--) {
      index[k] += 1;
      s += srcStep[k];
      d += dstStep[k];
      if (index[k] < sizes[k]) break;
      s -= srcStep[k] * sizes[k];
      d -= dstStep[k] * sizes[k];
      index[k] = 0;
    }
    if (k < 0) return;
  }
}

/** Repeats `dst[offset, offset + length)` `times` times in place, doubling the copied block. */
function repeatInPlace(dst: NumericArray, offset: number, length: number, times: number): void {
  const total = length * times;
  let filled = length;
  while (filled < total) {
    const n = Math.min(filled, total - filled);
    dst.copyWithin(offset + filled, offset, offset + n);
    filled += n;
  }
}

/**
 * Writes `x` (of `shape`) tiled `reps` times along each axis into `out` (of the tiled shape).
 * Axes are first merged where the layout allows (an axis repeated once into the one before it,
 * an axis of size 1 into the one after it); then each axis's block is built once and repeated
 * by doubling copies.
 */
export function tileInto(
  x: NumericArray,
  shape: readonly number[],
  reps: readonly number[],
  out: NumericArray,
): void {
  const sizes: number[] = [];
  const times: number[] = [];
  for (let k = 0; k < shape.length; k++) {
    const s = shape[k];
    const r = reps[k];
    if (s === 0 || r === 0) return;
    const last = sizes.length - 1;
    if (last >= 0 && r === 1) {
      sizes[last] *= s;
    } else if (last >= 0 && sizes[last] === 1) {
      sizes[last] = s;
      times[last] *= r;
    } else {
      sizes.push(s);
      times.push(r);
    }
  }
  const rank = sizes.length;
  if (rank === 0) {
    copyRun(x, 0, out, 0, 1);
    return;
  }
  // Elements of x and of out one step along each axis moves over.
  const inStep = new Array<number>(rank);
  const outStep = new Array<number>(rank);
  let inBlock = 1;
  let outBlock = 1;
  for (let k = rank - 1; k >= 0; k--) {
    inStep[k] = inBlock;
    outStep[k] = outBlock;
    inBlock *= sizes[k];
    outBlock *= sizes[k] * times[k];
  }
  const fill = (axis: number, inOffset: number, outOffset: number): void => {
    const n = sizes[axis];
    if (axis === rank - 1) {
      copyRun(x, inOffset, out, outOffset, n);
    } else {
      for (let i = 0; i < n; i++) {
        fill(axis + 1, inOffset + i * inStep[axis], outOffset + i * outStep[axis]);
      }
    }
    repeatInPlace(out, outOffset, n * outStep[axis], times[axis]);
  };
  fill(0, 0, 0);
}
