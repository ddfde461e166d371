import * as tf from '@tensorflow/tfjs';
import { ctcLossWebGpuConfig } from './webgpu/CtcLoss';
import { ctcLossGradWebGpuConfig } from './webgpu/CtcLossGrad';
import { logSoftmaxGradWebGpuConfig, logSoftmaxWebGpuConfig } from './webgpu/LogSoftmax';

const webGpuKernels: tf.KernelConfig[] = [
  ctcLossWebGpuConfig,
  ctcLossGradWebGpuConfig,
  logSoftmaxWebGpuConfig,
  logSoftmaxGradWebGpuConfig,
];

/**
 * Registers the WGSL kernels of `@slr/ctc` for the `webgpu` backend. Importing the package
 * calls it; it needs no WebGPU at registration time, and calling it again is harmless.
 *
 * @example
 * ```ts
 * registerWebGpuKernels();
 * ```
 */
export function registerWebGpuKernels(): void {
  for (const config of webGpuKernels) {
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
  }
}
