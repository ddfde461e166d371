// SIMD128 Adam update of @slr/train's fused `cpu` optimizer kernel (AssemblyScript).
//
// Float32 operations in the order of tfjs 4.22's Adam kernels, each rounded to float32 as
// tfjs stores it: the results are bit for bit those of the JavaScript version (whose float64
// operations on float32 values, rounded by Math.fround, are correctly rounded float32 ones).
// Memory is managed by the caller, which passes byte addresses past `heapBase()`.
//
// Rebuild with `pnpm build:wasm`.

/** Where the caller may start laying out its arrays. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * For i < n: w = decay ? param*decayFactor : param; m1 = m*beta1 + g*(1-beta1);
 * v1 = v*beta2 + (g*g)*(1-beta2); param' = (m1/acc1) / (sqrt(v1/acc2) + eps) * -lr + w,
 * writing param', m1, v1 over param, m, v.
 */
export function adam(
  n: i32,
  param: usize,
  gradient: usize,
  m: usize,
  v: usize,
  oneMinusAccBeta1: f32,
  oneMinusAccBeta2: f32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  epsilon: f32,
  negLearningRate: f32,
  decay: bool,
  decayFactor: f32,
): void {
  const acc1 = f32x4.splat(oneMinusAccBeta1);
  const acc2 = f32x4.splat(oneMinusAccBeta2);
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const ob1 = f32x4.splat(oneMinusBeta1);
  const ob2 = f32x4.splat(oneMinusBeta2);
  const eps = f32x4.splat(epsilon);
  const nlr = f32x4.splat(negLearningRate);
  const df = f32x4.splat(decayFactor);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    let w = v128.load(param + o);
    if (decay) w = f32x4.mul(w, df);
    const g = v128.load(gradient + o);
    const m1 = f32x4.add(f32x4.mul(v128.load(m + o), b1), f32x4.mul(g, ob1));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(g, g), ob2));
    const mHat = f32x4.div(m1, acc1);
    const vHat = f32x4.div(v1, acc2);
    const step = f32x4.div(mHat, f32x4.add(f32x4.sqrt(vHat), eps));
    v128.store(param + o, f32x4.add(f32x4.mul(step, nlr), w));
    v128.store(m + o, m1);
    v128.store(v + o, v1);
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    let w = load<f32>(param + o);
    if (decay) w = w * decayFactor;
    const g = load<f32>(gradient + o);
    const m1 = load<f32>(m + o) * beta1 + g * oneMinusBeta1;
    const v1 = load<f32>(v + o) * beta2 + g * g * oneMinusBeta2;
    const mHat = m1 / oneMinusAccBeta1;
    const vHat = v1 / oneMinusAccBeta2;
    const step = mHat / (sqrt<f32>(vHat) + epsilon);
    store<f32>(param + o, step * negLearningRate + w);
    store<f32>(m + o, m1);
    store<f32>(v + o, v1);
  }
}
