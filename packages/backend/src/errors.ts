/** Why {@link setupBackend} could not set a backend up. */
export type BackendSetupErrorCode =
  | 'NO_WEBGPU'
  | 'DAWN_NOT_INSTALLED'
  | 'DAWN_LOAD_FAILED'
  | 'DAWN_FLAGS_CHANGED'
  | 'NO_VULKAN_LOADER'
  | 'NO_VULKAN_DRIVER'
  | 'NO_ADAPTER'
  | 'ADAPTER_REQUEST_FAILED'
  | 'SOFTWARE_ADAPTER'
  | 'DEVICE_REQUEST_FAILED'
  | 'TFJS_WEBGPU_NOT_INSTALLED'
  | 'TENSORFLOW_NOT_INSTALLED'
  | 'TENSORFLOW_LOAD_FAILED'
  | 'NOT_NODE'
  | 'SET_BACKEND_FAILED';

/**
 * The error {@link setupBackend} rejects with: `message` says what is wrong and what to
 * install, `code` says which case it is, `summary` is the short form `'auto'` puts in its
 * `reason`.
 *
 * @example
 * ```ts
 * try {
 *   await setupBackend('webgpu');
 * } catch (error) {
 *   if (error instanceof BackendSetupError && error.code === 'DAWN_NOT_INSTALLED')
 *     console.log('npm install webgpu');
 * }
 * ```
 */
export class BackendSetupError extends Error {
  /** Always `'BackendSetupError'`. */
  override readonly name = 'BackendSetupError';

  /**
   * @param code Which case it is.
   * @param message What is wrong and what to install.
   * @param summary The short form `'auto'` puts in its `reason`, for example `'no Vulkan driver'`.
   * @param options `cause`: the error this one wraps.
   */
  constructor(
    readonly code: BackendSetupErrorCode,
    message: string,
    readonly summary: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The message of anything thrown.
 *
 * @example
 * ```ts
 * messageOf(new Error('x')); // 'x'
 * ```
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The short form of an error for `'auto'`'s reason. */
export function summaryOf(error: unknown): string {
  return error instanceof BackendSetupError ? error.summary : messageOf(error).split('\n')[0];
}
