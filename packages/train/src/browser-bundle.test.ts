import { builtinModules } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const nodeBuiltins = new Set(builtinModules);

/** A module only Node.js has: a built-in (with or without `node:`) or cli-progress. */
function isNodeOnly(specifier: string): boolean {
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0];
  return specifier.startsWith('node:') || nodeBuiltins.has(name) || name === 'cli-progress';
}

/**
 * Bundles `entry` for the browser, as an application's bundler would (tfjs and the other @slr
 * packages left out: each is checked by its own test), and returns every Node-only import the
 * bundle would need, each with the file that imports it.
 */
async function nodeOnlyImports(entry: string): Promise<string[]> {
  const found: string[] = [];
  const recorder: Plugin = {
    name: 'record-node-only-imports',
    setup(bundle) {
      bundle.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!isNodeOnly(args.path)) return undefined;
        found.push(`${args.path} (imported by ${relative(packageRoot, args.importer)})`);
        return { path: args.path, external: true };
      });
    },
  };
  await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    external: ['@tensorflow/*', '@slr/*'],
    plugins: [recorder],
  });
  return found;
}

describe('the browser bundle of @slr/train', () => {
  it('needs no Node.js module and no cli-progress', async () => {
    expect(await nodeOnlyImports('./index.ts')).toEqual([]);
  });

  it('is told apart from @slr/train/node, which does need them', async () => {
    const found = await nodeOnlyImports('./node/index.ts');
    expect(found.some((line) => line.startsWith('node:fs/promises '))).toBe(true);
    expect(found.some((line) => line.startsWith('cli-progress '))).toBe(true);
  });
});
