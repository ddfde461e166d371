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
import { join, resolve } from 'node:path';
import { bundleBenchmarks, root } from './bundle-bench.mjs';

const outDir = resolve(process.argv[2] ?? join(root, 'out', 'ctc-bench'));
await bundleBenchmarks(
  outDir,
  { 'ctc-bench.mjs': 'packages/ctc/bench/ctc.bench.ts' },
  { 'bench-ctc-torch.py': 'scripts/bench-ctc-torch.py' },
);
console.log(`bundled the CTC benchmark into ${outDir}`);
