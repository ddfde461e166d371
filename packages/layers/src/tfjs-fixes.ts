import * as tf from '@tensorflow/tfjs';

/**
 * Corrections to tfjs 4.22 that the `@slr` models need, applied when `@slr/layers` is imported.
 *
 * - `Unpack` (`tf.unstack`) gradient: tfjs hands a gradient function a bare tensor instead of a
 *   one-element array when an op has a single output, and the registered Unpack gradient then
 *   fails in `tf.stack` ("Argument tensors passed to stack must be a `Tensor[]`"). An unstack
 *   along an axis of length 1 does that — every RNN layer unstacks time, so an LSTM over a
 *   single frame could not be trained. The replacement accepts both forms.
 * - `AvgPool` and `AvgPool3D` (`tf.avgPool`, `tf.avgPool3d`, the average-pooling layers)
 *   gradients: the forward pass averages only the elements a window covers, leaving padding
 *   out of the count (TensorFlow's and PyTorch's `count_include_pad=False`), but tfjs's
 *   gradient kernels divide every window by its full size. Wherever a window overlaps padding
 *   ('same' when the size is not a multiple of the stride, or a numeric `pad`) the gradient
 *   was too small — the I3D teacher's pose stream pools time this way. The replacement divides
 *   by the count the forward pass used, on every backend; windows clear of padding (all of
 *   'valid') get tfjs's own gradient.
 * - `Maximum`, `Minimum`, `SquaredDifference` (`tf.maximum`, `tf.minimum`,
 *   `tf.squaredDifference`) and `Prelu` (`tf.prelu`, input `x`) gradients: tfjs returns them in
 *   the broadcast output's shape, so differentiating with respect to an input that was
 *   broadcast (`tf.maximum(x, 0)` with a variable floor, a scalar, `[C]` against `[N, C]`)
 *   failed ("The gradient of input 'b' has shape '2,3', which does not match…"). The
 *   replacements compute tfjs's own expressions — ties go to `a` as in tfjs (`a >= b` for
 *   Maximum, `a <= b` for Minimum; PyTorch splits them), NaN gives neither input a gradient —
 *   and sum over the broadcast axes as tfjs's `Add` gradient does; unbroadcast inputs get
 *   tfjs's values bit for bit.
 *
 * @example
 * ```ts
 * applyTfjsFixes(); // idempotent; importing '@slr/layers' already did it
 * ```
 */
