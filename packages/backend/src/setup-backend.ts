import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkBoolean, checkOneOf, checkOptions } from '@slr/core';
import { adapterLabel } from './adapter';
import { BackendSetupError, summaryOf } from './errors';
import { registerFastCpuKernels, unregisterFastCpuKernels } from './kernels/fast-cpu-kernels';
import { loadWasmKernels } from './kernels/wasm/runtime';
import type { TensorflowSetup } from './node/tensorflow';
import { silenceNodeBanner } from './quiet';
import { switchBackend } from './switch-backend';
import type { AdapterDescription, BackendInfo, BackendName, SetupBackendOptions } from './types';
import {
  type DawnSupport,
  probeWebGpu,
  releaseUnusedGpu,
  setupWebGpu,
  type WebGpuSetupOptions,
} from './webgpu';

/**
 * What an entry point's `setupBackend` can do beyond the browser-safe core: `@slr/backend/node`
 * adds Dawn (WebGPU without `navigator.gpu`) and the `'tensorflow'` backend.
 */
export interface SetupPlatform {
  /** The names its `setupBackend` takes. */
  names: readonly string[];
  /** Said after the list of names when a name is refused. */
  namesNote?: string;
  /** Dawn, in Node.js. */
  dawn?: DawnSupport;
  /** Sets the `'tensorflow'` backend up (tfjs-node), in Node.js. */
  setupTensorflow?: () => Promise<TensorflowSetup>;
}

/** The browser-safe entry: `cpu`, `webgpu` on `navigator.gpu`, and `auto` between them. */
const BROWSER_PLATFORM: SetupPlatform = {
  names: ['cpu', 'webgpu', 'auto'],
  namesNote: "(in Node.js, the setupBackend of '@slr/backend/node' also takes 'tensorflow')",
};

/** Set-ups run one at a time, so that concurrent calls cannot create two devices. */
let queue: Promise<unknown> = Promise.resolve();

function serialised<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

function tensorflowReason(setup: TensorflowSetup): string {
  const source = setup.packageName != null ? ` (${setup.packageName})` : ' (already registered)';
  return [...setup.failures, `using tensorflow${source}`].join('; ');
}

function webgpuReason(adapter: AdapterDescription): string {
  return adapter.isSoftware
    ? `adapter ${adapterLabel(adapter)} is a software rasteriser running on the CPU`
    : `adapter ${adapterLabel(adapter)}`;
}

/** Switches to `cpu`, with this package's faster kernels unless `fastCpuKernels` is false. */
async function setupCpu(options: SetupBackendOptions): Promise<void> {
  if (options.fastCpuKernels === false) unregisterFastCpuKernels();
  else {
    // The WebAssembly kernels register once their module is compiled (asynchronously, as
    // browsers require on the main thread).
    await loadWasmKernels();
    registerFastCpuKernels();
  }
  await switchBackend('cpu');
}

async function setupAuto(
  platform: SetupPlatform,
  options: WebGpuSetupOptions,
): Promise<{ adapter?: AdapterDescription; reason: string }> {
  const notes: string[] = [];
  const allowSoftware = options.allowSoftwareAdapter ?? false;

  try {
    const probe = await probeWebGpu(options);
    if (probe.description.isSoftware && !allowSoftware) {
      notes.push(`webgpu adapter is a software rasteriser (${probe.softwareName})`);
      releaseUnusedGpu();
    } else {
      const adapter = await setupWebGpu({ ...options, allowSoftwareAdapter: true }, probe);
      const verdict = adapter.isSoftware
        ? `webgpu adapter ${adapterLabel(adapter)} is a software rasteriser ` +
          `(${probe.softwareName}), allowed by allowSoftwareAdapter`
        : `webgpu adapter ${adapterLabel(adapter)} is a hardware GPU`;
      return { adapter, reason: `${verdict}; using webgpu` };
    }
  } catch (error) {
    notes.push(`webgpu unavailable: ${summaryOf(error)}`);
    releaseUnusedGpu();
  }

  if (platform.setupTensorflow != null) {
    try {
      const setup = await platform.setupTensorflow();
      return { reason: [...notes, tensorflowReason(setup)].join('; ') };
    } catch (error) {
      notes.push(
        error instanceof BackendSetupError && error.code === 'TENSORFLOW_NOT_INSTALLED'
          ? 'tensorflow not installed'
          : `tensorflow unavailable: ${summaryOf(error)}`,
      );
    }
  }

  await setupCpu(options);
  return { reason: [...notes, 'using cpu'].join('; ') };
}

async function setupNamed(
  platform: SetupPlatform,
  name: BackendInfo['requested'],
  options: WebGpuSetupOptions,
): Promise<BackendInfo> {
  if (options.quiet === true) silenceNodeBanner();
  let adapter: AdapterDescription | undefined;
  let reason: string;
  switch (name) {
    case 'cpu':
      await setupCpu(options);
      reason = 'cpu requested';
      break;
    case 'webgpu':
      adapter = await setupWebGpu({
        ...options,
        allowSoftwareAdapter: options.allowSoftwareAdapter ?? true,
      });
      reason = `webgpu requested; ${webgpuReason(adapter)}`;
      break;
    case 'tensorflow':
      // Only the Node.js entry takes the name.
      reason = `tensorflow requested; ${tensorflowReason(await platform.setupTensorflow!())}`;
      break;
    case 'auto':
      ({ adapter, reason } = await setupAuto(platform, options));
      break;
  }
  return adapter != null
    ? { backend: tf.getBackend(), requested: name, adapter, reason }
    : { backend: tf.getBackend(), requested: name, reason };
}

