import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendSetupError, setupBackend } from './index';

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
    await expect(setupBackend('x' as never)).rejects.toThrow(
      "Argument 'name' passed to 'setupBackend' must be one of 'cpu', 'webgpu', 'tensorflow', 'auto', but got 'x'",
    );
    await expect(setupBackend(undefined as never)).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });

  it("rejects 'tensorflow' with what to install when tfjs-node is not installed, and leaves the backend alone", async () => {
    const rejection = setupBackend('tensorflow');
    await expect(rejection).rejects.toThrow('npm install @tensorflow/tfjs-node (or -gpu)');
    await expect(rejection).rejects.toBeInstanceOf(BackendSetupError);
    await expect(rejection).rejects.toMatchObject({ code: 'TENSORFLOW_NOT_INSTALLED' });
    expect(tf.getBackend()).toBe('cpu');
  });
});
