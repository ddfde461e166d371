/**
 * The inputs that the `@example` blocks of the doc comments take as given, with their types, so
 * that `scripts/check-examples.ts` can type-check every example as a reader would run it.
 */
export {};
