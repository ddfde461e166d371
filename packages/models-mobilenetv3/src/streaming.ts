import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkInteger, checkOptions, describeValue } from '@slr/core';
import type { SequenceModel } from '@slr/layers';

/** The cell of a tfjs RNN layer (tfjs does not export its class). */
type RnnCell = tf.RNN['cell'];

const CREATE = 'createStreamingStudent';
const PUSH = 'StreamingStudent.push';
const NOT_A_STUDENT =
  'be a MobileNetV3 student (of buildMobileNetV3Student or wrapMobileNetV3Student)';

/** Options of {@link createStreamingStudent}. */
export interface StreamingStudentOptions {
  /**
   * Input frames per chunk: output comes out `chunkFrames / stride` frames at a time, once per
   * chunk. A positive multiple of the temporal head's stride (4 for `'K5-P2-K5-P2'`). Default
   * `4 × stride` (16 frames, 0.64 s at 25 fps, for the default head).
   */
  readonly chunkFrames?: number;
  /**
   * Input frames of future the backward direction of the bidirectional LSTM sees past the end
   * of each chunk: more is closer to the offline output and later. A multiple of the stride, at
   * least 0. Default `4 × stride` for a student with an LSTM; it must be 0 (its default) for one
   * without, whose streamed output is exact with no lookahead.
   */
  readonly lookahead?: number;
}

/**
 * A running stream of the student's inference, made by {@link createStreamingStudent}: frames in
 * (`push`), per-frame log-probabilities out as soon as they are final. It holds tensors between
 * calls: `flush()` or `reset()` frees them.
 */
export interface StreamingStudent {
  /** Input frames per output frame (the product of the temporal head's pooling strides). */
  readonly stride: number;
  /** Input frames per chunk (a multiple of `stride`). */
  readonly chunkFrames: number;
  /** Input frames of lookahead of the LSTM's backward direction (a multiple of `stride`). */
  readonly lookahead: number;
  /**
   * Input frames a stream needs before its first chunk comes out; each later chunk needs
   * `chunkFrames` more. The latency, in frames.
   */
  readonly framesToFirstChunk: number;
  /** Output classes V (the blank included). */
  readonly numClasses: number;
  /** Frames pushed since the stream began (the last `flush` or `reset`). */
  readonly framesPushed: number;
  /** Output frames emitted since the stream began. */
  readonly framesEmitted: number;
  /** Frames held in the stream's buffers now, summed over its stages (each at its own rate). */
  readonly bufferedFrames: number;
  /** The most frames the buffers can ever hold, however long the stream. */
  readonly maxBufferedFrames: number;
  /**
   * Takes the next frames `[t, H, W, C]` (float32, t ≥ 0, H, W and C those of the model) and
   * returns the log-probabilities `[t′, V]` of the output frames that became final, possibly
   * none (t′ = 0). The caller owns both tensors.
   */
  push(frames: tf.Tensor): tf.Tensor2D;
  /**
   * Ends the stream: returns the log-probabilities `[t′, V]` of every output frame not yet
   * emitted, then resets, so that the next `push` starts a new stream.
   */
  flush(): tf.Tensor2D;
  /** Drops the stream's state (and its tensors) without emitting anything. */
  reset(): void;
}

