import type { KernelConfig, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { LOG_SOFTMAX, LOG_SOFTMAX_GRAD } from '../kernel-names';
import { LogSoftmaxGradProgram, LogSoftmaxProgram } from './log-softmax-programs';
import { runProgram } from './webgpu-program';

function rowsAndClasses(shape: number[]): [number, number] {
  const classes = shape[shape.length - 1];
  return [classes === 0 ? 0 : shape.reduce((a, b) => a * b, 1) / classes, classes];
}

/** Gives a flat program output the input's shape (a view: no data moves). */
function withShape(output: TensorInfo, shape: number[]): TensorInfo {
  return { ...output, shape: [...shape] };
}

function logSoftmaxWebGpu(args: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo[] {
  const backend = args.backend as Parameters<typeof runProgram>[0];
  const x = args.inputs.x as TensorInfo;
  const [rows, classes] = rowsAndClasses(x.shape);
  const output = runProgram(backend, new LogSoftmaxProgram(rows, classes), [x], 'float32', [
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [classes] },
  ]);
  return [withShape(output, x.shape)];
}

function logSoftmaxGradWebGpu(args: { inputs: NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const backend = args.backend as Parameters<typeof runProgram>[0];
  const dy = args.inputs.dy as TensorInfo;
  const logProbs = args.inputs.logProbs as TensorInfo;
  const [rows, classes] = rowsAndClasses(dy.shape);
  const output = runProgram(
    backend,
    new LogSoftmaxGradProgram(rows, classes),
    [dy, logProbs],
    'float32',
    [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [classes] },
    ],
  );
  return withShape(output, dy.shape);
}

/** Log-softmax kernel for the `webgpu` backend. */
export const logSoftmaxWebGpuConfig: KernelConfig = {
  kernelName: LOG_SOFTMAX,
  backendName: 'webgpu',
  kernelFunc: logSoftmaxWebGpu,
};

/** Log-softmax gradient kernel for the `webgpu` backend. */
export const logSoftmaxGradWebGpuConfig: KernelConfig = {
  kernelName: LOG_SOFTMAX_GRAD,
  backendName: 'webgpu',
  kernelFunc: logSoftmaxGradWebGpu,
};
