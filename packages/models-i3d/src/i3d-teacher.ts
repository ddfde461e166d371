import * as tf from '@tensorflow/tfjs';
import {
  ArgumentError,
  checkBoolean,
  checkInteger,
  checkNumber,
  checkOptions,
  describeValue,
} from '@slr/core';
import type { Lengths } from '@slr/ctc';
import {
  bidirectionalLstm,
  CrossAttention,
  disposeOnError,
  Dropout,
  initializerSeed,
  LogSoftmax,
  seedSequence,
  type SequenceModel,
} from '@slr/layers';
import {
  BACKBONE_SEEDS,
  checkTemporalStride,
  outputLengthsFor,
  resolveBackboneOptions,
} from './backbone-options';
import { applyI3DBackbone, type I3DBackboneOptions, type I3DTemporalStride } from './i3d-backbone';
import { SpatialAveragePooling } from './spatial-average-pooling';

/**
 * The optional pose-keypoint stream of the teacher: per-frame keypoints `[B, T, K, channels]`
 * (x, y, and optionally a confidence), flattened per frame, projected by dense ReLU layers,
 * averaged down to the video's frame rate and fused into the video stream by cross-attention.
 */
export interface I3DPoseOptions {
  /** Keypoints per frame (K). */
  keypoints: number;
  /** Values per keypoint. Default 2 (x, y). */
  channels?: number;
  /** Width of the dense projection layers. Default 256. */
  units?: number;
  /** Number of dense projection layers. Default 2. */
  layers?: number;
}

/**
 * Options of {@link buildI3DTeacher}: the backbone's options (without its classification head)
 * and the sequence head's.
 */
export interface I3DTeacherOptions extends Omit<I3DBackboneOptions, 'logitsClasses'> {
  /** Output classes V, the CTC blank included (at least 2). */
  numClasses: number;
  /** Temporal downsampling, 4 or 8. Default 4 for the teacher (twice the frames for CTC). */
  temporalStride?: I3DTemporalStride;
  /** Enables the pose stream; `apply` then takes `[video, pose]`. Default: off. */
  pose?: I3DPoseOptions;
  /** Heads of the video ← pose cross-attention. Default 8. */
  attentionHeads?: number;
  /** Size of each attention head. Default 64. */
  attentionKeyDim?: number;
  /** Dropout on the attention weights, in training. Default 0. */
  attentionDropout?: number;
  /** Units of each direction of each bidirectional LSTM layer. Default 256. */
  lstmUnits?: number;
  /** Number of stacked bidirectional LSTM layers. Default 1. */
  lstmLayers?: number;
  /** Dropout before the classifier, in training. Default 0.3. */
  dropout?: number;
  /**
   * Base seed of everything random in the model (a safe integer): the backbone takes the first
   * 57 seeds (one per convolution), then the pose stream's dense layers one each, the
   * cross-attention five (four kernels and its dropout), each bidirectional LSTM four (two per
   * direction), the classifier one, and the dropout's masks the last (see `Dropout` of
   * `@slr/layers`; `train()` positions the masks by its own seed and step). Default: unseeded,
   * as tfjs and PyTorch.
   */
  seed?: number;
  /** Name of the model. Default `'i3d_teacher'`. */
  name?: string;
}

/** The I3D teacher as a {@link SequenceModel}, with what it was built with. */
export interface I3DTeacher extends SequenceModel {
  /** Frames in per frame out: `outputLengths([L])` is `[⌈L / temporalStride⌉]`. */
  readonly temporalStride: I3DTemporalStride;
  /** Output classes V (blank included). */
  readonly numClasses: number;
  /** Whether `apply` takes `[video, pose]` (true) or the video alone. */
  readonly usesPose: boolean;
}

