import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { COMPOSITE_TEST_BACKEND, describeWithBackends, useBackend } from './backends';

describe('useBackend', () => {
  it('switches to cpu and to the composite test backend without setting up webgpu', async () => {
    await useBackend(COMPOSITE_TEST_BACKEND);
    expect(tf.getBackend()).toBe(COMPOSITE_TEST_BACKEND);
    await useBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('fails on a backend that is not registered', async () => {
    await expect(useBackend('no-such-backend')).rejects.toThrow('no-such-backend');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describeWithBackends('describeWithBackends', (backend) => {
  it('runs the suite on its backend', () => {
    expect(tf.getBackend()).toBe(backend);
  });
});
