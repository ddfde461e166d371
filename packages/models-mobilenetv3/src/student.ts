import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkBoolean, checkInteger, checkNumber, describeValue } from '@slr/core';
import type { Lengths } from '@slr/ctc';
import {
  BatchNormalization,
  bidirectionalLstm,
  disposeOnError,
  Dropout,
  initializerSeed,
  inputLengthsArray,
  LogSoftmax,
  seedSequence,
  type SeedSequence,
  type SequenceModel,
} from '@slr/layers';
import type { MobileNetV3Variant } from './architecture';
import {
  applyMobileNetV3Features,
  checkFeatureOptions,
  checkImageShape,
  checkModelName,
} from './backbone';
import { parseTemporalHeadFor } from './temporal-head-parse';
import { temporalOutputLength, type TemporalHeadSpec, type TemporalOp } from './temporal-head';
import { FoldTime, UnfoldTime } from './time-folding';

/** Options of {@link buildMobileNetV3Student}. */
export interface MobileNetV3StudentOptions {
  /** Output classes V, the CTC blank included (e.g. 1,296 for PHOENIX-2014's 1,295 glosses). */
  readonly numClasses: number;
  /**
   * `[T, H, W, C]` of one video (C is 3 for RGB). T may be `null` for clips of any length (the
   * model then takes any T the temporal head leaves at least one frame of); H and W ≥ 32 keep
   * every stage of the backbone above 1×1.
   */
  readonly inputShape: readonly [number | null, number, number, number];
  /** MobileNetV3 `'large'` or `'small'` backbone. */
  readonly variant: MobileNetV3Variant;
  /** Width multiplier of the backbone (default 1). */
  readonly widthMultiplier?: number;
  /** Temporal head between the backbone and the LSTM (default `'K5-P2-K5-P2'`; `'none'` for none). */
  readonly temporalHead?: TemporalHeadSpec;
  /** Channels of the temporal convolutions (default 512). */
  readonly temporalChannels?: number;
  /** Units of each direction of the bidirectional LSTM (default 256; 0 leaves the LSTM out). */
  readonly lstmUnits?: number;
  /** Dropout before the output projection (default 0.1). */
  readonly dropout?: number;
  /**
   * Base seed of everything random in the model (a safe integer): each layer's initialisation
   * takes the next seeds (both LSTM directions their own), and the dropout's masks the last
   * (see `Dropout` of `@slr/layers`; `train()` positions them by its own seed and step).
   * Default: unseeded.
   */
  readonly seed?: number;
  /** BatchNorm momentum of the backbone, Keras-style (default 0.99, torchvision's `momentum=0.01`). */
  readonly batchNormMomentum?: number;
  /** Model name. */
  readonly name?: string;
}

/** The smallest T for which `temporalOutputLength(T, ops)` is at least 1. */
function minimumFrames(ops: TemporalOp[]): number {
  let t = 1;
  while (temporalOutputLength(t, ops) < 1) t++;
  return t;
}

/**
 * The MobileNetV3 student of a continuous sign-language recogniser: videos `[B, T, H, W, 3]` in,
 * per-frame gloss log-probabilities out.
 *
 * Inside (batch-major): time folded into the batch ({@link FoldTime}), the MobileNetV3 feature
 * extractor on every frame (BatchNorm statistics over all B·T frames), spatial global average
 * pooling, time unfolded ({@link UnfoldTime}) to `[B, T, C]`, the temporal head (`K<k>`: valid
 * Conv1D without bias → BatchNorm → ReLU; `P<p>`: MaxPool1D), a bidirectional LSTM (concatenated
 * directions), dropout, a dense projection to `numClasses` and {@link LogSoftmax}: `[B, T', V]`.
 *
 * The returned {@link SequenceModel}'s `apply(videos, training)` gives time-major `[T', B, V]`
 * log-probabilities for `ctcLoss`, and `outputLengths` the exact T' of each clip length.
 *
 * @example
 * ```ts
 * const student = buildMobileNetV3Student({
 *   variant: 'small',
 *   numClasses: 1296,
 *   inputShape: [null, 112, 112, 3],
 * });
 * // [T', B, 1296] with T' = floor((floor((T − 4) / 2) − 4) / 2) for the default K5-P2-K5-P2 head
 * const logProbs = student.apply(videos, true);
 * const loss = ctcLoss(logProbs, targets, student.outputLengths(inputLengths), targetLengths);
 * ```
 */
