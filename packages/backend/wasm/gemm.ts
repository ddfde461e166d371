// SIMD128 kernels for @slr/backend's `cpu` convolutions and matrix products (AssemblyScript).
//
// Memory is managed by the caller (the TypeScript side): it lays its arrays out after
// `heapBase()`, grows the memory itself, and passes byte addresses. Every function is
// single-threaded and keeps no state between calls. All sums are float32, as PyTorch's.
//
// Rebuild with `pnpm build:wasm` (see README.md beside this file).

// Register tile of the micro-kernel: MR rows by NR columns of C (8 f32x4 accumulators).
const MR: i32 = 4;
const NR: i32 = 8;
// Cache blocks: an MC x KC panel of A (128 KiB) stays in L2 while a KC x NR sliver of B
// (8 KiB) streams through L1; a KC x NC block of B is 512 KiB.
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 512;

/** Where the caller may start laying out its arrays. */
export function heapBase(): usize {
  return __heap_base;
}

/** The bytes of scratch space `gemm` needs at its `work` address. */
export function gemmWorkBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) << 2;
}

// Packs rows [i0, i0 + mc) and columns [p0, p0 + kc) of A (element (i, p) at
// a + (i * rsA + p * csA) * 4) as micro-panels of MR rows, k-major, zero rows past m.
function packA(
  m: i32,
  i0: i32,
  mc: i32,
  p0: i32,
  kc: i32,
  a: usize,
  rsA: i32,
  csA: i32,
  dst: usize,
): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const panel = dst + <usize>(ir * kc) * 4;
    const rows = min(MR, m - i0 - ir);
    if (rows == MR && csA == 1) {
      const r0 = a + <usize>((i0 + ir) * rsA + p0) * 4;
      const step = <usize>rsA * 4;
      const r1 = r0 + step;
      const r2 = r1 + step;
      const r3 = r2 + step;
      for (let p = 0; p < kc; p++) {
        const o = <usize>p * 4;
        const d = panel + <usize>(p * MR) * 4;
        store<f32>(d, load<f32>(r0 + o));
        store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8);
        store<f32>(d, load<f32>(r3 + o), 12);
      }
    } else if (rows == MR && rsA == 1) {
      // A transposed: the MR rows of one column are contiguous.
      let s = a + <usize>(i0 + ir + p0 * csA) * 4;
      const step = <usize>csA * 4;
      for (let p = 0; p < kc; p++) {
        v128.store(panel + <usize>(p * MR) * 4, v128.load(s));
        s += step;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = panel + <usize>(p * MR) * 4;
        for (let i = 0; i < MR; i++) {
          let v: f32 = 0;
          if (i < rows) v = load<f32>(a + <usize>((i0 + ir + i) * rsA + (p0 + p) * csA) * 4);
          store<f32>(d + <usize>i * 4, v);
        }
      }
    }
  }
}

// Packs rows [p0, p0 + kc) and columns [j0, j0 + nc) of B as micro-panels of NR columns,
// k-major, zero columns past n.
function packB(
  n: i32,
  j0: i32,
  nc: i32,
  p0: i32,
  kc: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  dst: usize,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const panel = dst + <usize>(jr * kc) * 4;
    const cols = min(NR, n - j0 - jr);
    if (cols == NR && csB == 1) {
      let s = b + <usize>(p0 * rsB + j0 + jr) * 4;
      const step = <usize>rsB * 4;
      for (let p = 0; p < kc; p++) {
        const d = panel + <usize>(p * NR) * 4;
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += step;
      }
    } else if (cols == NR && rsB == 1) {
      // B transposed: each column is contiguous.
      for (let j = 0; j < NR; j++) {
        const s = b + <usize>((j0 + jr + j) * csB + p0) * 4;
        for (let p = 0; p < kc; p++) {
          store<f32>(panel + <usize>(p * NR + j) * 4, load<f32>(s + <usize>p * 4));
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = panel + <usize>(p * NR) * 4;
        for (let j = 0; j < NR; j++) {
          let v: f32 = 0;
          if (j < cols) v = load<f32>(b + <usize>((p0 + p) * rsB + (j0 + jr + j) * csB) * 4);
          store<f32>(d + <usize>j * 4, v);
        }
      }
    }
  }
}

