import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// Two entries: `@slr/data` (what a browser can run) and `@slr/data/node` (files, sharp, the
// terminal); the command-line tool is a third, run through bin/slr-data-synth.js.
export default defineConfig(
  packageBuild({ index: 'src/index.ts', node: 'src/node/index.ts', cli: 'src/node/cli.ts' }, [
    'sharp',
    'cli-progress',
  ]),
);
