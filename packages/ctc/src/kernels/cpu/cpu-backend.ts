import type { BackendValues, DataId, DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs';

/** What the CPU kernels use of a backend: synchronous reads and tensor creation. */
export interface SyncBackend {
  readSync(dataId: DataId): BackendValues;
  makeTensorInfo(shape: number[], dtype: DataType, values?: BackendValues): TensorInfo;
}

/** Reads a tensor's values synchronously from the CPU backend (no copy). */
export function readValues<T extends BackendValues>(backend: KernelBackend, tensor: TensorInfo): T {
  return (backend as unknown as SyncBackend).readSync(tensor.dataId) as T;
}

/** Wraps `values` into a new tensor owned by the CPU backend (no copy). */
export function makeTensor(
  backend: KernelBackend,
  shape: number[],
  dtype: DataType,
  values: BackendValues,
): TensorInfo {
  return (backend as unknown as SyncBackend).makeTensorInfo(shape, dtype, values);
}
