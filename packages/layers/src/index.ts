/**
 * `@slr/layers`: custom tfjs-layers shared by the `@slr` models, the `SequenceModel` contract
 * and layer freezing; browser-safe. Saving and loading models to and from folders (Node.js) is
 * in `@slr/layers/node`.
 *
 * @module @slr/layers
 */
export * from './tfjs-fixes';
export * from './sequence-model';
export * from './layer-args';
export * from './log-softmax-layer';
export * from './freeze';
export * from './dispose-on-error';
export * from './hard-swish';
export * from './squeeze-excite';
export * from './batch-norm-training';
export * from './batch-normalization';
export * from './batch-normalization-3d';
export * from './group-normalization';
export * from './cross-attention';
export * from './recurrent';
export * from './random-stream';
export * from './dropout';
