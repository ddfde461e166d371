import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, checkRequirement, explainMissing, PYTHON_PATH } from './requirements';

describe('checkRequirement', () => {
  it('finds Chromium exactly where CHROMIUM_PATH (or /usr/bin/chromium) exists', () => {
    const status = checkRequirement('chromium');
    expect(status.met).toBe(existsSync(CHROMIUM_PATH));
    if (!status.met) {
      expect(status.missing).toContain(CHROMIUM_PATH);
      expect(status.install).toContain('.ci/install-test-requirements chromium');
    }
  });

  it('finds PyTorch exactly where /usr/bin/python3 can import torch and torchvision', () => {
    const status = checkRequirement('pytorch');
    expect(status.met).toBe(
      spawnSync(PYTHON_PATH, ['-c', 'import torch, torchvision']).status === 0,
    );
    if (!status.met) expect(status.install).toContain('python3-torch');
  });

  it('probes WebGPU once and says why there is no adapter', () => {
    const first = checkRequirement('webgpu');
    expect(checkRequirement('webgpu')).toEqual(first);
    if (!first.met) {
      expect(first.needs).toBe('a WebGPU adapter');
      expect(first.missing).toMatch(/^none found: ./);
      expect(first.install).toContain('.ci/install-test-requirements webgpu');
    }
    // Dawn reaches an adapter on Linux through the Vulkan loader.
    if (first.met && process.platform === 'linux') {
      expect(checkRequirement('vulkan-loader').met).toBe(true);
    }
  });
});

describe('explainMissing', () => {
  it('says in one line what is needed, what is missing and the command that provides it', () => {
    expect(
      explainMissing({
        requirement: 'chromium',
        needs: 'Chromium',
        missing: 'not found at /usr/bin/chromium',
        install: '.ci/install-test-requirements chromium',
      }),
    ).toBe(
      'needs Chromium — not found at /usr/bin/chromium. Install: .ci/install-test-requirements chromium',
    );
  });
});
