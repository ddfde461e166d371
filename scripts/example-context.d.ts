/**
 * The inputs that the `@example` blocks of the doc comments take as given, with their types, so
 * that `scripts/check-examples.ts` can type-check every example as a reader would run it. An
 * example uses these names without declaring them; anything else it needs, it declares or
 * builds itself. Keep each name's type the one a reader would expect from its name.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NGramLanguageModel } from '@slr/ctc';
import type { SignBatch, SignSample, SyntheticSignCorpus } from '@slr/data';
import type { SequenceModel } from '@slr/layers';
import type { SoftTargets, TrainOptions } from '@slr/train';
// The examples are private packages nothing depends on: the types of their inputs come by path.
// eslint-disable-next-line import-x/no-relative-packages
import type { ExperimentConfig, ExperimentSize } from '../examples/distill/src/recipes';
// eslint-disable-next-line import-x/no-relative-packages
import type { OverfitRecipe } from '../examples/overfit/src/overfit';

declare global {
  // Shared by several packages.
  /** Per-frame log-probabilities, time-major `[T, B, V]`. */
  const logProbs: tf.Tensor3D;
  /** Per-frame scores before log-softmax, time-major `[T, B, V]`. */
  const logits: tf.Tensor3D;
  /** Padded targets `[B, S]` (int32, padding -1). */
  const targets: tf.Tensor2D;
  /** Frames per sample. */
  const inputLengths: number[];
  /** Targets per sample. */
  const targetLengths: number[];
  /** A batch of padded videos `[B, T, H, W, 3]`. */
  const videos: tf.Tensor5D;
  /** A sequence model (the teacher or the student). */
  const model: SequenceModel;
  /** A language model over gloss ids. */
  const lm: NGramLanguageModel;
  /** Samples of a corpus. */
  const samples: SignSample[];
  /** Training samples. */
  const trainSamples: SignSample[];
  /** A padded batch. */
  const batch: SignBatch;
  /** A synthetic corpus. */
  const corpus: SyntheticSignCorpus;

  // @slr/core, @slr/ctc, @slr/backend, @slr/test-utils, scripts/ (examples of these only).
  /** The text of an ARPA n-gram file over the words `HELLO` and `WORLD`. */
  const arpaText: string;

  // @slr/data (examples of this package only).
  /** One sample: frames `[T, H, W, 3]`, its glosses and their ids, maybe spans and keypoints. */
  const sample: SignSample;

  // @slr/layers, @slr/models-i3d, @slr/models-mobilenetv3 (examples of these only).

  // @slr/diagnostics, @slr/train, examples/ (examples of these only).
  /** The optimizer of a training loop. */
  const optimizer: tf.Optimizer;
  /** Computes the training loss of a batch (what `optimizer.minimize` takes). */
  const computeLoss: () => tf.Scalar;
  /** Gradients by variable name, as `tf.variableGrads` gives them. */
  const grads: tf.NamedTensorMap;
  /** The options of a training run (`train` of `@slr/train`). */
  const trainOptions: TrainOptions;
  /** Samples to evaluate WER on. */
  const evalSamples: SignSample[];
  /** The teacher of a distillation (the I3D model, trained). */
  const teacher: SequenceModel;
  /** The student of a distillation (the MobileNetV3 model). */
  const student: SequenceModel;
  /** A teacher's cached outputs for the training samples. */
  const softTargets: SoftTargets;
  /** The teacher's log-probabilities for a batch, time-major `[T, B, V]`. */
  const teacherLogProbs: tf.Tensor3D;
  /** The student's log-probabilities for the same batch, time-major `[T, B, V]`. */
  const studentLogProbs: tf.Tensor3D;
  /** The distillation experiments of examples/distill, by size (its `recipes.ts`). */
  const EXPERIMENTS: Record<ExperimentSize, ExperimentConfig>;
  /** The I3D teacher's overfit recipe (examples/overfit, `overfit-teacher.ts`). */
  const teacherRecipe: OverfitRecipe;
}
