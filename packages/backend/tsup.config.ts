import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', node: 'src/node/index.ts' }, ['webgpu']),
  // One copy of the set-up state (the WebGPU device, the queue of set-ups) shared by both
  // entries, in the CommonJS build too.
  splitting: true,
  // `import.meta.url` (used to find the `webgpu` package for the adapter diagnosis) in the CJS build.
  shims: true,
});
