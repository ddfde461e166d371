import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // `import.meta.url` (used to find the `webgpu` package for the adapter diagnosis) in the CJS build.
  shims: true,
  external: [/^@tensorflow\//, 'webgpu'],
});
