import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from './kernel-names';
import { batchNormBackward, batchNormForward } from './batch-norm-impl';
import { makeFloats, readFloats } from './cpu-backend';

/** `[rows, channels]` of a channels-last tensor. */
function matrix(shape: number[]): [number, number] {
  const channels = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  return [channels === 0 ? 0 : size / channels, channels];
}

const batchNormTrainingCpu: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAINING,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as {
      x: tf.TensorInfo;
      gamma: tf.TensorInfo;
      beta: tf.TensorInfo;
    };
    const [rows, channels] = matrix(x.shape);
    const out = batchNormForward(
      readFloats(backend, x),
      readFloats(backend, gamma),
      readFloats(backend, beta),
      rows,
      channels,
      (attrs as { epsilon: number }).epsilon,
    );
    return [
      makeFloats(backend, [...x.shape], out.y),
      makeFloats(backend, [channels], out.mean),
      makeFloats(backend, [channels], out.variance),
      makeFloats(backend, [channels], out.invStd),
    ];
  },
};

const batchNormTrainingGradCpu: tf.KernelConfig = {
  kernelName: BATCH_NORM_TRAINING_GRAD,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend }) => {
    const t = inputs as Record<
      'dy' | 'x' | 'gamma' | 'mean' | 'invStd' | 'dMean' | 'dVariance',
      tf.TensorInfo
    >;
    const [rows, channels] = matrix(t.x.shape);
    const read = (info: tf.TensorInfo): Float32Array => readFloats(backend, info);
    const out = batchNormBackward(
      read(t.dy),
      read(t.x),
      read(t.gamma),
      read(t.mean),
      read(t.invStd),
      read(t.dMean),
      read(t.dVariance),
      rows,
      channels,
    );
    return [
      makeFloats(backend, [...t.x.shape], out.dx),
      makeFloats(backend, [channels], out.dGamma),
      makeFloats(backend, [channels], out.dBeta),
    ];
  },
};

/**
 * Gradient of {@link BATCH_NORM_TRAINING} on every backend that has the kernel: one
 * {@link BATCH_NORM_TRAINING_GRAD} call gives `dx`, `dGamma` and `dBeta` (the gradients of the
 * `mean` and `variance` outputs, zeros where unused, flow into `dx`).
 */
const batchNormTrainingGradient: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, false, true],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [dy, dMean, dVariance] = dys as tf.Tensor[];
    const [x, gamma, mean, invStd] = saved;
    const [dx, dGamma, dBeta] = tf
      .engine()
      .runKernel<tf.Tensor[]>(
        BATCH_NORM_TRAINING_GRAD,
        { dy, x, gamma, mean, invStd, dMean, dVariance },
        {},
      );
    return { x: () => dx, gamma: () => dGamma, beta: () => dBeta };
  },
};

/**
 * Registers the fused `cpu` kernels of `@slr/layers` and their gradient. Importing the package
 * calls it; calling it again is harmless.
 */
export function registerLayersCpuKernels(): void {
  for (const config of [batchNormTrainingCpu, batchNormTrainingGradCpu]) {
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
  }
  if (tf.getGradient(BATCH_NORM_TRAINING) == null) tf.registerGradient(batchNormTrainingGradient);
}
