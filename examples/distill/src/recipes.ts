/**
 * The models, corpus and training budgets of the distillation experiment and of the
 * architecture comparison. The teacher sees the video and the signer's 2-D keypoints (the I3D
 * teacher's pose stream); the student, built to run in a browser, sees the video alone. Two
 * sizes: `small` (the default, for a 2-core CPU in about a
 * quarter of an hour) and `large` (for a GPU through the webgpu backend).
 */
import type * as tf from '@tensorflow/tfjs';
import type { SignBatch, SignCorpusOptions } from '@slr/data';
import type { SequenceModel } from '@slr/layers';
import { buildI3DTeacher, type I3DTeacherOptions } from '@slr/models-i3d';
import { buildMobileNetV3Student, type MobileNetV3StudentOptions } from '@slr/models-mobilenetv3';

/** The experiment's two sizes. */
export type ExperimentSize = 'small' | 'large';

/** How one model is trained: epochs, batch, Adam's peak rate, linear warmup then cosine decay. */
export interface TrainingBudget {
  epochs: number;
  batchSize: number;
  learningRate: number;
  warmupEpochs: number;
  clipNorm: number;
  /** Evaluate dev WER (greedy) every this many epochs, for the learning curves. */
  evalEvery: number;
  /**
   * Label smoothing ε of the CTC loss (`smoothedCtcLoss`; the teacher's budget only: a
   * distilled student's KL term already smooths). Unset: plain CTC.
   */
  labelSmoothing?: number;
}

/** Everything one experiment size fixes. */
export interface ExperimentConfig {
  size: ExperimentSize;
  /** The synthetic corpus (its seed is fixed: every run sees the same train, dev and test). */
  corpus: SignCorpusOptions & { trainSamples: number; devSamples: number; testSamples: number };
  video: { height: number; width: number; fps: number };
  /** The teacher's options, without `numClasses`, `inputShape` and `seed`. */
  teacher: Omit<I3DTeacherOptions, 'numClasses' | 'inputShape' | 'seed'>;
  /** The student's options, without `numClasses`, `inputShape` and `seed`. */
  student: Omit<MobileNetV3StudentOptions, 'numClasses' | 'inputShape' | 'seed'>;
  teacherBudget: TrainingBudget;
  /** Shared by the student from scratch and the distilled student: the same budget. */
  studentBudget: TrainingBudget;
  /**
   * Frame-level distillation (the `distilled` runs): `α·CTC + (1 − α)·τ²·KL`, with τ and α
   * chosen on the dev split among the settings `docs/distillation.md` lists.
   */
  distillation: DistillationSettings;
  /**
   * Frame-level distillation with the fixes the CSLR literature uses (the `vac` runs, after
   * VAC, Min et al. 2021): a high temperature, a large weight on the KL term (τ² · (1 − α) to
   * α) and the blank left out, so the KL term teaches which gloss rather than where the blanks
   * are.
   */
  vacDistillation: DistillationSettings;
  /** Beam width of the final evaluation. */
  beamWidth: number;
  /** Seed of the teacher (initialisation, dropout and batch order); trained once. */
  teacherSeed: number;
  /** Seeds of the student runs (initialisation, dropout and batch order), shared by every arm. */
  seeds: number[];
}

/** τ, α and whether the blank takes part in the KL term. */
export interface DistillationSettings {
  temperature: number;
  alpha: number;
  includeBlank: boolean;
}