/**
 * Streaming inference of the MobileNetV3 student with bounded latency and a bounded cost per
 * frame: push frames as they arrive, get per-frame log-probabilities `[t′, V]` at the student's
 * output rate, ready for a streaming CTC decoder. The outputs of all `push` calls and the final
 * `flush` of a stream of T frames, concatenated, are `student.outputLengths([T])[0]` frames long.
 *
 * How it runs (inference mode, batch 1):
 * - the per-frame MobileNetV3 backbone runs once per pushed frame, on the frames of each `push`
 *   together (BatchNorm uses its moving statistics, so a frame's features do not depend on the
 *   others); the head then works on pooled features only;
 * - every temporal layer keeps only the frames its next output needs: a convolution of kernel k
 *   its last k − 1 inputs (a `'same'` one starts with its left zero padding and gets its right
 *   padding at `flush`), a max pooling the inputs of its next window, so its windows stay aligned
 *   with the offline pooling's; pointwise layers (BatchNorm, ReLU, dropout, dense, log-softmax)
 *   run on what comes;
 * - without an LSTM, output frames come out once per chunk and equal the offline output on the
 *   whole clip within float32 rounding, every frame of it;
 * - with the bidirectional LSTM, the forward direction's state is carried from chunk to chunk
 *   (exact: no left context needed), and the backward direction, which needs the future, runs
 *   over the chunk and `lookahead` frames past it from a zero state. Rather than re-running
 *   both directions over a window with left context (inexact forward, more work per chunk), this
 *   keeps the forward direction exact and costs `(chunk + lookahead) / chunk` backward steps per
 *   output frame. The last frames of a stream (those of `flush`) are exact; the others differ
 *   from the offline output as much as the backward LSTM still remembers of what lies past the
 *   lookahead, which decays with the lookahead (see the package README for measurements).
 *
 * Latency: the first chunk comes out once `framesToFirstChunk` frames have arrived (chunk +
 * lookahead + the head's receptive field − its stride), then one every `chunkFrames` frames.
 * Chunks lie on a fixed grid, so the output does not depend on how frames are split into `push`
 * calls. The buffers never hold more than `maxBufferedFrames` frames, so each frame costs the
 * same however long the stream runs. The student is not copied and not disposed by the stream.
 *
 * @example
 * ```ts
 * declare const camera: AsyncIterable<tf.Tensor4D>; // [t, 112, 112, 3] frames, scaled as in training
 * const stream = createStreamingStudent(student, { chunkFrames: 16, lookahead: 16 });
 * declare const decoder: { push(logProbs: tf.Tensor2D): void }; // a streaming CTC decoder
 * for await (const frames of camera) {
 *   const logProbs = stream.push(frames); // [t′, V], t′ a multiple of 16 / 4 (possibly 0)
 *   frames.dispose();
 *   decoder.push(logProbs);
 *   logProbs.dispose();
 * }
 * const last = stream.flush(); // the rest, exact; the stream is ready for a new clip
 * ```
 */
export function createStreamingStudent(
  student: SequenceModel,
  options?: StreamingStudentOptions,
): StreamingStudent {
  const model = (student as { model?: unknown } | null)?.model;
  if (!(model instanceof tf.LayersModel))
    throw new ArgumentError(CREATE, 'student', NOT_A_STUDENT, student);
  const plan = planStages(model, student);
  const { chunkFrames, lookahead } = checkStreamingOptions(options, plan);
  return new Stream(plan, chunkFrames, lookahead);
}

// ---------------------------------------------------------------------------------------------
// The model, taken apart.

/** What a layer of the head does along time. */
type HeadStep =
  | { kind: 'pointwise'; layer: tf.layers.Layer; channels: number }
  | {
      kind: 'conv';
      layer: tf.layers.Layer;
      kernel: number;
      left: number;
      right: number;
      channels: number;
    }
  | { kind: 'pool'; layer: tf.layers.Layer; size: number; stride: number; channels: number }
  | { kind: 'bilstm'; forward: RnnCell; backward: RnnCell; channels: number };

interface Plan {
  /** Frames `[1, t, H, W, C]` → pooled per-frame features `[t, C]`. */
  features: tf.LayersModel;
  /** `[H, W, C]` of a frame (null where the model takes any size). */
  frameShape: (number | null)[];
  featureChannels: number;
  steps: HeadStep[];
  stride: number;
  numClasses: number;
}

/** Classes of layers that act on each frame on its own (in inference). */
const POINTWISE = new Set([
  'BatchNormalization',
  'ReLU',
  'Activation',
  'Dense',
  'SlrLogSoftmax',
  'SlrHardSwish',
  'SlrHardSigmoid',
  'Softmax',
  'LeakyReLU',
  'ELU',
]);

function notAStudent(student: unknown, why: string): ArgumentError {
  return new ArgumentError(CREATE, 'student', NOT_A_STUDENT, student, { actualText: why });
}

