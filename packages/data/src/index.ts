/**
 * `@slr/data`: synthetic continuous sign-language videos, gloss vocabularies and padded CTC
 * batches. It runs anywhere tfjs does, a browser included; reading and writing corpora in the
 * RWTH-PHOENIX-Weather 2014 layout needs Node.js and is in `@slr/data/node`.
 *
 * @module @slr/data
 */
export * from './types';
export * from './vocabulary';
export * from './synthetic/index';
export * from './batch/index';
export * from './video/y4m';
