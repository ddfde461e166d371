/**
 * `@slr/core`: what every `@slr` package shares. Argument checks that fail in one format,
 * "Argument 'x' passed to 'fn' must …, but got …." (as tfjs's ops do), for the packages and for
 * anyone writing functions in the same style. Node.js file helpers (atomic writes, file-system
 * errors in words) are in `@slr/core/node`.
 *
 * @module @slr/core
 */
export * from './errors';
export * from './checks';
export * from './progress';
