import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkBoolean, checkOneOf, checkOptions } from '@slr/core';
import type { Lengths } from '../checks';
import { CTC_LOSS, CTC_LOSS_GRAD, type CtcLossAttrs } from '../kernels/kernel-names';
import { WEBGPU_MAX_STATES } from '../kernels/webgpu/ctc-programs';
import { ctcBackwardComposite, ctcForwardComposite } from './ctc-loss-composite';
import { type ValidatedCtcInputs, validateCtcInputs } from './validate-ctc-inputs';

/** How per-sample losses are combined, as in PyTorch's `F.ctc_loss`. */
export type CtcReduction = 'none' | 'sum' | 'mean';

/** Options of {@link ctcLoss}. */
export interface CtcLossOptions {
  /** Index of the blank label. Default 0. */
  blank?: number;
  /**
   * `'none'`: the `[batch]` per-sample losses (a `tf.Tensor1D`); `'sum'`: their sum; `'mean'`
   * (default): the mean over the batch of each loss divided by `max(targetLength, 1)` (both a
   * `tf.Scalar`).
   */
  reduction?: CtcReduction;
  /**
   * Replace infinite losses (impossible alignments) and their gradients by zero; a NaN loss
   * stays NaN, as in PyTorch. Default false.
   */
  zeroInfinity?: boolean;
}

const REDUCTIONS: readonly CtcReduction[] = ['none', 'sum', 'mean'];

/**
 * Whether the active backend has fused CTC kernels for this problem; otherwise the composite
 * path runs. The WebGPU kernels keep a sample's states in workgroup memory, which bounds S.
 */
function backendHasFusedKernels(maxTargetLength: number): boolean {
  const backend = tf.getBackend();
  if (tf.getKernel(CTC_LOSS, backend) == null || tf.getKernel(CTC_LOSS_GRAD, backend) == null)
    return false;
  return backend !== 'webgpu' || 2 * maxTargetLength + 1 <= WEBGPU_MAX_STATES;
}

function labelTensors(checked: ValidatedCtcInputs): tf.NamedTensorMap {
  return {
    // Labels checked on the CPU, padding replaced by the blank; or the caller's own tensor when
    // it lives on a GPU (the kernels never read past targetLengths).
    targets:
      checked.targets === undefined
        ? checked.targetsTensor
        : tf.tensor2d(checked.targets, [checked.batch, checked.maxTargetLength], 'int32'),
    inputLengths: tf.tensor1d(checked.inputLengths, 'int32'),
    targetLengths: tf.tensor1d(checked.targetLengths, 'int32'),
  };
}

/** Per-sample factor that turns d(reduced loss) into d(nll_b): 1, or 1 / (B · max(L_b, 1)). */
function reductionFactors(checked: ValidatedCtcInputs, reduction: CtcReduction): Float32Array {
  const factors = new Float32Array(checked.batch).fill(1);
  if (reduction === 'mean') {
    for (let b = 0; b < checked.batch; b++)
      factors[b] = 1 / (checked.batch * Math.max(checked.targetLengths[b], 1));
  }
  return factors;
}