/**
 * Builds the I3D teacher for continuous sign-language recognition: the I3D backbone with its
 * temporal resolution kept (spatial average per frame → `[B, T', C]`, T' = ⌈T / stride⌉),
 * optionally fused with a pose-keypoint stream by {@link CrossAttention} (video queries, pose
 * keys and values, residual), a bidirectional LSTM, dropout, a dense classifier to `numClasses`
 * and {@link LogSoftmax}: the model emits log-probabilities, never raw logits.
 *
 * `apply(inputs, training)` takes the video `[B, T, H, W, C]` (or `[video, pose]` with `pose`
 * `[B, T, K, 2]` when the pose stream is on) and returns time-major `[T', B, V]`;
 * `outputLengths` gives each clip's valid frames after downsampling. A clip padded to T frames
 * still mixes padding into its last frames through the temporal convolutions and the LSTM.
 *
 * Tiny configurations train in seconds on the CPU backend (for example width 1/8, 32×32, T 8–16).
 * Every option is checked before the first layer is built: a rejected build leaves no tensor
 * behind.
 *
 * @example
 * ```ts
 * const teacher = buildI3DTeacher({
 *   numClasses: 21, inputShape: [null, 32, 32, 3], widthMultiplier: 1 / 8, lstmUnits: 32,
 * });
 * const logProbs = teacher.apply(videos, true);              // [T', B, 21]
 * const loss = ctcLoss(logProbs, targets, teacher.outputLengths([16, 12]), targetLengths);
 * ```
 */
export function buildI3DTeacher(options: I3DTeacherOptions): I3DTeacher {
  const fn = 'buildI3DTeacher';
  // Every option is checked before the first layer is built.
  const { temporalStride, name, seed } = resolveBackboneOptions(fn, options, 4);
  const positiveInteger = (option: string, value: unknown) =>
    checkInteger(fn, `options.${option}`, value, { min: 1 });
  const numClasses = checkInteger(fn, 'options.numClasses', options.numClasses, { min: 2 });
  const dropout = checkNumber(fn, 'options.dropout', options.dropout ?? 0.3, {
    min: 0,
    max: 1,
    maxExclusive: true,
  });
  const attentionDropout = checkNumber(
    fn,
    'options.attentionDropout',
    options.attentionDropout ?? 0,
    { min: 0, max: 1, maxExclusive: true },
  );
  const attentionHeads = positiveInteger('attentionHeads', options.attentionHeads ?? 8);
  const attentionKeyDim = positiveInteger('attentionKeyDim', options.attentionKeyDim ?? 64);
  const lstmUnits = positiveInteger('lstmUnits', options.lstmUnits ?? 256);
  const lstmLayers = positiveInteger('lstmLayers', options.lstmLayers ?? 1);
  let pose: Required<I3DPoseOptions> | undefined;
  if (options.pose != null) {
    const given = checkOptions(fn, options.pose, 'options.pose');
    pose = {
      keypoints: positiveInteger('pose.keypoints', given.keypoints),
      channels: positiveInteger('pose.channels', given.channels ?? 2),
      units: positiveInteger('pose.units', given.units ?? 256),
      layers: positiveInteger('pose.layers', given.layers ?? 2),
    };
  }

  const seeds = seedSequence(fn, seed);
  const model = disposeOnError(() => {
    const video = tf.input({ shape: [...options.inputShape], name: 'video' });
    const { features } = applyI3DBackbone(video, {
      ...options,
      temporalStride,
      seed: seeds(BACKBONE_SEEDS),
    });
    let sequence = new SpatialAveragePooling({ name: 'spatial_mean' }).apply(
      features,
    ) as tf.SymbolicTensor; // [B, T', C]

    const inputs = [video];
    if (pose !== undefined) {
      const { keypoints, channels, units, layers } = pose;
      const poseInput = tf.input({
        shape: [options.inputShape[0], keypoints, channels],
        name: 'pose',
      });
      inputs.push(poseInput);
      let poseSequence = tf.layers
        .reshape({ targetShape: [-1, keypoints * channels], name: 'pose_flatten' })
        .apply(poseInput) as tf.SymbolicTensor;
      for (let i = 0; i < layers; i++) {
        poseSequence = tf.layers
          .dense({
            units,
            activation: 'relu',
            kernelInitializer: tf.initializers.glorotUniform({ seed: initializerSeed(seeds()) }),
            name: `pose_dense_${i + 1}`,
          })
          .apply(poseSequence) as tf.SymbolicTensor;
      }
      // The same frame arithmetic as the video stream: ⌈T / stride⌉ frames ('same' padding).
      poseSequence = tf.layers
        .averagePooling1d({
          poolSize: temporalStride,
          strides: temporalStride,
          padding: 'same',
          name: 'pose_temporal_pool',
        })
        .apply(poseSequence) as tf.SymbolicTensor;
      sequence = new CrossAttention({
        numHeads: attentionHeads,
        keyDim: attentionKeyDim,
        dropout: attentionDropout,
        residual: true,
        seed: seeds(5),
        name: 'video_pose_attention',
      }).apply([sequence, poseSequence]) as tf.SymbolicTensor;
    }

    for (let i = 0; i < lstmLayers; i++) {
      sequence = bidirectionalLstm({
        units: lstmUnits,
        seed: seeds(4),
        lstmName: `lstm_${i + 1}`,
        name: `bilstm_${i + 1}`,
      }).apply(sequence) as tf.SymbolicTensor;
    }
    const classifierSeed = seeds();
    if (dropout > 0) {
      sequence = new Dropout({ rate: dropout, seed: seeds(), name: 'dropout' }).apply(
        sequence,
      ) as tf.SymbolicTensor;
    }
    const logits = tf.layers
      .dense({
        units: numClasses,
        kernelInitializer: tf.initializers.glorotUniform({ seed: initializerSeed(classifierSeed) }),
        name: 'classifier',
      })
      .apply(sequence) as tf.SymbolicTensor;
    const logProbs = new LogSoftmax({ name: 'log_softmax' }).apply(logits) as tf.SymbolicTensor;
    return tf.model({ inputs, outputs: logProbs, name: name ?? 'i3d_teacher' });
  });
  return wrapTeacher(model, { temporalStride, numClasses, usesPose: pose !== undefined });
}

