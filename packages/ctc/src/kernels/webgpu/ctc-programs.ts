/**
 * WGSL programs for CTC on the WebGPU backend, in log space (Graves et al. 2006, eq. 6–16).
 *
 * One workgroup per batch item loops over time inside the kernel, with the extended-label
 * states spread across its invocations and the previous frame's α (or β) in workgroup
 * memory: one dispatch per pass instead of one per frame, and no read-back to the CPU. Frames
 * past `inputLengths[b]` and states past `2·targetLengths[b] + 1` are masked on the GPU.
 * "Impossible" is the sentinel -1e30 (WGSL implementations need not honour infinities).
 *
 * Precision: α and β are kept *relative to each frame's largest state*, log α_t(s) = a_t(s) + K_t
 * with max_s a_t(s) = 0 (K_t summed on the side for the nll), and the gradient normalises each
 * frame's occupancies by their own sum, Σ_s α_t(s)β_t(s)/y_t(l'_s) = p(l|x) for every t (eq. 14),
 * instead of multiplying by exp(nll). Absolute log values grow with the loss (hundreds on peaky
 * inputs), where float32 keeps only ~1e-4 absolute and exp(log α + log β + nll - log y) loses
 * as much; the relative values stay near 0 for the states that matter, and the offsets K_t and
 * the nll cancel out of the gradient. This is the WGSL counterpart of the CPU kernel's scaled
 * linear space (Rabiner 1989) without its underflow: the values stay logarithms.
 *
 * NaN log-probabilities: WGSL implementations need not honour NaN either, so the programs test
 * for it with tfjs's bit-level `isnan` and never let arithmetic carry it. The forward pass
 * follows PyTorch's recursion in a flag per state (NaN emissions at every state of every frame
 * from the second on, states 0 and 1 at frame 0, flowing along the allowed steps): a flag that
 * reaches one of the two final states makes the nll NaN. The backward pass writes NaN on every
 * class of such a sample's valid frames, and, for a finite nll, where a log-probability is NaN.
 */
import { type WebGpuProgram, workgroupSizeFor } from './webgpu-program';

/**
 * Most extended-label states a workgroup holds: 20 bytes per state and 8 per invocation (the
 * per-frame reductions) in 16 KiB of workgroup memory. On `webgpu`, `ctcLoss` runs the WGSL
 * kernels while `2·S + 1 ≤ WEBGPU_MAX_STATES` (S ≤ 340 labels) and the composite
 * implementation beyond.
 */
export const WEBGPU_MAX_STATES = 681;

const COMMON = `
const NEG : f32 = -1e30;
const NEG_LIMIT : f32 = -1e29;

fn logSumExp3(a : f32, b : f32, c : f32) -> f32 {
  let m = max(a, max(b, c));
  if (m <= NEG_LIMIT) { return NEG; }
  return m + log(exp(a - m) + exp(b - m) + exp(c - m));
}
`;

const UNIFORMS =
  'frames : i32, batch : i32, classes : i32, maxTargetLength : i32, states : i32, blank : i32,';

/** Shape facts every CTC program is specialised on. */
export interface CtcProgramShape {
  frames: number;
  batch: number;
  classes: number;
  maxTargetLength: number;
}

/** Uniform values matching {@link UNIFORMS}. */
export function ctcUniforms(
  shape: CtcProgramShape,
  blank: number,
): { type: 'int32'; data: number[] }[] {
  const states = 2 * shape.maxTargetLength + 1;
  return [shape.frames, shape.batch, shape.classes, shape.maxTargetLength, states, blank].map(
    (value) => ({
      type: 'int32' as const,
      data: [value],
    }),
  );
}

/**
 * A tree reduction over the workgroup, in uniform control flow: every invocation stores its
 * `partial` in the workgroup array `reduction` and all of them get the combined value as
 * `name`. Ends with a barrier, so `reduction` can be written again at once.
 */
function workgroupReduce(
  workgroupSize: number,
  name: string,
  partial: string,
  combine: (a: string, b: string) => string,
): string {
  return `
  reduction[lid] = ${partial};
  workgroupBarrier();
  for (var stride = ${workgroupSize / 2}; stride > 0; stride = stride >> 1) {
    if (lid < stride) { reduction[lid] = ${combine('reduction[lid]', 'reduction[lid + stride]')}; }
    workgroupBarrier();
  }
  let ${name} = reduction[0];
  workgroupBarrier();`;
}

