import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap } from '@tensorflow/tfjs';
import { CTC_LOSS_GRAD, type CtcLossAttrs, type CtcLossGradInputs } from '../kernel-names';
import { ctcBackward } from './ctc-loss-impl';
import { makeTensor, readValues } from './cpu-backend';
import { readCtcProblem } from './problem';

function float64View(bytes: Int32Array): Float64Array {
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
}

function ctcLossGradCpu(args: {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}) {
  const backend = args.backend as Parameters<typeof readCtcProblem>[0];
  const inputs = args.inputs as CtcLossGradInputs;
  const problem = readCtcProblem(backend, inputs, args.attrs as CtcLossAttrs);
  const grad = ctcBackward(
    problem,
    float64View(readValues<Int32Array>(backend, inputs.state)),
    readValues<Float32Array>(backend, inputs.gradScale),
  );
  return makeTensor(backend, [problem.frames, problem.batch, problem.classes], 'float32', grad);
}

/** Fused CTC backward kernel for the `cpu` backend. */
export const ctcLossGradCpuConfig: KernelConfig = {
  kernelName: CTC_LOSS_GRAD,
  backendName: 'cpu',
  kernelFunc: ctcLossGradCpu,
};
