/**
 * CTC in plain tfjs ops: the reference implementation and the path every backend without a
 * fused kernel takes. Vectorised over the batch and the extended-label axis, looping only
 * over time; memory O(T·B·S) for α and β plus O(B·S·V) for the label one-hot.
 *
 * Both recursions start from a virtual frame: α₋₁ is one-hot on the first blank and
 * β_{T_b} one-hot on the final blank, so eq. 6 and eq. 10 are the ordinary recursion step,
 * and frames past `inputLengths[b]` simply carry the previous value through.
 *
 * NaN log-probabilities behave as in PyTorch's recursion (see the CPU kernel's
 * `nanReachesEnd`): α is computed for every state of every frame from the second on, so a NaN
 * emission there is NaN even where no path is yet, and flows on along the allowed steps only
 * (masks select with `tf.where`, never add -Infinity, since NaN + -Infinity is NaN). β, which
 * only the gradient uses, keeps impossible states at -Infinity, so that a NaN that does not reach
 * the end leaves the gradient of a finite loss finite.
 */
import * as tf from '@tensorflow/tfjs';
import type { ValidatedCtcInputs } from './validate-ctc-inputs';

/** Tensors derived once from the validated labels and lengths. */
interface LabelTensors {
  /** `[B·S']` indices into the flattened `[T, B·V]` log-probabilities. */
  gatherIndices: tf.Tensor1D;
  /** `[B·S']` label of each extended state (padding states carry the blank). */
  stateLabels: tf.Tensor1D;
  /** `[B, S']` whether the skip s-2 → s is allowed. */
  skipFromBehind: tf.Tensor2D;
  /** `[B, S']` whether the skip s → s+2 is allowed. */
  skipAhead: tf.Tensor2D;
  /** `[1, S']` whether a path can start in the state at frame 0 (s < 2). */
  firstStates: tf.Tensor2D;
  /** `[B, S']` log one-hot on the first state (α₋₁). */
  alphaStart: tf.Tensor2D;
  /** `[B, S']` log one-hot on the final blank (β_{T_b}). */
  betaStart: tf.Tensor2D;
  /** `[B, S']` whether the state ends a path (the sample's last label and final blank). */
  endMask: tf.Tensor2D;
  /** `[B, 1]` input lengths. */
  inputLengths: tf.Tensor2D;
}

function buildLabelTensors(inputs: ValidatedCtcInputs): LabelTensors {
  const { batch, classes, maxTargetLength, targets, targetLengths, blank } = inputs;
  if (targets === undefined) throw new Error('The composite CTC needs the targets on the CPU.');
  const states = 2 * maxTargetLength + 1;
  const indices = new Int32Array(batch * states);
  const stateLabels = new Int32Array(batch * states);
  const skipFromBehind = new Uint8Array(batch * states);
  const skipAhead = new Uint8Array(batch * states);
  const alphaStart = new Float32Array(batch * states).fill(-Infinity);
  const betaStart = new Float32Array(batch * states).fill(-Infinity);
  const endMask = new Uint8Array(batch * states);
  for (let b = 0; b < batch; b++) {
    const length = targetLengths[b];
    const row = b * states;
    const labels = new Int32Array(states).fill(blank);
    for (let i = 0; i < length; i++) labels[2 * i + 1] = targets[b * maxTargetLength + i];
    for (let s = 0; s < states; s++) {
      indices[row + s] = b * classes + labels[s];
      stateLabels[row + s] = labels[s];
      const skips = s >= 3 && (s & 1) === 1 && s < 2 * length + 1 && labels[s] !== labels[s - 2];
      if (skips) {
        skipFromBehind[row + s] = 1;
        skipAhead[row + s - 2] = 1;
      }
    }
    alphaStart[row] = 0;
    betaStart[row + 2 * length] = 0;
    endMask[row + 2 * length] = 1;
    if (length > 0) endMask[row + 2 * length - 1] = 1;
  }
  const firstStates = new Uint8Array(states);
  firstStates.fill(1, 0, Math.min(2, states));
  return {
    gatherIndices: tf.tensor1d(indices, 'int32'),
    stateLabels: tf.tensor1d(stateLabels, 'int32'),
    skipFromBehind: tf.tensor2d(skipFromBehind, [batch, states], 'bool'),
    skipAhead: tf.tensor2d(skipAhead, [batch, states], 'bool'),
    firstStates: tf.tensor2d(firstStates, [1, states], 'bool'),
    alphaStart: tf.tensor2d(alphaStart, [batch, states]),
    betaStart: tf.tensor2d(betaStart, [batch, states]),
    endMask: tf.tensor2d(endMask, [batch, states], 'bool'),
    inputLengths: tf.tensor2d(inputs.inputLengths, [batch, 1], 'int32'),
  };
}

