import * as tf from '@tensorflow/tfjs';
import { afterAll, expect, it } from 'vitest';
import { describeRequiring } from '@slr/test-utils';
import { setupBackend, type AdapterDescription } from './node';

/**
 * Runs on a real adapter: Dawn (npm `webgpu`) over Vulkan — lavapipe, Mesa's software driver,
 * on the project's machines and in CI. Where there is no adapter they are skipped, saying why;
 * under CI=true they fail instead.
 */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|basic render driver/i;

function namesOf(adapter: AdapterDescription): string {
  return [adapter.vendor, adapter.architecture, adapter.device, adapter.description].join(' ');
}

describeRequiring('webgpu', "setupBackend('webgpu')", () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('sets up tfjs-backend-webgpu on a real adapter and reports the adapter', async () => {
    const info = await setupBackend('webgpu', { quiet: true });
    expect(info.backend).toBe('webgpu');
    expect(info.requested).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const adapter = info.adapter!;
    expect(adapter).toEqual({
      vendor: expect.any(String),
      architecture: expect.any(String),
      device: expect.any(String),
      description: expect.any(String),
      isSoftware: expect.any(Boolean),
    });
    expect(namesOf(adapter).trim()).not.toBe('');
    // lavapipe here: a software rasteriser, and reported as one.
    expect(adapter.isSoftware).toBe(SOFTWARE_NAMES.test(namesOf(adapter)));
    expect(info.reason.includes('software rasteriser')).toBe(adapter.isSoftware);
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeDefined();
  });

  it('computes on the GPU what the CPU computes', async () => {
    await setupBackend('webgpu');
    const a = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tf.tensor2d([
      [1, 0],
      [0, 1],
      [2, -1],
    ]);
    const onGpu = Array.from(await tf.matMul(a, b).data());
    expect(tf.getBackend()).toBe('webgpu');
    await tf.setBackend('cpu');
    const onCpu = Array.from(
      await tf
        .matMul(
          tf.tensor2d([
            [1, 2, 3],
            [4, 5, 6],
          ]),
          tf.tensor2d([
            [1, 0],
            [0, 1],
            [2, -1],
          ]),
        )
        .data(),
    );
    expect(onGpu).toEqual(onCpu);
    expect(onGpu).toEqual([7, -1, 16, -1]);
  });

  it('is idempotent: the same backend, GPU object and adapter', async () => {
    const first = await setupBackend('webgpu');
    const backend = tf.findBackend('webgpu');
    const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    const second = await setupBackend('webgpu');
    expect(second).toEqual(first);
    expect(tf.findBackend('webgpu')).toBe(backend);
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBe(gpu);
  });

  it('turns a software adapter down when allowSoftwareAdapter is false', async () => {
    const { adapter } = await setupBackend('webgpu');
    const strict = setupBackend('webgpu', { allowSoftwareAdapter: false });
    if (adapter!.isSoftware) {
      await expect(strict).rejects.toMatchObject({
        code: 'SOFTWARE_ADAPTER',
        message: expect.stringContaining('software rasteriser'),
      });
    } else {
      await expect(strict).resolves.toMatchObject({ backend: 'webgpu' });
    }
  });

  it('refuses other Dawn flags once the backend uses the GPU object', async () => {
    await setupBackend('webgpu');
    await expect(setupBackend('webgpu', { dawnFlags: ['backend=vulkan'] })).rejects.toMatchObject({
      code: 'DAWN_FLAGS_CHANGED',
    });
  });
});
