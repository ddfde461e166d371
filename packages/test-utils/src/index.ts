/**
 * Test helpers shared by `@slr` packages: backend-parameterised suites, a composite-only test
 * backend, leak checks and brute-force CTC references.
 *
 * @packageDocumentation
 */
export * from './backends';
export * from './brute-force';
export * from './builders';
export * from './requirements';
