// SIMD128 log-softmax over the rows of a row-major [rows, classes] float32 array, and its
// gradient, for @slr/ctc's `cpu` kernels (AssemblyScript).
//
// Memory is managed by the caller (the TypeScript side): it copies a block of rows in after
// `heapBase()`, grows the memory itself, passes byte addresses and copies the result out.
// Results overwrite the first operand in place. No state is kept between calls.
//
// Rebuild with `pnpm build:wasm` (see README.md beside this file).

/** Where the caller may start laying out its arrays. */
export function heapBase(): usize {
  return __heap_base;
}

// exp(d) = 2^n · e^r with n = round(d / ln 2) and |r| ≤ ln2 / 2, r reduced in two steps
// (Cody and Waite: n · LN2_HI is exact) and e^r from Cephes' degree-7 expf polynomial.
/** exp(-104) is below half of float32's smallest subnormal: those results round to 0. */
const LOWEST: f32 = -104.0;
const LOG2E: f32 = 1.44269504088896341;
/** 1.5 · 2^23: x + ROUNDER - ROUNDER is x rounded to an integer, for |x| < 2^22. */
const ROUNDER: f32 = 12582912.0;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
/** 2^(n + 64) is a normal float32 for every n in [-150, 0]; 2^-64 scales it back. */
const UNBIAS: f32 = 5.421010862427522e-20;
const BIAS: i32 = 127 + 64;

// The constants live in memory and are loaded once per call: V8 rebuilds a `v128.const` in
// every loop iteration, which costs more than the exponential itself.
const CONSTANTS = memory.data<f32>([
  LOWEST,
  LOG2E,
  ROUNDER,
  LN2_HI,
  LN2_LO,
  1.9875691500e-4,
  1.3981999507e-3,
  8.3334519073e-3,
  4.1665795894e-2,
  1.6666665459e-1,
  5.0000001201e-1,
  1.0,
  UNBIAS,
  reinterpret<f32>(BIAS),
]);

/** exp of four float32s ≤ 0 (-Infinity gives 0, NaN gives NaN), within 1 ulp. */
// @ts-ignore: decorator
@inline
function exp4(d: v128): v128 {
  // pmax, not max: one instruction; pmax(NaN, c) is NaN.
  const x = f32x4.pmax(d, v128.load32_splat(CONSTANTS));
  // Adding 1.5 · 2^23 rounds x / ln 2 to an integer n held in the low mantissa bits.
  const rounder = v128.load32_splat(CONSTANTS, 8);
  const shifted = f32x4.add(f32x4.mul(x, v128.load32_splat(CONSTANTS, 4)), rounder);
  const n = f32x4.sub(shifted, rounder);
  let r = f32x4.sub(x, f32x4.mul(n, v128.load32_splat(CONSTANTS, 12)));
  r = f32x4.sub(r, f32x4.mul(n, v128.load32_splat(CONSTANTS, 16)));
  let p = f32x4.add(
    f32x4.mul(v128.load32_splat(CONSTANTS, 20), r),
    v128.load32_splat(CONSTANTS, 24),
  );
  p = f32x4.add(f32x4.mul(p, r), v128.load32_splat(CONSTANTS, 28));
  p = f32x4.add(f32x4.mul(p, r), v128.load32_splat(CONSTANTS, 32));
  p = f32x4.add(f32x4.mul(p, r), v128.load32_splat(CONSTANTS, 36));
  p = f32x4.add(f32x4.mul(p, r), v128.load32_splat(CONSTANTS, 40));
  const y = f32x4.add(
    f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r),
    v128.load32_splat(CONSTANTS, 44),
  );
  // The bits of 2^(n + 64): the rounder's own exponent and mantissa bits shift out.
  const scale = i32x4.shl(i32x4.add(shifted, v128.load32_splat(CONSTANTS, 52)), 23);
  return f32x4.mul(f32x4.mul(y, scale), v128.load32_splat(CONSTANTS, 48));
}

/** exp of one float32 ≤ 0, the same value `exp4` gives. */
// @ts-ignore: decorator
@inline
function exp1(d: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(d)), 0);
}

