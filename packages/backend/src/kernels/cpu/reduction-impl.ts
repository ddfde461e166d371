/**
 * Reductions over any set of axes without transposing: the input's dimensions are collapsed into
 * alternating groups of kept and reduced axes, the innermost two groups are reduced as one
 * block (a contiguous run per output, or whole rows accumulated into an output row) and the
 * outer groups are walked with an odometer. Every output element still sees its inputs in
 * row-major order of the reduced axes (tfjs's order when the axes are given sorted), into a
 * float64 accumulator as tfjs's kernels use.
 */

/** What a reduction computes. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';

/** The input's dimensions collapsed: size-1 dimensions dropped, neighbours of a kind merged. */
export interface ReductionPlan {
  /** Sizes of the groups, outermost first; kinds alternate. */
  readonly sizes: readonly number[];
  /** Whether each group is reduced. */
  readonly reduced: readonly boolean[];
  /** Elements in the output. */
  readonly outSize: number;
  /** Input elements per output element. */
  readonly reduceSize: number;
}

/**
 * Collapses `shape` for a reduction over `axes` (in range, without repeats, any order).
 *
 * @example
 * ```ts
 * planReduction([8, 32, 32, 64], [0, 1, 2]); // sizes [8192, 64], reduced [true, false]
 * ```
 */
export function planReduction(shape: readonly number[], axes: readonly number[]): ReductionPlan {
  const sizes: number[] = [];
  const reduced: boolean[] = [];
  let outSize = 1;
  let reduceSize = 1;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    const isReduced = axes.includes(d);
    if (isReduced) reduceSize *= size;
    else outSize *= size;
    if (size === 1) continue;
    const last = sizes.length - 1;
    if (last >= 0 && reduced[last] === isReduced) sizes[last] *= size;
    else {
      sizes.push(size);
      reduced.push(isReduced);
    }
  }
  return { sizes, reduced, outSize, reduceSize };
}

/** One reduction's loops, each monomorphic so that V8 optimises it on its own. */
interface ReduceLoops {
  /** The value an empty reduction starts from. */
  readonly init: number;
  /** Reduces `n` contiguous values from `x[start]`, starting from `init`. */
  run(x: ArrayLike<number>, start: number, n: number): number;
  /** Combines `value` into `acc[i]`. */
  combine(acc: Float64Array, i: number, value: number): void;
  /**
   * Accumulates `rows` contiguous rows of `width` values from `x[start]` into
   * `acc[accStart .. accStart + width)`, one row after another.
   */
  rows(
    acc: Float64Array,
    accStart: number,
    x: ArrayLike<number>,
    start: number,
    rows: number,
    width: number,
  ): void;
}

const SUM: ReduceLoops = {
  init: 0,
  run(x, start, n) {
    const end = start + n;
    let acc = 0;
    for (let i = start; i < end; i++) acc += x[i];
    return acc;
  },
  combine(acc, i, value) {
    acc[i] += value;
  },
  rows(acc, accStart, x, start, rows, width) {
    let row = 0;
    let offset = start;
    // Four rows at a time, added in order: the same sums, a quarter of the accumulator traffic.
    for (; row + 3 < rows; row += 4, offset += 4 * width) {
      const o1 = offset + width;
      const o2 = o1 + width;
      const o3 = o2 + width;
      for (let j = 0; j < width; j++) {
        acc[accStart + j] = acc[accStart + j] + x[offset + j] + x[o1 + j] + x[o2 + j] + x[o3 + j];
      }
    }
    for (; row < rows; row++, offset += width) {
      for (let j = 0; j < width; j++) acc[accStart + j] += x[offset + j];
    }
  },
};