function ctcLoss_(
  logProbs: tf.Tensor3D,
  targets: tf.Tensor2D,
  inputLengths: Lengths,
  targetLengths: Lengths,
  options?: CtcLossOptions & { reduction?: 'mean' | 'sum' },
): tf.Scalar;
function ctcLoss_(
  logProbs: tf.Tensor3D,
  targets: tf.Tensor2D,
  inputLengths: Lengths,
  targetLengths: Lengths,
  options: CtcLossOptions & { reduction: 'none' },
): tf.Tensor1D;
function ctcLoss_(
  logProbs: tf.Tensor3D,
  targets: tf.Tensor2D,
  inputLengths: Lengths,
  targetLengths: Lengths,
  options?: CtcLossOptions,
): tf.Scalar | tf.Tensor1D;
function ctcLoss_(
  logProbs: tf.Tensor3D,
  targets: tf.Tensor2D,
  inputLengths: Lengths,
  targetLengths: Lengths,
  options?: CtcLossOptions,
): tf.Scalar | tf.Tensor1D {
  const fn = 'ctcLoss';
  const { blank = 0, reduction = 'mean', zeroInfinity = false } = checkOptions(fn, options);
  checkOneOf(fn, 'options.reduction', reduction, REDUCTIONS);
  checkBoolean(fn, 'options.zeroInfinity', zeroInfinity);
  const checked = validateCtcInputs(fn, logProbs, targets, inputLengths, targetLengths, blank);
  const attrs: CtcLossAttrs = { blank: checked.blank };
  const factors = reductionFactors(checked, reduction);
  const fused = backendHasFusedKernels(checked.maxTargetLength);
  if (!fused && checked.targets === undefined) {
    throw new ArgumentError(
      fn,
      'targets',
      `be readable synchronously, as the composite implementation that runs on backend '${tf.getBackend()}' ` +
        `for this problem needs: create it from CPU data (for example tf.tensor2d(await targets.array(), …))`,
      targets,
    );
  }

  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const lp = args[0] as tf.Tensor3D;
    const save = args[1] as tf.GradSaveFunc;
    let nll: tf.Tensor1D;
    if (fused) {
      const [perSample, state] = tf
        .engine()
        .runKernel<tf.Tensor[]>(CTC_LOSS, { logProbs: lp, ...labelTensors(checked) }, attrs);
      nll = perSample as tf.Tensor1D;
      save([lp, nll, state]);
    } else {
      const forward = ctcForwardComposite(lp, checked);
      nll = forward.nll;
      save([lp, nll, forward.logAlpha]);
    }
    const perSample = zeroInfinity ? tf.where(tf.isInf(nll), tf.zerosLike(nll), nll) : nll;
    let value: tf.Tensor;
    if (reduction === 'none') value = perSample;
    else if (reduction === 'sum') value = tf.sum(perSample);
    else value = tf.sum(tf.mul(perSample, tf.tensor1d(factors)));

    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const [savedLogProbs, savedNll, savedState] = saved;
      // d(value)/d(nll_b), broadcast to [B]; the kernels zero samples whose nll is infinite.
      const gradScale = tf.mul<tf.Tensor1D>(
        tf.broadcastTo(dy, [checked.batch]),
        tf.tensor1d(factors),
      );
      if (fused) {
        return tf.engine().runKernel<tf.Tensor>(
          CTC_LOSS_GRAD,
          {
            logProbs: savedLogProbs,
            ...labelTensors(checked),
            nll: savedNll,
            state: savedState,
            gradScale,
          },
          attrs,
        );
      }
      return ctcBackwardComposite(
        savedLogProbs as tf.Tensor3D,
        checked,
        savedNll as tf.Tensor1D,
        savedState as tf.Tensor3D,
        gradScale,
      );
    };
    return { value, gradFunc };
  });
  return loss(logProbs) as tf.Scalar | tf.Tensor1D;
}

/**
 * Connectionist Temporal Classification loss (Graves et al. 2006) with the semantics of
 * PyTorch's `F.ctc_loss`, differentiable with respect to `logProbs`.
 *
 * - `logProbs`: `[T, B, V]` (frames, batch, classes) float32 log-probabilities, time-major
 *   (apply log-softmax first).
 * - `targets`: `[B, S]` (batch, maxTargetLength) int32 labels, padded (for example with -1)
 *   past each target length.
 * - `inputLengths`: frames per sample, each ≤ T; frames past it are never read.
 * - `targetLengths`: labels per sample, each ≤ S; positions past it are never read.
 *
 * Returns a `tf.Scalar` for `reduction: 'mean'` (the default) or `'sum'`, and the per-sample
 * losses, a `tf.Tensor1D` `[B]`, for `'none'`. An impossible alignment gives `Infinity` (0
 * with `zeroInfinity`) and a zero, never NaN, gradient for that sample.
 *
 * NaN log-probabilities, as in PyTorch (1.13): a sample's loss is NaN, also with
 * `zeroInfinity`, when a NaN lies where PyTorch's recursion carries it to the end of the
 * lattice, that is on a label or blank of the target, in a valid frame, at a state that can
 * still reach the end (from frame 1 on even a state no path has reached yet; at frame 0 only
 * the first blank or label). Its gradient is then NaN on every class of its valid frames, and
 * zero past them; other samples are unaffected. A NaN anywhere else in a valid frame leaves the
 * loss finite and is NaN in the gradient at that entry only (PyTorch's CPU kernel also spreads it
 * to some earlier label entries). Frames past `inputLengths` are never read, whatever they hold.
 *
 * Where it runs: on the `cpu` and `webgpu` backends, fused kernels of this package compute the
 * loss and its gradient (registered when the package is imported; on `webgpu` while
 * `2·S + 1 ≤ 681` extended-label states fit in a workgroup's memory, that is S ≤ 340). Every
 * other backend (wasm, webgl, tensorflow), and `webgpu` beyond that size, runs a composite
 * implementation made of plain tfjs ops, which gives the same values within float32
 * tolerance; it needs `targets` readable synchronously.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ctcLoss, logSoftmax } from '@slr/ctc';
 *
 * const logits = tf.randomNormal([50, 2, 20]) as tf.Tensor3D;          // [T, B, V]
 * const targets = tf.tensor2d([[3, 7, 7, 2], [5, 1, -1, -1]], [2, 4], 'int32');
 * const grads = tf.grad((x: tf.Tensor) => ctcLoss(logSoftmax(x as tf.Tensor3D), targets, [50, 42], [4, 2]));
 * const dLogits = grads(logits);
 *
 * const mean: tf.Scalar = ctcLoss(logSoftmax(logits), targets, [50, 42], [4, 2]);
 * const perSample: tf.Tensor1D = ctcLoss(logSoftmax(logits), targets, [50, 42], [4, 2], { reduction: 'none' });
 * ```
 */
export const ctcLoss = tf.op({ ctcLoss_ });
