/**
 * Transposition of a row-major array by any permutation, without per-element index arithmetic:
 * size-1 dimensions are dropped and input dimensions that stay neighbours in the output are
 * merged; what remains is a copy of contiguous rows when the innermost dimension stays
 * innermost, or else a cache-blocked 2-D transpose between the input's and the output's
 * innermost dimensions, repeated over the other dimensions by an odometer.
 */

/** Side of the square tiles of the blocked 2-D transpose. */
const TILE = 32;

/** Writable numeric arrays (typed arrays). */
export interface NumericArray {
  readonly length: number;
  [index: number]: number;
}

/**
 * `shape` and `perm` with size-1 dimensions dropped and output-adjacent dimensions merged.
 *
 * @example
 * ```ts
 * collapseTranspose([64, 128, 3], [2, 0, 1]); // { shape: [8192, 3], perm: [1, 0] }
 * ```
 */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  // Drop size-1 dimensions, renumbering the rest.
  const kept: number[] = [];
  const renumber = new Array<number>(shape.length).fill(-1);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] !== 1) {
      renumber[d] = kept.length;
      kept.push(shape[d]);
    }
  }
  const p = perm.filter((d) => shape[d] !== 1).map((d) => renumber[d]);
  // Merge runs d, d+1, ... that follow each other in the output.
  const runs: number[][] = [];
  for (const d of p) {
    const run = runs.length > 0 ? runs[runs.length - 1] : undefined;
    if (run !== undefined && run[run.length - 1] + 1 === d) run.push(d);
    else runs.push([d]);
  }
  // Renumber the runs by their first input dimension.
  const byInput = runs.map((run, i) => ({ first: run[0], i })).sort((a, b) => a.first - b.first);
  const mergedShape = new Array<number>(runs.length);
  const newIndexOfRun = new Array<number>(runs.length);
  byInput.forEach(({ i }, newIndex) => {
    newIndexOfRun[i] = newIndex;
    mergedShape[newIndex] = runs[i].reduce((size, d) => size * kept[d], 1);
  });
  return { shape: mergedShape, perm: runs.map((_, i) => newIndexOfRun[i]) };
}

/** Blocked transpose of the `[rows, cols]` tile at `x[xStart]` (row stride `xRowStride`). */
function transpose2d(
  x: ArrayLike<number>,
  xStart: number,
  xRowStride: number,
  out: NumericArray,
  outStart: number,
  outRowStride: number,
  rows: number,
  cols: number,
): void {
  // out[outStart + c * outRowStride + r] = x[xStart + r * xRowStride + c]
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(r0 + TILE, rows);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(c0 + TILE, cols);
      for (let c = c0; c < c1; c++) {
        const o = outStart + c * outRowStride;
        const xc = xStart + c;
        for (let r = r0; r < r1; r++) out[o + r] = x[xc + r * xRowStride];
      }
    }
  }
}

/**
 * Writes `x` (row-major, of `shape`) transposed by `perm` into `out`: the output's dimension `i`
 * is the input's dimension `perm[i]`, as in `tf.transpose`.
 *
 * @example
 * ```ts
 * const out = new Float32Array(6);
 * transposeValues(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0], out); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function transposeValues(
  x: ArrayLike<number>,
  shape: readonly number[],
  perm: readonly number[],
  out: NumericArray,
): void {
  const size = out.length;
  if (size === 0) return;
  const c = collapseTranspose(shape, perm);
  const rank = c.shape.length;
  if (rank <= 1) {
    for (let i = 0; i < size; i++) out[i] = x[i];
    return;
  }
  const inStrides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= c.shape[d];
  }
  const outShape = c.perm.map((d) => c.shape[d]);
  const outStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    outStrides[i] = s;
    s *= outShape[i];
  }
  // The output's innermost dimension `a`. When it is the input's innermost too, the output is
  // made of contiguous input rows; otherwise `a` (input stride > 1) and the input's innermost
  // dimension (at output position `q`) make a 2-D transpose.
  const a = c.perm[rank - 1];
  const rowCopy = a === rank - 1;
  const q = rowCopy ? rank - 1 : c.perm.indexOf(rank - 1);
  const rows = rowCopy ? 1 : c.shape[a];
  const cols = c.shape[rank - 1];
  const xRowStride = inStrides[a];
  const outRowStride = outStrides[q];
  // Odometer over the other output positions, in output order.
  const others: number[] = [];
  for (let i = 0; i < rank; i++) if (i !== q && i !== rank - 1) others.push(i);
  const n = others.length;
  const sizes = others.map((i) => outShape[i]);
  const xSteps = others.map((i) => inStrides[c.perm[i]]);
  const outSteps = others.map((i) => outStrides[i]);
  const index = new Array<number>(n).fill(0);
  const tiles = size / (rows * cols);
  let xStart = 0;
  let outStart = 0;
  for (let t = 0; t < tiles; t++) {
    if (rowCopy) {
      for (let j = 0; j < cols; j++) out[outStart + j] = x[xStart + j];
    } else {
      transpose2d(x, xStart, xRowStride, out, outStart, outRowStride, rows, cols);
    }
    for (let g = n - 1; g >= 0; g--) {
      if (++index[g] < sizes[g]) {
        xStart += xSteps[g];
        outStart += outSteps[g];
        break;
      }
      index[g] = 0;
      xStart -= xSteps[g] * (sizes[g] - 1);
      outStart -= outSteps[g] * (sizes[g] - 1);
    }
  }
}
