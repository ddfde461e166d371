/**
 * `pnpm bench:models:bundle` writes benchmarks that run with a bare `node`: the bundle is built
 * into a temporary folder (no node_modules above it but its own `webgpu`), and one training
 * step of a tiny case runs there on `cpu`, next to its PyTorch twin where PyTorch is installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequirement, PYTHON_PATH } from '@slr/test-utils';

const root = fileURLToPath(new URL('..', import.meta.url));
let folder = '';
let outDir = '';

/** Runs `node args` in the bundle's folder with no NODE_PATH: only the bundle's own modules. */
function runNode(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, args, { cwd: outDir, env, encoding: 'utf8' });
}

/** Whether some folder above `path` holds a node_modules that Node.js would search. */
function nodeModulesAbove(path: string): string | undefined {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules');
    if (dir === parse(dir).root) return undefined;
  }
}

describe('pnpm bench:models:bundle', () => {
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'slr-models-bench-'));
    outDir = join(folder, 'bundle');
    execFileSync(process.execPath, [join(root, 'scripts/bundle-models-bench.mjs'), outDir], {
      stdio: 'pipe',
    });
  }, 300_000);
  afterAll(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('writes both benchmarks, the PyTorch twins with slr_torch, and Dawn beside them', () => {
    for (const file of [
      'bench-train.mjs',
      'bench-models.mjs',
      'bench-train-torch.py',
      'python/slr_torch/__init__.py',
      'node_modules/webgpu/index.js',
      'node_modules/webgpu/package.json',
      'node_modules/webgpu/dist/linux-x64/dawn.node',
    ])
      expect(existsSync(join(outDir, file)), file).toBe(true);
    expect(nodeModulesAbove(outDir)).toBeUndefined();
    // The native addon loads from the bundle's own node_modules.
    const load = runNode([
      '--input-type=module',
      '-e',
      "const { create } = await import('webgpu'); console.log(typeof create);",
    ]);
    expect(load.stderr).toBe('');
    expect(load.stdout.trim()).toBe('function');
  });

  it('times one training step of a tiny case on cpu with a bare node', () => {
    const torch = checkRequirement('pytorch').met;
    const run = runNode([
      'bench-train.mjs',
      ...['--cases', 'teacher-tiny', '--iterations', '1', '--warmup', '0', '--profile', 'off'],
      ...['--python', torch ? PYTHON_PATH : join(folder, 'no-python')],
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('backend cpu');
    const row = run.stdout.split('\n').find((line) => line.startsWith('| teacher-tiny '));
    expect(row, run.stdout).toBeDefined();
    const cells = row!.split('|').map((cell) => cell.trim());
    // | case | configuration | JS cpu ms | PyTorch ms | ratio |
    expect(Number(cells[3])).toBeGreaterThan(0);
    if (torch) expect(Number(cells[4]), run.stdout).toBeGreaterThan(0);
    else expect(run.stdout).toContain('PyTorch not measured');
  }, 300_000);

  it('refuses an unknown backend', () => {
    const run = runNode(['bench-train.mjs', '--backend', 'tpu']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("--backend must be 'cpu' or 'webgpu', but got 'tpu'.");
  });
});
