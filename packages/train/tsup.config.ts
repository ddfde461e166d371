import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// Two entries: `@slr/train` (what a browser can run) and `@slr/train/node` (checkpoints,
// history files, progress bars, soft-target files). Code splitting for CommonJS too, so that
// both entries share one copy of the trainer (one `SoftTargets` class for `instanceof`, one
// registration of the optimizers) in either module format.
export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', node: 'src/node/index.ts' }, ['cli-progress']),
  splitting: true,
});
