/**
 * `@slr/train`: training utilities for CTC sequence models in TensorFlow.js: optimizers
 * (Adam, AdamW with decoupled weight decay, SGD with momentum/Nesterov/L2) with per-step
 * learning rates, warmup and learning-rate schedules, gradient clipping by global norm,
 * label-smoothed CTC loss, the training presets, the trainer, and knowledge distillation
 * (`distillationLoss`, cached teacher soft targets, sequence-level distillation).
 *
 * @packageDocumentation
 */
export * from './errors';
export * from './optimizers';
export * from './schedules';
export * from './clip';
export * from './label-smoothing';
export * from './presets';
export * from './init';
export * from './checkpoint';
export * from './trainer';
export * from './progress';
export * from './distill';