/** `x` where `mask`, -Infinity elsewhere (a select: a NaN in `x` outside `mask` is dropped). */
function keepWhere(mask: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.where(mask, x, tf.fill(x.shape, -Infinity));
}

/** log Σ exp over `terms`, with -Infinity (not NaN) where every term is -Infinity. */
function logSumExp(terms: tf.Tensor[]): tf.Tensor {
  return tf.tidy(() => {
    const max = terms.reduce((a, b) => tf.maximum(a, b));
    const safeMax = tf.where(tf.isInf(max), tf.zerosLike(max), max);
    const sum = terms.map((term) => tf.exp(tf.sub(term, safeMax))).reduce((a, b) => tf.add(a, b));
    return tf.add(tf.log(sum), safeMax);
  });
}

/** log Σ_s exp(x[b, s]) per row of `[B, S']`, -Infinity (not NaN) for an all -Infinity row. */
function logSumExpOverStates(x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const max = tf.max(x, 1, true);
    const safeMax = tf.where(tf.isInf(max), tf.zerosLike(max), max);
    return tf.reshape<tf.Rank.R1>(
      tf.add(tf.log(tf.sum(tf.exp(tf.sub(x, safeMax)), 1, true)), safeMax),
      [-1],
    );
  });
}

/** Shifts `[B, S']` along the state axis by `by` (positive: towards higher s), filling -Infinity. */
function shiftStates(x: tf.Tensor2D, by: number): tf.Tensor2D {
  const [batch, states] = x.shape;
  const size = Math.min(Math.abs(by), states);
  const fill = tf.fill([batch, size], -Infinity);
  return by > 0
    ? (tf.concat([fill, tf.slice(x, [0, 0], [batch, states - size])], 1) as tf.Tensor2D)
    : (tf.concat([tf.slice(x, [0, size], [batch, states - size]), fill], 1) as tf.Tensor2D);
}

/** `[T, B, S']` log-probabilities of each state's label. */
function gatherEmissions(logProbs: tf.Tensor3D, labels: LabelTensors, states: number): tf.Tensor3D {
  const [frames, batch, classes] = logProbs.shape;
  const flat = tf.reshape(logProbs, [frames, batch * classes]);
  return tf.reshape(tf.gather(flat, labels.gatherIndices, 1), [frames, batch, states]);
}

/** Forward pass: α `[T, B, S']` and the negative log-likelihood `[B]`. */
export function ctcForwardComposite(
  logProbs: tf.Tensor3D,
  inputs: ValidatedCtcInputs,
): { nll: tf.Tensor1D; logAlpha: tf.Tensor3D } {
  return tf.tidy(() => {
    const states = 2 * inputs.maxTargetLength + 1;
    const labels = buildLabelTensors(inputs);
    const emissions = tf.unstack(gatherEmissions(logProbs, labels, states)) as tf.Tensor2D[];
    let previous = labels.alphaStart;
    const alphas: tf.Tensor2D[] = [];
    emissions.forEach((emission, t) => {
      const next = tf.tidy(() => {
        const incoming = logSumExp([
          previous,
          shiftStates(previous, 1),
          keepWhere(labels.skipFromBehind, shiftStates(previous, 2)),
        ]);
        // As PyTorch: every state from frame 1 on (-Infinity + NaN is NaN), states 0 and 1 at 0.
        let value = tf.add(incoming, emission);
        if (t === 0) value = keepWhere(labels.firstStates, value);
        const active = tf.less(tf.scalar(t, 'int32'), labels.inputLengths);
        return tf.where(active, value, previous) as tf.Tensor2D;
      });
      alphas.push(next);
      previous = next;
    });
    // 0 - x rather than -x, so that a certain path gives +0, not -0.
    const nll = tf.sub<tf.Tensor1D>(
      0,
      logSumExpOverStates(keepWhere(labels.endMask, previous) as tf.Tensor2D),
    );
    const logAlpha =
      alphas.length > 0
        ? (tf.stack(alphas) as tf.Tensor3D)
        : tf.zeros<tf.Rank.R3>([0, inputs.batch, states]);
    return { nll, logAlpha };
  });
}

