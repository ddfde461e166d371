import type { KernelBackend } from '@tensorflow/tfjs';
import type { CtcLossAttrs, CtcLossInputs } from '../kernel-names';
import type { CtcProblem } from './ctc-loss-impl';
import { readValues } from './cpu-backend';

/** Gathers the typed arrays of a CTC kernel call into a {@link CtcProblem}. */
export function readCtcProblem(
  backend: KernelBackend,
  inputs: CtcLossInputs,
  attrs: CtcLossAttrs,
): CtcProblem {
  const [frames, batch, classes] = inputs.logProbs.shape;
  return {
    logProbs: readValues<Float32Array>(backend, inputs.logProbs),
    frames,
    batch,
    classes,
    targets: readValues<Int32Array>(backend, inputs.targets),
    maxTargetLength: inputs.targets.shape[1],
    inputLengths: readValues<Int32Array>(backend, inputs.inputLengths),
    targetLengths: readValues<Int32Array>(backend, inputs.targetLengths),
    blank: attrs.blank,
  };
}
