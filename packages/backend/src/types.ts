/**
 * Backends the `setupBackend` of `@slr/backend` can set up, in a browser or anywhere:
 * `'auto'` picks the best one available. In Node.js, `@slr/backend/node` adds `'tensorflow'`.
 */
export type BackendName = 'cpu' | 'webgpu' | 'auto';

/** Options of `setupBackend` (`@slr/backend/node` adds `dawnFlags`). */
export interface SetupBackendOptions {
  /**
   * Which GPU to ask WebGPU for when a machine has several. Default `'high-performance'`
   * (tfjs's own default).
   */
  powerPreference?: 'high-performance' | 'low-power';
  /**
   * Whether a software rasteriser (lavapipe/llvmpipe, SwiftShader, WARP, or any adapter that
   * says `isFallbackAdapter`) is acceptable. Default `true` for `'webgpu'` (asked for
   * explicitly, so it is used and reported as software) and `false` for `'auto'` (which then
   * prefers `tensorflow` or `cpu`: a CPU rasteriser is slower than tfjs's CPU kernels).
   */
  allowSoftwareAdapter?: boolean;
  /**
   * Suppresses tfjs's "Hi, looks like you are running TensorFlow.js in Node.js" banner, which
   * the CPU backend prints on its first use in Node.js. Nothing else is silenced: warnings that
   * Dawn's native code prints (for example lavapipe's "maxDynamicUniformBuffersPerPipelineLayout
   * artificially reduced") go straight to stderr and cannot be caught from JavaScript.
   */
  quiet?: boolean;
  /**
   * The `@tensorflow/tfjs-backend-webgpu` module itself (`import * as webgpu from
   * '@tensorflow/tfjs-backend-webgpu'`), for bundles in which the package is not importable at
   * run time. By default it is imported when first needed.
   */
  webgpuModule?: {
    /** The module's `WebGPUBackend` class, which the backend is created from. */
    WebGPUBackend: unknown;
  };
  /**
   * Whether `'cpu'` (and `'auto'` when it settles on the CPU) runs with this package's faster
   * CPU kernels ({@link registerFastCpuKernels}). Default `true`; `false` restores tfjs's own
   * ({@link unregisterFastCpuKernels}), for comparisons. Other backends leave them as they are.
   */
  fastCpuKernels?: boolean;
}

/**
 * Options of the `setupBackend` of `@slr/backend/node`: those of {@link SetupBackendOptions}
 * and Dawn's flags.
 */
export interface NodeSetupBackendOptions extends SetupBackendOptions {
  /**
   * Flags for Dawn's `create()`, for example `['backend=vulkan']`,
   * `['adapter=NVIDIA GeForce RTX 4090']` or `['enable-dawn-features=allow_unsafe_apis']`.
   * Used only when this package creates Dawn's GPU object (the first WebGPU set-up in a
   * process); ignored wherever `navigator.gpu` already exists.
   */
  dawnFlags?: string[];
}

/** The WebGPU adapter a backend runs on, from `GPUAdapter.info`. */
export interface AdapterDescription {
  /** The GPU's vendor (`'nvidia'`, `'mesa'`…), or `''` when unknown. */
  vendor: string;
  /** The vendor's name for the GPU family, or `''`. */
  architecture: string;
  /** The device's name or id, or `''`. */
  device: string;
  /**
   * The driver's description of the adapter, for example
   * `'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6)'`.
   */
  description: string;
  /** True for a software rasteriser that runs on the CPU (see {@link isSoftwareAdapter}). */
  isSoftware: boolean;
}

/** What `setupBackend` did. */
export interface BackendInfo {
  /** `tf.getBackend()` after the set-up. */
  backend: string;
  /** The name passed to `setupBackend`. */
  requested: BackendName | 'tensorflow';
  /** The WebGPU adapter, when the backend is `webgpu`. */
  adapter?: AdapterDescription;
  /** Which backend it chose and why (for `'auto'`, what it found out about each candidate). */
  reason: string;
}