function lastDim(shape: tf.Shape | tf.Shape[]): number {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
  return s[s.length - 1] as number;
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? (value[0] as unknown) : value;
}

/** Takes the student's model apart: the per-frame backbone as a model, the head as steps. */
function planStages(model: tf.LayersModel, student: unknown): Plan {
  const unfold = model.layers.filter((l) => l.getClassName() === 'SlrUnfoldTime');
  if (unfold.length !== 1 || model.inputs.length !== 1 || model.outputs.length !== 1)
    throw notAStudent(student, `a model without a single UnfoldTime layer ('${model.name}')`);
  const unfoldInputs = unfold[0].inboundNodes[0]?.inputTensors ?? [];
  if (unfoldInputs.length !== 2 || unfoldInputs[1] !== model.inputs[0])
    throw notAStudent(student, `'${unfold[0].name}' does not unfold the model's input`);
  const inputShape = model.inputs[0].shape;
  if (inputShape.length !== 5)
    throw notAStudent(student, `a model of input shape ${describeValue(inputShape)}`);
  const features = tf.model({ inputs: model.inputs[0], outputs: unfoldInputs[0] });

  // The head: a chain of layers from UnfoldTime's output to the model's output.
  const steps: HeadStep[] = [];
  let stride = 1;
  let current = unfold[0].inboundNodes[0].outputTensors[0];
  const output = model.outputs[0];
  while (current !== output) {
    const consumers = model.layers.filter((l) =>
      l.inboundNodes.some((node) => node.inputTensors.includes(current)),
    );
    if (consumers.length !== 1)
      throw notAStudent(student, `'${current.name}' feeds ${consumers.length} layers, not a chain`);
    const layer = consumers[0];
    const node = layer.inboundNodes.find((n) => n.inputTensors.includes(current))!;
    if (node.inputTensors.length !== 1)
      throw notAStudent(student, `'${layer.name}' takes ${node.inputTensors.length} inputs`);
    const className = layer.getClassName();
    const config = layer.getConfig();
    const channels = lastDim(node.outputTensors[0].shape);
    if (className === 'Conv1D') {
      const kernel = first(config.kernelSize) as number;
      if (
        first(config.strides) !== 1 ||
        first(config.dilationRate ?? 1) !== 1 ||
        config.padding === 'causal'
      )
        throw notAStudent(
          student,
          `'${layer.name}' is not a stride-1 undilated 'valid' or 'same' convolution`,
        );
      // tfjs pads a 'same' stride-1 convolution with floor((k − 1) / 2) zeros at the start.
      if (config.padding === 'same' && (config.activation ?? 'linear') !== 'linear')
        throw notAStudent(student, `'${layer.name}' is a 'same' convolution with an activation`);
      const left = config.padding === 'same' ? Math.floor((kernel - 1) / 2) : 0;
      const right = config.padding === 'same' ? kernel - 1 - left : 0;
      steps.push({ kind: 'conv', layer, kernel, left, right, channels });
    } else if (className === 'MaxPooling1D' || className === 'AveragePooling1D') {
      const size = first(config.poolSize) as number;
      const poolStride = (first(config.strides) as number | null) ?? size;
      if (config.padding !== 'valid')
        throw notAStudent(
          student,
          `'${layer.name}' pools with padding ${describeValue(config.padding)}`,
        );
      steps.push({ kind: 'pool', layer, size, stride: poolStride, channels });
      stride *= poolStride;
    } else if (className === 'Bidirectional') {
      steps.push(bidirectionalStep(layer, channels, student));
    } else if (POINTWISE.has(className) || /Dropout/.test(className)) {
      steps.push({ kind: 'pointwise', layer, channels });
    } else {
      throw notAStudent(student, `a layer '${layer.name}' of class ${className} in its head`);
    }
    current = node.outputTensors[0];
  }
  if (steps.filter((s) => s.kind === 'bilstm').length > 1)
    throw notAStudent(student, 'more than one bidirectional LSTM');
  const bilstmAt = steps.findIndex((s) => s.kind === 'bilstm');
  if (bilstmAt >= 0 && steps.slice(bilstmAt).some((s) => s.kind === 'conv' || s.kind === 'pool'))
    throw notAStudent(student, 'temporal layers after its LSTM');
  return {
    features,
    frameShape: inputShape.slice(2),
    featureChannels: lastDim(unfoldInputs[0].shape),
    steps,
    stride,
    numClasses: lastDim(output.shape),
  };
}

