/**
 * Dawn, Chrome's WebGPU implementation, from the npm package `webgpu`: the GPU object for
 * WebGPU in Node.js, and the reason when it finds no adapter. Node.js only.
 */
import { tmpdir } from 'node:os';
import { BackendSetupError, messageOf } from '../errors';
import { importModule, isModuleNotFound, isNode } from '../runtime';
import type { DawnSupport, GpuLike } from '../webgpu';
import { diagnoseMissingAdapter } from './dawn-diagnosis';

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: object;
}

const DAWN_PACKAGE = 'webgpu';
const DAWN_VERSION = '0.6.2';

/**
 * Dawn and Mesa warn when `XDG_RUNTIME_DIR` is unset; sets it to `os.tmpdir()` then (Linux
 * only). Child processes inherit it.
 *
 * @example
 * ```ts
 * ensureXdgRuntimeDir(); // process.env.XDG_RUNTIME_DIR === os.tmpdir() if it was unset
 * ```
 */
export function ensureXdgRuntimeDir(): void {
  if (!isNode() || process.platform !== 'linux') return;
  if (process.env.XDG_RUNTIME_DIR != null && process.env.XDG_RUNTIME_DIR !== '') return;
  process.env.XDG_RUNTIME_DIR = tmpdir();
}

async function createDawnGpu(dawnFlags: string[]): Promise<GpuLike> {
  ensureXdgRuntimeDir();
  let dawn: DawnModule;
  try {
    dawn = await importModule<DawnModule>(DAWN_PACKAGE);
  } catch (error) {
    if (isModuleNotFound(error, DAWN_PACKAGE)) {
      throw new BackendSetupError(
        'DAWN_NOT_INSTALLED',
        `WebGPU in Node.js needs Dawn, from the npm package '${DAWN_PACKAGE}': ` +
          `npm install ${DAWN_PACKAGE}@${DAWN_VERSION}`,
        `Dawn not installed (npm install ${DAWN_PACKAGE})`,
        { cause: error },
      );
    }
    throw new BackendSetupError(
      'DAWN_LOAD_FAILED',
      `The npm package '${DAWN_PACKAGE}' (Dawn) is installed but could not be loaded on ` +
        `${process.platform}-${process.arch}: ${messageOf(error)}`,
      `Dawn failed to load (${messageOf(error).split('\n')[0]})`,
      { cause: error },
    );
  }
  Object.assign(globalThis, dawn.globals);
  try {
    return dawn.create(dawnFlags);
  } catch (error) {
    throw new BackendSetupError(
      'ADAPTER_REQUEST_FAILED',
      `Dawn's create(${JSON.stringify(dawnFlags)}) failed: ${messageOf(error)}`,
      `Dawn's create() failed (${messageOf(error).split('\n')[0]})`,
      { cause: error },
    );
  }
}

/**
 * Dawn for the WebGPU set-up: creates its GPU object (copying its globals, `GPUBufferUsage`…,
 * to `globalThis`) and explains a missing adapter from what Dawn prints.
 *
 * @example
 * ```ts
 * const gpu = await dawnSupport.create(['backend=vulkan']);
 * ```
 */
export const dawnSupport: DawnSupport = {
  create: createDawnGpu,
  diagnoseMissingAdapter: (dawnFlags, adapterOptions) =>
    diagnoseMissingAdapter(dawnFlags, adapterOptions),
};
