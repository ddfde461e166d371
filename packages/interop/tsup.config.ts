import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// Two entries: `@slr/interop` (what a browser can run) and `@slr/interop/node` (files); the
// command-line tool is a third, run through bin/slr-convert.js.
export default defineConfig(
  packageBuild({ index: 'src/index.ts', node: 'src/node/index.ts', cli: 'src/node/cli.ts' }),
);