// C[0:MR, 0:NR] (row stride ldc bytes) = (accumulate ? C : 0) + A * Bpanel, with A's row i at
// a + i*lda, advancing stepA bytes per k (a packed panel: lda 4, stepA 16; a row-major A read
// in place: lda its row stride, stepA 4).
// @ts-ignore: decorator
@inline
function micro(
  kc: i32,
  a: usize,
  lda: usize,
  stepA: usize,
  b: usize,
  c: usize,
  ldc: usize,
  accumulate: bool,
): void {
  const a1p = lda;
  const a2p = lda * 2;
  const a3p = lda * 3;
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(a + a1p);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(a + a2p);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(a + a3p);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    a += stepA;
    b += 32;
  }
  const r1 = c + ldc;
  const r2 = r1 + ldc;
  const r3 = r2 + ldc;
  if (accumulate) {
    c00 = f32x4.add(v128.load(c), c00);
    c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(r1), c10);
    c11 = f32x4.add(v128.load(r1, 16), c11);
    c20 = f32x4.add(v128.load(r2), c20);
    c21 = f32x4.add(v128.load(r2, 16), c21);
    c30 = f32x4.add(v128.load(r3), c30);
    c31 = f32x4.add(v128.load(r3, 16), c31);
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(r1, c10);
  v128.store(r1, c11, 16);
  v128.store(r2, c20);
  v128.store(r2, c21, 16);
  v128.store(r3, c30);
  v128.store(r3, c31, 16);
}

/**
 * C = A B, or C += A B when `accumulate`: A is m x k (element (i, p) at a + (i*rsA + p*csA)*4),
 * B is k x n (element (p, j) at b + (p*rsB + j*csB)*4), C is m x n with row stride ldc
 * elements. `work` must hold gemmWorkBytes() bytes. Float32 sums.
 */
export function gemm(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  rsA: i32,
  csA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
  work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  const ldcBytes = <usize>ldc * 4;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcBytes, 0, n * 4);
    return;
  }
  const packedA = work;
  const packedB = packedA + <usize>(MC * KC) * 4;
  const tile = packedB + <usize>(KC * NC) * 4;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = min(NC, n - j0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      const acc = accumulate || p0 > 0;
      packB(n, j0, nc, p0, kc, b, rsB, csB, packedB);
      for (let i0 = 0; i0 < m; i0 += MC) {
        const mc = min(MC, m - i0);
        // A row-major is read in place (full panels); only its edge panel is packed. So is a
        // column-major A (its MR rows of one column are contiguous) when B is one column
        // panel: A is then read once, and packing it would only copy it (filter gradients:
        // patches^T with a long k times an output gradient with few channels).
        const rowMajor = csA == 1;
        const direct = rowMajor || (rsA == 1 && n <= NR);
        if (!direct) packA(m, i0, mc, p0, kc, a, rsA, csA, packedA);
        else if (mc % MR != 0) {
          const edge = mc - (mc % MR);
          packA(m, i0 + edge, mc - edge, p0, kc, a, rsA, csA, packedA + <usize>(edge * kc) * 4);
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bp = packedB + <usize>(jr * kc) * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const ap = packedA + <usize>(ir * kc) * 4;
            const cp = c + <usize>(i0 + ir) * ldcBytes + <usize>(j0 + jr) * 4;
            const inPlace = direct && rows == MR;
            const aAt = inPlace
              ? a + (<usize>(i0 + ir) * <usize>rsA + <usize>p0 * <usize>csA) * 4
              : ap;
            const lda: usize = inPlace && rowMajor ? <usize>rsA * 4 : 4;
            const stepA: usize = !inPlace ? 16 : rowMajor ? 4 : <usize>csA * 4;
            if (rows == MR && cols == NR) {
              micro(kc, aAt, lda, stepA, bp, cp, ldcBytes, acc);
            } else {
              // Edge tile: compute into the scratch tile, then add or copy its valid part.
              micro(kc, aAt, lda, stepA, bp, tile, <usize>NR * 4, false);
              for (let i = 0; i < rows; i++) {
                const src = tile + <usize>(i * NR) * 4;
                const dst = cp + <usize>i * ldcBytes;
                for (let j = 0; j < cols; j++) {
                  const o = <usize>j * 4;
                  let v = load<f32>(src + o);
                  if (acc) v = load<f32>(dst + o) + v;
                  store<f32>(dst + o, v);
                }
              }
            }
          }
        }
      }
    }
  }
}

// dst[0:n] = src[0:n] (unaligned f32x4 moves: spans of a few channels are too short for
// memory.copy's call to pay off).
// @ts-ignore: decorator
@inline
function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(dst + o, v128.load(src + o));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(dst + o, load<f32>(src + o));
  }
}

// dst[0:n] = 0
// @ts-ignore: decorator
@inline
function zeroFloats(dst: usize, n: i32): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) v128.store(dst + <usize>i * 4, z);
  for (; i < n; i++) store<f32>(dst + <usize>i * 4, 0);
}

