import type { BackendValues, DataId, DataType, TensorInfo } from '@tensorflow/tfjs';

/** What the CPU kernels use of a backend: synchronous reads and tensor creation. */
interface SyncBackend {
  readSync(dataId: DataId): BackendValues;
  makeTensorInfo(shape: number[], dtype: DataType, values?: BackendValues): TensorInfo;
}

/** Reads a float32 tensor's values synchronously from the CPU backend (no copy). */
export function readFloats(backend: unknown, tensor: TensorInfo): Float32Array {
  return (backend as SyncBackend).readSync(tensor.dataId) as Float32Array;
}

/** Wraps float32 `values` into a new tensor owned by the CPU backend (no copy). */
export function makeFloats(backend: unknown, shape: number[], values: Float32Array): TensorInfo {
  return (backend as SyncBackend).makeTensorInfo(shape, 'float32', values);
}
