import type { KernelConfig, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { LOG_SOFTMAX_GRAD } from '../kernel-names';
import { logSoftmaxBackward, softmaxBackward } from './log-softmax-impl';
import { logSoftmaxBackwardWasm } from './log-softmax-wasm';
import { makeTensor, readValues } from './cpu-backend';

function logSoftmaxGradCpu(args: { inputs: NamedTensorInfoMap; backend: unknown }) {
  const backend = args.backend as Parameters<typeof readValues>[0];
  const dy = args.inputs.dy as TensorInfo;
  const classes = dy.shape[dy.shape.length - 1];
  const rows = classes === 0 ? 0 : dy.shape.reduce((a, b) => a * b, 1) / classes;
  const dyValues = readValues<Float32Array>(backend, dy);
  if (args.inputs.aux1 == null) {
    // The WebAssembly forward pass kept the softmax.
    const softmax = readValues<Float32Array>(backend, args.inputs.aux0 as TensorInfo);
    const dx =
      logSoftmaxBackwardWasm(dyValues, softmax, rows, classes) ??
      softmaxBackward(dyValues, softmax, rows, classes);
    return makeTensor(backend, [...dy.shape], 'float32', dx);
  }
  const dx = logSoftmaxBackward(
    dyValues,
    readValues<Float32Array>(backend, args.inputs.aux0 as TensorInfo), // exp(x - rowMax)
    readValues<Float32Array>(backend, args.inputs.aux1), // 1 / Σ exp(x - rowMax)
    rows,
    classes,
  );
  return makeTensor(backend, [...dy.shape], 'float32', dx);
}

/** Gradient kernel of the fused log-softmax for the `cpu` backend. */
export const logSoftmaxGradCpuConfig: KernelConfig = {
  kernelName: LOG_SOFTMAX_GRAD,
  backendName: 'cpu',
  kernelFunc: logSoftmaxGradCpu,
};
