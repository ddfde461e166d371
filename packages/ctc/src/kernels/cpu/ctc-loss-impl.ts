/**
 * CTC forward and backward passes on typed arrays (Graves et al. 2006, "Connectionist
 * Temporal Classification", section 4.1), accumulated in float64.
 *
 * Layouts: `logProbs` is time-major `[T, B, V]`, `targets` is `[B, S]` (positions past
 * `targetLengths[b]` are never read); the extended label sequence `l'` of sample `b` has
 * `2·targetLengths[b] + 1` states (blanks at even positions, labels at odd ones).
 *
 * Each sample first runs in *scaled linear space*: α̂_t = α_t / A_t with the scale A_t chosen
 * so that max_s α̂_t(s) = 1 and log A_t accumulated, as in Rabiner's scaled forward-backward.
 * This needs one exponential per label state and frame instead of the two exponentials and a
 * logarithm of a log-space step, and it is at least as accurate. Scaled values can still
 * underflow when, within one frame, states differ by more than ~e^-640 (very peaky models,
 * long sequences): every step checks for that, and a sample that comes close is recomputed
 * entirely in log space, so results never silently lose a path.
 *
 * NaN log-probabilities follow PyTorch's `F.ctc_loss`, whose recursion computes every state of
 * every frame from the second on: a NaN that this recursion carries to one of the two final
 * states makes the loss NaN (see {@link nanReachesEnd}); any other NaN is never read by the
 * loss.
 */
import { expNonPositive } from './fast-exp';

/** Shape and label facts shared by the forward and backward passes. */
export interface CtcProblem {
  /** `[T, B, V]` log-probabilities. */
  logProbs: Float32Array;
  frames: number;
  batch: number;
  classes: number;
  /** `[B, S]` padded targets. */
  targets: Int32Array;
  /** S: the padded target length. */
  maxTargetLength: number;
  inputLengths: Int32Array;
  targetLengths: Int32Array;
  blank: number;
}

/**
 * What the forward pass keeps for the backward pass, in one float64 buffer: α̂ `[B, T, S']`,
 * log A `[B, T]`, nll `[B]`, the mode of each sample `[B]` (0 scaled linear, 1 log space), and
 * for the scaled linear space the frame shifts m_t `[B, T]` and the scaled emissions ŷ of each
 * sample's distinct labels `[B, T, S + 1]`, so that the backward pass neither gathers the
 * log-probabilities of the labels again nor recomputes their exponentials.
 */
interface StateLayout {
  states: number;
  /** Room for the distinct labels of a sample (blank included): S + 1. */
  distinct: number;
  alphaOffset: number;
  scaleOffset: number;
  nllOffset: number;
  modeOffset: number;
  shiftOffset: number;
  emissionOffset: number;
  length: number;
}

const LINEAR = 0;
const LOG_SPACE = 1;
/** A NaN log-probability reaches the end of the lattice: the loss and its gradient are NaN. */
const NAN_LOSS = 2;
/** Normalised values below this are too close to float64's range to be trusted further. */
const UNDERFLOW_GUARD = 1e-280;

/** Number of extended-label states per sample in the state buffer: `2·S + 1`. */
export function extendedLength(maxTargetLength: number): number {
  return 2 * maxTargetLength + 1;
}

function stateLayout(
  problem: Pick<CtcProblem, 'frames' | 'batch' | 'maxTargetLength'>,
): StateLayout {
  const states = extendedLength(problem.maxTargetLength);
  const alphaOffset = 0;
  const scaleOffset = problem.batch * problem.frames * states;
  const nllOffset = scaleOffset + problem.batch * problem.frames;
  const modeOffset = nllOffset + problem.batch;
  const shiftOffset = modeOffset + problem.batch;
  const emissionOffset = shiftOffset + problem.batch * problem.frames;
  const distinct = problem.maxTargetLength + 1;
  return {
    states,
    distinct,
    alphaOffset,
    scaleOffset,
    nllOffset,
    modeOffset,
    shiftOffset,
    emissionOffset,
    length: emissionOffset + problem.batch * problem.frames * distinct,
  };
}

