/**
 * Node.js helpers of `@slr/core`: atomic file writes and file-system errors in words.
 *
 * @module @slr/core/node
 */
export * from './file-system-error';
export * from './atomic-write';
export { createFolder } from './create-folder';
