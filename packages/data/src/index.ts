/**
 * `@slr/data`: synthetic continuous sign-language videos, the RWTH-PHOENIX-Weather 2014 layout
 * (reader and writer), gloss vocabularies and padded CTC batches.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './vocabulary';
export * from './synthetic/index';
export * from './phoenix/index';
export * from './batch/index';
