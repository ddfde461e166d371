export * from './distillation-loss';
export * from './resample';
export * from './soft-targets';
