/**
 * `@slr/train`: training for CTC sequence models in TensorFlow.js, in any environment tfjs runs
 * in (a browser included): optimizers (Adam, AdamW with decoupled weight decay, SGD with
 * momentum/Nesterov/L2) with per-step learning rates, warmup and learning-rate schedules,
 * gradient clipping by global norm, label-smoothed CTC loss, the training presets, the trainer
 * and its Keras-style callbacks (early stopping, advice as warnings), and knowledge distillation
 * (`distillationLoss`, teacher soft targets, sequence-level distillation). Checkpoints, history
 * files, progress bars and soft-target files need Node.js and are in `@slr/train/node`.
 *
 * @module @slr/train
 */
export * from './optimizer-config';
export * from './optimizers';
export * from './schedule-config';
export * from './schedules';
export * from './clip';
export * from './label-smoothing';
export * from './presets';
export * from './init';
export * from './training-state';
export * from './train-options';
export * from './callbacks';
export * from './early-stopping';
export * from './advice-warnings';
export * from './trainer';
export * from './distill';
