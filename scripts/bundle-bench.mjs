/**
 * What the benchmark bundlers (`bundle-ctc-bench.mjs`, `bundle-models-bench.mjs`) share: each
 * benchmark becomes one ES module with tfjs, its CPU and WebGPU backends and every `@slr`
 * package inside (from source, so that no package needs building first), and the output folder
 * gets `node_modules/webgpu/` (its index.js, package.json and the Dawn binary for linux-x64),
 * which stays outside the bundle because it is a native addon, plus the given extra files.
 */
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Resolves `@slr/name` and `@slr/name/node` to the package's TypeScript source. */
const slrFromSource = {
  name: 'slr-from-source',
  setup(bundler) {
    bundler.onResolve({ filter: /^@slr\/[^/]+(\/node)?$/ }, ({ path }) => {
      const [, name, sub] = /^@slr\/([^/]+)(\/node)?$/.exec(path);
      const source = join(root, 'packages', name, 'src');
      const entry = sub ? join(source, 'node', 'index.ts') : join(source, 'index.ts');
      return existsSync(entry) ? { path: entry } : undefined;
    });
  },
};

/**
 * Bundles `entries` (`{ 'out-name.mjs': 'path/from/root.ts' }`) into `outDir`, copies `files`
 * (`{ 'name-in-outDir': 'path/from/root' }`, files or folders) beside them, and Dawn's `webgpu`
 * package into `outDir/node_modules/webgpu`.
 */
export async function bundleBenchmarks(outDir, entries, files = {}) {
  mkdirSync(outDir, { recursive: true });
  for (const [outName, entry] of Object.entries(entries)) {
    await build({
      entryPoints: [join(root, entry)],
      outfile: join(outDir, outName),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
      plugins: [slrFromSource],
      // Some bundled CommonJS code calls require(); give the ES module one.
      banner: {
        js:
          "import { createRequire as __slrCreateRequire } from 'node:module'; " +
          'const require = __slrCreateRequire(import.meta.url);',
      },
      logLevel: 'warning',
    });
  }
  for (const [name, from] of Object.entries(files))
    cpSync(join(root, from), join(outDir, name), {
      recursive: true,
      filter: (path) => !path.includes('__pycache__'),
    });
  const require = createRequire(join(root, 'packages/backend/package.json'));
  const webgpuDir = dirname(realpathSync(require.resolve('webgpu/package.json')));
  const target = join(outDir, 'node_modules', 'webgpu');
  mkdirSync(target, { recursive: true });
  for (const entry of ['index.js', 'package.json', 'dist/linux-x64'])
    cpSync(join(webgpuDir, entry), join(target, entry), { recursive: true });
}
