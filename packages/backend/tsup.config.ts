import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig({
  ...packageBuild({ index: 'src/index.ts' }, ['webgpu']),
  // `import.meta.url` (used to find the `webgpu` package for the adapter diagnosis) in the CJS build.
  shims: true,
});
