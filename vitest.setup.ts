/**
 * Test set-up shared by every package: which backends the parameterised suites run on (under
 * CI=true webgpu is always in the list, so a machine without an adapter fails the run instead of
 * quietly testing less), and @slr/backend's faster CPU kernels, which setupBackend('cpu')
 * registers for users and which the tests, switching backends with tf.setBackend, need as well.
 */
import * as tf from '@tensorflow/tfjs';
import { registerFastCpuKernels } from '@slr/backend';
import { useBackend } from '@slr/test-utils';

registerFastCpuKernels();

if (process.env.SLR_TEST_BACKENDS == null || process.env.SLR_TEST_BACKENDS === '') {
  const backends = ['cpu', 'cpu-composite'];
  if (process.env.CI === 'true') backends.push('webgpu');
  else {
    try {
      await useBackend('webgpu');
      backends.push('webgpu');
    } catch (error) {
      console.warn(`Not testing on webgpu: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  process.env.SLR_TEST_BACKENDS = backends.join(',');
}
await tf.setBackend('cpu');