/**
 * Gathers rows [row0, row0 + rows) of the im2col matrix of a channels-last 3-D convolution
 * (2-D: depth 1) into dst, row-major with fd*fh*fw*ch columns; taps in the padding are 0.
 * Row r is output position (batch, od, oh, ow) in order. Without dilation along the width,
 * the fw taps of one filter row are one contiguous span of the input, copied at once.
 */
export function im2col(
  x: usize,
  inD: i32,
  inH: i32,
  inW: i32,
  ch: i32,
  outD: i32,
  outH: i32,
  outW: i32,
  fd: i32,
  fh: i32,
  fw: i32,
  sd: i32,
  sh: i32,
  sw: i32,
  dd: i32,
  dh: i32,
  dw: i32,
  padFront: i32,
  padTop: i32,
  padLeft: i32,
  row0: i32,
  rows: i32,
  dst: usize,
): void {
  const chBytes = <usize>ch * 4;
  const span = fw * ch;
  let ow = row0 % outW;
  let t = row0 / outW;
  let oh = t % outH;
  t /= outH;
  let od = t % outD;
  let bi = t / outD;
  let d = dst;
  for (let r = 0; r < rows; r++) {
    const image = x + <usize>bi * <usize>inD * <usize>inH * <usize>inW * chBytes;
    const iw0 = ow * sw - padLeft;
    // Taps kw in [kwLo, kwHi) are inside the input (dilation 1 only).
    let kwLo = 0;
    let kwHi = fw;
    if (dw == 1) {
      kwLo = max(0, -iw0);
      kwHi = min(fw, inW - iw0);
      if (kwHi < kwLo) kwHi = kwLo;
    }
    for (let kd = 0; kd < fd; kd++) {
      const id = od * sd - padFront + kd * dd;
      const dOk = id >= 0 && id < inD;
      for (let kh = 0; kh < fh; kh++) {
        const ih = oh * sh - padTop + kh * dh;
        const hOk = dOk && ih >= 0 && ih < inH;
        if (!hOk) {
          zeroFloats(d, span);
        } else if (dw == 1) {
          const src = image + <usize>((id * inH + ih) * inW + iw0) * chBytes;
          zeroFloats(d, kwLo * ch);
          copyFloats(
            d + <usize>(kwLo * ch) * 4,
            src + <usize>(kwLo * ch) * 4,
            (kwHi - kwLo) * ch,
          );
          zeroFloats(d + <usize>(kwHi * ch) * 4, (fw - kwHi) * ch);
        } else {
          for (let kw = 0; kw < fw; kw++) {
            const iw = iw0 + kw * dw;
            const at = d + <usize>(kw * ch) * 4;
            if (iw >= 0 && iw < inW) {
              copyFloats(at, image + <usize>((id * inH + ih) * inW + iw) * chBytes, ch);
            } else {
              zeroFloats(at, ch);
            }
          }
        }
        d += <usize>span * 4;
      }
    }
    if (++ow == outW) {
      ow = 0;
      if (++oh == outH) {
        oh = 0;
        if (++od == outD) {
          od = 0;
          bi++;
        }
      }
    }
  }
}

