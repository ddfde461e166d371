/**
 * Fused optimizer updates: one `cpu` kernel per variable and step, computing tfjs's own Adam
 * and momentum updates op for op (each intermediate rounded to float32 as tfjs's kernels store
 * it), so the results are bit for bit those of the unfused optimizers.
 */
import * as tf from '@tensorflow/tfjs';
import { OPTIMIZER_UPDATE_WASM_BASE64 } from './optimizer-update-module';

/**
 * Adam step (with optional decoupled decay first) for one variable. Inputs `param`, `gradient`,
 * `m`, `v` (same shape, float32) and the scalars `oneMinusAccBeta1`, `oneMinusAccBeta2`.
 * Attributes `beta1`, `beta2`, `epsilon`, `learningRate`, `decayFactor` (`w ← w·decayFactor`
 * first when `decay` is true). Outputs the new `param`, `m`, `v`.
 */
export const ADAM_UPDATE = 'SlrAdamUpdate';

/**
 * Momentum-SGD step (with optional L2 decay added to the gradient) for one variable. Inputs
 * `param`, `gradient`, `accumulation` (same shape, float32) and the scalars `momentum` and
 * `negLearningRate` (tfjs's `MomentumOptimizer` keeps both as tensors). Attributes
 * `useNesterov`, `weightDecay` (0: none). Outputs the new `param` and `accumulation`.
 */
export const MOMENTUM_UPDATE = 'SlrMomentumUpdate';

/** Attributes of {@link ADAM_UPDATE}. */
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  decay: boolean;
  decayFactor: number;
}

/** Attributes of {@link MOMENTUM_UPDATE}. */
export interface MomentumUpdateAttrs {
  useNesterov: boolean;
  weightDecay: number;
}

const f = Math.fround;

/**
 * tfjs 4.22's `AdamOptimizer.applyGradients` for one variable, rounding where tfjs's kernels
 * store float32 values: the JavaScript version, which {@link adamUpdate} runs where
 * WebAssembly SIMD is missing.
 */
export function adamUpdateJs(
  param: Float32Array,
  gradient: Float32Array,
  m: Float32Array,
  v: Float32Array,
  oneMinusAccBeta1: number,
  oneMinusAccBeta2: number,
  attrs: AdamUpdateAttrs,
): { param: Float32Array; m: Float32Array; v: Float32Array } {
  const n = param.length;
  const newParam = new Float32Array(n);
  const newM = new Float32Array(n);
  const newV = new Float32Array(n);
  const beta1 = f(attrs.beta1);
  const beta2 = f(attrs.beta2);
  const oneMinusBeta1 = f(1 - attrs.beta1);
  const oneMinusBeta2 = f(1 - attrs.beta2);
  const epsilon = f(attrs.epsilon);
  const negLearningRate = f(-attrs.learningRate);
  const decayFactor = f(attrs.decayFactor);
  const decay = attrs.decay;
  for (let i = 0; i < n; i++) {
    const w = decay ? f(param[i] * decayFactor) : param[i];
    const g = gradient[i];
    const m1 = f(f(m[i] * beta1) + f(g * oneMinusBeta1));
    const v1 = f(f(v[i] * beta2) + f(f(g * g) * oneMinusBeta2));
    const mHat = f(m1 / oneMinusAccBeta1);
    const vHat = f(v1 / oneMinusAccBeta2);
    const step = f(mHat / f(f(Math.sqrt(vHat)) + epsilon));
    newParam[i] = f(step * negLearningRate) + w;
    newM[i] = m1;
    newV[i] = v1;
  }
  return { param: newParam, m: newM, v: newV };
}

/** The functions `wasm/optimizer-update.ts` exports (addresses are byte offsets). */
interface OptimizerUpdateExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  adam(
    n: number,
    param: number,
    gradient: number,
    m: number,
    v: number,
    oneMinusAccBeta1: number,
    oneMinusAccBeta2: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    epsilon: number,
    negLearningRate: number,
    decay: number,
    decayFactor: number,
  ): void;
}

/** Elements per block copied in at a time (four arrays of it: 256 KiB). */
const BLOCK = 16384;
const PAGE_BYTES = 65536;

let wasmExports: OptimizerUpdateExports | undefined;
let wasmUnavailable = false;

/**
 * The SIMD module (under 4 KB, so compiled synchronously on first use, a browser's main thread
 * included), or `undefined` where WebAssembly or its SIMD is missing.
 */
function optimizerWasm(): OptimizerUpdateExports | undefined {
  if (wasmExports != null || wasmUnavailable) return wasmExports;
  try {
    const binary = atob(OPTIMIZER_UPDATE_WASM_BASE64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) {
      wasmUnavailable = true;
      return undefined;
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    wasmExports = instance.exports as unknown as OptimizerUpdateExports;
    const base = (wasmExports.heapBase() + 15) & ~15;
    const end = base + 4 * BLOCK * 4;
    const memory = wasmExports.memory;
    if (end > memory.buffer.byteLength) {
      memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE_BYTES));
    }
  } catch {
    wasmUnavailable = true;
    wasmExports = undefined;
  }
  return wasmExports;
}

