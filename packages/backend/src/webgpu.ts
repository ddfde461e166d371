import * as tf from '@tensorflow/tfjs';
import {
  adapterLabel,
  describeAdapter,
  softwareRasteriserName,
  type AdapterInfoLike,
} from './adapter';
import { BackendSetupError, messageOf } from './errors';
import { importModule, isModuleNotFound, isNode } from './runtime';
import { switchBackend } from './switch-backend';
import type { AdapterDescription, SetupBackendOptions } from './types';

/**
 * The parts of the WebGPU API this module uses (kept structural: no WebGPU type package
 * needed).
 */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  readonly info?: AdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  requestAdapterInfo?(): Promise<AdapterInfoLike>;
  requestDevice(descriptor?: object): Promise<GpuDeviceLike>;
}
interface GpuDeviceLike {
  readonly lost: Promise<unknown>;
}

/**
 * How a GPU object is made where there is no `navigator.gpu`: in Node.js, `@slr/backend/node`
 * gives Dawn's (from the npm package `webgpu`); the browser-safe entry has none.
 */
export interface DawnSupport {
  /** Creates Dawn's GPU object with the given flags, its globals copied to `globalThis`. */
  create(dawnFlags: string[]): Promise<GpuLike>;
  /** The error that says why Dawn found no adapter (Dawn prints the reason out of reach). */
  diagnoseMissingAdapter(
    dawnFlags: string[],
    adapterOptions: { powerPreference?: string },
  ): Promise<BackendSetupError>;
}

/** What the WebGPU set-up reads: the options, Dawn's flags, and Dawn where it is available. */
export interface WebGpuSetupOptions extends SetupBackendOptions {
  /** Flags for Dawn's `create()`; see `NodeSetupBackendOptions.dawnFlags`. */
  dawnFlags?: string[];
  /** Dawn, in Node.js; absent in the browser-safe entry. */
  dawn?: DawnSupport;
}
interface TfjsWebGpuModule {
  WebGPUBackend?: new (device: GpuDeviceLike, adapterInfo?: AdapterInfoLike) => tf.KernelBackend;
}
interface EngineRegistry {
  registry: Record<string, tf.KernelBackend | undefined>;
}

const TFJS_WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/**
 * Everything WebGPU this module created. Module-level on purpose: Dawn's instance (the GPU
 * object) and the device must stay reachable while tfjs uses them, or the garbage collector
 * may destroy them under the backend.
 */
interface WebGpuState {
  gpu: GpuLike;
  /** Dawn flags the GPU object was created with; `undefined` when it came from `navigator.gpu`. */
  dawnFlags?: string[];
  /** Dawn, when it created the GPU object. */
  dawn?: DawnSupport;
  /** Whether this module put `gpu` on `navigator`. */
  installedOnNavigator: boolean;
  adapter?: GpuAdapterLike;
  device?: GpuDeviceLike;
  description?: AdapterDescription;
  /** The backend factory this module registered under 'webgpu'. */
  factory?: () => Promise<tf.KernelBackend>;
  lost: boolean;
}

let state: WebGpuState | undefined;

/** An adapter that has been requested but not yet used. */
export interface WebGpuProbe {
  adapter?: GpuAdapterLike;
  description: AdapterDescription;
  /** The name of the software rasteriser, if the adapter is one. */
  softwareName?: string;
}

function navigatorOf(): { gpu?: unknown } | undefined {
  return (globalThis as { navigator?: { gpu?: unknown } }).navigator;
}

/** Puts `gpu` on `navigator`, creating `navigator` where there is none (Node.js 20). */
function installOnNavigator(gpu: GpuLike): void {
  const navigator = navigatorOf();
  if (navigator == null) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true,
    });
  } else {
    // Node.js 21+ has a `navigator` without `gpu`.
    Object.defineProperty(navigator, 'gpu', {
      value: gpu,
      configurable: true,
      writable: true,
      enumerable: true,
    });
  }
}

function removeFromNavigator(gpu: GpuLike): void {
  const navigator = navigatorOf();
  if (navigator != null && navigator.gpu === gpu) delete navigator.gpu;
}

function sameFlags(a: string[] | undefined, b: string[]): boolean {
  return a != null && a.length === b.length && a.every((flag, index) => flag === b[index]);
}

/** Whether the 'webgpu' backend this module registered is still registered and usable. */
function ownBackendAlive(): boolean {
  return state?.factory != null && !state.lost && tf.findBackendFactory('webgpu') === state.factory;
}

/**
 * Fails when `options.dawnFlags` differ from the flags of the GPU object the live 'webgpu'
 * backend uses (Dawn's instance cannot be replaced under it). No flags given means "any".
 */
