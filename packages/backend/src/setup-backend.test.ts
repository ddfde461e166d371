import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendSetupError, setupBackend } from './index';
import { setupBackend as setupBackendInNode } from './node';

describe('setupBackend', () => {
  afterEach(async () => {
    await tf.setBackend('cpu');
  });

  it("sets up 'cpu'", async () => {
    const info = await setupBackend('cpu', { quiet: true });
    expect(info).toEqual({ backend: 'cpu', requested: 'cpu', reason: 'cpu requested' });
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(await tf.add(tf.tensor1d([1, 2]), 1).data())).toEqual([2, 3]);
  });

  it('can be called again, and concurrently', async () => {
    const infos = await Promise.all([
      setupBackend('cpu'),
      setupBackend('cpu'),
      setupBackend('cpu'),
    ]);
    expect(infos.map((info) => info.backend)).toEqual(['cpu', 'cpu', 'cpu']);
    expect((await setupBackend('cpu')).backend).toBe('cpu');
  });

  it('rejects an unknown name', async () => {
    await expect(setupBackendInNode('x' as never)).rejects.toThrow(
      "Argument 'name' passed to 'setupBackend' must be one of 'cpu', 'webgpu', 'tensorflow', 'auto', but got 'x'",
    );
    await expect(setupBackendInNode(undefined as never)).rejects.toBeInstanceOf(ArgumentError);
    await expect(setupBackendInNode(undefined as never)).rejects.toMatchObject({
      fn: 'setupBackend',
      argument: 'name',
    });
  });

  it("rejects 'tensorflow' without tfjs-node, saying what to install, and keeps the backend", async () => {
    const rejection = setupBackendInNode('tensorflow');
    await expect(rejection).rejects.toThrow('npm install @tensorflow/tfjs-node (or -gpu)');
    await expect(rejection).rejects.toBeInstanceOf(BackendSetupError);
    await expect(rejection).rejects.toMatchObject({ code: 'TENSORFLOW_NOT_INSTALLED' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it("of '@slr/backend' takes 'cpu', 'webgpu' and 'auto', and says where 'tensorflow' is", async () => {
    await expect(setupBackend('tensorflow' as never)).rejects.toThrow(
      "Argument 'name' passed to 'setupBackend' must be one of 'cpu', 'webgpu', 'auto' " +
        "(in Node.js, the setupBackend of '@slr/backend/node' also takes 'tensorflow'), but got 'tensorflow'.",
    );
  });

  it("of '@slr/backend' says, in Node.js without navigator.gpu, to import it from '@slr/backend/node'", async () => {
    const navigator = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
    const gpu = navigator?.gpu;
    if (navigator != null) delete navigator.gpu;
    try {
      const rejection = setupBackend('webgpu');
      await expect(rejection).rejects.toBeInstanceOf(BackendSetupError);
      await expect(rejection).rejects.toMatchObject({
        code: 'NO_WEBGPU',
        message: expect.stringContaining(
          "import setupBackend from '@slr/backend/node', which creates WebGPU with Dawn",
        ),
      });
      const auto = await setupBackend('auto', { quiet: true });
      expect(auto).toEqual({
        backend: 'cpu',
        requested: 'auto',
        reason:
          "webgpu unavailable: no navigator.gpu (in Node.js, setupBackend of '@slr/backend/node' " +
          'provides Dawn); using cpu',
      });
    } finally {
      if (navigator != null && gpu !== undefined)
        Object.defineProperty(navigator, 'gpu', {
          value: gpu,
          configurable: true,
          writable: true,
          enumerable: true,
        });
    }
  });

  it('rejects null options, and options it cannot use, naming them', async () => {
    const cases: [unknown, string][] = [
      [
        null,
        "Argument 'options' passed to 'setupBackend' must be an object or undefined, but got null.",
      ],
      [
        { powerPreference: 'fast' },
        "Argument 'options.powerPreference' passed to 'setupBackend' must be one of " +
          "'high-performance', 'low-power', but got 'fast'.",
      ],
      [
        { allowSoftwareAdapter: 'yes' },
        "Argument 'options.allowSoftwareAdapter' passed to 'setupBackend' must be a boolean, but got 'yes'.",
      ],
      [
        { quiet: 1 },
        "Argument 'options.quiet' passed to 'setupBackend' must be a boolean, but got 1.",
      ],
      [
        { fastCpuKernels: 'no' },
        "Argument 'options.fastCpuKernels' passed to 'setupBackend' must be a boolean, but got 'no'.",
      ],
      [
        { webgpuModule: {} },
        "Argument 'options.webgpuModule' passed to 'setupBackend' must be the module " +
          "'@tensorflow/tfjs-backend-webgpu' (an object with its WebGPUBackend class), but got an object.",
      ],
    ];
    for (const [options, message] of cases) {
      for (const setup of [setupBackend, setupBackendInNode]) {
        const rejection = setup('cpu', options as never);
        await expect(rejection).rejects.toThrow(message);
        await expect(rejection).rejects.toBeInstanceOf(ArgumentError);
      }
    }
    await expect(
      setupBackendInNode('cpu', { dawnFlags: 'backend=vulkan' as never }),
    ).rejects.toThrow(
      "Argument 'options.dawnFlags' passed to 'setupBackend' must be an array of strings, but got 'backend=vulkan'.",
    );
  });
});