export function buildMobileNetV3Student(options: MobileNetV3StudentOptions): SequenceModel {
  const fn = 'buildMobileNetV3Student';
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ArgumentError(fn, 'options', 'be an object', options);
  const { numClasses, inputShape } = options;
  checkInteger(fn, 'options.numClasses', numClasses, { min: 2 });
  checkFeatureOptions(fn, options);
  const shapeRule =
    'be [T, H, W, C] of positive integers (T may be null for any length; H and W are known)';
  if (!Array.isArray(inputShape) || inputShape.length !== 4)
    throw new ArgumentError(fn, 'options.inputShape', shapeRule, inputShape);
  const [frames, ...imageShape] = inputShape;
  if (
    (frames !== null && !(Number.isInteger(frames) && frames > 0)) ||
    imageShape[0] == null ||
    imageShape[1] == null
  )
    throw new ArgumentError(fn, 'options.inputShape', shapeRule, inputShape);
  checkImageShape(fn, 'options.inputShape', imageShape, inputShape);
  const ops = parseTemporalHeadFor(
    fn,
    'options.temporalHead',
    options.temporalHead ?? 'K5-P2-K5-P2',
  );
  const minFrames = minimumFrames(ops);
  if (frames !== null && temporalOutputLength(frames, ops) < 1) {
    throw new ArgumentError(
      fn,
      'options.inputShape',
      `have T ≥ ${minFrames}: the temporal head leaves no frame of fewer`,
      inputShape,
      { actualText: `T = ${frames}` },
    );
  }
  const temporalChannels = checkInteger(
    fn,
    'options.temporalChannels',
    options.temporalChannels ?? 512,
    { min: 1 },
  );
  const lstmUnits = checkInteger(fn, 'options.lstmUnits', options.lstmUnits ?? 256, { min: 0 });
  const dropout = checkNumber(fn, 'options.dropout', options.dropout ?? 0.1, {
    min: 0,
    max: 1,
    maxExclusive: true,
  });
  checkModelName(fn, options.name);
  const seeds = seedSequence(fn, options.seed);
  // Every option is checked: now the layers, none of whose weights a failure leaves behind.
  const model = disposeOnError(() =>
    buildStudentModel(options, ops, {
      temporalChannels,
      lstmUnits,
      dropout,
      seeds,
    }),
  );
  return new MobileNetV3Student(model, ops, minFrames);
}

