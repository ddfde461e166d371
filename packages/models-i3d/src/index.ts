/**
 * `@slr/models-i3d`: the I3D backbone (Inception-v1 inflated to 3-D, Carreira & Zisserman 2017)
 * and the I3D teacher for continuous sign-language recognition, which emits per-frame gloss
 * log-probabilities time-major `[T', B, V]` for CTC through the `SequenceModel` contract of
 * `@slr/layers`.
 *
 * @packageDocumentation
 */
export * from './spatial-average-pooling';
export * from './i3d-backbone';
export * from './i3d-teacher';
