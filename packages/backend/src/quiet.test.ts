import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { setupBackend } from './index';

const BANNER = 'looks like you are running TensorFlow.js in Node.js';

function bannerCount(warn: { mock: { calls: unknown[][] } }): number {
  return warn.mock.calls.filter((args) => String(args[0]).includes(BANNER)).length;
}

/** Re-registers the CPU backend, so that the next one is fresh (and would print the banner again). */
function freshCpuBackend(): void {
  const factory = tf.findBackendFactory('cpu');
  tf.removeBackend('cpu');
  tf.registerBackend('cpu', factory, 1);
}

describe('the quiet option', () => {
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it("keeps tfjs's Node.js banner from being printed, and only that", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    freshCpuBackend();
    await setupBackend('cpu', { quiet: true });
    tf.tensor1d([1, 2, 3]).dispose();
    expect(bannerCount(warn)).toBe(0);
    expect(tf.env().getBool('PROD')).toBe(false);

    // Without it, a fresh CPU backend prints the banner on first use.
    freshCpuBackend();
    await setupBackend('cpu');
    tf.tensor1d([1, 2, 3]).dispose();
    expect(bannerCount(warn)).toBe(1);
  });
});