/** Number of float64 values in the state buffer of {@link ctcForward}. */
export function stateLength(
  problem: Pick<CtcProblem, 'frames' | 'batch' | 'maxTargetLength'>,
): number {
  return stateLayout(problem).length;
}

/** Per-sample scratch: extended labels, allowed skips and two rows of the recursion. */
class SampleScratch {
  readonly labels: Int32Array;
  readonly skip: Uint8Array;
  /** Distinct labels of the sample, blank first; `slot[s]` indexes it for state s. */
  readonly distinct: Int32Array;
  readonly slot: Int32Array;
  private readonly slots = new Map<number, number>();
  distinctCount = 0;
  row: Float64Array;
  other: Float64Array;
  /** Two rows of NaN flags for {@link nanReachesEnd}. */
  nanRow: Uint8Array;
  nanOther: Uint8Array;
  states = 0;

  constructor(capacity: number) {
    this.nanRow = new Uint8Array(capacity);
    this.nanOther = new Uint8Array(capacity);
    this.labels = new Int32Array(capacity);
    this.skip = new Uint8Array(capacity);
    this.distinct = new Int32Array(capacity);
    this.slot = new Int32Array(capacity);
    this.row = new Float64Array(capacity);
    this.other = new Float64Array(capacity);
  }

  /** Loads sample `b`'s extended labels; `skip[s]` says whether s-2 → s is allowed. */
  load(problem: CtcProblem, b: number): void {
    const length = problem.targetLengths[b];
    this.states = 2 * length + 1;
    const offset = b * problem.maxTargetLength;
    const slots = this.slots;
    slots.clear();
    slots.set(problem.blank, 0);
    this.distinct[0] = problem.blank;
    for (let s = 0; s < this.states; s++) {
      if ((s & 1) === 0) {
        this.labels[s] = problem.blank;
        this.skip[s] = 0;
        this.slot[s] = 0;
      } else {
        const label = problem.targets[offset + (s >> 1)];
        this.labels[s] = label;
        this.skip[s] = s >= 3 && label !== this.labels[s - 2] ? 1 : 0;
        let slot = slots.get(label);
        if (slot === undefined) {
          slot = slots.size;
          slots.set(label, slot);
          this.distinct[slot] = label;
        }
        this.slot[s] = slot;
      }
    }
    this.distinctCount = slots.size;
  }

  private occupancyBuffer = new Float64Array(0);

  /** A scratch buffer of at least `size` float64 values (contents unspecified). */
  occupancy(size: number): Float64Array {
    if (this.occupancyBuffer.length < size) this.occupancyBuffer = new Float64Array(size);
    return this.occupancyBuffer;
  }

  swap(): void {
    const row = this.row;
    this.row = this.other;
    this.other = row;
  }
}

/**
 * Copies the log-probabilities of sample `b`'s distinct labels in its valid frames into the
 * emission rows of `state` (`[T, S + 1]` for the sample), the one pass that reads them from the
 * large `[T, B, V]` array. Returns whether one of them is NaN.
 */
function gatherLabels(
  problem: CtcProblem,
  b: number,
  scratch: SampleScratch,
  state: Float64Array,
  layout: StateLayout,
): boolean {
  const { frames, batch, classes, logProbs } = problem;
  const sampleFrames = problem.inputLengths[b];
  const { distinct, distinctCount } = scratch;
  let nan = false;
  for (let t = 0; t < sampleFrames; t++) {
    const row = (t * batch + b) * classes;
    const out = layout.emissionOffset + (b * frames + t) * layout.distinct;
    for (let k = 0; k < distinctCount; k++) {
      const value = logProbs[row + distinct[k]];
      if (value !== value) nan = true;
      state[out + k] = value;
    }
  }
  return nan;
}

