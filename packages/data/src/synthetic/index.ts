/**
 * A learnable synthetic continuous sign-language corpus: signs as two-handed motions, sentences
 * from a bigram grammar with held-out compositions, rendered lazily to frames and keypoints.
 */
export * from './glosses';
export * from './signs';
export * from './grammar';
export * from './signers';
export * from './timeline';
export * from './render';
export * from './corpus';
