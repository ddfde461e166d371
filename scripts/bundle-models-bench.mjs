#!/usr/bin/env node
/**
 * Bundles the training-step benchmark (`scripts/bench-train.ts`, `pnpm bench:train`) and the
 * model benchmark (`scripts/bench-models.ts`, `pnpm bench:models`) into single ES modules that
 * run with a bare `node` on a machine with no pnpm, no network and no workspace (a GPU
 * machine):
 *
 *   node scripts/bundle-models-bench.mjs [outDir]          (default: out/models-bench)
 *
 * writes `bench-train.mjs` and `bench-models.mjs`, the PyTorch twins' script
 * (`bench-train-torch.py`) with the `slr_torch` package it imports (`python/slr_torch`), and
 * `node_modules/webgpu/` (Dawn, a native addon). Run there, for example:
 *
 *   node bench-train.mjs --backend webgpu --cases i3d-w2,mnv3-large-1
 *   node bench-models.mjs --backends webgpu --configs tiny,default
 */
import { join, resolve } from 'node:path';
import { bundleBenchmarks, root } from './bundle-bench.mjs';

const outDir = resolve(process.argv[2] ?? join(root, 'out', 'models-bench'));
await bundleBenchmarks(
  outDir,
  { 'bench-train.mjs': 'scripts/bench-train.ts', 'bench-models.mjs': 'scripts/bench-models.ts' },
  {
    'bench-train-torch.py': 'scripts/bench-train-torch.py',
    'python/slr_torch': 'python/slr_torch',
  },
);
console.log(`bundled the training-step and model benchmarks into ${outDir}`);