/**
 * Whether a NaN log-probability of sample `b` reaches one of its two final states in PyTorch's
 * recursion (`F.ctc_loss`, CPU and CUDA), which makes PyTorch's loss NaN. That recursion starts
 * in states 0 and 1 at frame 0 and computes every state of every later frame, reachable or not:
 * a NaN emission at such a state is NaN (`-inf + NaN`), and a NaN flows on wherever a state
 * steps (stay, advance, or skip between different labels). Only valid frames are read; only
 * called when one of the sample's labels has a NaN log-probability ({@link gatherLabels}).
 */
function nanReachesEnd(problem: CtcProblem, b: number, scratch: SampleScratch): boolean {
  const { batch, classes, logProbs } = problem;
  const sampleFrames = problem.inputLengths[b];
  const { states, labels, skip } = scratch;
  for (let t = 0; t < sampleFrames; t++) {
    const row = (t * batch + b) * classes;
    const previous = scratch.nanOther;
    const current = scratch.nanRow;
    for (let s = 0; s < states; s++) {
      const emission = Number.isNaN(logProbs[row + labels[s]]);
      if (t === 0) current[s] = s < 2 && emission ? 1 : 0;
      else {
        current[s] =
          emission ||
          previous[s] === 1 ||
          (s > 0 && previous[s - 1] === 1) ||
          (skip[s] === 1 && previous[s - 2] === 1)
            ? 1
            : 0;
      }
    }
    scratch.nanRow = previous;
    scratch.nanOther = current;
  }
  const last = scratch.nanOther;
  return last[states - 1] === 1 || (states > 1 && last[states - 2] === 1);
}

/** States `[low, high)` at frame t that the start can reach and that can still reach the end. */
function band(states: number, sampleFrames: number, t: number): [number, number] {
  return [Math.max(0, states - 2 * (sampleFrames - t)), Math.min(states, 2 * t + 2)];
}

/** Largest of `logProbs[t, b, l'_s]` over the states `[low, high)`, from the gathered row. */
function largestEmission(
  state: Float64Array,
  gathered: number,
  slot: Int32Array,
  low: number,
  high: number,
): number {
  let max = -Infinity;
  for (let s = low; s < high; s++) {
    const value = state[gathered + slot[s]];
    if (value > max) max = value;
  }
  return max;
}

/**
 * Scaled linear-space α for sample `b` (eq. 6–7 with per-frame scaling, Rabiner 1989).
 * Row t holds r_t(s) with α_t(s) = r_t(s)·exp(K_t); each step divides the previous row by its
 * maximum and multiplies by ŷ_t(s) = exp(logProbs[t, b, l'_s] - m_t), m_t the frame's largest
 * label log-probability, so K_t = K_{t-1} + log max r_{t-1} + m_t. Writes r and K into `state`
 * and returns the nll, or `undefined` when values came too close to underflow and the sample
 * must be computed in log space.
 */