/**
 * tfjs 4.22's `AdamOptimizer.applyGradients` for one variable, rounding where tfjs's kernels
 * store float32 values. Runs the WebAssembly SIMD version (float32 operations in the same
 * order: bit for bit the results of {@link adamUpdateJs}) where the engine has it.
 */
export function adamUpdate(
  param: Float32Array,
  gradient: Float32Array,
  m: Float32Array,
  v: Float32Array,
  oneMinusAccBeta1: number,
  oneMinusAccBeta2: number,
  attrs: AdamUpdateAttrs,
): { param: Float32Array; m: Float32Array; v: Float32Array } {
  const wasm = optimizerWasm();
  if (wasm == null)
    return adamUpdateJs(param, gradient, m, v, oneMinusAccBeta1, oneMinusAccBeta2, attrs);
  const n = param.length;
  const out = { param: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  const heap = new Float32Array(wasm.memory.buffer);
  const base = (wasm.heapBase() + 15) & ~15;
  const [pAt, gAt, mAt, vAt] = [0, 1, 2, 3].map((i) => base + i * BLOCK * 4);
  for (let i0 = 0; i0 < n; i0 += BLOCK) {
    const i1 = Math.min(n, i0 + BLOCK);
    heap.set(param.subarray(i0, i1), pAt >> 2);
    heap.set(gradient.subarray(i0, i1), gAt >> 2);
    heap.set(m.subarray(i0, i1), mAt >> 2);
    heap.set(v.subarray(i0, i1), vAt >> 2);
    wasm.adam(
      i1 - i0,
      pAt,
      gAt,
      mAt,
      vAt,
      oneMinusAccBeta1,
      oneMinusAccBeta2,
      attrs.beta1,
      attrs.beta2,
      1 - attrs.beta1,
      1 - attrs.beta2,
      attrs.epsilon,
      -attrs.learningRate,
      attrs.decay ? 1 : 0,
      attrs.decayFactor,
    );
    out.param.set(heap.subarray(pAt >> 2, (pAt >> 2) + i1 - i0), i0);
    out.m.set(heap.subarray(mAt >> 2, (mAt >> 2) + i1 - i0), i0);
    out.v.set(heap.subarray(vAt >> 2, (vAt >> 2) + i1 - i0), i0);
  }
  return out;
}

/**
 * tfjs 4.22's `MomentumOptimizer.applyGradients` for one variable (after `g ← g + wd·w` when
 * `weightDecay` ≠ 0), rounding where tfjs's kernels store float32 values.
 */
export function momentumUpdate(
  param: Float32Array,
  gradient: Float32Array,
  accumulation: Float32Array,
  momentum: number,
  negLearningRate: number,
  attrs: MomentumUpdateAttrs,
): { param: Float32Array; accumulation: Float32Array } {
  const n = param.length;
  const newParam = new Float32Array(n);
  const newAccumulation = new Float32Array(n);
  const weightDecay = f(attrs.weightDecay);
  const decay = attrs.weightDecay !== 0;
  const nesterov = attrs.useNesterov;
  for (let i = 0; i < n; i++) {
    const w = param[i];
    const g = decay ? f(gradient[i] + f(w * weightDecay)) : gradient[i];
    const acc = f(f(momentum * accumulation[i]) + g);
    const direction = nesterov ? f(g + f(acc * momentum)) : acc;
    newParam[i] = f(negLearningRate * direction) + w;
    newAccumulation[i] = acc;
  }
  return { param: newParam, accumulation: newAccumulation };
}

interface SyncBackend {
  readSync(dataId: tf.DataId): tf.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.BackendValues): tf.TensorInfo;
}

const adamUpdateCpu: tf.KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as SyncBackend;
    const read = (name: string): Float32Array =>
      cpu.readSync((inputs[name] as tf.TensorInfo).dataId) as Float32Array;
    const param = inputs.param as tf.TensorInfo;
    const out = adamUpdate(
      read('param'),
      read('gradient'),
      read('m'),
      read('v'),
      read('oneMinusAccBeta1')[0],
      read('oneMinusAccBeta2')[0],
      attrs as unknown as AdamUpdateAttrs,
    );
    return [out.param, out.m, out.v].map((values) =>
      cpu.makeTensorInfo([...param.shape], 'float32', values),
    );
  },
};

const momentumUpdateCpu: tf.KernelConfig = {
  kernelName: MOMENTUM_UPDATE,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as unknown as SyncBackend;
    const read = (name: string): Float32Array =>
      cpu.readSync((inputs[name] as tf.TensorInfo).dataId) as Float32Array;
    const param = inputs.param as tf.TensorInfo;
    const out = momentumUpdate(
      read('param'),
      read('gradient'),
      read('accumulation'),
      read('momentum')[0],
      read('negLearningRate')[0],
      attrs as unknown as MomentumUpdateAttrs,
    );
    return [out.param, out.accumulation].map((values) =>
      cpu.makeTensorInfo([...param.shape], 'float32', values),
    );
  },
};

/**
 * Registers the fused optimizer kernels of `@slr/train` on `cpu`. Importing the package calls
 * it; calling it again is harmless.
 */
export function registerTrainCpuKernels(): void {
  for (const config of [adamUpdateCpu, momentumUpdateCpu]) {
    if (tf.getKernel(config.kernelName, config.backendName) == null) tf.registerKernel(config);
  }
}