function bidirectionalStep(layer: tf.layers.Layer, channels: number, student: unknown): HeadStep {
  // tfjs keeps the two directions in fields its typings mark private.
  const { forwardLayer, backwardLayer } = layer as unknown as {
    forwardLayer?: tf.RNN;
    backwardLayer?: tf.RNN;
  };
  const config = layer.getConfig();
  const isLstm = (l: tf.RNN | undefined): l is tf.RNN =>
    l instanceof tf.RNN && l.getClassName() === 'LSTM' && l.getConfig().returnSequences === true;
  if (!isLstm(forwardLayer) || !isLstm(backwardLayer) || config.mergeMode !== 'concat')
    throw notAStudent(
      student,
      `'${layer.name}' is not a bidirectional LSTM of concatenated sequences`,
    );
  if (
    forwardLayer.getConfig().goBackwards === true ||
    backwardLayer.getConfig().goBackwards !== true
  )
    throw notAStudent(student, `'${layer.name}' has its directions the wrong way round`);
  return { kind: 'bilstm', forward: forwardLayer.cell, backward: backwardLayer.cell, channels };
}

function checkStreamingOptions(
  options: StreamingStudentOptions | undefined,
  plan: Plan,
): { chunkFrames: number; lookahead: number } {
  const { chunkFrames: chunk, lookahead: ahead } = checkOptions(CREATE, options);
  const { stride } = plan;
  const hasLstm = plan.steps.some((s) => s.kind === 'bilstm');
  const multiple = (name: string, value: number, min: number) => {
    checkInteger(CREATE, name, value, { min });
    if (value % stride !== 0) {
      throw new ArgumentError(
        CREATE,
        name,
        `be a multiple of ${stride}, the temporal head's stride`,
        value,
      );
    }
    return value;
  };
  const chunkFrames = multiple('options.chunkFrames', chunk ?? 4 * stride, 1);
  const lookahead = multiple('options.lookahead', ahead ?? (hasLstm ? 4 * stride : 0), 0);
  if (!hasLstm && lookahead !== 0) {
    throw new ArgumentError(
      CREATE,
      'options.lookahead',
      'be 0 for a student without an LSTM (its streamed output is exact without lookahead)',
      lookahead,
    );
  }
  return { chunkFrames, lookahead };
}

// ---------------------------------------------------------------------------------------------
// The stages: each takes frames [n, C] and returns the frames [m, C′] that became final, from a
// state it returns anew (so that a push that throws leaves the stream as it was).

/** A stage's state: buffered frames (null when none) and bookkeeping numbers. */
interface StageState {
  buffer: tf.Tensor2D | null;
  /** Inputs to drop before the next pooling window (pools whose stride exceeds their size). */
  skip: number;
  /** The LSTM's forward state (h, c), null before the first frame. */
  carried: tf.Tensor2D[] | null;
}

const EMPTY_STATE: StageState = { buffer: null, skip: 0, carried: null };

function rows(x: tf.Tensor2D | null): number {
  return x == null ? 0 : x.shape[0];
}

function concatRows(a: tf.Tensor2D | null, b: tf.Tensor2D): tf.Tensor2D {
  if (a == null || a.shape[0] === 0) return b;
  if (b.shape[0] === 0) return a;
  return tf.concat([a, b], 0);
}

/** Rows `[start, end)` of x, null when empty. */
function sliceRows(x: tf.Tensor2D, start: number, end = x.shape[0]): tf.Tensor2D | null {
  if (end <= start) return null;
  if (start === 0 && end === x.shape[0]) return x;
  return tf.slice(x, [start, 0], [end - start, -1]);
}

