/**
 * `@slr/models-mobilenetv3`: MobileNetV3-Large and -Small (Howard et al. 2019, as torchvision
 * builds them) for TensorFlow.js: an image classifier, its feature extractor, and the student of
 * a continuous sign-language recogniser, a per-frame MobileNetV3 with a temporal head and a
 * bidirectional LSTM that emits the time-major log-probabilities CTC expects.
 *
 * @packageDocumentation
 */
export * from './architecture';
export * from './classifier';
export * from './temporal-head';
export * from './time-folding';
export * from './student';
export * from './streaming';
