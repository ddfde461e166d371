import { describe, expect, it } from 'vitest';
import * as browserEntry from './index';
import * as nodeEntry from './node';

describe('the entries of @slr/backend', () => {
  it('export the same names; only setupBackend differs, the Node.js one adding Dawn and tfjs-node', () => {
    const names = [
      'BackendSetupError',
      'FAST_CPU_KERNELS',
      'isSoftwareAdapter',
      'loadWasmKernels',
      'registerFastCpuKernels',
      'setupBackend',
      'unregisterFastCpuKernels',
    ];
    expect(Object.keys(browserEntry).sort()).toEqual(names);
    expect(Object.keys(nodeEntry).sort()).toEqual(names);
    expect(nodeEntry.setupBackend).not.toBe(browserEntry.setupBackend);
    expect(nodeEntry.BackendSetupError).toBe(browserEntry.BackendSetupError);
    expect(nodeEntry.registerFastCpuKernels).toBe(browserEntry.registerFastCpuKernels);
    expect(nodeEntry.loadWasmKernels).toBe(browserEntry.loadWasmKernels);
  });
});
