import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRequiring } from '@slr/test-utils';
import { setupBackend } from './node';

/** Its own file, so that 'auto' probes WebGPU in a fresh process. */
describe("setupBackend('auto')", () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  describeRequiring('webgpu', 'with a WebGPU adapter', () => {
    it('prefers a hardware WebGPU adapter, then tensorflow, then cpu, and says why (cpu here)', async () => {
      const auto = await setupBackend('auto', { quiet: true });
      const gpuAfterAuto = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
      // What is really there: the adapter an explicit 'webgpu' gets (lavapipe here).
      const webgpu = await setupBackend('webgpu');
      expect(auto.requested).toBe('auto');
      if (webgpu.adapter!.isSoftware) {
        expect(auto.backend).toBe('cpu');
        expect(auto.adapter).toBeUndefined();
        expect(auto.reason).toMatch(
          /^webgpu adapter is a software rasteriser \((llvmpipe|lavapipe|swiftshader|basic render driver|fallback adapter)\); tensorflow not installed; using cpu$/,
        );
        // It let go of the GPU object it did not use.
        expect(gpuAfterAuto).toBeUndefined();
      } else {
        expect(auto.backend).toBe('webgpu');
        expect(auto.adapter).toEqual(webgpu.adapter);
        expect(auto.reason).toMatch(/is a hardware GPU; using webgpu$/);
      }
    });

    it('takes a software adapter when allowSoftwareAdapter is true', async () => {
      const info = await setupBackend('auto', { allowSoftwareAdapter: true });
      expect(info.backend).toBe('webgpu');
      expect(tf.getBackend()).toBe('webgpu');
      expect(info.reason).toMatch(/using webgpu$/);
      if (info.adapter!.isSoftware)
        expect(info.reason).toContain('allowed by allowSoftwareAdapter');
    });
  });

  it('is idempotent, also once a webgpu backend exists', async () => {
    const first = await setupBackend('auto');
    const second = await setupBackend('auto');
    expect(second).toEqual(first);
    expect(tf.getBackend()).toBe(first.backend);
  });
});