function forwardLinear(
  problem: CtcProblem,
  b: number,
  scratch: SampleScratch,
  state: Float64Array,
  layout: StateLayout,
): number | undefined {
  const { frames, batch, classes, logProbs } = problem;
  const sampleFrames = problem.inputLengths[b];
  const { states, labels, skip, slot, distinctCount } = scratch;
  const alphaBase = layout.alphaOffset + b * frames * layout.states;
  const scaleBase = layout.scaleOffset + b * frames;
  const shiftBase = layout.shiftOffset + b * frames;
  let logScale = 0;
  let previousMax = 1;
  for (let t = 0; t < sampleFrames; t++) {
    const row = (t * batch + b) * classes;
    const low = Math.max(0, states - 2 * (sampleFrames - t));
    const high = Math.min(states, 2 * t + 2);
    // The gathered log-probabilities of the frame become ŷ = exp(logProb - m_t) in place: one
    // exponential per distinct label, shared by every state that carries it and by the backward
    // pass, which reads them back with m_t.
    const emission = layout.emissionOffset + (b * frames + t) * layout.distinct;
    const shift = largestEmission(state, emission, slot, low, high);
    if (shift === -Infinity) return Infinity; // no state of this frame can emit
    for (let k = emission; k < emission + distinctCount; k++)
      state[k] = expNonPositive(state[k] - shift);
    state[shiftBase + t] = shift;
    const inverse = 1 / previousMax;
    const previous = scratch.other;
    const current = scratch.row;
    const alphaRow = alphaBase + t * layout.states;
    current.fill(0, 0, states);
    let max = 0;
    let smallest = Infinity;
    for (let s = low; s < high; s++) {
      let incoming: number;
      if (t === 0)
        incoming = s < 2 ? 1 : 0; // eq. 6: start in the first blank or label
      else {
        incoming = previous[s];
        if (s > 0) incoming += previous[s - 1];
        if (skip[s] === 1) incoming += previous[s - 2];
        incoming *= inverse;
      }
      if (incoming === 0) continue;
      const value = incoming * state[emission + slot[s]];
      if (value === 0) {
        // A zero from a non-zero predecessor is an underflow unless the emission is impossible.
        if (logProbs[row + labels[s]] !== -Infinity) return undefined;
        continue;
      }
      if (value > max) max = value;
      if (value < smallest) smallest = value;
      current[s] = value;
      state[alphaRow + s] = value;
    }
    if (max === 0) return Infinity; // no path reaches this frame
    if (smallest < UNDERFLOW_GUARD * max) return undefined;
    logScale += (t === 0 ? 0 : Math.log(previousMax)) + shift;
    state[scaleBase + t] = logScale;
    previousMax = max;
    scratch.swap();
  }
  // Eq. 8: the path ends in the last label or the final blank. scratch.other holds the last row.
  const last = states - 1;
  const ending = scratch.other[last] + (last > 0 ? scratch.other[last - 1] : 0);
  return ending === 0 ? Infinity : -(logScale + Math.log(ending));
}

/** log(exp(a) + exp(b) + exp(c)) without overflow; -Infinity when all are -Infinity. */
function logSumExp3(a: number, b: number, c: number): number {
  let max = a > b ? a : b;
  if (c > max) max = c;
  if (max === -Infinity) return -Infinity;
  return (
    max + Math.log(expNonPositive(a - max) + expNonPositive(b - max) + expNonPositive(c - max))
  );
}

/**
 * Log-space α of sample `b` (eq. 6–7), written into `logAlpha` as `[T_b, S']` rows.
 * Returns the nll (eq. 8).
 */
function forwardLog(
  problem: CtcProblem,
  b: number,
  scratch: SampleScratch,
  logAlpha: Float64Array,
): number {
  const { batch, classes, logProbs } = problem;
  const sampleFrames = problem.inputLengths[b];
  const { states, labels, skip } = scratch;
  const stride = extendedLength(problem.maxTargetLength);
  logAlpha.fill(-Infinity, 0, sampleFrames * stride);
  for (let t = 0; t < sampleFrames; t++) {
    const row = (t * batch + b) * classes;
    const [low, high] = band(states, sampleFrames, t);
    const current = t * stride;
    const previous = current - stride;
    for (let s = low; s < high; s++) {
      let incoming: number;
      if (t === 0) incoming = s < 2 ? 0 : -Infinity;
      else {
        incoming = logSumExp3(
          logAlpha[previous + s],
          s > 0 ? logAlpha[previous + s - 1] : -Infinity,
          skip[s] === 1 ? logAlpha[previous + s - 2] : -Infinity,
        );
      }
      logAlpha[current + s] =
        incoming === -Infinity ? -Infinity : incoming + logProbs[row + labels[s]];
    }
  }
  const last = (sampleFrames - 1) * stride + states - 1;
  const a = logAlpha[last];
  const c = states > 1 ? logAlpha[last - 1] : -Infinity;
  const max = Math.max(a, c);
  return max === -Infinity
    ? Infinity
    : -(max + Math.log(expNonPositive(a - max) + expNonPositive(c - max)));
}