/** Loads the sample's extended labels into workgroup memory (blank on even states and padding). */
function labelLoader(workgroupSize: number): string {
  return `
  for (var s = lid; s < uniforms.states; s += ${workgroupSize}) {
    var label = uniforms.blank;
    if ((s & 1) == 1 && s < sampleStates) { label = targets[b * uniforms.maxTargetLength + (s >> 1)]; }
    labels[s] = label;
  }
  workgroupBarrier();`;
}

/**
 * Forward pass. Output: log α `[B, T, S']`, each frame shifted so that its largest state is 0,
 * followed by the nll `[B]` (+Infinity when no alignment exists, NaN when a NaN
 * log-probability reaches the end), one flat float32 buffer.
 */
export class CtcAlphaProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['logProbs', 'targets', 'inputLengths', 'targetLengths'];
  uniforms = UNIFORMS;
  workgroupSize: [number, number, number];
  private readonly states: number;

  constructor(shape: CtcProgramShape) {
    this.states = 2 * shape.maxTargetLength + 1;
    this.outputShape = [shape.batch * shape.frames * this.states + shape.batch];
    this.workgroupSize = [workgroupSizeFor(this.states), 1, 1];
    this.dispatch = [shape.batch, 1, 1];
    this.shaderKey = `slr_ctc_alpha_${this.states}_${this.workgroupSize[0]}`;
  }

  getUserCode(): string {
    const size = this.workgroupSize[0];
    const states = this.states;
    return `${COMMON}
var<workgroup> labels : array<i32, ${states}>;
var<workgroup> alpha : array<f32, ${2 * states}>;
var<workgroup> nanFlow : array<u32, ${2 * states}>;
var<workgroup> reduction : array<f32, ${size}>;

fn main(index : i32) {
  let b = i32(workgroupId.x);
  let lid = i32(localId.x);
  let sampleFrames = inputLengths[b];
  let targetLength = targetLengths[b];
  let sampleStates = 2 * targetLength + 1;
  // log α_t(s) = alpha[s] + offset: alpha holds each frame relative to its largest state.
  var offset = 0.0;
  ${labelLoader(size)}
  for (var t = 0; t < uniforms.frames; t++) {
    let row = (t * uniforms.batch + b) * uniforms.classes;
    let current = (t & 1) * ${states};
    let previous = (1 - (t & 1)) * ${states};
    var largest = NEG;
    if (t < sampleFrames) {
      for (var s = lid; s < sampleStates; s += ${size}) {
        let logProb = logProbs[row + labels[s]];
        let nanEmission = isnan(logProb);
        var value = NEG;
        var nan = 0u;
        if (t == 0) {
          // eq. 6: a path starts in the first blank or on the first label.
          if (s < 2) { value = logProb; nan = u32(nanEmission); }
        } else {
          // eq. 7: stay, advance one state, or skip a blank between two different labels.
          var advance = NEG;
          nan = u32(nanEmission) | nanFlow[previous + s];
          if (s > 0) { advance = alpha[previous + s - 1]; nan = nan | nanFlow[previous + s - 1]; }
          var jump = NEG;
          if (s >= 3 && (s & 1) == 1 && labels[s] != labels[s - 2]) {
            jump = alpha[previous + s - 2];
            nan = nan | nanFlow[previous + s - 2];
          }
          let incoming = logSumExp3(alpha[previous + s], advance, jump);
          if (incoming > NEG_LIMIT) { value = incoming + logProb; }
        }
        if (nanEmission || !(value > NEG_LIMIT)) { value = NEG; }
        nanFlow[current + s] = nan;
        alpha[current + s] = value;
        largest = max(largest, value);
      }
    }
    ${workgroupReduce(size, 'frameMax', 'largest', (a, c) => `max(${a}, ${c})`)}
    if (t < sampleFrames) {
      // Renormalise the frame so that its largest state is 0 (no path: leave it impossible).
      var shift = 0.0;
      if (frameMax > NEG_LIMIT) { shift = frameMax; }
      offset += shift;
      for (var s = lid; s < sampleStates; s += ${size}) {
        var value = alpha[current + s];
        if (value > NEG_LIMIT) { value = value - shift; }
        alpha[current + s] = value;
        result[(b * uniforms.frames + t) * uniforms.states + s] = value;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0) {
    // eq. 8: a path ends in the last label or the final blank.
    var nll = 0.0;
    if (sampleFrames == 0) {
      nll = select(uniforms.INFINITY, 0.0, targetLength == 0);
    } else {
      let last = ((sampleFrames - 1) & 1) * ${states} + sampleStates - 1;
      var beforeLast = NEG;
      if (sampleStates > 1) { beforeLast = alpha[last - 1]; }
      let total = logSumExp3(alpha[last], beforeLast, NEG);
      nll = select(-(offset + total), uniforms.INFINITY, total <= NEG_LIMIT);
      var nan = nanFlow[last];
      if (sampleStates > 1) { nan = nan | nanFlow[last - 1]; }
      if (nan != 0u) { nll = uniforms.NAN; }
    }
    result[uniforms.batch * uniforms.frames * uniforms.states + b] = nll;
  }
}
`;
  }
}

