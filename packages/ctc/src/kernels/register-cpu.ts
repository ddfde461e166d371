import * as tf from '@tensorflow/tfjs';
import { ctcLossCpuConfig } from './cpu/CtcLoss';
import { ctcLossGradCpuConfig } from './cpu/CtcLossGrad';
import { logSoftmaxCpuConfig } from './cpu/LogSoftmax';
import { logSoftmaxGradCpuConfig } from './cpu/LogSoftmaxGrad';

const cpuKernels: tf.KernelConfig[] = [
  ctcLossCpuConfig,
  ctcLossGradCpuConfig,
  logSoftmaxCpuConfig,
  logSoftmaxGradCpuConfig,
];

/**
 * Registers the fused `cpu` kernels of `@slr/ctc`. Importing the package calls it; calling it
 * again is harmless.
 *
 * @example
 * ```ts
 * registerCpuKernels();
 * ```
 */
export function registerCpuKernels(): void {
  for (const config of cpuKernels) {
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
  }
}
