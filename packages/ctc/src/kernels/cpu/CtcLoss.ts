import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap } from '@tensorflow/tfjs';
import { CTC_LOSS, type CtcLossAttrs, type CtcLossInputs } from '../kernel-names';
import { ctcForward, stateLength } from './ctc-loss-impl';
import { makeTensor } from './cpu-backend';
import { readCtcProblem } from './problem';

function ctcLossCpu(args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) {
  const backend = args.backend as Parameters<typeof readCtcProblem>[0];
  const problem = readCtcProblem(backend, args.inputs as CtcLossInputs, args.attrs as CtcLossAttrs);
  const { nll, state } = ctcForward(problem);
  return [
    makeTensor(backend, [problem.batch], 'float32', Float32Array.from(nll)),
    // The float64 state travels as the raw bytes of an int32 tensor that only CtcLossGrad reads.
    makeTensor(
      backend,
      [2 * stateLength(problem)],
      'int32',
      new Int32Array(state.buffer, state.byteOffset, 2 * state.length),
    ),
  ];
}

/** Fused CTC forward kernel for the `cpu` backend. */
export const ctcLossCpuConfig: KernelConfig = {
  kernelName: CTC_LOSS,
  backendName: 'cpu',
  kernelFunc: ctcLossCpu,
};
