/**
 * Elementwise binary operations with NumPy broadcasting over flat arrays, for the `cpu` kernels
 * of `binary-kernels.ts`.
 *
 * The shapes are first reduced to the fewest axes that describe the same walk: output axes of
 * length 1 are dropped, and neighbouring axes along which both inputs advance contiguously (or
 * both stay put) are merged. Then `[150, 8, 1296] - [150, 8, 1]` is 1200 rows of 1296 elements
 * minus one value per row, `[64, 1024] * [1024]` is 64 rows of 1024 with the same second row,
 * `[64, 16, 16, 8] + [8]` is 16384 rows of 8, a scalar on either side is a single row. The two
 * innermost axes run in loops of their own per operation (both inputs advancing along a row, or
 * one of them held), and the axes above them are walked with per-axis offsets updated
 * incrementally: no index arithmetic per element.
 *
 * Each operation computes exactly what tfjs-backend-cpu 4.22's computes (the same JavaScript
 * expression in float64, stored into the output's typed array), so the results are identical.
 */

/** The values of an input tensor. */
export type BinaryInput = ArrayLike<number>;

/** The output's typed array (its dtype's: float32, int32, or bool's Uint8Array). */
export type BinaryOutput = Float32Array | Int32Array | Uint8Array;

/**
 * Computes `m` rows of `n` results into `out[o, o + m * n)`. Element `i` of row `r` is computed
 * from `a[ai + r * ra + i * sa]` and `b[bi + r * rb + i * sb]`, where each of `sa`, `sb` is 0
 * (the input is held along the row) or 1, not both 0.
 */
type BlockKernel = (
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
) => void;

// One function per operation, each with its three loops written out, so that every loop is
// compiled for its own expression (a shared loop calling the expression through a function
// would see all of them and inline none). The expressions are tfjs-backend-cpu's: Math.max and
// Math.min give NaN if either value is NaN, max(-0, 0) = 0 and min(-0, 0) = -0.

function addBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x + y;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x + y;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x + y;
      }
    }
  }
}

function subBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x - y;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x - y;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x - y;
      }
    }
  }
}

function mulBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x * y;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x * y;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x * y;
      }
    }
  }
}

function divBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x / y;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x / y;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x / y;
      }
    }
  }
}

function maxBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = Math.max(x, y);
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = Math.max(x, y);
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = Math.max(x, y);
      }
    }
  }
}

function minBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = Math.min(x, y);
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = Math.min(x, y);
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = Math.min(x, y);
      }
    }
  }
}

function squaredDifferenceBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = (x - y) * (x - y);
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = (x - y) * (x - y);
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = (x - y) * (x - y);
      }
    }
  }
}

function powBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = Math.pow(x, y);
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = Math.pow(x, y);
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = Math.pow(x, y);
      }
    }
  }
}

// The comparisons and logical operations of tfjs-backend-cpu 4.22, with its expressions: a
// comparison with NaN is false (so NotEqual is true), and LogicalAnd / LogicalOr store `x && y` /
// `x || y` into the bool output as tfjs does (int32 inputs 2 and 3 give 3, NaN gives 0).
function lessBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x < y ? 1 : 0;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x < y ? 1 : 0;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x < y ? 1 : 0;
      }
    }
  }
}

function lessEqualBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x <= y ? 1 : 0;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x <= y ? 1 : 0;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x <= y ? 1 : 0;
      }
    }
  }
}

function greaterBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x > y ? 1 : 0;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x > y ? 1 : 0;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x > y ? 1 : 0;
      }
    }
  }
}

function greaterEqualBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x >= y ? 1 : 0;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x >= y ? 1 : 0;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x >= y ? 1 : 0;
      }
    }
  }
}

function equalBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x === y ? 1 : 0;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x === y ? 1 : 0;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x === y ? 1 : 0;
      }
    }
  }
}

function notEqualBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x !== y ? 1 : 0;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x !== y ? 1 : 0;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x !== y ? 1 : 0;
      }
    }
  }
}

function logicalAndBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x && y;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x && y;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x && y;
      }
    }
  }
}

function logicalOrBlock(
  out: BinaryOutput,
  o: number,
  a: BinaryInput,
  ai: number,
  sa: number,
  ra: number,
  b: BinaryInput,
  bi: number,
  sb: number,
  rb: number,
  n: number,
  m: number,
): void {
  if (sa === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const x = a[ai];
      for (let i = 0; i < n; i++) {
        const y = b[bi + i];
        out[o + i] = x || y;
      }
    }
  } else if (sb === 0) {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      const y = b[bi];
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        out[o + i] = x || y;
      }
    }
  } else {
    for (let r = 0; r < m; r++, o += n, ai += ra, bi += rb) {
      for (let i = 0; i < n; i++) {
        const x = a[ai + i];
        const y = b[bi + i];
        out[o + i] = x || y;
      }
    }
  }
}

