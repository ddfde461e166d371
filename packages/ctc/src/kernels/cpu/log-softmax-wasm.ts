/**
 * The WebAssembly SIMD log-softmax of the `cpu` kernels (`wasm/log-softmax.ts`, compiled by
 * `pnpm build:wasm` into `log-softmax-module.ts`). The module is under 4 KB, so compiling it
 * synchronously is allowed everywhere, a browser's main thread included: it is compiled on first
 * use. Where WebAssembly or its SIMD is missing, the functions here return `undefined` and the
 * kernels use the JavaScript implementation of `log-softmax-impl.ts`.
 */
import { logSoftmaxForward } from './log-softmax-impl';
import { LOG_SOFTMAX_WASM_BASE64 } from './log-softmax-module';

/** The functions `wasm/log-softmax.ts` exports (addresses are byte offsets into `memory`). */
interface LogSoftmaxExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  forward(x: number, softmax: number, rows: number, classes: number, flags: number): number;
  backward(dy: number, softmax: number, rows: number, classes: number): void;
  exp(x: number, count: number): void;
}

const PAGE_BYTES = 65536;
/** Float32s per block of rows copied in at a time: two blocks stay in a core's L2 cache. */
const BLOCK_FLOATS = 32768;

// Not named `exports`: module runners that wrap a module in a function (CommonJS, vitest's)
// pass a parameter of that name, which such a variable would shadow or collide with.
let instanceExports: LogSoftmaxExports | undefined;
let unavailable = false;
let enabled = true;

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const binary = atob(LOG_SOFTMAX_WASM_BASE64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The instantiated module, compiled on first call; `undefined` where it cannot run. */
export function logSoftmaxWasm(): LogSoftmaxExports | undefined {
  if (!enabled || unavailable) return undefined;
  if (instanceExports != null) return instanceExports;
  try {
    const bytes = moduleBytes();
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) {
      unavailable = true;
      return undefined;
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    instanceExports = instance.exports as unknown as LogSoftmaxExports;
  } catch {
    unavailable = true;
  }
  return instanceExports;
}

/**
 * Switches the WebAssembly implementation off (`false`: the JavaScript one runs, as on an engine
 * without WebAssembly SIMD) or back on. For tests and benchmarks.
 *
 * @example
 * ```ts
 * setLogSoftmaxWasmEnabled(false); // the JavaScript kernels from now on
 * ```
 */
export function setLogSoftmaxWasmEnabled(value: boolean): void {
  enabled = value;
}

/** Grows the memory so that `bytes` past the heap base fit; returns the heap base (aligned). */
function reserve(wasm: LogSoftmaxExports, bytes: number): number {
  const base = (wasm.heapBase() + 15) & ~15;
  const memory = wasm.memory;
  const end = base + bytes;
  if (end > memory.buffer.byteLength) {
    memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE_BYTES));
  }
  return base;
}

/** Rows per block, and the block's size in float32s rounded up to 16 bytes. */
function blockOf(classes: number): { rows: number; floats: number } {
  const rows = Math.max(1, Math.floor(BLOCK_FLOATS / classes));
  return { rows, floats: (rows * classes + 3) & ~3 };
}

/** What the WebAssembly forward pass gives: the output and the softmax the backward pass needs. */
export interface LogSoftmaxWasmResult {
  logProbs: Float32Array;
  /** `exp(logProbs)`, computed before the logarithm. */
  softmax: Float32Array;
}

/**
 * `x - log Σ exp(x)` and `softmax(x)` over the rows of a `[rows, classes]` array with the
 * WebAssembly kernel, or `undefined` where it cannot run. Rows holding ±Infinity or NaN get what
 * {@link logSoftmaxForward} gives them.
 *
 * @example
 * ```ts
 * logSoftmaxForwardWasm(new Float32Array([0, 0]), 1, 2)?.logProbs; // [-0.693, -0.693]
 * ```
 */
export function logSoftmaxForwardWasm(
  x: Float32Array,
  rows: number,
  classes: number,
): LogSoftmaxWasmResult | undefined {
  const wasm = logSoftmaxWasm();
  if (wasm == null) return undefined;
  const size = rows * classes;
  const logProbs = new Float32Array(size);
  const softmax = new Float32Array(size);
  if (size === 0) return { logProbs, softmax };
  const block = blockOf(classes);
  const base = reserve(wasm, (2 * block.floats + block.rows) * 4);
  const heap = new Float32Array(wasm.memory.buffer);
  const at = base >> 2;
  const softmaxAt = at + block.floats;
  const flagsAt = softmaxAt + block.floats;
  for (let first = 0; first < rows; first += block.rows) {
    const count = Math.min(block.rows, rows - first);
    const start = first * classes;
    const end = start + count * classes;
    heap.set(x.subarray(start, end), at);
    const degenerate = wasm.forward(base, softmaxAt * 4, count, classes, flagsAt * 4);
    logProbs.set(heap.subarray(at, at + (end - start)), start);
    softmax.set(heap.subarray(softmaxAt, softmaxAt + (end - start)), start);
    if (degenerate > 0) {
      for (let r = 0; r < count; r++) {
        if (heap[flagsAt + r] === 0) continue;
        const rowStart = start + r * classes;
        const row = logSoftmaxForward(x.subarray(rowStart, rowStart + classes), 1, classes);
        logProbs.set(row.logProbs, rowStart);
        for (let k = 0; k < classes; k++) {
          softmax[rowStart + k] = row.shiftedExp[k] * row.inverseSum[0];
        }
      }
    }
  }
  return { logProbs, softmax };
}

/**
 * Gradient of log-softmax from the softmax, `dy - softmax · Σ dy` per row, with the
 * WebAssembly kernel, or `undefined` where it cannot run.
 *
 * @example
 * ```ts
 * logSoftmaxBackwardWasm(new Float32Array([1, 1]), new Float32Array([0.5, 0.5]), 1, 2); // [0, 0]
 * ```
 */
export function logSoftmaxBackwardWasm(
  dy: Float32Array,
  softmax: Float32Array,
  rows: number,
  classes: number,
): Float32Array | undefined {
  const wasm = logSoftmaxWasm();
  if (wasm == null) return undefined;
  const dx = new Float32Array(rows * classes);
  if (dx.length === 0) return dx;
  const block = blockOf(classes);
  const base = reserve(wasm, block.floats * 8);
  const heap = new Float32Array(wasm.memory.buffer);
  const at = base >> 2;
  const softmaxAt = at + block.floats;
  for (let first = 0; first < rows; first += block.rows) {
    const count = Math.min(block.rows, rows - first);
    const start = first * classes;
    const end = start + count * classes;
    heap.set(dy.subarray(start, end), at);
    heap.set(softmax.subarray(start, end), softmaxAt);
    wasm.backward(base, softmaxAt * 4, count, classes);
    dx.set(heap.subarray(at, at + (end - start)), start);
  }
  return dx;
}

/**
 * `exp(v)` of float32s `v ≤ 0` as the WebAssembly kernels compute it, or `undefined` where they
 * cannot run. For tests.
 *
 * @example
 * ```ts
 * expWasm(new Float32Array([0, -1])); // [1, 0.36787945]
 * ```
 */
export function expWasm(values: Float32Array): Float32Array | undefined {
  const wasm = logSoftmaxWasm();
  if (wasm == null) return undefined;
  const base = reserve(wasm, values.length * 4);
  const heap = new Float32Array(wasm.memory.buffer);
  heap.set(values, base >> 2);
  wasm.exp(base, values.length);
  return heap.slice(base >> 2, (base >> 2) + values.length);
}