/** Runs a (built, stateless) layer on `[n, C]` as a batch of one sequence. */
function applyLayer(layer: tf.layers.Layer, x: tf.Tensor2D, channels: number): tf.Tensor2D {
  if (x.shape[0] === 0) return tf.zeros([0, channels]);
  const y = layer.apply(tf.expandDims(x, 0), { training: false }) as tf.Tensor;
  return tf.squeeze<tf.Tensor2D>(y, [0]);
}

/**
 * Steps an RNN cell over the rows of `xs` (last to first when `reverse`) from `initial` (zeros
 * when null), as tfjs's RNN layer does, and returns the per-row outputs in row order and the
 * final state.
 */
function runCell(
  cell: RnnCell,
  xs: tf.Tensor2D,
  initial: tf.Tensor2D[] | null,
  reverse: boolean,
): { outputs: tf.Tensor2D; state: tf.Tensor2D[] } {
  const sizes = Array.isArray(cell.stateSize) ? cell.stateSize : [cell.stateSize];
  let state = initial ?? sizes.map((size: number) => tf.zeros<tf.Rank.R2>([1, size]));
  const inputs = tf.split<tf.Tensor2D>(xs, xs.shape[0], 0);
  const outputs: tf.Tensor2D[] = new Array<tf.Tensor2D>(inputs.length);
  for (let step = 0; step < inputs.length; step++) {
    const t = reverse ? inputs.length - 1 - step : step;
    const result = cell.call([inputs[t], ...state], { training: false }) as tf.Tensor2D[];
    outputs[t] = result[0];
    state = result.slice(1);
  }
  return { outputs: tf.concat(outputs, 0), state };
}

interface Stage {
  /** Most frames its buffer ever holds. */
  readonly maxHeld: number;
  /** Inputs it needs for its first n outputs (n ≥ 1), from the start of a stream. */
  need(n: number): number;
  step(state: StageState, x: tf.Tensor2D, end: boolean): { out: tf.Tensor2D; state: StageState };
}

function pointwiseStage(layer: tf.layers.Layer, channels: number): Stage {
  return {
    maxHeld: 0,
    need: (n) => n,
    step: (state, x) => ({ out: applyLayer(layer, x, channels), state }),
  };
}

/**
 * The convolution's output on `x` without padding: the layer itself for a 'valid' one; for a
 * 'same' one (whose padding the stage adds), its kernel and bias as a 'valid' convolution.
 */
function convolve(s: Extract<HeadStep, { kind: 'conv' }>, x: tf.Tensor2D): tf.Tensor2D {
  if (s.left + s.right === 0) return applyLayer(s.layer, x, s.channels);
  const [kernel, bias] = s.layer.getWeights() as [tf.Tensor3D, tf.Tensor1D | undefined];
  const y = tf.squeeze<tf.Tensor2D>(
    tf.conv1d(tf.expandDims<tf.Tensor3D>(x, 0), kernel, 1, 'valid'),
    [0],
  );
  return bias == null ? y : tf.add(y, bias);
}

function convStage(s: Extract<HeadStep, { kind: 'conv' }>): Stage {
  const keep = s.kernel - 1;
  return {
    maxHeld: keep,
    need: (n) => n + s.kernel - 1 - s.left,
    step(state, x, end) {
      let buffer = state.buffer;
      // A stream's first frames come after the left zero padding of a 'same' convolution.
      if (buffer == null && s.left > 0) buffer = tf.zeros([s.left, x.shape[1]]);
      let all = concatRows(buffer, x);
      if (end && s.right > 0) all = concatRows(all, tf.zeros([s.right, x.shape[1]]));
      const out =
        all.shape[0] >= s.kernel ? convolve(s, all) : tf.zeros<tf.Rank.R2>([0, s.channels]);
      if (end) return { out, state: EMPTY_STATE };
      // Keep the last k − 1 frames (at least the left padding, before any frame came).
      return {
        out,
        state: { ...EMPTY_STATE, buffer: sliceRows(all, Math.max(0, all.shape[0] - keep)) },
      };
    },
  };
}

