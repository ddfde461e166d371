/**
 * Batch normalisation over the rows of a row-major `[rows, channels]` float32 matrix: the plain
 * loops behind the `cpu` kernels, summing in float64.
 */

/** What {@link batchNormForward} returns. */
export interface BatchNormForward {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  invStd: Float32Array;
}

/**
 * Per-channel mean and biased variance (two passes: the mean, then the squared deviations from
 * it, as `tf.moments`), then `y = (x − mean) · invStd · gamma + beta` in a third pass.
 */
export function batchNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  rows: number,
  channels: number,
  epsilon: number,
): BatchNormForward {
  const sum = new Float64Array(channels);
  for (let r = 0, base = 0; r < rows; r++, base += channels) {
    for (let c = 0; c < channels; c++) sum[c] += x[base + c];
  }
  const mean64 = new Float64Array(channels);
  for (let c = 0; c < channels; c++) mean64[c] = sum[c] / rows;
  const squares = new Float64Array(channels);
  for (let r = 0, base = 0; r < rows; r++, base += channels) {
    for (let c = 0; c < channels; c++) {
      const d = x[base + c] - mean64[c];
      squares[c] += d * d;
    }
  }
  const mean = new Float32Array(channels);
  const variance = new Float32Array(channels);
  const invStd = new Float32Array(channels);
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const v = squares[c] / rows;
    mean[c] = mean64[c];
    variance[c] = v;
    const inv = 1 / Math.sqrt(v + epsilon);
    invStd[c] = inv;
    scale[c] = inv * gamma[c];
    shift[c] = beta[c] - mean64[c] * scale[c];
  }
  const y = new Float32Array(rows * channels);
  for (let r = 0, base = 0; r < rows; r++, base += channels) {
    for (let c = 0; c < channels; c++) y[base + c] = x[base + c] * scale[c] + shift[c];
  }
  return { y, mean, variance, invStd };
}

/** What {@link batchNormBackward} returns. */
export interface BatchNormBackward {
  dx: Float32Array;
  dGamma: Float32Array;
  dBeta: Float32Array;
}

/**
 * Gradients of {@link batchNormForward} (statistics included): one pass for the per-channel
 * sums `Σ dy` and `Σ dy · (x − mean)`, one for
 * `dx = gamma · invStd · (dy − Σdy/n − x̂ · Σ(dy · x̂)/n) + dMean/n + dVariance · 2(x − mean)/n`.
 */
export function batchNormBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
  dMean: Float32Array,
  dVariance: Float32Array,
  rows: number,
  channels: number,
): BatchNormBackward {
  const sumDy = new Float64Array(channels);
  const sumDyCentered = new Float64Array(channels);
  for (let r = 0, base = 0; r < rows; r++, base += channels) {
    for (let c = 0; c < channels; c++) {
      const g = dy[base + c];
      sumDy[c] += g;
      sumDyCentered[c] += g * (x[base + c] - mean[c]);
    }
  }
  const dGamma = new Float32Array(channels);
  const dBeta = new Float32Array(channels);
  // dx = a · dy + b · (x − mean) + k, per channel.
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  const k = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const inv = invStd[c];
    const dg = sumDyCentered[c] * inv;
    dGamma[c] = dg;
    dBeta[c] = sumDy[c];
    a[c] = gamma[c] * inv;
    b[c] = (-a[c] * inv * dg + 2 * dVariance[c]) / rows;
    k[c] = (-a[c] * sumDy[c] + dMean[c]) / rows;
  }
  const dx = new Float32Array(rows * channels);
  for (let r = 0, base = 0; r < rows; r++, base += channels) {
    for (let c = 0; c < channels; c++) {
      const i = base + c;
      dx[i] = a[c] * dy[i] + b[c] * (x[i] - mean[c]) + k[c];
    }
  }
  return { dx, dGamma, dBeta };
}