/**
 * Forward pass: the negative log-likelihood of every sample (eq. 8) and the state the
 * backward pass needs. A zero-length input has likelihood 1 for an empty target, 0 otherwise.
 * A sample whose NaN log-probabilities reach the end of the lattice ({@link nanReachesEnd})
 * gets NaN; NaN log-probabilities elsewhere are never read (the passes below only visit states
 * that a path can occupy, and those NaN cannot reach the end).
 *
 * `space: 'log'` skips the scaled linear-space attempt (tests compare the two).
 *
 * @returns `nll` `[B]` and the float64 `state` buffer for {@link ctcBackward}.
 */
export function ctcForward(
  problem: CtcProblem,
  space: 'auto' | 'log' = 'auto',
): { nll: Float64Array; state: Float64Array } {
  const layout = stateLayout(problem);
  const state = new Float64Array(layout.length);
  const nll = new Float64Array(problem.batch);
  const scratch = new SampleScratch(layout.states);
  let logAlpha: Float64Array | undefined;
  for (let b = 0; b < problem.batch; b++) {
    scratch.load(problem, b);
    const sampleFrames = problem.inputLengths[b];
    let value: number | undefined;
    let mode = LINEAR;
    if (sampleFrames === 0) value = scratch.states === 1 ? 0 : Infinity;
    else if (
      gatherLabels(problem, b, scratch, state, layout) &&
      nanReachesEnd(problem, b, scratch)
    ) {
      value = NaN;
      mode = NAN_LOSS;
    } else if (space === 'auto') value = forwardLinear(problem, b, scratch, state, layout);
    if (value === undefined) {
      mode = LOG_SPACE;
      logAlpha ??= new Float64Array(problem.frames * layout.states);
      value = forwardLog(problem, b, scratch, logAlpha);
    }
    nll[b] = value;
    state[layout.nllOffset + b] = value;
    state[layout.modeOffset + b] = mode;
  }
  return { nll, state };
}

/**
 * Scaled linear-space β and the gradient for sample `b` (eq. 10–16), scaled like α in
 * {@link forwardLinear}. Returns false, having written nothing, when β comes too close to
 * underflow or the occupancies of a frame do not sum to one.
 */