function poolStage(s: Extract<HeadStep, { kind: 'pool' }>): Stage {
  return {
    maxHeld: s.size - 1,
    need: (n) => (n - 1) * s.stride + s.size,
    step(state, x, end) {
      const dropped = Math.min(state.skip, x.shape[0]);
      const fresh = sliceRows(x, dropped);
      const all = fresh == null ? state.buffer : concatRows(state.buffer, fresh);
      const length = rows(all);
      const windows = length >= s.size ? Math.floor((length - s.size) / s.stride) + 1 : 0;
      const used = windows > 0 ? sliceRows(all!, 0, (windows - 1) * s.stride + s.size) : null;
      const out =
        used == null
          ? tf.zeros<tf.Rank.R2>([0, s.channels])
          : applyLayer(s.layer, used, s.channels);
      // A 'valid' pooling drops the incomplete window at the end.
      if (end) return { out, state: EMPTY_STATE };
      const next = windows * s.stride;
      return {
        out,
        state: {
          ...EMPTY_STATE,
          buffer: all == null ? null : sliceRows(all, Math.min(next, length)),
          skip: state.skip - dropped + Math.max(0, next - length),
        },
      };
    },
  };
}

/** Emits `chunk` frames at a time (the rest at the end); with `lstm`, runs the BiLSTM on them. */
function chunkStage(
  chunk: number,
  lookahead: number,
  lstm: Extract<HeadStep, { kind: 'bilstm' }> | null,
  inputChannels: number,
): Stage {
  const emit = (frames: tf.Tensor2D, carried: tf.Tensor2D[] | null, count: number) => {
    if (lstm == null) return { out: sliceRows(frames, 0, count)!, carried };
    const own = sliceRows(frames, 0, count)!;
    const forward = runCell(lstm.forward, own, carried, false);
    const backward = runCell(lstm.backward, frames, null, true);
    const out = tf.concat([forward.outputs, sliceRows(backward.outputs, 0, count)!], 1);
    return { out, carried: forward.state };
  };
  return {
    maxHeld: chunk + lookahead - 1,
    need: (n) => n,
    step(state, x, end) {
      const all = concatRows(state.buffer, x);
      const outs: tf.Tensor2D[] = [];
      let carried = state.carried;
      let at = 0;
      while (all.shape[0] - at >= chunk + lookahead) {
        const window = sliceRows(all, at, at + chunk + lookahead)!;
        const result = emit(window, carried, chunk);
        outs.push(result.out);
        carried = result.carried;
        at += chunk;
      }
      if (end && all.shape[0] > at) {
        // The backward direction starts at the true end of the stream, as offline: exact.
        const rest = sliceRows(all, at)!;
        outs.push(emit(rest, carried, rest.shape[0]).out);
        at = all.shape[0];
      }
      const channels = lstm == null ? inputChannels : lstm.channels;
      const out =
        outs.length === 0
          ? tf.zeros<tf.Rank.R2>([0, channels])
          : outs.length === 1
            ? outs[0]
            : tf.concat(outs, 0);
      if (end) return { out, state: EMPTY_STATE };
      return { out, state: { ...EMPTY_STATE, buffer: sliceRows(all, at), carried } };
    },
  };
}

/** The tensors a list of states holds. */
function tensorsOf(states: StageState[]): tf.Tensor[] {
  return states.flatMap((s) => [...(s.buffer == null ? [] : [s.buffer]), ...(s.carried ?? [])]);
}

// ---------------------------------------------------------------------------------------------

class Stream implements StreamingStudent {
  readonly stride: number;
  readonly numClasses: number;
  readonly framesToFirstChunk: number;
  readonly maxBufferedFrames: number;
  private readonly stages: Stage[];
  private states: StageState[];
  private pushed = 0;
  private emitted = 0;

