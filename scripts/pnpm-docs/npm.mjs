#!/usr/bin/env node
/**
 * `pnpm docs` builds the documentation site, as `pnpm run docs` does.
 *
 * pnpm 10 does not run a root script named `docs` for `pnpm docs`: it hands the command to npm
 * (`npm docs`, which opens the package's page in a web browser), as it does for `bugs`, `repo`,
 * `view`, `version` and the other npm commands it passes through, and no pnpm setting changes
 * that. pnpm starts that `npm` with the project's `node_modules/.bin` first on PATH, so this
 * file, linked there as `npm` by the root's devDependency on this folder, is the `npm` it runs
 * in the repository root (and only there: packages and other folders have no such link, and
 * get the real npm).
 *
 * Exactly `npm docs` for the repository's own package.json runs `pnpm run docs`; anything else
 * (`npm docs typedoc`, `pnpm view`, `pnpm publish`, a root script that calls npm) runs the real
 * npm, the first one on PATH that is not this file, with the same arguments.
 *
 * Why not a setting: npm's `browser` setting, which `npm docs` opens its URL with, is coerced
 * to `true` by npm 11's config validation when it holds a command, and pnpm's `npm-path`
 * setting takes a path that pnpm does not resolve against the .npmrc it is written in, so a
 * relative one breaks `pnpm publish` and the other npm commands in the packages' folders.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = realpathSync(fileURLToPath(import.meta.url));
const root = dirname(dirname(dirname(here)));
const args = process.argv.slice(2);
const windows = process.platform === 'win32';

/** The nearest folder at or above `dir` that holds a package.json (what `npm docs` reads). */
function packageDir(dir) {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'package.json'))) return current;
    if (dirname(current) === current) return undefined;
  }
}

/** Whether `path` is this file, once links are followed. */
function isThisFile(path) {
  try {
    return realpathSync(path) === here;
  } catch {
    return false;
  }
}

/**
 * The first npm on PATH that is not this file. pnpm links bins as small shell (and .cmd)
 * scripts in node_modules/.bin that start `../@slr/pnpm-docs/npm.mjs`: such a folder is skipped.
 */
function realNpm() {
  const names = windows ? ['npm.cmd', 'npm.exe', 'npm'] : ['npm'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || isThisFile(join(dir, '..', '@slr', 'pnpm-docs', 'npm.mjs'))) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      if (existsSync(candidate) && !isThisFile(candidate)) return candidate;
    }
  }
  return undefined;
}

function run(command, commandArgs, cwd) {
  const result = spawnSync(command, commandArgs, { cwd, stdio: 'inherit', shell: windows });
  if (result.error) {
    console.error(`${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.signal) process.kill(process.pid, result.signal);
  process.exit(result.status ?? 1);
}

if (args.length === 1 && args[0] === 'docs' && packageDir(process.cwd()) === root) {
  run('pnpm', ['run', 'docs'], root);
}
const npm = realNpm();
if (npm === undefined) {
  console.error('npm is not on PATH (only the wrapper in node_modules/.bin is)');
  process.exit(1);
}
run(npm, args, process.cwd());
