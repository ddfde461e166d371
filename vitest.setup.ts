/**
 * Test set-up shared by every package: which backends the parameterised suites run on, and
 * how the WebGPU backend is prepared (Dawn in Node). Under CI=true webgpu is always in the
 * list, so a machine without an adapter fails the run instead of quietly testing less.
 */
import * as tf from '@tensorflow/tfjs';
import { prepareTestBackend } from './packages/backend/src/index';
import { addBackendPreparer } from './packages/ctc/src/testing/backends';

addBackendPreparer(prepareTestBackend);

if (process.env.SLR_TEST_BACKENDS == null || process.env.SLR_TEST_BACKENDS === '') {
  const backends = ['cpu', 'cpu-composite'];
  if (process.env.CI === 'true') backends.push('webgpu');
  else {
    try {
      await prepareTestBackend('webgpu');
      backends.push('webgpu');
    } catch (error) {
      console.warn(`Not testing on webgpu: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  process.env.SLR_TEST_BACKENDS = backends.join(',');
}
await tf.setBackend('cpu');
