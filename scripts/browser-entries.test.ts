/**
 * Every published package's main entry must bundle for a browser: esbuild bundles it (with its
 * dependencies, tfjs left to the user) for the browser platform, and any import of a Node.js
 * built-in (`node:fs`, `path`, …) or of a package's Node.js entry (`@slr/x/node`) fails the test.
 * Node-only code (files, checkpoints, PHOENIX IO, reports on disk, Dawn) lives in `@slr/x/node`,
 * which the same bundling tells apart: it does import Node.js modules.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface PublishedPackage {
  name: string;
  folder: string;
  subpaths: string[];
}

function publishedPackages(): PublishedPackage[] {
  return readdirSync(join(root, 'packages'))
    .map((folderName) => join(root, 'packages', folderName))
    .filter((folder) => existsSync(join(folder, 'package.json')))
    .map((folder) => {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
        name: string;
        private?: boolean;
        exports?: Record<string, unknown>;
      };
      return {
        name: manifest.private ? '' : manifest.name,
        folder,
        subpaths: Object.keys(manifest.exports ?? {}).filter((key) => key !== './package.json'),
      };
    })
    .filter((pkg) => pkg.name !== '')
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The source file of an export subpath: `.` → src/index.ts, `./node` → src/node/index.ts. */
function sourceOf(pkg: PublishedPackage, subpath: string): string {
  const base = subpath === '.' ? 'index' : subpath.slice(2);
  const candidates = [
    join(pkg.folder, 'src', `${base}.ts`),
    join(pkg.folder, 'src', base, 'index.ts'),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) throw new Error(`${pkg.name}${subpath.slice(1)} has no source entry`);
  return found;
}

/** The Node.js modules (built-ins and `@slr/x/node` entries) a browser bundle of `entry` imports. */
async function nodeImportsOf(entry: string): Promise<string[]> {
  const found: string[] = [];
  const recordNodeImports: Plugin = {
    name: 'record-node-imports',
    setup(bundler) {
      bundler.onResolve({ filter: /.*/ }, ({ path, importer }) => {
        const builtin = path.startsWith('node:') || builtinModules.includes(path.split('/')[0]);
        if (!builtin && !/^@slr\/[^/]+\/node$/.test(path)) return undefined;
        found.push(`${path} (imported by ${relative(root, importer)})`);
        return { path, external: true };
      });
    },
  };
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    // tfjs is the user's (a peer dependency). Other @slr packages come in through their built
    // entries, so a main entry that reaches a Node-only one through them is caught too.
    external: ['@tensorflow/*'],
    plugins: [recordNodeImports],
  });
  return found;
}

const packages = publishedPackages();

describe('browser-safe main entries', () => {
  it('finds the published packages', () => {
    expect(packages.map((pkg) => pkg.name)).toContain('@slr/ctc');
    expect(packages.length).toBeGreaterThanOrEqual(10);
  });

  it.each(packages.map((pkg) => [pkg.name, pkg] as const))(
    '%s bundles for the browser without a Node.js module',
    async (_name, pkg) => {
      expect(await nodeImportsOf(sourceOf(pkg, '.'))).toEqual([]);
    },
  );

  const withNodeEntry = packages.filter((pkg) => pkg.subpaths.includes('./node'));
  it.each(withNodeEntry.map((pkg) => [`${pkg.name}/node`, pkg] as const))(
    '%s is told apart: it does import Node.js modules',
    async (_name, pkg) => {
      expect((await nodeImportsOf(sourceOf(pkg, './node'))).length).toBeGreaterThan(0);
    },
  );
});
