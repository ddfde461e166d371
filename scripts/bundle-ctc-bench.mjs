#!/usr/bin/env node
/**
 * Bundles the CTC benchmark into one ES module that runs with a bare `node` on a machine with
 * no pnpm, no network and no workspace (a GPU machine):
 *
 *   node scripts/bundle-ctc-bench.mjs [outDir]          (default: out/ctc-bench)
 *
 * writes `ctc-bench.mjs` (tfjs, its CPU and WebGPU backends and @slr inside), the PyTorch
 * reference script, and `node_modules/webgpu/` (its index.js, package.json and the Dawn
 * binary for linux-x64), which stays outside the bundle because it is a native addon. Run:
 *
 *   node ctc-bench.mjs --backend webgpu
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'out', 'ctc-bench'));
mkdirSync(outDir, { recursive: true });

await build({
  entryPoints: [join(root, 'packages/ctc/bench/ctc.bench.ts')],
  outfile: join(outDir, 'ctc-bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  // From source, so that no package needs building first.
  alias: {
    '@slr/backend/node': join(root, 'packages/backend/src/node/index.ts'),
    '@slr/backend': join(root, 'packages/backend/src/index.ts'),
    '@slr/core': join(root, 'packages/core/src/index.ts'),
  },
  // Some bundled CommonJS code calls require(); give the ES module one.
  banner: {
    js:
      "import { createRequire as __slrCreateRequire } from 'node:module'; " +
      'const require = __slrCreateRequire(import.meta.url);',
  },
  logLevel: 'warning',
});

cpSync(join(root, 'scripts/bench-ctc-torch.py'), join(outDir, 'bench-ctc-torch.py'));
const require = createRequire(join(root, 'packages/backend/package.json'));
const webgpuDir = dirname(realpathSync(require.resolve('webgpu/package.json')));
const target = join(outDir, 'node_modules', 'webgpu');
mkdirSync(target, { recursive: true });
for (const entry of ['index.js', 'package.json', 'dist/linux-x64'])
  cpSync(join(webgpuDir, entry), join(target, entry), { recursive: true });
console.log(`bundled the CTC benchmark into ${outDir}`);