export function applyTfjsFixes(): void {
  tf.registerGradient({
    kernelName: tf.Unpack,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const { axis } = attrs as unknown as { axis: number };
      const parts = Array.isArray(dy) ? dy : [dy];
      return { value: () => tf.stack(parts, axis) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Maximum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [a, b] = saved;
      const gradient = Array.isArray(dy) ? dy[0] : dy;
      return {
        a: () => unbroadcast(tf.mul(gradient, tf.cast(tf.greaterEqual(a, b), 'float32')), a.shape),
        b: () => unbroadcast(tf.mul(gradient, tf.cast(tf.less(a, b), 'float32')), b.shape),
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.Minimum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [a, b] = saved;
      const gradient = Array.isArray(dy) ? dy[0] : dy;
      return {
        a: () => unbroadcast(tf.mul(gradient, tf.cast(tf.lessEqual(a, b), 'float32')), a.shape),
        b: () => unbroadcast(tf.mul(gradient, tf.cast(tf.greater(a, b), 'float32')), b.shape),
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.SquaredDifference,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [a, b] = saved;
      const gradient = Array.isArray(dy) ? dy[0] : dy;
      return {
        a: () => unbroadcast(tf.mul(gradient, tf.mul(tf.scalar(2), tf.sub(a, b))), a.shape),
        b: () => unbroadcast(tf.mul(gradient, tf.mul(tf.scalar(2), tf.sub(b, a))), b.shape),
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.Prelu,
    inputsToSave: ['x', 'alpha'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [x, alpha] = saved;
      const gradient = Array.isArray(dy) ? dy[0] : dy;
      const mask = tf.greater(x, 0);
      return {
        x: () => unbroadcast(tf.where(mask, gradient, tf.mul(gradient, alpha)), x.shape),
        alpha: () =>
          unbroadcast(tf.where(mask, tf.zerosLike(gradient), tf.mul(gradient, x)), alpha.shape),
      };
    },
  });
  for (const kernelName of [tf.AvgPool, tf.AvgPool3D]) {
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
        const [x] = saved;
        const gradient = Array.isArray(dy) ? dy[0] : dy;
        return { x: () => avgPoolGradient(gradient, x, attrs as unknown as PoolAttrs) };
      },
    });
  }
}

/**
 * `gradient` (in a broadcast output's shape) summed over the axes along which an input of
 * `shape` was broadcast, then given that shape — tfjs's `Add` gradient, except that an axis of
 * size 1 broadcast to size 0 gets zeros instead of failing in the reshape.
 */
function unbroadcast(gradient: tf.Tensor, shape: number[]): tf.Tensor {
  // Sums of nothing are 0: no need to ask a backend to reduce an empty tensor.
  if (gradient.size === 0) return tf.zeros(shape, gradient.dtype);
  const out = gradient.shape;
  const axes: number[] = [];
  for (let axis = 0; axis < out.length; axis++) {
    const inputAxis = axis - (out.length - shape.length);
    if (inputAxis < 0 || (shape[inputAxis] === 1 && out[axis] !== 1)) axes.push(axis);
  }
  return tf.reshape(axes.length > 0 ? tf.sum(gradient, axes) : gradient, shape);
}

/** The attributes of the `AvgPool` and `AvgPool3D` kernels (channels last). */
interface PoolAttrs {
  filterSize: number | number[];
  strides: number | number[];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** One spatial axis of a pooling, as the forward kernels see it. */
interface PoolAxis {
  size: number;
  filter: number;
  stride: number;
  /** Padding before the first element (may be negative: tfjs's 3-D 'same' with stride > filter). */
  before: number;
  out: number;
}

/** The pooling's spatial axes, from the same geometry functions as tfjs's forward kernels. */
function poolAxes(x: tf.Tensor, attrs: PoolAttrs): PoolAxis[] {
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const axis = (size: number, filter: number, stride: number, before: number, out: number) => ({
    size,
    filter,
    stride,
    before,
    out,
  });
  if (x.rank === 5) {
    const i = tf.backend_util.computePool3DInfo(
      x.shape as [number, number, number, number, number],
      filterSize as number | [number, number, number],
      strides as number | [number, number, number],
      1,
      pad as 'valid' | 'same' | number,
      dimRoundingMode,
    );
    const p = i.padInfo;
    return [
      axis(i.inDepth, i.effectiveFilterDepth, i.strideDepth, p.front, i.outDepth),
      axis(i.inHeight, i.effectiveFilterHeight, i.strideHeight, p.top, i.outHeight),
      axis(i.inWidth, i.effectiveFilterWidth, i.strideWidth, p.left, i.outWidth),
    ];
  }
  const i = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize as number | [number, number],
    strides as number | [number, number],
    1,
    pad,
    dimRoundingMode,
  );
  const p = i.padInfo;
  return [
    axis(i.inHeight, i.effectiveFilterHeight, i.strideHeight, p.top, i.outHeight),
    axis(i.inWidth, i.effectiveFilterWidth, i.strideWidth, p.left, i.outWidth),
  ];
}

/**
 * d(sum(avgPool(x) · dy)) / dx with each window divided by the elements it covers.
 *
 * Pads the gradient's domain so that every window lies inside it: along an axis of `out`
 * windows that is L = (out − 1)·stride + filter, where a 'valid' pooling has exactly `out`
 * windows, all full: there tfjs's own 'valid' gradient kernel is exact, and it means the same on
 * every backend (a 'same' one does not: TensorFlow's native kernel already divides by the
 * covered count). So dy is scaled by filterSize / count per window, the 'valid' kernel run over
 * the padded domain, and the input's part cut out.
 */
function avgPoolGradient(dy: tf.Tensor, x: tf.Tensor, attrs: PoolAttrs): tf.Tensor {
  const axes = poolAxes(x, attrs);
  if (axes.some((axis) => axis.out === 0)) return tf.zerosLike(x);
  const ratios = axes.map(({ size, filter, stride, before, out }) =>
    Array.from({ length: out }, (_, o) => {
      const start = o * stride - before;
      const count = Math.min(size, start + filter) - Math.max(0, start);
      return count > 0 ? filter / count : 0; // a window wholly in the padding reads no input
    }),
  );
  const scaled = ratios.every((ratio) => ratio.every((r) => r === 1))
    ? dy
    : tf.mul(dy, windowScale(ratios));

  const spans = axes.map(({ filter, stride, out }) => (out - 1) * stride + filter);
  const padded = axes.some((axis, i) => axis.before !== 0 || spans[i] !== axis.size);
  const [batch, channels] = [x.shape[0], x.shape[x.rank - 1]];
  // The kernel reads only its `input`'s shape.
  const domain = padded ? tf.zeros([batch, ...spans, channels]) : x;
  const kernel = x.rank === 5 ? tf.AvgPool3DGrad : tf.AvgPoolGrad;
  const grad = tf
    .engine()
    .runKernel<tf.Tensor>(
      kernel,
      { dy: scaled, input: domain },
      { filterSize: attrs.filterSize, strides: attrs.strides, pad: 'valid' },
    );
  if (!padded) return grad;

  // Input element i sits at i + before in the domain; elements outside it get no gradient.
  const begin = axes.map((axis) => Math.max(0, axis.before));
  const end = axes.map((axis, i) => Math.min(spans[i], axis.before + axis.size));
  if (axes.some((_, i) => end[i] <= begin[i])) return tf.zerosLike(x);
  const inside = tf.slice(
    grad,
    [0, ...begin, 0],
    [batch, ...end.map((e, i) => e - begin[i]), channels],
  );
  const leading = axes.map((axis) => Math.max(0, -axis.before));
  return tf.pad(inside, [
    [0, 0],
    ...axes.map((axis, i): [number, number] => [
      leading[i],
      axis.size - leading[i] - (end[i] - begin[i]),
    ]),
    [0, 0],
  ]);
}

/** The outer product of per-axis ratios, shaped [1, ...out, 1] to broadcast over dy. */
function windowScale(ratios: number[][]): tf.Tensor {
  let values = [1];
  for (const ratio of ratios) values = values.flatMap((v) => ratio.map((r) => v * r));
  return tf.tensor(values, [1, ...ratios.map((ratio) => ratio.length), 1], 'float32');
}

applyTfjsFixes();
