import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { describeAdapter, isSoftwareAdapter, softwareRasteriserName } from './adapter';

/** What Dawn reports for lavapipe (Mesa 25, Debian bookworm-backports). */
const LAVAPIPE = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
  isFallbackAdapter: true,
};
const NVIDIA = {
  vendor: 'nvidia',
  architecture: 'ada-lovelace',
  device: '',
  description: 'NVIDIA GeForce RTX 4090',
};
const SWIFTSHADER = {
  vendor: 'google',
  architecture: '',
  device: '',
  description: 'SwiftShader Device (Subzero)',
};
const WARP = {
  vendor: 'microsoft',
  architecture: '',
  device: '',
  description: 'Microsoft Basic Render Driver',
};

describe('isSoftwareAdapter', () => {
  it('recognises lavapipe, SwiftShader and WARP, and not a hardware GPU', () => {
    expect(isSoftwareAdapter(LAVAPIPE)).toBe(true);
    expect(softwareRasteriserName(LAVAPIPE)).toBe('llvmpipe');
    expect(softwareRasteriserName(SWIFTSHADER)).toBe('swiftshader');
    expect(softwareRasteriserName(WARP)).toBe('basic render driver');
    expect(isSoftwareAdapter(NVIDIA)).toBe(false);
  });

  it('trusts isFallbackAdapter on the info or on the adapter', () => {
    expect(softwareRasteriserName({ ...NVIDIA, isFallbackAdapter: true })).toBe('fallback adapter');
    expect(isSoftwareAdapter(NVIDIA, true)).toBe(true);
    expect(isSoftwareAdapter({})).toBe(false);
  });

  it('rejects an info that is not an object and a flag that is not a boolean', () => {
    // null once failed with "Cannot read properties of null (reading 'vendor')".
    expect(() => isSoftwareAdapter(null as never)).toThrow(
      "Argument 'info' passed to 'isSoftwareAdapter' must be an object (a GPUAdapter's info), but got null.",
    );
    expect(() => isSoftwareAdapter(undefined as never)).toThrow(
      "Argument 'info' passed to 'isSoftwareAdapter' must be an object (a GPUAdapter's info), but got undefined.",
    );
    expect(() => isSoftwareAdapter(NVIDIA, 'yes' as never)).toThrow(
      "Argument 'isFallbackAdapter' passed to 'isSoftwareAdapter' must be a boolean, but got 'yes'.",
    );
  });

  test.prop([
    fc.constantFrom('llvmpipe', 'lavapipe', 'swiftshader', 'LLVMpipe', 'SwiftShader'),
    fc.constantFrom('vendor', 'architecture', 'device', 'description'),
    fc.string(),
    fc.string(),
  ])('finds the name in any field, any case, anywhere in it', (name, field, before, after) => {
    expect(isSoftwareAdapter({ ...NVIDIA, [field]: `${before}${name}${after}` })).toBe(true);
  });

  it('describes an adapter with empty strings for missing fields', () => {
    expect(describeAdapter({ description: 'x' })).toEqual({
      vendor: '',
      architecture: '',
      device: '',
      description: 'x',
      isSoftware: false,
    });
    expect(describeAdapter(LAVAPIPE).isSoftware).toBe(true);
  });
});