/** The operations, by the name of the tfjs kernel that computes them. */
export const BLOCK_KERNELS = {
  Add: addBlock,
  Sub: subBlock,
  Multiply: mulBlock,
  RealDiv: divBlock,
  Maximum: maxBlock,
  Minimum: minBlock,
  SquaredDifference: squaredDifferenceBlock,
  Pow: powBlock,
  Less: lessBlock,
  LessEqual: lessEqualBlock,
  Greater: greaterBlock,
  GreaterEqual: greaterEqualBlock,
  Equal: equalBlock,
  NotEqual: notEqualBlock,
  LogicalAnd: logicalAndBlock,
  LogicalOr: logicalOrBlock,
} as const satisfies Record<string, BlockKernel>;

/** The name of an operation of {@link BLOCK_KERNELS}. */
export type BinaryOpName = keyof typeof BLOCK_KERNELS;

/**
 * The walk of a broadcast: the output's axes after dropping those of length 1 and merging
 * neighbours, with each input's step along each axis (0 where it is broadcast).
 */
interface Walk {
  dims: number[];
  aSteps: number[];
  bSteps: number[];
}

/** The step of each axis of a row-major array of `shape`, aligned right on `rank` axes. */
function alignedSteps(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const steps = new Array<number>(rank).fill(0);
  let step = 1;
  for (let k = shape.length - 1, j = rank - 1; k >= 0; k--, j--) {
    // A length-1 axis under a longer output axis is broadcast: step 0.
    steps[j] = shape[k] === 1 && outShape[j] !== 1 ? 0 : step;
    step *= shape[k];
  }
  return steps;
}

function walkOf(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
): Walk {
  const aAligned = alignedSteps(aShape, outShape);
  const bAligned = alignedSteps(bShape, outShape);
  const dims: number[] = [];
  const aSteps: number[] = [];
  const bSteps: number[] = [];
  for (let j = 0; j < outShape.length; j++) {
    const d = outShape[j];
    if (d === 1) continue;
    const last = dims.length - 1;
    // Merge axis j into the previous kept axis when both inputs continue across them as they do
    // along it (contiguous, or both held).
    if (last >= 0 && aSteps[last] === aAligned[j] * d && bSteps[last] === bAligned[j] * d) {
      dims[last] *= d;
      aSteps[last] = aAligned[j];
      bSteps[last] = bAligned[j];
    } else {
      dims.push(d);
      aSteps.push(aAligned[j]);
      bSteps.push(bAligned[j]);
    }
  }
  return { dims, aSteps, bSteps };
}

/**
 * Computes `op` of `a` (of `aShape`) and `b` (of `bShape`) broadcast to `outShape` (which the
 * caller has from `assertAndGetBroadcastShape`) into `out`, row-major, of its size.
 */
export function broadcastBinary(
  op: BinaryOpName,
  a: BinaryInput,
  aShape: readonly number[],
  b: BinaryInput,
  bShape: readonly number[],
  out: BinaryOutput,
  outShape: readonly number[],
): void {
  const size = out.length;
  if (size === 0) return;
  const block: BlockKernel = BLOCK_KERNELS[op];
  if (a.length === size && b.length === size) {
    block(out, 0, a, 0, 1, 0, b, 0, 1, 0, size, 1);
    return;
  }
  const { dims, aSteps, bSteps } = walkOf(aShape, bShape, outShape);
  const rank = dims.length;
  if (rank === 0) {
    // Every axis has length 1: a single element.
    block(out, 0, a, 0, 1, 0, b, 0, 1, 0, 1, 1);
    return;
  }
  // The two innermost axes make a block of m rows of n (m = 1 with a single axis); the axes
  // above them are walked a block at a time.
  const n = dims[rank - 1];
  const m = rank > 1 ? dims[rank - 2] : 1;
  const ra = rank > 1 ? aSteps[rank - 2] : 0;
  const rb = rank > 1 ? bSteps[rank - 2] : 0;
  const sa = aSteps[rank - 1];
  const sb = bSteps[rank - 1];
  const outer = rank - 2;
  const blockSize = m * n;
  const blocks = size / blockSize;
  const index = new Array<number>(Math.max(outer, 0)).fill(0);
  let ai = 0;
  let bi = 0;
  for (let k = 0, o = 0; k < blocks; k++, o += blockSize) {
    block(out, o, a, ai, sa, ra, b, bi, sb, rb, n, m);
    // Next block: advance the innermost outer axis, carrying into the ones above it.
    for (let j = outer - 1; j >= 0; j--) {
      ai += aSteps[j];
      bi += bSteps[j];
      if (++index[j] < dims[j]) break;
      ai -= aSteps[j] * dims[j];
      bi -= bSteps[j] * dims[j];
      index[j] = 0;
    }
  }
}
