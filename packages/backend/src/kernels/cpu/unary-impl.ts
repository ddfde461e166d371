/**
 * Elementwise unary operations over flat arrays, for the `cpu` kernels of `unary-kernels.ts`.
 *
 * tfjs-backend-cpu 4.22 runs most of its unary kernels through one shared loop that calls the
 * operation as a function per element; that call site sees every operation, so the engine inlines
 * none of them. Here each operation has a loop of its own, computing tfjs's own expression (in
 * float64, stored into the output's typed array): the results are identical, NaN, infinities and
 * -0 included (`Step` tests NaN with `v !== v`, which is `isNaN(v)` for numbers).
 */

/** The output's typed array (float32, int32 or bool's Uint8Array). */
export type UnaryOutput = Float32Array | Int32Array | Uint8Array;

type UnaryLoop = (x: ArrayLike<number>, out: UnaryOutput, alpha: number) => void;

// One function per operation so that every loop is compiled for its own expression. `alpha` is
// the attribute of Step; the others ignore it.

function reluLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = Math.max(0, v);
  }
}

function relu6Loop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = Math.min(Math.max(0, v), 6);
  }
}

function stepLoop(x: ArrayLike<number>, out: UnaryOutput, alpha: number): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = v !== v ? NaN : v > 0 ? 1 : alpha;
  }
}

function sigmoidLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = 1 / (1 + Math.exp(-v));
  }
}

function tanhLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = Math.tanh(v);
  }
}

function expLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = Math.exp(v);
  }
}

function logLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = Math.log(v);
  }
}

function negLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = -1 * v;
  }
}

function sqrtLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = Math.sqrt(v);
  }
}

function rsqrtLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = 1 / Math.sqrt(v);
  }
}

function eluLoop(x: ArrayLike<number>, out: UnaryOutput): void {
  for (let i = 0, size = out.length; i < size; i++) {
    const v = x[i];
    out[i] = v >= 0 ? v : Math.exp(v) - 1;
  }
}

// Relu, Relu6 and Step of float32 values branch on the sign of each value, which a CPU mispredicts
// half the time on activations of mixed signs (about 20 ns an element). On float32 inputs these
// compute the same results from the bits instead, without branches: a float32 that is not NaN
// orders as its bits do as a signed int32 among non-negative values, its sign is the int32's, and
// it is NaN exactly when its bits without the sign exceed 0x7f800000 (+Infinity).

// `(0x7f800000 - (w & 0x7fffffff)) >> 31` is all ones where the float32 of bits `w` is NaN.

/** Math.max(0, v) from the bits: a negative value or -0 (sign set, not NaN) gives +0. */
function reluBits(w32: Int32Array, o32: Int32Array): void {
  for (let i = 0, size = o32.length; i < size; i++) {
    const w = w32[i];
    o32[i] = w & ~((w >> 31) & ~((0x7f800000 - (w & 0x7fffffff)) >> 31));
  }
}

/** The bits of 6 as a float32. */
const SIX_BITS = 0x40c00000;

/** Math.min(Math.max(0, v), 6) from the bits: NaN kept, the rest clamped as ints. */
function relu6Bits(w32: Int32Array, o32: Int32Array): void {
  for (let i = 0, size = o32.length; i < size; i++) {
    const w = w32[i];
    const nan = (0x7f800000 - (w & 0x7fffffff)) >> 31;
    const r = w & ~(w >> 31); // negative (and -0) to +0; NaN handled below
    const d = r - SIX_BITS;
    o32[i] = (w & nan) | ((SIX_BITS + (d & (d >> 31))) & ~nan);
  }
}

/**
 * `isNaN(v) ? NaN : v > 0 ? 1 : alpha` from the bits: a table of the four results indexed by
 * "greater than 0 as an int32" (which a positive NaN also is) and "NaN" (which then wins).
 */
function stepBits(w32: Int32Array, out: Float32Array, alpha: number): void {
  const table = new Float32Array([alpha, 1, NaN, NaN]);
  for (let i = 0, size = out.length; i < size; i++) {
    const w = w32[i];
    out[i] = table[((-w & ~w) >>> 31) | (((0x7f800000 - (w & 0x7fffffff)) >>> 31) << 1)];
  }
}

/** The operations, by the name of the tfjs kernel that computes them. */
export const UNARY_LOOPS = {
  Relu: reluLoop,
  Relu6: relu6Loop,
  Step: stepLoop,
  Sigmoid: sigmoidLoop,
  Tanh: tanhLoop,
  Exp: expLoop,
  Log: logLoop,
  Neg: negLoop,
  Sqrt: sqrtLoop,
  Rsqrt: rsqrtLoop,
  Elu: eluLoop,
} as const satisfies Record<string, UnaryLoop>;

/** The name of an operation of {@link UNARY_LOOPS}. */
export type UnaryOpName = keyof typeof UNARY_LOOPS;

/** Computes `op` of every element of `x` into `out` (of the same length). */
export function unaryOp(op: UnaryOpName, x: ArrayLike<number>, out: UnaryOutput, alpha = 0): void {
  if (x instanceof Float32Array && out instanceof Float32Array) {
    const w32 = new Int32Array(x.buffer, x.byteOffset, x.length);
    if (op === 'Relu') return reluBits(w32, new Int32Array(out.buffer, out.byteOffset, out.length));
    if (op === 'Relu6') {
      return relu6Bits(w32, new Int32Array(out.buffer, out.byteOffset, out.length));
    }
    if (op === 'Step') return stepBits(w32, out, alpha);
  }
  const loop: UnaryLoop = UNARY_LOOPS[op];
  loop(x, out, alpha);
}