function checkFlagsUnchanged(options: WebGpuSetupOptions): void {
  if (options.dawnFlags == null || state?.dawnFlags == null || !ownBackendAlive()) return;
  if (sameFlags(state.dawnFlags, options.dawnFlags)) return;
  throw new BackendSetupError(
    'DAWN_FLAGS_CHANGED',
    `Dawn's GPU object was created with the flags ${JSON.stringify(state.dawnFlags)} ` +
      "and the 'webgpu' backend uses it; " +
      `it cannot be re-created with ${JSON.stringify(options.dawnFlags)} in the same process.`,
    'Dawn flags changed',
  );
}

/** The error of the browser-safe entry where there is no `navigator.gpu`. */
function noWebGpuError(): BackendSetupError {
  if (isNode()) {
    return new BackendSetupError(
      'NO_WEBGPU',
      "Node.js has no WebGPU (navigator.gpu is undefined): import setupBackend from '@slr/backend/node', " +
        "which creates WebGPU with Dawn (the npm package 'webgpu'), instead of from '@slr/backend'.",
      "no navigator.gpu (in Node.js, setupBackend of '@slr/backend/node' provides Dawn)",
    );
  }
  return new BackendSetupError(
    'NO_WEBGPU',
    'This JavaScript environment has no WebGPU (navigator.gpu is undefined): use a browser with WebGPU enabled.',
    'no navigator.gpu',
  );
}

/** The GPU object: `navigator.gpu` where it exists, otherwise (Node.js) one Dawn creates. */
async function acquireGpu(options: WebGpuSetupOptions): Promise<GpuLike> {
  const dawnFlags = options.dawnFlags ?? [];
  if (state != null) {
    if (
      state.dawnFlags == null ||
      options.dawnFlags == null ||
      sameFlags(state.dawnFlags, dawnFlags)
    ) {
      if (state.installedOnNavigator && navigatorOf()?.gpu == null) installOnNavigator(state.gpu);
      return state.gpu;
    }
    checkFlagsUnchanged(options);
    releaseUnusedGpu();
  }
  const existing = navigatorOf()?.gpu as GpuLike | undefined;
  if (existing != null) {
    state = { gpu: existing, installedOnNavigator: false, lost: false };
    return existing;
  }
  const dawn = options.dawn;
  if (dawn == null || !isNode()) throw noWebGpuError();
  const gpu = await dawn.create(dawnFlags);
  installOnNavigator(gpu);
  state = { gpu, dawnFlags: [...dawnFlags], dawn, installedOnNavigator: true, lost: false };
  return gpu;
}

async function readAdapterInfo(adapter: GpuAdapterLike): Promise<AdapterInfoLike> {
  if (adapter.info != null) return adapter.info;
  if (typeof adapter.requestAdapterInfo === 'function') return adapter.requestAdapterInfo();
  return {};
}

/**
 * Requests an adapter (or returns the one the live 'webgpu' backend of this module uses) and
 * describes it; fails with an error that says why when there is none.
 *
 * @example
 * ```ts
 * const { description, softwareName } = await probeWebGpu({});
 * softwareName; // 'llvmpipe' on Mesa's software Vulkan driver, undefined on a GPU
 * ```
 */
export async function probeWebGpu(options: WebGpuSetupOptions): Promise<WebGpuProbe> {
  checkFlagsUnchanged(options);
  if (ownBackendAlive() && state?.description != null) {
    const description = state.description;
    return {
      description,
      softwareName: description.isSoftware
        ? (softwareRasteriserName(description) ?? 'fallback adapter')
        : undefined,
    };
  }
  const gpu = await acquireGpu(options);
  const adapterOptions = { powerPreference: options.powerPreference ?? 'high-performance' };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter(adapterOptions);
  } catch (error) {
    throw new BackendSetupError(
      'ADAPTER_REQUEST_FAILED',
      `navigator.gpu.requestAdapter() failed: ${messageOf(error)}`,
      `requestAdapter() failed (${messageOf(error).split('\n')[0]})`,
      { cause: error },
    );
  }
  if (adapter == null) {
    if (state?.dawnFlags != null && state.dawn != null)
      throw await state.dawn.diagnoseMissingAdapter(state.dawnFlags, adapterOptions);
    throw new BackendSetupError(
      'NO_ADAPTER',
      'navigator.gpu.requestAdapter() found no adapter: WebGPU is present but no GPU can be used ' +
        '(the GPU or its driver may be blocklisted; see chrome://gpu or about:support).',
      'no adapter found',
    );
  }
  const info = await readAdapterInfo(adapter);
  const fallback = adapter.isFallbackAdapter === true;
  return {
    adapter,
    description: describeAdapter(info, fallback),
    softwareName: softwareRasteriserName(info, fallback),
  };
}

/** The error for a software adapter that was not allowed. */
export function softwareAdapterError(probe: WebGpuProbe): BackendSetupError {
  return new BackendSetupError(
    'SOFTWARE_ADAPTER',
    `The WebGPU adapter ${adapterLabel(probe.description)} is a software rasteriser ` +
      `(${probe.softwareName}) and allowSoftwareAdapter is false.`,
    `webgpu adapter is a software rasteriser (${probe.softwareName})`,
  );
}

