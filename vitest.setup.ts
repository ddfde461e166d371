/**
 * Test set-up shared by every package: the backends the parameterised suites run on (cpu, the
 * composite path and webgpu). The webgpu suites need a WebGPU adapter: where there is none they
 * are skipped and listed at the end of the run, and under CI=true they fail instead.
 */
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '@slr/backend';
import { setWebGpuSetup } from '@slr/test-utils';

setWebGpuSetup(() => setupBackend('webgpu'));

if (process.env.SLR_TEST_BACKENDS == null || process.env.SLR_TEST_BACKENDS === '') {
  process.env.SLR_TEST_BACKENDS = 'cpu,cpu-composite,webgpu';
}
await tf.setBackend('cpu');
