#!/usr/bin/env node
// `slr-convert`: starts the command-line tool built into dist/cli.js. This file is committed
// (dist/ is not), so that installing the package can link the command before anything is built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(fileURLToPath(cli))) {
  await import(cli.href);
} else {
  process.stderr.write(
    `slr-convert: ${fileURLToPath(cli)} is missing: @slr/interop has not been built. ` +
      "Run 'pnpm build' at the root of the repository, then run this command again.\n",
  );
  process.exitCode = 1;
}