async function importTfjsWebGpu(): Promise<TfjsWebGpuModule | undefined> {
  try {
    const module = await importModule<TfjsWebGpuModule & { default?: TfjsWebGpuModule }>(
      TFJS_WEBGPU_PACKAGE,
    );
    return module.WebGPUBackend != null ? module : module.default;
  } catch (error) {
    // In a browser the import fails when the bundler did not include the package; the user may
    // have imported it (which registers tfjs's own 'webgpu' factory).
    if (tf.findBackendFactory('webgpu') != null) return undefined;
    if (isModuleNotFound(error, TFJS_WEBGPU_PACKAGE) || !isNode()) {
      throw new BackendSetupError(
        'TFJS_WEBGPU_NOT_INSTALLED',
        `The 'webgpu' backend needs ${TFJS_WEBGPU_PACKAGE}: npm install ${TFJS_WEBGPU_PACKAGE}@4.22.0 ` +
          `(in a bundled web app, also import '${TFJS_WEBGPU_PACKAGE}' before calling setupBackend).`,
        `${TFJS_WEBGPU_PACKAGE} not installed`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The device descriptor tfjs-backend-webgpu itself uses. */
function deviceDescriptor(adapter: GpuAdapterLike): object {
  const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((name) =>
    adapter.features.has(name),
  );
  const limits = adapter.limits;
  return {
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  };
}

/**
 * Sets up and switches to the 'webgpu' backend on the adapter of `probe` (requested now when
 * not given), registering a backend factory that uses this module's device. Reuses the
 * backend when it is already set up.
 *
 * @example
 * ```ts
 * const description = await setupWebGpu({ allowSoftwareAdapter: true });
 * description.isSoftware; // true on llvmpipe
 * ```
 */
export async function setupWebGpu(
  options: WebGpuSetupOptions,
  given?: WebGpuProbe,
): Promise<AdapterDescription> {
  const allowSoftware = options.allowSoftwareAdapter ?? true;
  if (
    state?.lost === true &&
    state.factory != null &&
    tf.findBackendFactory('webgpu') === state.factory
  ) {
    // The device was lost (driver reset, GPU removed): drop the backend and start again.
    tf.removeBackend('webgpu');
    state = {
      ...state,
      adapter: undefined,
      device: undefined,
      factory: undefined,
      description: undefined,
      lost: false,
    };
  }
  const probe = given ?? (await probeWebGpu(options));
  if (probe.description.isSoftware && !allowSoftware) throw softwareAdapterError(probe);
  if (ownBackendAlive() || probe.adapter == null) {
    await switchBackend('webgpu');
    return probe.description;
  }

  const adapter = probe.adapter;
  const module =
    (options.webgpuModule as TfjsWebGpuModule | undefined) ?? (await importTfjsWebGpu());
  const engine = tf.engine() as unknown as EngineRegistry;
  const initialisedElsewhere = engine.registry?.webgpu != null;
  const WebGPUBackend = module?.WebGPUBackend;
  if (!initialisedElsewhere && WebGPUBackend != null) {
    let device: GpuDeviceLike;
    try {
      device = await adapter.requestDevice(deviceDescriptor(adapter));
    } catch (error) {
      throw new BackendSetupError(
        'DEVICE_REQUEST_FAILED',
        `The WebGPU adapter ${adapterLabel(probe.description)} refused a device: ${messageOf(error)}`,
        `requestDevice() failed (${messageOf(error).split('\n')[0]})`,
        { cause: error },
      );
    }
    const adapterInfo = await readAdapterInfo(adapter);
    // A promise, so that a failing constructor rejects rather than throws (as tfjs's own does).
    const factory = (): Promise<tf.KernelBackend> =>
      Promise.resolve().then(() => new WebGPUBackend(device, adapterInfo));
    if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', factory, 3);
    const current = state!;
    Object.assign(current, {
      adapter,
      device,
      factory,
      description: probe.description,
      lost: false,
    });
    void device.lost.then(() => {
      if (current.device === device) current.lost = true;
    });
  }
  // Otherwise tfjs's own factory (or a backend someone else initialised) is used as it is.
  await switchBackend('webgpu');
  return probe.description;
}

/**
 * Forgets a GPU object that no backend uses (after `'auto'` turned WebGPU down), taking it
 * off `navigator` again when this module put it there.
 *
 * @example
 * ```ts
 * releaseUnusedGpu(); // navigator.gpu is gone unless a 'webgpu' backend uses it
 * ```
 */
export function releaseUnusedGpu(): void {
  if (state == null || ownBackendAlive()) return;
  if (state.installedOnNavigator) removeFromNavigator(state.gpu);
  state = undefined;
}