/** The experiment sizes. */
export const EXPERIMENTS: Record<ExperimentSize, ExperimentConfig> = {
  small: {
    size: 'small',
    corpus: {
      seed: 7,
      glosses: 8,
      difficulty: 0,
      maxSentenceLength: 4,
      signers: 2,
      trainSamples: 96,
      devSamples: 32,
      testSamples: 32,
    },
    video: { height: 16, width: 16, fps: 16 },
    teacher: {
      widthMultiplier: 1 / 8,
      lstmUnits: 64,
      temporalStride: 4,
      dropout: 0.1,
      batchNormMomentum: 0.9,
      pose: { keypoints: 20, units: 64, layers: 1 },
      attentionHeads: 2,
      attentionKeyDim: 16,
    },
    student: {
      variant: 'small',
      widthMultiplier: 0.25,
      temporalHead: 'K3-P2',
      temporalChannels: 48,
      lstmUnits: 32,
      dropout: 0.1,
      batchNormMomentum: 0.3,
    },
    teacherBudget: {
      epochs: 40,
      batchSize: 4,
      learningRate: 3e-3,
      warmupEpochs: 1,
      clipNorm: 1,
      evalEvery: 2,
      labelSmoothing: 0.5,
    },
    studentBudget: {
      epochs: 10,
      batchSize: 4,
      learningRate: 3e-3,
      warmupEpochs: 1,
      clipNorm: 1,
      evalEvery: 2,
    },
    distillation: { temperature: 1, alpha: 0.2, includeBlank: true },
    vacDistillation: { temperature: 8, alpha: 0.5, includeBlank: false },
    beamWidth: 10,
    teacherSeed: 1,
    seeds: [1, 2, 3, 4, 5],
  },
  large: {
    size: 'large',
    corpus: {
      seed: 7,
      glosses: 40,
      difficulty: 0.5,
      trainSamples: 800,
      devSamples: 100,
      testSamples: 100,
    },
    video: { height: 64, width: 64, fps: 8 },
    teacher: {
      widthMultiplier: 0.5,
      lstmUnits: 128,
      temporalStride: 4,
      dropout: 0.2,
      batchNormMomentum: 0.9,
      pose: { keypoints: 20, units: 128, layers: 2 },
      attentionHeads: 4,
      attentionKeyDim: 32,
    },
    student: {
      variant: 'small',
      widthMultiplier: 0.5,
      temporalHead: 'K3-P2',
      temporalChannels: 128,
      lstmUnits: 64,
      dropout: 0.2,
      batchNormMomentum: 0.3,
    },
    teacherBudget: {
      epochs: 30,
      batchSize: 8,
      learningRate: 1e-3,
      warmupEpochs: 1,
      clipNorm: 1,
      evalEvery: 2,
      labelSmoothing: 0.5,
    },
    studentBudget: {
      epochs: 20,
      batchSize: 8,
      learningRate: 1e-3,
      warmupEpochs: 1,
      clipNorm: 1,
      evalEvery: 2,
    },
    distillation: { temperature: 1, alpha: 0.2, includeBlank: true },
    vacDistillation: { temperature: 8, alpha: 0.5, includeBlank: false },
    beamWidth: 10,
    teacherSeed: 1,
    seeds: [1, 2, 3, 4, 5],
  },
};

/**
 * Builds the experiment's teacher for `numClasses` classes, initialised from
 * `config.teacherSeed`.
 *
 * @example
 * ```ts
 * const teacher = buildTeacher(EXPERIMENTS.small, corpus.vocabulary.size);
 * ```
 */
export function buildTeacher(config: ExperimentConfig, numClasses: number): SequenceModel {
  const { height, width } = config.video;
  return buildI3DTeacher({
    ...config.teacher,
    numClasses,
    inputShape: [null, height, width, 3],
    seed: config.teacherSeed,
  });
}

/**
 * What a model's `apply` takes from a batch: the teacher with its pose stream gets the videos
 * and the keypoints, the student the videos alone.
 *
 * @example
 * ```ts
 * const inputs = modelInputs(EXPERIMENTS.small, 'teacher'); // its pose stream: videos and keypoints
 * const logProbs = teacher.apply(inputs(batch), false);
 * ```
 */
export function modelInputs(
  config: ExperimentConfig,
  model: 'teacher' | 'student',
): (batch: SignBatch) => tf.Tensor | tf.Tensor[] {
  if (model === 'teacher' && config.teacher.pose !== undefined) {
    return (batch) => {
      if (batch.keypoints === undefined)
        throw new Error(
          'The teacher has a pose stream: render the samples with keypoints (keypoints: true).',
        );
      return [batch.videos, batch.keypoints];
    };
  }
  return (batch) => batch.videos;
}

/**
 * Builds the experiment's student for `numClasses` classes, initialised from `seed`;
 * `variant` overrides the configured MobileNetV3 variant (the comparison builds both).
 *
 * @example
 * ```ts
 * const student = buildStudent(EXPERIMENTS.small, corpus.vocabulary.size, 1);
 * ```
 */
export function buildStudent(
  config: ExperimentConfig,
  numClasses: number,
  seed: number,
  variant = config.student.variant,
): SequenceModel {
  const { height, width } = config.video;
  return buildMobileNetV3Student({
    ...config.student,
    variant,
    numClasses,
    inputShape: [null, height, width, 3],
    seed,
  });
}

/**
 * Trainable parameters of a model.
 *
 * @example
 * ```ts
 * const corpus = generateSignCorpus(EXPERIMENTS.small.corpus);
 * const student = buildStudent(EXPERIMENTS.small, corpus.vocabulary.size, 1);
 * trainableParameters(student.model); // 122305
 * ```
 */
export function trainableParameters(model: SequenceModel['model']): number {
  return model.trainableWeights.reduce(
    (sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1),
    0,
  );
}