  constructor(
    private readonly plan: Plan,
    readonly chunkFrames: number,
    readonly lookahead: number,
  ) {
    this.stride = plan.stride;
    this.numClasses = plan.numClasses;
    const chunk = chunkFrames / plan.stride;
    const ahead = lookahead / plan.stride;
    const stages: Stage[] = [];
    let channels = plan.featureChannels;
    let chunked = false;
    for (const s of plan.steps) {
      if (s.kind === 'pointwise') stages.push(pointwiseStage(s.layer, s.channels));
      else if (s.kind === 'conv') stages.push(convStage(s));
      else if (s.kind === 'pool') stages.push(poolStage(s));
      else {
        stages.push(chunkStage(chunk, ahead, s, channels));
        chunked = true;
      }
      channels = s.channels;
    }
    if (!chunked) stages.push(chunkStage(chunk, 0, null, channels));
    this.stages = stages;
    this.states = stages.map(() => EMPTY_STATE);
    // The first chunk needs chunk (+ lookahead) frames out of the last temporal layer.
    let needed = chunk + ahead;
    for (let i = stages.length - 1; i >= 0; i--) needed = stages[i].need(needed);
    this.framesToFirstChunk = needed;
    this.maxBufferedFrames = stages.reduce((sum, s) => sum + s.maxHeld, 0);
  }

  get framesPushed(): number {
    return this.pushed;
  }

  get framesEmitted(): number {
    return this.emitted;
  }

  get bufferedFrames(): number {
    return this.states.reduce((sum, s) => sum + rows(s.buffer), 0);
  }

  push(frames: tf.Tensor): tf.Tensor2D {
    this.checkFrames(frames);
    const count = frames.shape[0];
    const out = this.run(() => {
      if (count === 0) return tf.zeros<tf.Rank.R2>([0, this.plan.featureChannels]);
      const features = this.plan.features.apply(tf.expandDims(frames, 0), { training: false });
      return features as tf.Tensor2D;
    }, false);
    this.pushed += count;
    return out;
  }

  flush(): tf.Tensor2D {
    const out = this.run(() => tf.zeros<tf.Rank.R2>([0, this.plan.featureChannels]), true);
    this.reset();
    return out;
  }

  reset(): void {
    this.commit(this.stages.map(() => EMPTY_STATE));
    this.pushed = 0;
    this.emitted = 0;
  }

  /** Runs the stages on the features `input()` gives, then keeps their new states. */
  private run(input: () => tf.Tensor2D, end: boolean): tf.Tensor2D {
    const result = tf.tidy(() => {
      let x = input();
      const states: StageState[] = [];
      this.stages.forEach((stage, i) => {
        const next = stage.step(this.states[i], x, end);
        states.push(next.state);
        x = next.out;
      });
      return { out: x, states } as unknown as tf.TensorContainerObject;
    }) as unknown as { out: tf.Tensor2D; states: StageState[] };
    // The caller owns what is returned: never a tensor of a state (a buffer passed through).
    const held = new Set([...tensorsOf(this.states), ...tensorsOf(result.states)]);
    const out = held.has(result.out) ? tf.clone(result.out) : result.out;
    this.commit(result.states);
    this.emitted += out.shape[0];
    return out;
  }

  /** Replaces the states, disposing the tensors only the old ones held. */
  private commit(states: StageState[]): void {
    const kept = new Set(tensorsOf(states));
    for (const t of tensorsOf(this.states)) if (!kept.has(t)) t.dispose();
    this.states = states;
  }

  private checkFrames(frames: tf.Tensor): void {
    const expected = `[t, ${this.plan.frameShape.map((d) => d ?? '*').join(', ')}]`;
    if (!(frames instanceof tf.Tensor))
      throw new ArgumentError(PUSH, 'frames', `be a float32 tensor ${expected}`, frames);
    if (frames.isDisposed)
      throw new ArgumentError(PUSH, 'frames', 'be a live tensor', frames, {
        actualText: 'a disposed tensor',
      });
    const shape = frames.shape;
    if (
      frames.rank !== 4 ||
      this.plan.frameShape.some((d, i) => d != null && d !== shape[i + 1]) ||
      frames.dtype !== 'float32'
    ) {
      throw new ArgumentError(PUSH, 'frames', `be a float32 tensor ${expected}`, frames, {
        actualText: `a ${frames.dtype} tensor of shape ${describeValue(shape)}`,
      });
    }
  }
}
