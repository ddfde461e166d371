/**
 * The model-running part of the app, in one place: the trained student, run as a stream
 * (`createStreamingStudent` of `@slr/models-mobilenetv3`). Frames `[t, H, W, 3]` in, the
 * log-probabilities `[t′, V]` of the output frames that became final out; `flush` at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { createStreamingStudent, wrapMobileNetV3Student } from '@slr/models-mobilenetv3';

/** How the student runs; both in input frames, multiples of the head's stride. */
export interface StudentStreamOptions {
  /** Frames per chunk (output comes once a chunk). Default 2 × the stride. */
  chunkFrames?: number;
  /** Frames of lookahead of the LSTM's backward direction. Default 2 × the stride (0 without an LSTM). */
  lookahead?: number;
}

/** A running stream of the student (see `createStreamingStudent`), with plain arrays out. */
export interface StudentStream {
  /** V, the blank included. */
  readonly classes: number;
  /** Input frames per output frame. */
  readonly stride: number;
  /** Input frames a stream needs before its first output (the latency, in frames). */
  readonly framesToFirstChunk: number;
  /** `[H, W]` of a frame. */
  readonly frameSize: [number, number];
  /** Takes frames `[t, H, W, 3]`; returns the newly final log-probabilities, `t′ × V` values. */
  push(frames: tf.Tensor4D): Promise<Float32Array>;
  /** Ends the stream: the rest of the log-probabilities; the next push starts a new stream. */
  flush(): Promise<Float32Array>;
  /** Drops the stream's state. */
  reset(): void;
  /**
   * Runs the model once on blank frames and drops the result, so that the first real frames do
   * not pay for compiling the backend's kernels (WebGL and WebGPU shaders, WASM set-up).
   */
  warmUp(): Promise<void>;
}

async function take(logProbs: tf.Tensor2D): Promise<Float32Array> {
  try {
    return (await logProbs.data()) as Float32Array;
  } finally {
    logProbs.dispose();
  }
}

/** The student `model` (a loaded MobileNetV3 student) as a {@link StudentStream}. */
export function createStudentStream(
  model: tf.LayersModel,
  options: StudentStreamOptions = {},
): StudentStream {
  const student = wrapMobileNetV3Student(model);
  // The defaults' stream says the stride, and whether there is an LSTM (a lookahead).
  const probe = createStreamingStudent(student);
  const { stride } = probe;
  const stream = createStreamingStudent(student, {
    chunkFrames: options.chunkFrames ?? 2 * stride,
    lookahead: options.lookahead ?? (probe.lookahead > 0 ? 2 * stride : 0),
  });
  const shape = model.inputs[0].shape;
  return {
    classes: stream.numClasses,
    stride,
    framesToFirstChunk: stream.framesToFirstChunk,
    frameSize: [shape[2] as number, shape[3] as number],
    push: (frames) => take(stream.push(frames)),
    flush: () => take(stream.flush()),
    reset: () => stream.reset(),
    async warmUp() {
      stream.reset();
      const blank = tf.zeros([
        stream.framesToFirstChunk + stride,
        shape[2] as number,
        shape[3] as number,
        3,
      ]);
      try {
        await take(stream.push(blank));
        await take(stream.flush());
      } finally {
        blank.dispose();
        stream.reset();
      }
    },
  };
}