function backwardLinear(
  problem: CtcProblem,
  b: number,
  scratch: SampleScratch,
  state: Float64Array,
  layout: StateLayout,
  nll: number,
  scale: number,
  grad: Float32Array,
): boolean {
  const { frames, batch, classes, logProbs } = problem;
  const sampleFrames = problem.inputLengths[b];
  const { states, labels, skip, slot } = scratch;
  const alphaBase = layout.alphaOffset + b * frames * layout.states;
  const scaleBase = layout.scaleOffset + b * frames;
  const shiftBase = layout.shiftOffset + b * frames;
  const last = states - 1;
  // Occupancies are written only once β is known to be safe: collect them first.
  const occupancy = scratch.occupancy(sampleFrames * states);
  let logScale = 0;
  let nextMax = 1;
  for (let t = sampleFrames - 1; t >= 0; t--) {
    const row = (t * batch + b) * classes;
    const low = Math.max(0, states - 2 * (sampleFrames - t));
    const high = Math.min(states, 2 * t + 2);
    // m_t and ŷ as the forward pass computed them (the same band, so the same values).
    const shift = state[shiftBase + t];
    const emission = layout.emissionOffset + (b * frames + t) * layout.distinct;
    const inverse = 1 / nextMax;
    const next = scratch.other;
    const current = scratch.row;
    const occupancyRow = t * states;
    current.fill(0, 0, states);
    occupancy.fill(0, occupancyRow, occupancyRow + states);
    let max = 0;
    let smallest = Infinity;
    for (let s = low; s < high; s++) {
      let outgoing: number;
      if (t === sampleFrames - 1)
        outgoing = s >= last - 1 ? 1 : 0; // eq. 10
      else {
        outgoing = next[s];
        if (s + 1 < states) outgoing += next[s + 1];
        if (s + 2 < states && skip[s + 2] === 1) outgoing += next[s + 2];
        outgoing *= inverse;
      }
      if (outgoing === 0) continue;
      const scaled = state[emission + slot[s]];
      const value = outgoing * scaled;
      if (value === 0) {
        if (logProbs[row + labels[s]] !== -Infinity) return false;
        continue;
      }
      if (value > max) max = value;
      if (value < smallest) smallest = value;
      current[s] = value;
      // α̂·β̂/ŷ now; the frame's common factor is applied below.
      occupancy[occupancyRow + s] = (state[alphaBase + t * layout.states + s] * value) / scaled;
    }
    if (max === 0 || smallest < UNDERFLOW_GUARD * max) return false;
    logScale += (t === sampleFrames - 1 ? 0 : Math.log(nextMax)) + shift;
    // α_t(s)β_t(s)/y_t(l'_s)/p = α̂ β̂ / ŷ · exp(K_t + log B_t - m_t + nll)   (eq. 14–16)
    const frameFactor = Math.exp(state[scaleBase + t] + logScale - shift + nll);
    if (!Number.isFinite(frameFactor)) return false;
    // Every path is in exactly one state at each frame: occupancies sum to one. Anything else
    // means the scaled values lost precision, and log space takes over.
    let total = 0;
    for (let s = low; s < high; s++) {
      const share = occupancy[occupancyRow + s] * frameFactor;
      occupancy[occupancyRow + s] = share;
      total += share;
    }
    if (Math.abs(total - 1) > 1e-6) return false;
    nextMax = max;
    scratch.swap();
  }
  for (let t = 0; t < sampleFrames; t++) {
    const row = (t * batch + b) * classes;
    const occupancyRow = t * states;
    for (let s = 0; s < states; s++) {
      const value = occupancy[occupancyRow + s];
      if (value !== 0) grad[row + labels[s]] -= scale * value;
    }
  }
  return true;
}

/** Log-space β and the gradient for sample `b` (eq. 10–16), recomputing log α first. */
function backwardLog(
  problem: CtcProblem,
  b: number,
  scratch: SampleScratch,
  nll: number,
  scale: number,
  grad: Float32Array,
): void {
  const { batch, classes, logProbs } = problem;
  const sampleFrames = problem.inputLengths[b];
  const stride = extendedLength(problem.maxTargetLength);
  const logAlpha = new Float64Array(sampleFrames * stride);
  forwardLog(problem, b, scratch, logAlpha);
  const { states, labels, skip } = scratch;
  const last = states - 1;
  for (let t = sampleFrames - 1; t >= 0; t--) {
    const row = (t * batch + b) * classes;
    const [low, high] = band(states, sampleFrames, t);
    const next = scratch.other;
    const current = scratch.row;
    current.fill(-Infinity, 0, states);
    for (let s = low; s < high; s++) {
      const logProb = logProbs[row + labels[s]];
      let outgoing: number;
      if (t === sampleFrames - 1) outgoing = s >= last - 1 ? 0 : -Infinity;
      else {
        outgoing = logSumExp3(
          next[s],
          s + 1 < states ? next[s + 1] : -Infinity,
          s + 2 < states && skip[s + 2] === 1 ? next[s + 2] : -Infinity,
        );
      }
      if (outgoing === -Infinity || logProb === -Infinity) continue;
      const beta = outgoing + logProb;
      current[s] = beta;
      const alpha = logAlpha[t * stride + s];
      if (alpha === -Infinity) continue;
      // α_t(s)β_t(s) counts the emission at t twice: divide it out once (eq. 16).
      grad[row + labels[s]] -= scale * Math.exp(alpha + beta + nll - logProb);
    }
    scratch.swap();
  }
}

