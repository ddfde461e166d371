import { GEMM_WASM_BASE64 } from './gemm-module';

/**
 * The WebAssembly SIMD module behind the `cpu` convolutions and matrix products
 * (`wasm/gemm.ts`, compiled by `pnpm build:wasm` into `gemm-module.ts`), and the one linear
 * memory the kernels copy their operands into. Browsers refuse to compile a module over 4 KB
 * synchronously on the main thread, so {@link loadWasmKernels} compiles it asynchronously;
 * where a synchronous compile is allowed (Node.js, workers), {@link wasmKernelsSync} does it on
 * first use.
 */

/** The functions `wasm/gemm.ts` exports (addresses are byte offsets into `memory`). */
interface GemmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemmWorkBytes(): number;
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    rsA: number,
    csA: number,
    b: number,
    rsB: number,
    csB: number,
    c: number,
    ldc: number,
    accumulate: number,
    work: number,
  ): void;
  im2col(...args: number[]): void;
  col2im(...args: number[]): void;
  depthwise(...args: number[]): void;
}

const PAGE_BYTES = 65536;

/** The instantiated module with a bump allocator over its memory, reset by each kernel. */
export class WasmKernels {
  readonly exports: GemmExports;
  /** Scratch space of `gemm`. */
  readonly work: number;
  private readonly start: number;
  private top: number;
  private view: Float32Array;

  constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as GemmExports;
    this.work = align(this.exports.heapBase());
    this.start = align(this.work + this.exports.gemmWorkBytes());
    this.top = this.start;
    this.view = new Float32Array(this.exports.memory.buffer);
  }

  /** Frees every array allocated since the last reset. */
  reset(): void {
    this.top = this.start;
  }

  /** Allocates `count` float32s (16-byte aligned) and returns their byte address. */
  alloc(count: number): number {
    const address = this.top;
    const end = align(address + count * 4);
    const memory = this.exports.memory;
    if (end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE_BYTES));
    }
    this.top = end;
    return address;
  }

  /** Allocates room for `values` and copies them in (converting to float32). */
  put(values: ArrayLike<number>): number {
    const address = this.alloc(values.length);
    this.heap().set(values, address >> 2);
    return address;
  }

  /** Allocates `count` zeroed float32s. */
  zeros(count: number): number {
    const address = this.alloc(count);
    this.heap().fill(0, address >> 2, (address >> 2) + count);
    return address;
  }

  /** A copy of `count` float32s at `address`. */
  take(address: number, count: number): Float32Array {
    return this.heap().slice(address >> 2, (address >> 2) + count);
  }

  /** The memory as float32s (a new view after the memory grew). */
  heap(): Float32Array {
    if (this.view.buffer !== this.exports.memory.buffer) {
      this.view = new Float32Array(this.exports.memory.buffer);
    }
    return this.view;
  }

  /**
   * C (m x n, row stride ldc) = A B (+ C when `accumulate`), with A's element (i, p) at
   * a + (i*rsA + p*csA)*4 and B's (p, j) at b + (p*rsB + j*csB)*4.
   */
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    rsA: number,
    csA: number,
    b: number,
    rsB: number,
    csB: number,
    c: number,
    ldc: number,
    accumulate: boolean,
  ): void {
    this.exports.gemm(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, accumulate ? 1 : 0, this.work);
  }
}

function align(address: number): number {
  return (address + 15) & ~15;
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const binary = atob(GEMM_WASM_BASE64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let kernels: WasmKernels | undefined;
let loading: Promise<boolean> | undefined;
let syncRefused = false;

/**
 * Compiles and instantiates the WebAssembly SIMD kernels of the `cpu` convolutions and matrix
 * products, asynchronously (as browsers require on the main thread), once. Resolves to `true`
 * when they are ready, `false` when this JavaScript engine cannot run them (no WebAssembly, or
 * no SIMD: the kernels then stay tfjs's own); it never rejects. `setupBackend('cpu')` awaits it
 * before {@link registerFastCpuKernels}, which registers the WebAssembly kernels once it has
 * resolved to `true`.
 *
 * @example
 * ```ts
 * import { loadWasmKernels, registerFastCpuKernels } from '@slr/backend';
 *
 * await loadWasmKernels();
 * registerFastCpuKernels(); // now with the WebAssembly convolutions and matrix products
 * ```
 */
export function loadWasmKernels(): Promise<boolean> {
  if (kernels != null) return Promise.resolve(true);
  loading ??= (async () => {
    try {
      if (typeof WebAssembly !== 'object') return false;
      const module = await WebAssembly.compile(moduleBytes());
      kernels ??= new WasmKernels(await WebAssembly.instantiate(module, {}));
      return true;
    } catch {
      return false;
    }
  })();
  return loading;
}

/**
 * The kernels when ready; otherwise compiles them synchronously where the engine allows it
 * (Node.js, workers; not a browser's main thread), else `undefined`.
 */
export function wasmKernelsSync(): WasmKernels | undefined {
  if (kernels != null || syncRefused) return kernels;
  try {
    kernels = new WasmKernels(new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), {}));
  } catch {
    syncRefused = true;
  }
  return kernels;
}
