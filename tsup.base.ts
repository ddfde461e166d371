import type { Options } from 'tsup';

/**
 * The build every `@slr` package shares: ESM + CJS + `.d.ts` with source maps, for ES2022,
 * with tfjs and the other `@slr` packages left as imports.
 */
export function packageBuild(
  entry: Record<string, string> = { index: 'src/index.ts' },
  external: (string | RegExp)[] = [],
): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    external: [/^@tensorflow\//, /^@slr\//, ...external],
  };
}
