/**
 * WGSL log-softmax over the last axis and its gradient: one workgroup per row, reductions in
 * workgroup memory, one dispatch per pass (tfjs's own logSoftmax is six kernels forward and
 * four backward).
 */
import type { WebGpuProgram } from './webgpu-program';

const SIZE = 256;

/** Index of this workgroup's row, also when the backend spread the dispatch over y and z. */
const ROW = `
var<workgroup> partial : array<f32, ${SIZE}>;

fn rowIndex() -> i32 {
  return i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y + workgroupId.y * numWorkgroups.x + workgroupId.x);
}

fn reduceMax(value : f32, lid : i32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var width = ${SIZE / 2}; width > 0; width = width / 2) {
    if (lid < width) { partial[lid] = max(partial[lid], partial[lid + width]); }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}

fn reduceSum(value : f32, lid : i32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var width = ${SIZE / 2}; width > 0; width = width / 2) {
    if (lid < width) { partial[lid] = partial[lid] + partial[lid + width]; }
    workgroupBarrier();
  }
  let result = partial[0];
  workgroupBarrier();
  return result;
}
`;

abstract class RowProgram implements WebGpuProgram {
  outputShape: number[];
  abstract shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  abstract variableNames: string[];
  uniforms = 'rows : i32, classes : i32,';
  workgroupSize: [number, number, number] = [SIZE, 1, 1];

  constructor(rows: number, classes: number) {
    this.outputShape = [rows * classes];
    this.dispatch = [rows, 1, 1];
  }

  abstract getUserCode(): string;
}

/** `logProbs = x - max - log Σ exp(x - max)` per row of `[rows, classes]`. */
export class LogSoftmaxProgram extends RowProgram {
  shaderKey = 'slr_log_softmax';
  variableNames = ['x'];

  getUserCode(): string {
    return `${ROW}
fn main(index : i32) {
  let row = rowIndex();
  let lid = i32(localId.x);
  let start = row * uniforms.classes;
  var largest = -uniforms.INFINITY;
  for (var k = lid; k < uniforms.classes; k += ${SIZE}) { largest = max(largest, x[start + k]); }
  largest = reduceMax(largest, lid);
  var total = 0.0;
  for (var k = lid; k < uniforms.classes; k += ${SIZE}) { total += exp(x[start + k] - largest); }
  total = reduceSum(total, lid);
  let normaliser = largest + log(total);
  if (row < uniforms.rows) {
    for (var k = lid; k < uniforms.classes; k += ${SIZE}) { result[start + k] = x[start + k] - normaliser; }
  }
}
`;
  }
}

/** `dx = dy - exp(logProbs) · Σ dy` per row. */
export class LogSoftmaxGradProgram extends RowProgram {
  shaderKey = 'slr_log_softmax_grad';
  variableNames = ['dy', 'logProbs'];

  getUserCode(): string {
    return `${ROW}
fn main(index : i32) {
  let row = rowIndex();
  let lid = i32(localId.x);
  let start = row * uniforms.classes;
  var total = 0.0;
  for (var k = lid; k < uniforms.classes; k += ${SIZE}) { total += dy[start + k]; }
  total = reduceSum(total, lid);
  if (row < uniforms.rows) {
    for (var k = lid; k < uniforms.classes; k += ${SIZE}) {
      result[start + k] = dy[start + k] - exp(logProbs[start + k]) * total;
    }
  }
}
`;
  }
}
