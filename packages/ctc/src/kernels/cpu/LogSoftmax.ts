import type { KernelConfig, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { LOG_SOFTMAX } from '../kernel-names';
import { logSoftmaxForward } from './log-softmax-impl';
import { logSoftmaxForwardWasm } from './log-softmax-wasm';
import { makeTensor, readValues } from './cpu-backend';

function logSoftmaxCpu(args: { inputs: NamedTensorInfoMap; backend: unknown }) {
  const backend = args.backend as Parameters<typeof readValues>[0];
  const x = args.inputs.x as TensorInfo;
  const classes = x.shape[x.shape.length - 1];
  const rows = classes === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / classes;
  const values = readValues<Float32Array>(backend, x);
  // WebAssembly SIMD where the engine has it: outputs logProbs and the softmax.
  const wasm = logSoftmaxForwardWasm(values, rows, classes);
  if (wasm != null) {
    return [
      makeTensor(backend, [...x.shape], 'float32', wasm.logProbs),
      makeTensor(backend, [...x.shape], 'float32', wasm.softmax),
    ];
  }
  const { logProbs, shiftedExp, inverseSum } = logSoftmaxForward(values, rows, classes);
  return [
    makeTensor(backend, [...x.shape], 'float32', logProbs),
    makeTensor(backend, [...x.shape], 'float32', shiftedExp),
    makeTensor(backend, [rows], 'float32', inverseSum),
  ];
}

/** Fused log-softmax kernel for the `cpu` backend. */
export const logSoftmaxCpuConfig: KernelConfig = {
  kernelName: LOG_SOFTMAX,
  backendName: 'cpu',
  kernelFunc: logSoftmaxCpu,
};