/**
 * Backward pass: the gradient of `gradScale[b] · nll[b]` with respect to the log-probabilities,
 * `∂nll/∂logProbs[t,b,k] = -exp(log Σ_{s: l'_s = k} α_t(s)β_t(s) + nll - logProbs[t,b,k])`
 * (eq. 14–16 before the softmax). Frames past `inputLengths[b]` and samples whose nll is
 * infinite get zeros, so an impossible alignment never produces NaN. As in PyTorch, a sample
 * whose nll is NaN gets NaN on every class of its valid frames, and a sample with a finite nll
 * gets NaN where its valid frames' log-probabilities are NaN.
 *
 * @returns the `[T, B, V]` gradient.
 */
export function ctcBackward(
  problem: CtcProblem,
  state: Float64Array,
  gradScale: Float32Array,
): Float32Array {
  const layout = stateLayout(problem);
  const grad = new Float32Array(problem.frames * problem.batch * problem.classes);
  const scratch = new SampleScratch(layout.states);
  for (let b = 0; b < problem.batch; b++) {
    const nll = state[layout.nllOffset + b];
    const scale = gradScale[b];
    const mode = state[layout.modeOffset + b];
    if (problem.inputLengths[b] === 0) continue;
    if (mode === NAN_LOSS) {
      fillValidFrames(problem, b, grad, NaN);
      continue;
    }
    if (!Number.isFinite(nll)) continue;
    if (scale !== 0) {
      scratch.load(problem, b);
      if (
        mode !== LINEAR ||
        !backwardLinear(problem, b, scratch, state, layout, nll, scale, grad)
      ) {
        backwardLog(problem, b, scratch, nll, scale, grad);
      }
    }
    markNaN(problem, b, grad);
  }
  return grad;
}

/** Sets every class of sample `b`'s valid frames to `value`. */
function fillValidFrames(problem: CtcProblem, b: number, grad: Float32Array, value: number): void {
  const { batch, classes } = problem;
  for (let t = 0; t < problem.inputLengths[b]; t++) {
    const row = (t * batch + b) * classes;
    grad.fill(value, row, row + classes);
  }
}

/**
 * NaN in the gradient wherever sample `b`'s valid frames hold a NaN log-probability. A row is
 * searched entry by entry only when its sum is NaN, which it is exactly when the row holds a NaN
 * or both infinities (a float64 sum of float32 values cannot overflow); summing is branch-free,
 * several times faster than testing every entry.
 */
function markNaN(problem: CtcProblem, b: number, grad: Float32Array): void {
  const { batch, classes, logProbs } = problem;
  const tail = classes & 3;
  for (let t = 0; t < problem.inputLengths[b]; t++) {
    const row = (t * batch + b) * classes;
    const end = row + classes - tail;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = row; k < end; k += 4) {
      s0 += logProbs[k];
      s1 += logProbs[k + 1];
      s2 += logProbs[k + 2];
      s3 += logProbs[k + 3];
    }
    for (let k = end; k < row + classes; k++) s0 += logProbs[k];
    const sum = s0 + s1 + (s2 + s3);
    if (sum === sum) continue;
    for (let k = row; k < row + classes; k++) if (Number.isNaN(logProbs[k])) grad[k] = NaN;
  }
}

/**
 * Which samples {@link ctcForward} computed in log space (true) rather than scaled linear
 * space; exposed for tests of the fall-back.
 */
export function samplesInLogSpace(
  problem: Pick<CtcProblem, 'frames' | 'batch' | 'maxTargetLength'>,
  state: Float64Array,
): boolean[] {
  const layout = stateLayout(problem);
  return Array.from(
    { length: problem.batch },
    (_, b) => state[layout.modeOffset + b] === LOG_SPACE,
  );
}