// dst[0:n] += src[0:n]
// @ts-ignore: decorator
@inline
function addInto(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/**
 * The transpose of im2col: adds rows [row0, row0 + rows) of a column-gradient matrix (src,
 * layout as im2col's dst) into the channels-last input gradient dx; taps in the padding are
 * dropped.
 */
export function col2im(
  src: usize,
  inD: i32,
  inH: i32,
  inW: i32,
  ch: i32,
  outD: i32,
  outH: i32,
  outW: i32,
  fd: i32,
  fh: i32,
  fw: i32,
  sd: i32,
  sh: i32,
  sw: i32,
  dd: i32,
  dh: i32,
  dw: i32,
  padFront: i32,
  padTop: i32,
  padLeft: i32,
  row0: i32,
  rows: i32,
  dx: usize,
): void {
  const chBytes = <usize>ch * 4;
  let ow = row0 % outW;
  let t = row0 / outW;
  let oh = t % outH;
  t /= outH;
  let od = t % outD;
  let bi = t / outD;
  let s = src;
  for (let r = 0; r < rows; r++) {
    const image = dx + <usize>bi * <usize>inD * <usize>inH * <usize>inW * chBytes;
    for (let kd = 0; kd < fd; kd++) {
      const id = od * sd - padFront + kd * dd;
      const dOk = id >= 0 && id < inD;
      for (let kh = 0; kh < fh; kh++) {
        const ih = oh * sh - padTop + kh * dh;
        const hOk = dOk && ih >= 0 && ih < inH;
        for (let kw = 0; kw < fw; kw++) {
          const iw = ow * sw - padLeft + kw * dw;
          if (hOk && iw >= 0 && iw < inW) {
            addInto(image + <usize>((id * inH + ih) * inW + iw) * chBytes, s, ch);
          }
          s += chBytes;
        }
      }
    }
    if (++ow == outW) {
      ow = 0;
      if (++oh == outH) {
        oh = 0;
        if (++od == outD) {
          od = 0;
          bi++;
        }
      }
    }
  }
}

// p[0:n] += q[0:n] * r[0:n]
// @ts-ignore: decorator
@inline
function fmaInto(p: usize, q: usize, r: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i * 4;
    v128.store(p + o, f32x4.add(v128.load(p + o), f32x4.mul(v128.load(q + o), v128.load(r + o))));
    v128.store(
      p + o,
      f32x4.add(v128.load(p + o, 16), f32x4.mul(v128.load(q + o, 16), v128.load(r + o, 16))),
      16,
    );
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(p + o, f32x4.add(v128.load(p + o), f32x4.mul(v128.load(q + o), v128.load(r + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(p + o, load<f32>(p + o) + load<f32>(q + o) * load<f32>(r + o));
  }
}

/**
 * Channels-last depthwise 2-D convolution and its gradients, with channel multiplier cm
 * (filter [fh, fw, ch, cm]; output channel c*cm + q reads input channel c). Over every
 * output position and every filter tap inside the input (taps in the padding are skipped):
 *  - mode 0 (forward):       y[pos, c*cm+q]  += x[tap, c] * w[k, c*cm+q]
 *  - mode 1 (input grad):    dx[tap, c]      += dy[pos, c*cm+q] * w[k, c*cm+q]
 *  - mode 2 (filter grad):   dw[k, c*cm+q]   += x[tap, c] * dy[pos, c*cm+q]
 * `x` is x (modes 0, 2) or dx (mode 1), `y` is y (0) or dy (1, 2), `w` is w (0, 1) or dw (2);
 * the written array must be zeroed by the caller.
 */
export function depthwise(
  mode: i32,
  x: usize,
  y: usize,
  w: usize,
  batch: i32,
  inH: i32,
  inW: i32,
  ch: i32,
  cm: i32,
  outH: i32,
  outW: i32,
  fh: i32,
  fw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dw: i32,
  padTop: i32,
  padLeft: i32,
): void {
  const outCh = ch * cm;
  const xPix = <usize>ch * 4;
  const yPix = <usize>outCh * 4;
  for (let b = 0; b < batch; b++) {
    const xImage = x + <usize>b * <usize>inH * <usize>inW * xPix;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yp = y + <usize>((b * outH + oh) * outW + ow) * yPix;
        for (let kh = 0; kh < fh; kh++) {
          const ih = oh * sh - padTop + kh * dh;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < fw; kw++) {
            const iw = ow * sw - padLeft + kw * dw;
            if (iw < 0 || iw >= inW) continue;
            const xp = xImage + <usize>(ih * inW + iw) * xPix;
            const wp = w + <usize>(kh * fw + kw) * yPix;
            if (cm == 1) {
              if (mode == 0) fmaInto(yp, xp, wp, ch);
              else if (mode == 1) fmaInto(xp, yp, wp, ch);
              else fmaInto(wp, xp, yp, ch);
            } else {
              for (let c = 0; c < ch; c++) {
                const xc = xp + <usize>c * 4;
                const o = <usize>(c * cm) * 4;
                if (mode == 0) {
                  const xv = load<f32>(xc);
                  for (let q = 0; q < cm; q++) {
                    const at = yp + o + <usize>q * 4;
                    store<f32>(at, load<f32>(at) + xv * load<f32>(wp + o + <usize>q * 4));
                  }
                } else if (mode == 1) {
                  let sum = load<f32>(xc);
                  for (let q = 0; q < cm; q++) {
                    const at = o + <usize>q * 4;
                    sum += load<f32>(yp + at) * load<f32>(wp + at);
                  }
                  store<f32>(xc, sum);
                } else {
                  const xv = load<f32>(xc);
                  for (let q = 0; q < cm; q++) {
                    const at = wp + o + <usize>q * 4;
                    store<f32>(at, load<f32>(at) + xv * load<f32>(yp + o + <usize>q * 4));
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
