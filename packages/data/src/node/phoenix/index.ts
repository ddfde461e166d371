export * from './layout';
export * from './keypoints';
export * from './progress';
export * from './writer';
export * from './reader';
