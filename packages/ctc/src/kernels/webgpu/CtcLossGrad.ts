import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { CTC_LOSS_GRAD, type CtcLossAttrs, type CtcLossGradInputs } from '../kernel-names';
import { CtcBetaGradProgram, ctcUniforms } from './ctc-programs';
import { runProgram } from './webgpu-program';

function ctcLossGradWebGpu(args: {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const backend = args.backend as Parameters<typeof runProgram>[0];
  const { logProbs, targets, inputLengths, targetLengths, state, gradScale } =
    args.inputs as CtcLossGradInputs;
  const { blank } = args.attrs as CtcLossAttrs;
  const [frames, batch, classes] = logProbs.shape;
  const shape = { frames, batch, classes, maxTargetLength: targets.shape[1] };
  return runProgram(
    backend,
    new CtcBetaGradProgram(shape),
    [logProbs, targets, inputLengths, targetLengths, state, gradScale],
    'float32',
    ctcUniforms(shape, blank),
  );
}

/** CTC backward kernel for the `webgpu` backend (WGSL, one workgroup per batch item). */
export const ctcLossGradWebGpuConfig: KernelConfig = {
  kernelName: CTC_LOSS_GRAD,
  backendName: 'webgpu',
  kernelFunc: ctcLossGradWebGpu,
};
