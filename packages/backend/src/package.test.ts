import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeRequiring } from '@slr/test-utils';

/**
 * The built package, run by plain `node` (no vitest, no TypeScript), in fresh processes: ESM
 * and CommonJS, the GPU object surviving garbage collection, the process exiting by itself
 * after using Dawn (no `process.exit()`), and the errors when Dawn or a Vulkan driver is missing.
 */
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: options.cwd ?? packageRoot,
        env: options.env ?? process.env,
        encoding: 'utf8',
        timeout: 45_000,
      },
      (error, stdout, stderr) => {
        const code = error == null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
  });
}

function lastJson(result: Run): Record<string, unknown> {
  const line = result.stdout
    .trim()
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .pop();
  if (line == null)
    throw new Error(
      `no JSON output (exit code ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  return JSON.parse(line);
}

const webgpuBody = `
  const info = await setupBackend('webgpu', { quiet: true });
  // Dawn's instance and device must survive collection while tfjs uses them.
  for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
  const a = tf.tensor2d([[1, 2], [3, 4]]);
  const product = Array.from(await tf.matMul(a, a).data());
  console.log(JSON.stringify({ backend: tf.getBackend(), adapter: info.adapter, product }));
`;

function expectWebGpuRun(result: Run): void {
  // The process ended on its own, successfully: nothing of Dawn's keeps it alive.
  expect(result.code, result.stderr).toBe(0);
  const output = lastJson(result);
  expect(output).toMatchObject({ backend: 'webgpu', product: [7, 10, 15, 22] });
  expect(output.adapter).toMatchObject({ isSoftware: expect.any(Boolean) });
  expect(result.stderr).not.toContain('looks like you are running TensorFlow.js');
}

describe('the built package under plain node', () => {
  it('has been built (the test command builds it first)', () => {
    expect(existsSync(`${packageRoot}/dist/index.js`), 'run `pnpm build` first').toBe(true);
    expect(existsSync(`${packageRoot}/dist/index.cjs`), 'run `pnpm build` first').toBe(true);
    expect(existsSync(`${packageRoot}/dist/node.js`), 'run `pnpm build` first').toBe(true);
    expect(existsSync(`${packageRoot}/dist/node.cjs`), 'run `pnpm build` first').toBe(true);
  });

  it("says, through the browser-safe entry in Node.js, to import setupBackend from '@slr/backend/node'", async () => {
    const script = (load: string) => `${load}
      const error = await setupBackend('webgpu').then(() => undefined, (e) => ({ code: e.code, message: e.message }));
      const auto = await setupBackend('auto', { quiet: true });
      const kernelFunc = tf.getKernel('Conv2DBackpropFilter', 'cpu').kernelFunc;
      const fast = kernelFunc[Symbol.for('@slr/backend/cpu-kernel-replacement')] === true;
      console.log(JSON.stringify({ error, auto, fast }));`;
    const esm = await run([
      '--input-type=module',
      '-e',
      script(
        "import * as tf from '@tensorflow/tfjs'; import { setupBackend } from '@slr/backend';",
      ),
    ]);
    const requireLoad =
      "const tf = require('@tensorflow/tfjs'); const { setupBackend } = require('@slr/backend');";
    const cjs = await run(['-e', `(async () => { ${script(requireLoad)} })();`]);
    for (const result of [esm, cjs]) {
      expect(result.code, result.stderr).toBe(0);
      expect(lastJson(result)).toEqual({
        error: {
          code: 'NO_WEBGPU',
          message: expect.stringContaining("import setupBackend from '@slr/backend/node'"),
        },
        auto: {
          backend: 'cpu',
          requested: 'auto',
          reason:
            "webgpu unavailable: no navigator.gpu (in Node.js, setupBackend of '@slr/backend/node' " +
            'provides Dawn); using cpu',
        },
        fast: true,
      });
    }
  });

  describeRequiring('webgpu', 'on a WebGPU adapter', () => {
    it('sets up webgpu as an ES module, keeps Dawn alive through gc, and exits by itself', async () => {
      const result = await run([
        '--expose-gc',
        '--input-type=module',
        '-e',
        `import * as tf from '@tensorflow/tfjs'; import { setupBackend } from '@slr/backend/node'; ${webgpuBody}`,
      ]);
      expectWebGpuRun(result);
    });

    it('sets up webgpu through require()', async () => {
      const result = await run([
        '--expose-gc',
        '-e',
        `const tf = require('@tensorflow/tfjs');
         const { setupBackend } = require('@slr/backend/node');
         (async () => { ${webgpuBody} })();`,
      ]);
      expectWebGpuRun(result);
    });

    it('works when tfjs-backend-webgpu was imported before navigator.gpu existed (so registered nothing)', async () => {
      const result = await run([
        '--input-type=module',
        '-e',
        `import * as tf from '@tensorflow/tfjs';
         import '@tensorflow/tfjs-backend-webgpu';
         import { setupBackend } from '@slr/backend/node';
         const before = tf.findBackendFactory('webgpu') != null;
         const info = await setupBackend('webgpu', { quiet: true });
         const sum = (await tf.add(tf.tensor1d([1, 2]), 1).data()).join(',');
         console.log(JSON.stringify({ before, backend: info.backend, sum }));`,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(lastJson(result)).toEqual({ before: false, backend: 'webgpu', sum: '2,3' });
    });

    it('puts the GPU object on an existing navigator that has no gpu (as in Node.js 21+)', async () => {
      const result = await run([
        '--input-type=module',
        '-e',
        `class Navigator { get hardwareConcurrency() { return 1; } }
         const navigator = new Navigator();
         Object.defineProperty(globalThis, 'navigator', { get: () => navigator, configurable: true, enumerable: true });
         const tf = await import('@tensorflow/tfjs');
         const { setupBackend } = await import('@slr/backend/node');
         const info = await setupBackend('webgpu', { quiet: true });
         const sum = (await tf.add(tf.tensor1d([1, 2]), 1).data()).join(',');
         const same = globalThis.navigator === navigator;
         console.log(JSON.stringify({ backend: info.backend, same, gpu: typeof navigator.gpu, sum }));`,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(lastJson(result)).toEqual({
        backend: 'webgpu',
        same: true,
        gpu: 'object',
        sum: '2,3',
      });
    });

    it('uses the webgpuModule it is given instead of importing tfjs-backend-webgpu (for bundles)', async () => {
      const script = `
        import * as tf from '@tensorflow/tfjs';
        import * as webgpu from '@tensorflow/tfjs-backend-webgpu';
        import { setupBackend } from '@slr/backend/node';
        let constructed = 0;
        class CountingBackend extends webgpu.WebGPUBackend {
          constructor(...args) { super(...args); constructed++; }
        }
        const info = await setupBackend('webgpu', { quiet: true, webgpuModule: { WebGPUBackend: CountingBackend } });
        const sum = await tf.sum(tf.tensor1d([1, 2, 3])).data();
        console.log(JSON.stringify({ backend: info.backend, constructed, sum: sum[0] }));
      `;
      const result = await run(['--input-type=module', '-e', script]);
      expect(lastJson(result)).toEqual({ backend: 'webgpu', constructed: 1, sum: 6 });
    });
  });

  // The Vulkan loader is there, and the drivers are hidden from it.
  describeRequiring('vulkan-loader', 'with the Vulkan loader', () => {
    it('says that the Vulkan loader found no driver, and auto falls back to cpu saying so', async () => {
      const env = {
        ...process.env,
        VK_ICD_FILENAMES: '/nonexistent/icd.json',
        VK_DRIVER_FILES: '/nonexistent/icd.json',
      };
      const result = await run(
        [
          '--input-type=module',
          '-e',
          `import { setupBackend } from '@slr/backend/node';
           const error = await setupBackend('webgpu').then(
             () => undefined,
             (e) => ({ code: e.code, message: e.message }),
           );
           const auto = await setupBackend('auto', { quiet: true });
           console.log(JSON.stringify({ error, auto }));`,
        ],
        { env },
      );
      expect(result.code, result.stderr).toBe(0);
      const { error, auto } = lastJson(result) as {
        error: { code: string; message: string };
        auto: { backend: string; reason: string };
      };
      expect(error.code).toBe('NO_VULKAN_DRIVER');
      expect(error.message).toContain('mesa-vulkan-drivers >= 25');
      expect(auto).toEqual({
        backend: 'cpu',
        requested: 'auto',
        reason: 'webgpu unavailable: no Vulkan driver; tensorflow not installed; using cpu',
      });
    });
  });

  it("says to install 'webgpu' where Dawn is not installed", async () => {
    // A project with @slr/backend and @tensorflow/tfjs, but neither webgpu nor tfjs-backend-webgpu.
    const project = mkdtempSync(join(tmpdir(), 'slr-backend-'));
    try {
      const installed = join(project, 'node_modules', '@slr', 'backend');
      mkdirSync(installed, { recursive: true });
      cpSync(join(packageRoot, 'dist'), join(installed, 'dist'), { recursive: true });
      cpSync(join(packageRoot, 'package.json'), join(installed, 'package.json'));
      mkdirSync(join(project, 'node_modules', '@tensorflow'));
      symlinkSync(
        realpathSync(join(packageRoot, 'node_modules', '@tensorflow', 'tfjs')),
        join(project, 'node_modules', '@tensorflow', 'tfjs'),
        'dir',
      );
      // @slr/backend's own dependency.
      symlinkSync(
        realpathSync(join(packageRoot, 'node_modules', '@slr', 'core')),
        join(project, 'node_modules', '@slr', 'core'),
        'dir',
      );
      const result = await run(
        [
          '--input-type=module',
          '-e',
          `import { setupBackend } from '@slr/backend/node';
           const error = await setupBackend('webgpu').then(
             () => undefined,
             (e) => ({ code: e.code, message: e.message }),
           );
           const auto = await setupBackend('auto', { quiet: true });
           console.log(JSON.stringify({ error, auto }));`,
        ],
        { cwd: project },
      );
      expect(result.code, result.stderr).toBe(0);
      const { error, auto } = lastJson(result) as {
        error: { code: string; message: string };
        auto: { reason: string };
      };
      expect(error).toEqual({
        code: 'DAWN_NOT_INSTALLED',
        message: expect.stringContaining('npm install webgpu@0.6.2'),
      });
      expect(auto.reason).toBe(
        'webgpu unavailable: Dawn not installed (npm install webgpu); tensorflow not installed; using cpu',
      );
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