/** Copies the nll `[B]` out of the forward pass's state buffer. */
export class CtcNllProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey = 'slr_ctc_nll';
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  variableNames = ['state'];
  uniforms = 'offset : i32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(batch: number) {
    this.outputShape = [batch];
    this.dispatch = [Math.ceil(batch / 64), 1, 1];
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) { result[index] = state[uniforms.offset + index]; }
}
`;
  }
}

/**
 * Backward pass: β (eq. 10–11) and the gradient of `gradScale[b] · nll[b]` with respect to
 * `logProbs`, `[T, B, V]`: `-scale · Σ_{s: l'_s = k} α_t(s)β_t(s)/y_t(k) / Z_t` with
 * `Z_t = Σ_s α_t(s)β_t(s)/y_t(l'_s)` (p(l|x) at every frame, eq. 14) on label columns, zero
 * elsewhere, on padded frames and for samples with an infinite nll; NaN on the valid frames
 * of a sample with a NaN nll, and where a valid log-probability is NaN.
 * States that share a label are summed by the first of them, so no atomics are needed.
 */
export class CtcBetaGradProgram implements WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0, 1, 2] };
  dispatch: [number, number, number];
  variableNames = ['logProbs', 'targets', 'inputLengths', 'targetLengths', 'state', 'gradScale'];
  uniforms = UNIFORMS;
  workgroupSize: [number, number, number];
  private readonly states: number;

  constructor(shape: CtcProgramShape) {
    this.states = 2 * shape.maxTargetLength + 1;
    this.outputShape = [shape.frames, shape.batch, shape.classes];
    this.workgroupSize = [workgroupSizeFor(Math.max(this.states, 64)), 1, 1];
    this.dispatch = [shape.batch, 1, 1];
    this.shaderKey = `slr_ctc_beta_grad_${this.states}_${this.workgroupSize[0]}`;
  }

  getUserCode(): string {
    const size = this.workgroupSize[0];
    const states = this.states;
    return `${COMMON}
var<workgroup> labels : array<i32, ${states}>;
// The next state with the same label plus one (0: none), and 1 << 16 on the first of them.
var<workgroup> sameLabel : array<i32, ${states}>;
var<workgroup> beta : array<f32, ${2 * states}>;
var<workgroup> occupancy : array<f32, ${states}>;
var<workgroup> reduction : array<vec2<f32>, ${size}>;

fn main(index : i32) {
  let b = i32(workgroupId.x);
  let lid = i32(localId.x);
  let sampleFrames = inputLengths[b];
  let sampleStates = 2 * targetLengths[b] + 1;
  let nll = state[uniforms.batch * uniforms.frames * uniforms.states + b];
  let scale = gradScale[b];
  let nanLoss = isnan(nll);
  let finite = !nanLoss && abs(nll) < uniforms.INFINITY;
  let contributes = sampleFrames > 0 && finite && scale != 0.0;
  ${labelLoader(size)}
  // The first state carrying a label sums the occupancies of all states that carry it.
  for (var s = lid; s < sampleStates; s += ${size}) {
    var next = -1;
    for (var other = s + 2; other < sampleStates; other += 2) {
      if (labels[other] == labels[s]) { next = other; break; }
    }
    var first = 1;
    for (var other = s - 2; other >= 0; other -= 2) {
      if (labels[other] == labels[s]) { first = 0; break; }
    }
    sameLabel[s] = (next + 1) | (first << 16);
  }
  workgroupBarrier();
  for (var step = 0; step < uniforms.frames; step++) {
    let t = uniforms.frames - 1 - step;
    let row = (t * uniforms.batch + b) * uniforms.classes;
    // Zero, or NaN (as PyTorch) for a NaN loss or, with a finite one, a NaN log-probability.
    for (var k = lid; k < uniforms.classes; k += ${size}) {
      let nan = t < sampleFrames && (nanLoss || (finite && isnan(logProbs[row + k])));
      result[row + k] = select(0.0, uniforms.NAN, nan);
    }
    let live = contributes && t < sampleFrames;
    let current = (t & 1) * ${states};
    let following = (1 - (t & 1)) * ${states};
    let alphaRow = (b * uniforms.frames + t) * uniforms.states;
    // Per invocation: the largest β_t(s) and the largest log of α_t(s)β_t(s)/y_t(l'_s), both
    // relative to the frame's offsets, which cancel out of the normalised occupancies.
    var largest = vec2<f32>(NEG, NEG);
    if (live) {
      for (var s = lid; s < sampleStates; s += ${size}) {
        let logProb = logProbs[row + labels[s]];
        var value = NEG;
        let nanEmission = isnan(logProb);
        if (t == sampleFrames - 1) {
          // eq. 10: only the last label and the final blank end a path.
          if (s >= sampleStates - 2) { value = logProb; }
        } else {
          // eq. 11: stay, advance one state, or skip the next blank.
          var advance = NEG;
          if (s + 1 < sampleStates) { advance = beta[following + s + 1]; }
          var jump = NEG;
          if (s + 2 < sampleStates && (s & 1) == 1 && labels[s + 2] != labels[s]) { jump = beta[following + s + 2]; }
          let outgoing = logSumExp3(beta[following + s], advance, jump);
          if (outgoing > NEG_LIMIT) { value = outgoing + logProb; }
        }
        // With a finite nll, a NaN emission lies off every path: impossible here.
        if (nanEmission || !(value > NEG_LIMIT)) { value = NEG; }
        beta[current + s] = value;
        let alpha = state[alphaRow + s];
        // α_t(s)β_t(s) counts the emission at t twice: divide it out once (eq. 16).
        var share = NEG;
        if (value > NEG_LIMIT && alpha > NEG_LIMIT) { share = alpha + value - logProb; }
        occupancy[s] = share;
        largest = max(largest, vec2<f32>(value, share));
      }
    }
    ${workgroupReduce(size, 'frameMax', 'largest', (a, c) => `max(${a}, ${c})`)}
    // β is kept relative to the frame's largest state; occupancies are exp(share - max share),
    // and their sum normalises them (eq. 14: it is p(l|x) at every frame, up to the offsets).
    var partial = 0.0;
    if (live) {
      for (var s = lid; s < sampleStates; s += ${size}) {
        let value = beta[current + s];
        if (value > NEG_LIMIT) { beta[current + s] = value - frameMax.x; }
        var share = occupancy[s];
        if (share > NEG_LIMIT) { share = exp(share - frameMax.y); } else { share = 0.0; }
        occupancy[s] = share;
        partial += share;
      }
    }
    ${workgroupReduce(size, 'frameSum', 'vec2<f32>(partial, 0.0)', (a, c) => `${a} + ${c}`)}
    storageBarrier();
    workgroupBarrier();
    if (live && frameSum.x > 0.0) {
      let weight = -scale / frameSum.x;
      for (var s = lid; s < sampleStates; s += ${size}) {
        if ((sameLabel[s] >> 16) == 1) {
          var total = 0.0;
          var member = s;
          loop {
            total += occupancy[member];
            member = (sameLabel[member] & 0xffff) - 1;
            if (member < 0) { break; }
          }
          if (!isnan(logProbs[row + labels[s]])) { result[row + labels[s]] = weight * total; }
        }
      }
    }
    workgroupBarrier();
  }
}
`;
  }
}
