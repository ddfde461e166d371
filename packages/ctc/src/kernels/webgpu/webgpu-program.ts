/**
 * The part of tfjs-backend-webgpu's program contract that `@slr` kernels use, so that the
 * package needs no runtime import of the WebGPU backend: a kernel receives the backend object
 * and hands it a program; the backend writes the WGSL header (bindings, uniforms, helpers
 * such as `workgroupId`, `localId`, `uniforms.INFINITY`) and compiles `getUserCode()` after it.
 */
import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs';

/** A compute program as tfjs-backend-webgpu 4.22 runs it. */
export interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  workgroupSize: [number, number, number];
  size?: boolean;
  getUserCode(): string;
}

/** A uniform value appended after the backend's own (shapes, strides). */
export interface ProgramUniform {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** The WebGPU backend's entry point for running a program. */
interface WebGpuBackendLike {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: TensorInfo[],
    outputDtype: DataType,
    uniforms?: ProgramUniform[],
  ): TensorInfo;
}

/**
 * Runs `program` on the WebGPU backend `backend` and returns its output tensor. `uniforms` are
 * the values of the program's own `uniforms` declaration, in order (the kernels of this folder
 * show its use).
 */
export function runProgram(
  backend: KernelBackend,
  program: WebGpuProgram,
  inputs: TensorInfo[],
  outputDtype: DataType,
  uniforms: ProgramUniform[],
): TensorInfo {
  return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(
    program,
    inputs,
    outputDtype,
    uniforms,
  );
}

/** Largest workgroup size the kernels use (WebGPU's default limit is 256 invocations). */
export const MAX_WORKGROUP_SIZE = 256;

/** A workgroup size for `items` parallel items: the next power of two, between 32 and 256. */
export function workgroupSizeFor(items: number): number {
  let size = 32;
  while (size < items && size < MAX_WORKGROUP_SIZE) size *= 2;
  return size;
}