/**
 * Wraps an I3D teacher's `tf.LayersModel` (for example one loaded from disk) as an
 * {@link I3DTeacher}: `apply` transposes its batch-major log-probabilities to `[T', B, V]`.
 *
 * @example
 * ```ts
 * import { loadModel } from '@slr/layers/node';
 *
 * const loaded = await loadModel('checkpoints/teacher'); // saved with saveModel(teacher.model, …)
 * const teacher = wrapI3DTeacher(loaded, { temporalStride: 4 });
 * ```
 */
export function wrapI3DTeacher(
  model: tf.LayersModel,
  options: { temporalStride: I3DTemporalStride },
): I3DTeacher {
  const fn = 'wrapI3DTeacher';
  if (!(model instanceof tf.LayersModel))
    throw new ArgumentError(fn, 'model', 'be a tf.LayersModel', model);
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ArgumentError(fn, 'options', 'be an object', options);
  const temporalStride = checkTemporalStride(fn, 'options.temporalStride', options.temporalStride);
  const shapes = model.outputs.map((output) => output.shape);
  const numClasses = shapes.length === 1 && shapes[0].length === 3 ? shapes[0][2] : null;
  if (numClasses == null) {
    throw new ArgumentError(fn, 'model', "have one output [B, T', V] with a known V", model, {
      actualText: `a model with outputs of shapes ${shapes.map((shape) => describeValue(shape)).join(', ')}`,
    });
  }
  return wrapTeacher(model, {
    temporalStride,
    numClasses,
    usesPose: model.inputs.length === 2,
  });
}

const APPLY = 'I3DTeacher.apply';
const OUTPUT_LENGTHS = 'I3DTeacher.outputLengths';

function wrapTeacher(
  model: tf.LayersModel,
  info: { temporalStride: I3DTemporalStride; numClasses: number; usesPose: boolean },
): I3DTeacher {
  const expectedInputs = info.usesPose ? 2 : 1;
  return {
    model,
    ...info,
    apply(inputs: tf.Tensor | tf.Tensor[], training: boolean): tf.Tensor3D {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.length !== expectedInputs) {
        throw new ArgumentError(
          APPLY,
          'inputs',
          info.usesPose
            ? 'be [video, pose] (the teacher has a pose stream)'
            : 'be the video tensor alone (the teacher has no pose stream)',
          inputs,
          { actualText: `${list.length} tensor${list.length === 1 ? '' : 's'}` },
        );
      }
      if (!(list[0] instanceof tf.Tensor) || list[0].rank !== 5)
        throw new ArgumentError(APPLY, 'video', 'be a tensor [B, T, H, W, C]', list[0]);
      // A string such as 'false' would otherwise switch training mode on.
      checkBoolean(APPLY, 'training', training);
      return tf.tidy(() => {
        const output = model.apply(list.length === 1 ? list[0] : list, { training }) as tf.Tensor;
        return tf.transpose(output, [1, 0, 2]) as tf.Tensor3D;
      });
    },
    outputLengths(inputLengths: Lengths): number[] {
      return outputLengthsFor(OUTPUT_LENGTHS, inputLengths, info.temporalStride);
    },
  };
}
