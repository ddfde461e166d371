/**
 * Test set-up shared by every package: the backends the parameterised suites run on (cpu, the
 * composite path and webgpu; the webgpu suites need a WebGPU adapter: where there is none they
 * are skipped and listed at the end of the run, and under CI=true they fail instead), and
 * @slr/backend's faster CPU kernels, which setupBackend('cpu') registers for users and which the
 * tests, switching backends with tf.setBackend, need as well.
 */
import * as tf from '@tensorflow/tfjs';
import { registerFastCpuKernels } from '@slr/backend';
import { setupBackend } from '@slr/backend/node';
import { setWebGpuSetup } from '@slr/test-utils';

setWebGpuSetup(() => setupBackend('webgpu'));

registerFastCpuKernels();

if (process.env.SLR_TEST_BACKENDS == null || process.env.SLR_TEST_BACKENDS === '') {
  process.env.SLR_TEST_BACKENDS = 'cpu,cpu-composite,webgpu';
}
await tf.setBackend('cpu');
