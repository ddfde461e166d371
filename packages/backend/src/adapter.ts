import { ArgumentError, checkBoolean } from '@slr/core';
import type { AdapterDescription } from './types';

/** The fields of `GPUAdapterInfo` this package reads. */
export interface AdapterInfoLike {
  /** The GPU's vendor (`'nvidia'`, `'mesa'`…), or `''` when the browser hides it. */
  vendor?: string;
  /** The vendor's name for the GPU family (`'ampere'`, `'software'`…), or `''`. */
  architecture?: string;
  /** The device's name or id, or `''`. */
  device?: string;
  /** A human-readable description of the adapter (the driver's name for it), or `''`. */
  description?: string;
  /** Whether the adapter is a fallback adapter (a software implementation). */
  isFallbackAdapter?: boolean;
}

/** Names of software rasterisers, as they appear in `GPUAdapterInfo` (lower case). */
const SOFTWARE_RASTERISERS = ['llvmpipe', 'lavapipe', 'swiftshader', 'basic render driver'];

/**
 * The name of the software rasteriser an adapter is (`'llvmpipe'`, `'lavapipe'`,
 * `'swiftshader'`, `'basic render driver'` — WARP — or `'fallback adapter'` for any other
 * adapter that says `isFallbackAdapter`), or `undefined` for a hardware GPU.
 *
 * @example
 * ```ts
 * softwareRasteriserName({ description: 'llvmpipe: Mesa 25.0.7' }); // 'llvmpipe'
 * ```
 */
export function softwareRasteriserName(
  info: AdapterInfoLike,
  isFallbackAdapter = false,
): string | undefined {
  const text = [info.vendor, info.architecture, info.device, info.description]
    .join(' ')
    .toLowerCase();
  const name = SOFTWARE_RASTERISERS.find((candidate) => text.includes(candidate));
  if (name != null) return name;
  return isFallbackAdapter || info.isFallbackAdapter === true ? 'fallback adapter' : undefined;
}

/**
 * Whether a WebGPU adapter is a software rasteriser running on the CPU: its `GPUAdapterInfo`
 * names llvmpipe, lavapipe, SwiftShader or WARP ("Microsoft Basic Render Driver"), or it says
 * `isFallbackAdapter` (on the info, as Dawn and current browsers do, or on the adapter, as
 * older ones did).
 *
 * @example
 * ```ts
 * isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 19.1.7, 256 bits)' }); // true
 * isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere' }); // false
 * // In a browser: isSoftwareAdapter(adapter.info), `adapter` from navigator.gpu.requestAdapter().
 * ```
 */
export function isSoftwareAdapter(info: AdapterInfoLike, isFallbackAdapter = false): boolean {
  const fn = 'isSoftwareAdapter';
  if (info === null || typeof info !== 'object' || Array.isArray(info))
    throw new ArgumentError(fn, 'info', "be an object (a GPUAdapter's info)", info);
  checkBoolean(fn, 'isFallbackAdapter', isFallbackAdapter);
  return softwareRasteriserName(info, isFallbackAdapter) != null;
}

/** The {@link AdapterDescription} of an adapter's info. */
export function describeAdapter(
  info: AdapterInfoLike,
  isFallbackAdapter = false,
): AdapterDescription {
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isSoftware: softwareRasteriserName(info, isFallbackAdapter) != null,
  };
}

/** A short human name of an adapter: its description, device or vendor, quoted. */
export function adapterLabel(adapter: AdapterDescription): string {
  const label = adapter.description || adapter.device || adapter.vendor;
  return label === '' ? 'an unnamed adapter' : `'${label}'`;
}