/** Sum of the float32s of a row, in float64. */
function rowSum(row: usize, classes: i32): f64 {
  const vectorEnd = classes & ~3;
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  for (let i = 0; i < vectorEnd; i += 4) {
    const v = v128.load(row + (<usize>i << 2));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  s0 = f64x2.add(s0, s1);
  let sum = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (let i = vectorEnd; i < classes; i++) sum += <f64>load<f32>(row + (<usize>i << 2));
  return sum;
}

/**
 * Log-softmax of each row of `x`, in place: `x - max - log Σ exp(x - max)` (the sum in float64),
 * and the softmax `exp(x - max) / Σ exp(x - max)` at `softmax`. A row holding ±Infinity or NaN
 * is left unfinished for the caller, which finds NaN at its index in `flags`; other rows get 0
 * there. Returns the number of such rows.
 */
export function forward(x: usize, softmax: usize, rows: i32, classes: i32, flags: usize): i32 {
  const vectorEnd = classes & ~3;
  let degenerate = 0;
  for (let r = 0; r < rows; r++) {
    const offset = (<usize>r * <usize>classes) << 2;
    const row = x + offset;
    const out = softmax + offset;
    // pmax (one instruction) skips NaN; a NaN shows up in the sum below.
    let m0 = f32x4.splat(-Infinity);
    let m1 = m0;
    let i = 0;
    for (; i + 8 <= vectorEnd; i += 8) {
      m0 = f32x4.pmax(m0, v128.load(row + (<usize>i << 2)));
      m1 = f32x4.pmax(m1, v128.load(row + (<usize>i << 2), 16));
    }
    if (i < vectorEnd) m0 = f32x4.pmax(m0, v128.load(row + (<usize>i << 2)));
    m0 = f32x4.pmax(m0, m1);
    let top = max<f32>(
      max<f32>(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)),
      max<f32>(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)),
    );
    for (let k = vectorEnd; k < classes; k++) top = max<f32>(top, load<f32>(row + (<usize>k << 2)));
    const shift = f32x4.splat(top);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (let k = 0; k < vectorEnd; k += 4) {
      const at = <usize>k << 2;
      const e = exp4(f32x4.sub(v128.load(row + at), shift));
      v128.store(out + at, e);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
    }
    s0 = f64x2.add(s0, s1);
    let sum = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
    for (let k = vectorEnd; k < classes; k++) {
      const at = <usize>k << 2;
      const e = exp1(load<f32>(row + at) - top);
      store<f32>(out + at, e);
      sum += <f64>e;
    }
    // ±Infinity in the row makes top or the sum NaN or infinite; NaN makes the sum NaN.
    const ok = top - top == 0 && sum - sum == 0;
    store<f32>(flags + (<usize>r << 2), ok ? 0 : NaN);
    if (!ok) {
      degenerate++;
      continue;
    }
    const logSum = <f32>Math.log(sum);
    const total = f32x4.splat(logSum);
    const inverse = <f32>(1 / sum);
    const scale = f32x4.splat(inverse);
    for (let k = 0; k < vectorEnd; k += 4) {
      const at = <usize>k << 2;
      v128.store(row + at, f32x4.sub(f32x4.sub(v128.load(row + at), shift), total));
      v128.store(out + at, f32x4.mul(v128.load(out + at), scale));
    }
    for (let k = vectorEnd; k < classes; k++) {
      const at = <usize>k << 2;
      store<f32>(row + at, load<f32>(row + at) - top - logSum);
      store<f32>(out + at, load<f32>(out + at) * inverse);
    }
  }
  return degenerate;
}

/**
 * Gradient of log-softmax, in place over `dy`: `dy - softmax · Σ dy` per row (the sum in
 * float64).
 */
export function backward(dy: usize, softmax: usize, rows: i32, classes: i32): void {
  const vectorEnd = classes & ~3;
  for (let r = 0; r < rows; r++) {
    const offset = (<usize>r * <usize>classes) << 2;
    const row = dy + offset;
    const p = softmax + offset;
    const sum = <f32>rowSum(row, classes);
    const total = f32x4.splat(sum);
    for (let k = 0; k < vectorEnd; k += 4) {
      const at = <usize>k << 2;
      v128.store(row + at, f32x4.sub(v128.load(row + at), f32x4.mul(v128.load(p + at), total)));
    }
    for (let k = vectorEnd; k < classes; k++) {
      const at = <usize>k << 2;
      store<f32>(row + at, load<f32>(row + at) - load<f32>(p + at) * sum);
    }
  }
}

/** exp of `count` float32s ≤ 0 at `x`, in place, as the kernels compute it (for tests). */
export function exp(x: usize, count: i32): void {
  const vectorEnd = count & ~3;
  for (let k = 0; k < vectorEnd; k += 4) {
    const at = x + (<usize>k << 2);
    v128.store(at, exp4(v128.load(at)));
  }
  for (let k = vectorEnd; k < count; k++) {
    const at = x + (<usize>k << 2);
    store<f32>(at, exp1(load<f32>(at)));
  }
}
