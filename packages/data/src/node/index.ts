/**
 * `@slr/data/node`: what needs Node.js (files, sharp, a terminal): the RWTH-PHOENIX-Weather
 * 2014 layout (reader and writer, keypoint side files, the vocabulary kept beside a corpus) and
 * the progress it reports. Everything a browser can run is in `@slr/data`.
 *
 * @module @slr/data/node
 */
export * from './phoenix/layout';
export * from './phoenix/keypoints';
export * from './phoenix/writer';
export * from './phoenix/reader';
export type { ProgressOptions } from './phoenix/progress';
export * from './y4m-file';
