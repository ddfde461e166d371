import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { CTC_LOSS, type CtcLossAttrs, type CtcLossInputs } from '../kernel-names';
import { CtcAlphaProgram, CtcNllProgram, ctcUniforms } from './ctc-programs';
import { runProgram } from './webgpu-program';

function ctcLossWebGpu(args: {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}): TensorInfo[] {
  const backend = args.backend as Parameters<typeof runProgram>[0];
  const { logProbs, targets, inputLengths, targetLengths } = args.inputs as CtcLossInputs;
  const { blank } = args.attrs as CtcLossAttrs;
  const [frames, batch, classes] = logProbs.shape;
  const shape = { frames, batch, classes, maxTargetLength: targets.shape[1] };
  const state = runProgram(
    backend,
    new CtcAlphaProgram(shape),
    [logProbs, targets, inputLengths, targetLengths],
    'float32',
    ctcUniforms(shape, blank),
  );
  const offset = batch * frames * (2 * shape.maxTargetLength + 1);
  const nll = runProgram(backend, new CtcNllProgram(batch), [state], 'float32', [
    { type: 'int32', data: [offset] },
  ]);
  return [nll, state];
}

/** CTC forward kernel for the `webgpu` backend (WGSL, one workgroup per batch item). */
export const ctcLossWebGpuConfig: KernelConfig = {
  kernelName: CTC_LOSS,
  backendName: 'webgpu',
  kernelFunc: ctcLossWebGpu,
};
