/**
 * Picks the best tfjs backend the browser has, and says which and why: WebGPU on a hardware
 * adapter, then WebGL on a hardware GPU, then WebAssembly (SIMD), then the CPU. A backend on a
 * software rasteriser (SwiftShader, lavapipe) is skipped by the automatic choice, since the
 * WASM kernels beat it; asked for by name (`?backend=webgl`), it is used and reported as such.
 */
import * as tf from '@tensorflow/tfjs';
import * as webgpu from '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { setupBackend } from '@slr/backend';
// Served from the app's own origin (Vite copies them into the build); nothing from a CDN.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** The backends the app can use, best first. */
export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type AppBackend = (typeof BACKENDS)[number];

/** The backend in use and why; `skipped` says why each better one was not used. */
export interface BackendChoice {
  backend: AppBackend;
  reason: string;
  skipped: string[];
}

/** Thrown when the backend asked for cannot run here; the message says what to do. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software|softpipe|warp/i;

/** The WebGL renderer's name, when the browser tells it. */
function webglRenderer(): string {
  const canvas = document.createElement('canvas');
  const gl: WebGLRenderingContext | null =
    canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  if (gl === null) return '';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(
    info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
  );
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return renderer;
}

/** Tries one backend; resolves to why it is used, or throws why it cannot be (or should not be, when `auto`). */
async function tryBackend(name: AppBackend, auto: boolean): Promise<string> {
  switch (name) {
    case 'webgpu': {
      if (!('gpu' in navigator) || navigator.gpu == null)
        throw new BackendUnavailableError(
          'WebGPU: navigator.gpu is missing (this browser or its flags have no WebGPU, ' +
            'or the page is not a secure context)',
        );
      const info = await setupBackend('webgpu', {
        allowSoftwareAdapter: !auto,
        webgpuModule: webgpu,
        quiet: true,
      }).catch((error: unknown) => {
        throw new BackendUnavailableError(
          `WebGPU: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      return `WebGPU: ${info.reason}`;
    }
    case 'webgl': {
      const renderer = webglRenderer();
      if (renderer === '')
        throw new BackendUnavailableError(
          'WebGL: no WebGL context (WebGL is off or the GPU is blocklisted)',
        );
      if (auto && SOFTWARE.test(renderer))
        throw new BackendUnavailableError(
          `WebGL: renderer ${renderer} is a software rasteriser, slower than WASM`,
        );
      if (!(await tf.setBackend('webgl')))
        throw new BackendUnavailableError('WebGL: tfjs could not initialise it');
      const version = tf.env().getNumber('WEBGL_VERSION');
      return `WebGL ${version} on ${renderer}${SOFTWARE.test(renderer) ? ' (a software rasteriser)' : ''}`;
    }
    case 'wasm': {
      if (typeof WebAssembly !== 'object')
        throw new BackendUnavailableError('WASM: no WebAssembly');
      setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmPlain,
        'tfjs-backend-wasm-simd.wasm': wasmSimd,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
      });
      if (!(await tf.setBackend('wasm')))
        throw new BackendUnavailableError('WASM: tfjs could not initialise it');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      const threading = threads
        ? 'multi-threaded'
        : 'one thread (the page is not cross-origin isolated)';
      return `WebAssembly${simd ? ' with SIMD' : ' without SIMD'}, ${threading}`;
    }
    case 'cpu': {
      const info = await setupBackend('cpu', { quiet: true });
      return `CPU (JavaScript): ${info.reason}`;
    }
  }
}

/**
 * Sets the backend up: `requested` by name, or the best that works when `'auto'`. Throws a
 * {@link BackendUnavailableError} saying why when the one asked for cannot run.
 */
export async function chooseBackend(requested: AppBackend | 'auto'): Promise<BackendChoice> {
  if (requested !== 'auto') {
    const reason = await tryBackend(requested, false);
    return {
      backend: requested,
      reason: `${reason} (asked for with ?backend=${requested})`,
      skipped: [],
    };
  }
  const skipped: string[] = [];
  for (const name of BACKENDS) {
    try {
      const reason = await tryBackend(name, true);
      return { backend: name, reason, skipped };
    } catch (error) {
      skipped.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new BackendUnavailableError(`No backend works here: ${skipped.join('; ')}`);
}

/** `?backend=` of the page's URL, checked. */
export function requestedBackend(search: URLSearchParams): AppBackend | 'auto' {
  const value = search.get('backend') ?? 'auto';
  if (value === 'auto' || (BACKENDS as readonly string[]).includes(value))
    return value as AppBackend | 'auto';
  throw new BackendUnavailableError(
    `Unknown backend '${value}' in the address: use ?backend=auto, ${BACKENDS.map((b) => `?backend=${b}`).join(', ')}`,
  );
}
