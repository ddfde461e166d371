/**
 * `@slr/backend` must bundle for a browser: esbuild bundles the main entry for the browser
 * platform, and any import of a Node.js built-in (`node:fs`, `path`, …) or of another package's
 * Node.js entry (`@slr/x/node`) fails the test. Dawn, its adapter diagnosis in a child process
 * and tfjs-node live in `@slr/backend/node`.
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { expect, it } from 'vitest';

it('bundles src/index.ts for the browser without importing a Node.js module', async () => {
  const nodeImports: string[] = [];
  const recordNodeImports: Plugin = {
    name: 'record-node-imports',
    setup(bundler) {
      bundler.onResolve({ filter: /.*/ }, ({ path, importer }) => {
        const builtin = path.startsWith('node:') || builtinModules.includes(path.split('/')[0]);
        if (!builtin && !/^@slr\/[^/]+\/node$/.test(path)) return undefined;
        nodeImports.push(`${path} (imported by ${importer})`);
        return { path, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    // tfjs is the user's; every other @slr package checks its own entry.
    external: ['@tensorflow/*', '@slr/*'],
    plugins: [recordNodeImports],
    metafile: true,
  });
  expect(nodeImports).toEqual([]);
  // Dawn and tfjs-node are loaded with import() of a computed name, which a bundler does not
  // see: the Node.js modules must stay out of the bundle altogether.
  const bundled = Object.keys(result.metafile.inputs);
  expect(bundled.filter((file) => file.includes('/src/node/'))).toEqual([]);
  expect(bundled.some((file) => file.endsWith('src/setup-backend.ts'))).toBe(true);
});