/**
 * Backward pass: the gradient of `gradScale[b] · nll[b]` with respect to `logProbs`,
 * `[T, B, V]`; zero past each input length and for samples whose `nll` is infinite. As in
 * PyTorch, NaN on every class of the valid frames of a sample whose `nll` is NaN, and NaN where
 * the valid frames of a sample with a finite `nll` hold a NaN log-probability.
 */
export function ctcBackwardComposite(
  logProbs: tf.Tensor3D,
  inputs: ValidatedCtcInputs,
  nll: tf.Tensor1D,
  logAlpha: tf.Tensor3D,
  gradScale: tf.Tensor1D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [frames, batch, classes] = logProbs.shape;
    const states = 2 * inputs.maxTargetLength + 1;
    if (frames === 0) return tf.zeros<tf.Rank.R3>([0, batch, classes]);
    const labels = buildLabelTensors(inputs);
    const emissionStack = gatherEmissions(logProbs, labels, states);
    const emissions = tf.unstack(emissionStack) as tf.Tensor2D[];
    let following = labels.betaStart;
    const betas = new Array<tf.Tensor2D>(frames);
    for (let t = frames - 1; t >= 0; t--) {
      const next = tf.tidy(() => {
        const outgoing = logSumExp([
          following,
          shiftStates(following, -1),
          keepWhere(labels.skipAhead, shiftStates(following, -2)),
        ]);
        // States that cannot reach the end stay impossible, whatever their emission.
        const value = tf.where(
          tf.equal(outgoing, -Infinity),
          outgoing,
          tf.add(outgoing, emissions[t]),
        );
        const active = tf.less(tf.scalar(t, 'int32'), labels.inputLengths);
        return tf.where(active, value, following) as tf.Tensor2D;
      });
      betas[t] = next;
      following = next;
    }
    const logBeta = tf.stack(betas) as tf.Tensor3D;
    // Occupancy α_t(s)β_t(s) / y_t(l'_s) / p(l|x), zero where either factor is zero, on padded
    // frames, and for samples with an infinite or NaN loss. (With a finite loss, a NaN α or β
    // only occurs where the other factor is zero.)
    const finiteNll = tf.isFinite(nll);
    const safeNll = tf.where(finiteNll, nll, tf.zerosLike(nll));
    const reachable = tf.logicalAnd(
      tf.logicalNot(tf.isInf(logAlpha)),
      tf.logicalNot(tf.isInf(logBeta)),
    );
    const logOccupancy = tf.add(
      tf.sub(tf.add(logAlpha, logBeta), emissionStack),
      tf.reshape(safeNll, [1, batch, 1]),
    );
    const frameIndex = tf.reshape(tf.range(0, frames, 1, 'int32'), [frames, 1, 1]);
    const validFrame = tf.less(frameIndex, tf.reshape(labels.inputLengths, [1, batch, 1]));
    const keep = tf.logicalAnd(
      tf.logicalAnd(reachable, validFrame),
      tf.reshape(finiteNll, [1, batch, 1]),
    );
    const scale = tf.reshape(tf.where(finiteNll, gradScale, tf.zerosLike(gradScale)), [
      1,
      batch,
      1,
    ]);
    const occupancy = tf.mul(
      tf.where(keep, tf.exp(logOccupancy), tf.zerosLike(logOccupancy)),
      scale,
    );
    // Sum the occupancies of states that share a label: [B, T, S'] × one-hot [B, S', V].
    const oneHotLabels = tf.reshape(tf.oneHot(labels.stateLabels, classes, 1, 0, 'float32'), [
      batch,
      states,
      classes,
    ]);
    const perLabel = tf.matMul(tf.transpose(occupancy, [1, 0, 2]), oneHotLabels);
    const grad = tf.neg(tf.transpose(perLabel, [1, 0, 2]));
    const nanLoss = tf.reshape(tf.isNaN(nll), [1, batch, 1]);
    const nanGrad = tf.logicalAnd(
      validFrame,
      tf.logicalOr(
        nanLoss,
        tf.logicalAnd(tf.isNaN(logProbs), tf.reshape(finiteNll, [1, batch, 1])),
      ),
    );
    return tf.where(nanGrad, tf.fill([frames, batch, classes], NaN), grad) as tf.Tensor3D;
  });
}
