/**
 * Names of the kernels `@slr/layers` adds. A backend that implements one registers it under the
 * same name; the ops fall back to plain tfjs ops where the current backend has none.
 */

/**
 * Batch normalisation in training mode over every axis but the last (channels), one kernel.
 * Inputs: `x` float32 of rank ≥ 2 `[…, C]`, `gamma` `[C]`, `beta` `[C]`. Attribute `epsilon`.
 * Outputs: `y` (shape of `x`), the batch `mean` `[C]`, the biased batch `variance` `[C]`, and
 * `1 / sqrt(variance + epsilon)` `[C]`, which {@link BATCH_NORM_TRAINING_GRAD} reads.
 */
export const BATCH_NORM_TRAINING = 'SlrBatchNormTraining';

/**
 * Gradient of {@link BATCH_NORM_TRAINING}: inputs `dy`, `x`, `gamma`, `mean`, `invStd`, and
 * the gradients `dMean`, `dVariance` `[C]` of its statistics outputs; outputs `dx`, `dGamma`,
 * `dBeta`.
 */
export const BATCH_NORM_TRAINING_GRAD = 'SlrBatchNormTrainingGrad';
