export * from './random';
export * from './make-batch';
export * from './augment';
export * from './batches';