/** The student's layers and model, its options checked. */
function buildStudentModel(
  options: MobileNetV3StudentOptions,
  ops: TemporalOp[],
  checked: { temporalChannels: number; lstmUnits: number; dropout: number; seeds: SeedSequence },
): tf.LayersModel {
  const { inputShape, numClasses } = options;
  const { temporalChannels, lstmUnits, dropout, seeds } = checked;
  const videos = tf.input({ shape: [...inputShape], name: 'videos' });
  const folded = new FoldTime({ name: 'fold_time' }).apply(videos) as tf.SymbolicTensor;
  const { output: featureMaps } = applyMobileNetV3Features(folded, {
    variant: options.variant,
    widthMultiplier: options.widthMultiplier,
    seeds,
    batchNormMomentum: options.batchNormMomentum,
  });
  const pooled = tf.layers
    .globalAveragePooling2d({ name: 'spatial_pool' })
    .apply(featureMaps) as tf.SymbolicTensor;
  let x = new UnfoldTime({ name: 'unfold_time' }).apply([pooled, videos]) as tf.SymbolicTensor; // [B, T, C]

  ops.forEach((op, i) => {
    const name = `temporal${i + 1}`;
    if (op.type === 'conv') {
      x = tf.layers
        .conv1d({
          filters: temporalChannels,
          kernelSize: op.kernelSize,
          padding: op.padding ?? 'valid',
          useBias: false,
          kernelInitializer: tf.initializers.varianceScaling({
            scale: 2,
            mode: 'fanOut',
            distribution: 'normal',
            seed: initializerSeed(seeds()),
          }),
          name: `${name}_conv`,
        })
        .apply(x) as tf.SymbolicTensor;
      x = new BatchNormalization({ epsilon: 1e-5, momentum: 0.9, name: `${name}_bn` }).apply(
        x,
      ) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `${name}_relu` }).apply(x) as tf.SymbolicTensor;
    } else {
      x = tf.layers
        .maxPooling1d({
          poolSize: op.size,
          strides: op.stride ?? op.size,
          padding: 'valid',
          name: `${name}_pool`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
  });

  if (lstmUnits > 0) {
    // Four seeds: two per direction (tfjs's bidirectional clones one LSTM's seeds otherwise).
    x = bidirectionalLstm({ units: lstmUnits, seed: seeds(4), name: 'bilstm' }).apply(
      x,
    ) as tf.SymbolicTensor;
  }
  const classifierSeed = seeds();
  if (dropout > 0) {
    x = new Dropout({ rate: dropout, seed: seeds(), name: 'dropout' }).apply(
      x,
    ) as tf.SymbolicTensor;
  }
  x = tf.layers
    .dense({
      units: numClasses,
      kernelInitializer: tf.initializers.glorotUniform({ seed: initializerSeed(classifierSeed) }),
      name: 'classifier',
    })
    .apply(x) as tf.SymbolicTensor;
  const logProbs = new LogSoftmax({ name: 'log_softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({
    inputs: videos,
    outputs: logProbs,
    name: options.name ?? `mobilenet_v3_${options.variant}_student`,
  });
}

/**
 * Wraps a student model, for instance one loaded from a checkpoint with `tf.loadLayersModel`, as
 * the {@link SequenceModel} that {@link buildMobileNetV3Student} returns: `apply` transposes to
 * time-major `[T', B, V]`, and `outputLengths` follows the model's own Conv1D and MaxPooling1D
 * layers (their kernel sizes, padding, pool sizes and strides, in order).
 *
 * @example
 * ```ts
 * import { loadModel } from '@slr/layers/node';
 *
 * const student = wrapMobileNetV3Student(await loadModel('checkpoints/student'));
 * student.outputLengths([64, 50]); // [13, 9] for the default K5-P2-K5-P2 head
 * ```
 */
export function wrapMobileNetV3Student(model: tf.LayersModel): SequenceModel {
  const fn = 'wrapMobileNetV3Student';
  if (!(model instanceof tf.LayersModel))
    throw new ArgumentError(fn, 'model', 'be a tf.LayersModel', model);
  const ops: TemporalOp[] = [];
  for (const layer of model.layers) {
    const config = layer.getConfig();
    const first = (value: unknown) =>
      Array.isArray(value) ? (value[0] as number) : (value as number);
    if (layer.getClassName() === 'Conv1D') {
      if (first(config.strides) !== 1 || first(config.dilationRate ?? 1) !== 1) {
        throw new ArgumentError(
          fn,
          'model',
          `have temporal convolutions of stride 1 without dilation`,
          model,
          { actualText: `'${layer.name}' of stride ${describeValue(config.strides)}` },
        );
      }
      ops.push({
        type: 'conv',
        kernelSize: first(config.kernelSize),
        padding: config.padding as 'valid' | 'same',
      });
    } else if (layer.getClassName() === 'MaxPooling1D') {
      if (config.padding !== 'valid') {
        throw new ArgumentError(fn, 'model', "have temporal poolings with 'valid' padding", model, {
          actualText: `'${layer.name}' with padding ${describeValue(config.padding)}`,
        });
      }
      ops.push({
        type: 'pool',
        size: first(config.poolSize),
        stride: first(config.strides ?? config.poolSize),
      });
    }
  }
  return new MobileNetV3Student(model, ops, minimumFrames(ops));
}

const APPLY = 'MobileNetV3Student.apply';

class MobileNetV3Student implements SequenceModel {
  constructor(
    readonly model: tf.LayersModel,
    private readonly ops: TemporalOp[],
    private readonly minFrames: number,
  ) {}

  apply(inputs: tf.Tensor | tf.Tensor[], training: boolean): tf.Tensor3D {
    const videos = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!(videos instanceof tf.Tensor) || videos.rank !== 5)
      throw new ArgumentError(APPLY, 'videos', 'be a tensor [B, T, H, W, C]', videos);
    // A string such as 'false' would otherwise switch training mode on.
    checkBoolean(APPLY, 'training', training);
    const frames = (videos.shape as number[])[1];
    if (frames < this.minFrames) {
      throw new ArgumentError(
        APPLY,
        'videos',
        `have T ≥ ${this.minFrames} frames (the temporal head leaves none of fewer)`,
        videos,
        { actualText: `T = ${frames}` },
      );
    }
    return tf.tidy(() => {
      const batchMajor = this.model.apply(videos, { training }) as tf.Tensor3D; // [B, T', V]
      return tf.transpose(batchMajor, [1, 0, 2]);
    });
  }

  outputLengths(inputLengths: Lengths): number[] {
    return inputLengthsArray('MobileNetV3Student.outputLengths', inputLengths).map((length) =>
      temporalOutputLength(length, this.ops),
    );
  }
}