const PROD: ReduceLoops = {
  init: 1,
  run(x, start, n) {
    const end = start + n;
    let acc = 1;
    for (let i = start; i < end; i++) acc *= x[i];
    return acc;
  },
  combine(acc, i, value) {
    acc[i] *= value;
  },
  rows(acc, accStart, x, start, rows, width) {
    let row = 0;
    let offset = start;
    for (; row + 3 < rows; row += 4, offset += 4 * width) {
      const o1 = offset + width;
      const o2 = o1 + width;
      const o3 = o2 + width;
      for (let j = 0; j < width; j++) {
        acc[accStart + j] = acc[accStart + j] * x[offset + j] * x[o1 + j] * x[o2 + j] * x[o3 + j];
      }
    }
    for (; row < rows; row++, offset += width) {
      for (let j = 0; j < width; j++) acc[accStart + j] *= x[offset + j];
    }
  },
};

// Max and Min keep the first of equal values (which tells -0 from 0) and let NaN win, as tfjs.
const MAX: ReduceLoops = {
  init: -Infinity,
  run(x, start, n) {
    const end = start + n;
    let acc = -Infinity;
    for (let i = start; i < end; i++) {
      const v = x[i];
      if (v > acc || v !== v) acc = v;
    }
    return acc;
  },
  combine(acc, i, value) {
    if (value > acc[i] || value !== value) acc[i] = value;
  },
  rows(acc, accStart, x, start, rows, width) {
    let row = 0;
    let offset = start;
    for (; row + 3 < rows; row += 4, offset += 4 * width) {
      const o1 = offset + width;
      const o2 = o1 + width;
      const o3 = o2 + width;
      for (let j = 0; j < width; j++) {
        let m = acc[accStart + j];
        const a = x[offset + j];
        const b = x[o1 + j];
        const c = x[o2 + j];
        const d = x[o3 + j];
        if (a > m || a !== a) m = a;
        if (b > m || b !== b) m = b;
        if (c > m || c !== c) m = c;
        if (d > m || d !== d) m = d;
        acc[accStart + j] = m;
      }
    }
    for (; row < rows; row++, offset += width) {
      for (let j = 0; j < width; j++) {
        const v = x[offset + j];
        if (v > acc[accStart + j] || v !== v) acc[accStart + j] = v;
      }
    }
  },
};

const MIN: ReduceLoops = {
  init: Infinity,
  run(x, start, n) {
    const end = start + n;
    let acc = Infinity;
    for (let i = start; i < end; i++) {
      const v = x[i];
      if (v < acc || v !== v) acc = v;
    }
    return acc;
  },
  combine(acc, i, value) {
    if (value < acc[i] || value !== value) acc[i] = value;
  },
  rows(acc, accStart, x, start, rows, width) {
    let row = 0;
    let offset = start;
    for (; row + 3 < rows; row += 4, offset += 4 * width) {
      const o1 = offset + width;
      const o2 = o1 + width;
      const o3 = o2 + width;
      for (let j = 0; j < width; j++) {
        let m = acc[accStart + j];
        const a = x[offset + j];
        const b = x[o1 + j];
        const c = x[o2 + j];
        const d = x[o3 + j];
        if (a < m || a !== a) m = a;
        if (b < m || b !== b) m = b;
        if (c < m || c !== c) m = c;
        if (d < m || d !== d) m = d;
        acc[accStart + j] = m;
      }
    }
    for (; row < rows; row++, offset += width) {
      for (let j = 0; j < width; j++) {
        const v = x[offset + j];
        if (v < acc[accStart + j] || v !== v) acc[accStart + j] = v;
      }
    }
  },
};

const LOOPS: Record<ReduceOp, ReduceLoops> = { sum: SUM, prod: PROD, max: MAX, min: MIN };

/**
 * Reduces `x` as `plan` says with `op`, into float64 accumulators, one per output element (in
 * row-major order of the kept axes). NaN propagates through every operation; `max`/`min` of
 * values that include NaN is NaN, as in tfjs.
 *
 * @example
 * ```ts
 * const plan = planReduction([2, 3], [0]);
 * reduceValues(new Float32Array([1, 2, 3, 4, 5, 6]), plan, 'sum'); // [5, 7, 9]
 * ```
 */