/**
 * Checks the arguments of a `setupBackend`, in the project's one format.
 */
function checkArguments(
  fn: string,
  platform: SetupPlatform,
  name: unknown,
  options: WebGpuSetupOptions | undefined,
): WebGpuSetupOptions {
  if (typeof name !== 'string' || !platform.names.includes(name)) {
    const names = platform.names.map((candidate) => `'${candidate}'`).join(', ');
    const note = platform.namesNote != null ? ` ${platform.namesNote}` : '';
    throw new ArgumentError(fn, 'name', `be one of ${names}${note}`, name);
  }
  const checked = checkOptions(fn, options);
  const { powerPreference, allowSoftwareAdapter, quiet, fastCpuKernels, dawnFlags } = checked;
  if (powerPreference !== undefined)
    checkOneOf(fn, 'options.powerPreference', powerPreference, ['high-performance', 'low-power']);
  if (allowSoftwareAdapter !== undefined)
    checkBoolean(fn, 'options.allowSoftwareAdapter', allowSoftwareAdapter);
  if (quiet !== undefined) checkBoolean(fn, 'options.quiet', quiet);
  if (fastCpuKernels !== undefined) checkBoolean(fn, 'options.fastCpuKernels', fastCpuKernels);
  if (
    dawnFlags !== undefined &&
    (!Array.isArray(dawnFlags) || !dawnFlags.every((flag) => typeof flag === 'string'))
  )
    throw new ArgumentError(fn, 'options.dawnFlags', 'be an array of strings', dawnFlags);
  const webgpuModule = checked.webgpuModule as { WebGPUBackend?: unknown } | null | undefined;
  if (
    webgpuModule !== undefined &&
    (webgpuModule === null || typeof webgpuModule.WebGPUBackend !== 'function')
  ) {
    throw new ArgumentError(
      fn,
      'options.webgpuModule',
      "be the module '@tensorflow/tfjs-backend-webgpu' (an object with its WebGPUBackend class)",
      webgpuModule,
    );
  }
  return checked;
}

/**
 * `setupBackend` on a platform: checks the arguments, then sets the backend up, one set-up at a
 * time.
 *
 * @example
 * ```ts
 * const info = await setupBackendOn({ names: ['cpu', 'auto'] }, 'auto', { quiet: true });
 * ```
 */
export async function setupBackendOn(
  platform: SetupPlatform,
  name: BackendInfo['requested'],
  options: WebGpuSetupOptions | undefined,
): Promise<BackendInfo> {
  const checked = checkArguments('setupBackend', platform, name, options);
  return serialised(() => setupNamed(platform, name, { ...checked, dawn: platform.dawn }));
}

/**
 * Sets tfjs's backend up and switches to it; works in browsers and anywhere else. In Node.js,
 * import `setupBackend` from `@slr/backend/node` instead: it adds WebGPU through Dawn and the
 * `'tensorflow'` backend (tfjs-node).
 *
 * - `'cpu'`: tfjs's CPU backend, with this package's faster CPU kernels
 *   ({@link registerFastCpuKernels}; `fastCpuKernels: false` keeps tfjs's own).
 * - `'webgpu'`: `@tensorflow/tfjs-backend-webgpu` (an optional peer dependency, imported on
 *   demand) on `navigator.gpu`. The adapter is requested here, reported in
 *   {@link BackendInfo.adapter}, and used by the backend. A software rasteriser is accepted
 *   unless `allowSoftwareAdapter` is false. Without `navigator.gpu` it rejects; in Node.js the
 *   error says to import `setupBackend` from `@slr/backend/node`.
 * - `'auto'`: a hardware WebGPU adapter, else `cpu`; `reason` says what it found, for example
 *   "webgpu unavailable: no navigator.gpu; using cpu".
 *
 * Explicit names never fall back: they reject with a {@link BackendSetupError} that says what
 * is missing. Arguments it cannot use reject with `@slr/core`'s `ArgumentError`. Calling it
 * again is cheap and returns the same backend; the first WebGPU set-up fixes the adapter for
 * the rest of the page or process. The GPU object, adapter and device are kept referenced for
 * as long as the backend exists.
 *
 * @param name - `'cpu'`, `'webgpu'` or `'auto'`
 * @param options - see {@link SetupBackendOptions}
 * @returns the backend now in use, the adapter (WebGPU), and why
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-webgpu';
 * import { setupBackend } from '@slr/backend';
 *
 * const info = await setupBackend('auto');
 * console.log(info.backend, '-', info.reason); // webgpu - webgpu adapter 'Apple M2' is a hardware GPU; using webgpu
 * ```
 */
export async function setupBackend(
  name: BackendName,
  options?: SetupBackendOptions,
): Promise<BackendInfo> {
  return setupBackendOn(BROWSER_PLATFORM, name, options);
}