export function reduceValues(
  x: ArrayLike<number>,
  plan: ReductionPlan,
  op: ReduceOp,
): Float64Array {
  const loops = LOOPS[op];
  const acc = new Float64Array(plan.outSize).fill(loops.init);
  const { sizes, reduced } = plan;
  const groups = sizes.length;
  if (groups === 0) {
    // Every dimension has size 1 (or a scalar): one input element per output.
    if (plan.outSize === 1) loops.combine(acc, 0, x[0]);
    return acc;
  }
  const lastSize = sizes[groups - 1];
  const lastReduced = reduced[groups - 1];
  const pairSize = groups >= 2 ? sizes[groups - 2] : 1;
  const blockIn = lastSize * pairSize;
  // Output elements one block writes to: the kept one of the innermost two groups.
  const blockOut = lastReduced ? pairSize : lastSize;

  const block = (xStart: number, outStart: number): void => {
    if (lastReduced) {
      // [..., kept pairSize, reduced lastSize]: one contiguous run per output element.
      for (let k = 0; k < pairSize; k++) {
        loops.combine(acc, outStart + k, loops.run(x, xStart + k * lastSize, lastSize));
      }
    } else {
      // [..., reduced pairSize, kept lastSize]: rows accumulated into one output row.
      loops.rows(acc, outStart, x, xStart, pairSize, lastSize);
    }
  };

  const outer = groups - 2;
  if (outer <= 0) {
    block(0, 0);
    return acc;
  }
  // Odometer over the outer groups, in row-major input order.
  const outStrides = new Array<number>(outer);
  let stride = blockOut;
  for (let g = outer - 1; g >= 0; g--) {
    outStrides[g] = reduced[g] ? 0 : stride;
    if (!reduced[g]) stride *= sizes[g];
  }
  const index = new Array<number>(outer).fill(0);
  let blocks = 1;
  for (let g = 0; g < outer; g++) blocks *= sizes[g];
  let outStart = 0;
  for (let b = 0, xStart = 0; b < blocks; b++, xStart += blockIn) {
    block(xStart, outStart);
    for (let g = outer - 1; g >= 0; g--) {
      if (++index[g] < sizes[g]) {
        outStart += outStrides[g];
        break;
      }
      index[g] = 0;
      outStart -= outStrides[g] * (sizes[g] - 1);
    }
  }
  return acc;
}

/**
 * The index of the largest (`max`) or smallest value along the middle axis of `x` viewed as
 * `[outer, size, inner]`, as tfjs's `ArgMax`/`ArgMin` find it: the first of equal values, and a
 * NaN is passed over unless it comes first (then the index is 0, since nothing compares greater).
 *
 * @example
 * ```ts
 * argReduce(new Float32Array([1, 5, 5, 2]), 1, 4, 1, 'max'); // Int32Array [1]
 * ```
 */
export function argReduce(
  x: ArrayLike<number>,
  outer: number,
  size: number,
  inner: number,
  op: 'max' | 'min',
): Int32Array {
  const out = new Int32Array(outer * inner);
  const isMax = op === 'max';
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const start = o * size;
      let best = x[start];
      let bestIndex = 0;
      if (isMax) {
        for (let j = 1; j < size; j++) {
          const v = x[start + j];
          if (v > best) {
            best = v;
            bestIndex = j;
          }
        }
      } else {
        for (let j = 1; j < size; j++) {
          const v = x[start + j];
          if (v < best) {
            best = v;
            bestIndex = j;
          }
        }
      }
      out[o] = bestIndex;
    }
    return out;
  }
  const best = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const start = o * size * inner;
    const outStart = o * inner;
    for (let k = 0; k < inner; k++) best[k] = x[start + k];
    for (let j = 1; j < size; j++) {
      const row = start + j * inner;
      if (isMax) {
        for (let k = 0; k < inner; k++) {
          const v = x[row + k];
          if (v > best[k]) {
            best[k] = v;
            out[outStart + k] = j;
          }
        }
      } else {
        for (let k = 0; k < inner; k++) {
          const v = x[row + k];
          if (v < best[k]) {
            best[k] = v;
            out[outStart + k] = j;
          }
        }
      }
    }
  }
  return out;
}
