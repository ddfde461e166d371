/**
 * Suites that need something a fresh machine lacks — a WebGPU adapter, Chromium, PyTorch —
 * declare it with {@link describeRequiring}. Where it is missing the suite is skipped, loudly
 * (the requirements reporter prints one line per file at once and lists every skipped suite at
 * the end of the run); under `CI=true` it fails instead, with the same explanation, so that CI
 * never tests less than it should.
 *
 * Each requirement is probed once per run: test files run in separate worker processes, so a
 * probe's result is kept in a folder the requirements reporter creates for the run (see
 * {@link REQUIREMENT_PROBES_FOLDER_VARIABLE}), and the first worker to need it probes while the
 * others wait for its answer.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect } from 'vitest';
import {
  explainMissing,
  REQUIREMENT_PROBES_FOLDER_VARIABLE,
  type MissingRequirement,
  type Requirement,
} from './requirement-records';

export * from './requirement-records';

/**
 * The Chromium binary the headless-browser tests drive: `CHROMIUM_PATH` when set, otherwise
 * Debian's `/usr/bin/chromium`. The one place that path is set.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * The arguments the headless-browser tests start Chromium with: headless, without a sandbox
 * (tests may run as root) or a GPU, and without the background connections (updates, sync,
 * QUIC) that a machine without a network refuses.
 *
 * @example
 * ```ts
 * const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
 * ```
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The Python that the PyTorch comparisons run: Debian's, where `apt-get install python3-torch`
 * puts PyTorch.
 */
export const PYTHON_PATH = '/usr/bin/python3';

/**
 * The module whose `setupBackend('webgpu')` the WebGPU probe calls: the one place it is named.
 */
const WEBGPU_SETUP_MODULE = '@slr/backend/node';

/**
 * Where the WebGPU probe runs: the repository root, whose package depends on
 * {@link WEBGPU_SETUP_MODULE} (this package cannot: `@slr/backend`'s tests use it).
 */
const REPOSITORY_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The command, from the repository root, that installs what the tests need (Debian 12, as CI). */
const INSTALL_SCRIPT = '.ci/install-test-requirements';

/** How long a probe may take before it counts as failed: Dawn on lavapipe starts in seconds. */
const PROBE_TIMEOUT_MS = 120_000;

/** What a probe found: met, or what is missing in words. */
type ProbeResult = { met: true } | { met: false; missing: string };

/** What the WebGPU probe's child process reports. */
type WebGpuProbe = { found: true } | { found: false; code: string; summary: string };

/**
 * What {@link checkRequirement} found: met, or what is missing and the command that provides it.
 */
export type RequirementStatus =
  { met: true; requirement: Requirement } | ({ met: false } & MissingRequirement);

/**
 * Whether this machine has a requirement, and if not, what is missing and the command that
 * provides it. Cheap after the first call of the run (see the module's comment).
 *
 * @example
 * ```ts
 * const status = checkRequirement('chromium');
 * if (!status.met) console.warn(`${status.needs}: ${status.missing}. Install: ${status.install}`);
 * ```
 */
export function checkRequirement(requirement: Requirement): RequirementStatus {
  const found = PROBES[requirement]();
  if (found.met) return { met: true, requirement };
  return { met: false, requirement, ...DESCRIPTIONS[requirement], missing: found.missing };
}

/**
 * A `describe` that runs only where `requirements` are met. Where one is missing and `CI` is
 * not `'true'`, the suite is skipped, recorded for the requirements reporter (which prints one
 * line per file and a summary at the end of the run) or, without that reporter, announced on
 * stderr; under `CI=true` the suite fails with the same explanation.
 *
 * @param requirements - what the suite needs
 * @param name - the suite's name
 * @param body - the suite, as for `describe`
 *
 * @example
 * ```ts
 * import { expect, it } from 'vitest';
 *
 * describeRequiring('webgpu', "setupBackend('webgpu')", () => {
 *   it('runs on the GPU', async () => {
 *     await useBackend('webgpu');
 *     expect(tf.getBackend()).toBe('webgpu');
 *   });
 * });
 * ```
 */
export function describeRequiring(
  requirements: Requirement | readonly Requirement[],
  name: string,
  body: () => void,
): void {
  const missing: MissingRequirement[] = [];
  for (const requirement of typeof requirements === 'string' ? [requirements] : requirements) {
    const status = checkRequirement(requirement);
    if (!status.met) {
      const { needs, install } = status;
      missing.push({ requirement, needs, missing: status.missing, install });
    }
  }
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const explanation = missing.map(explainMissing).join('; it also ');
  if (process.env.CI === 'true') {
    describe(name, () => {
      beforeAll(() => {
        throw new Error(
          `Suite "${name}" ${explanation}. With CI=true nothing is skipped: install what is missing.`,
        );
      });
      body();
    });
    return;
  }
  if (process.env[REQUIREMENT_PROBES_FOLDER_VARIABLE] == null) {
    // No requirements reporter in this run to print it: say it here.
    const file = expect.getState().testPath;
    const where = file == null ? '' : `${relative(process.cwd(), file)} › `;
    console.warn(`skipped: ${where}${name} ${explanation}`);
  }
  describe(name, { skip: true, meta: { missingRequirements: missing } }, body);
}

const WEBGPU_INSTALL =
  `${INSTALL_SCRIPT} webgpu ` +
  '(Debian 12: libvulkan1, and mesa-vulkan-drivers >= 25 from bookworm-backports)';

/** What each requirement is called and the command that provides it. */
const DESCRIPTIONS: Record<Requirement, { needs: string; install: string }> = {
  webgpu: { needs: 'a WebGPU adapter', install: WEBGPU_INSTALL },
  'vulkan-loader': { needs: 'the Vulkan loader (libvulkan.so.1)', install: WEBGPU_INSTALL },
  chromium: {
    needs: 'Chromium',
    install: `${INSTALL_SCRIPT} chromium (Debian: apt-get install chromium), or set CHROMIUM_PATH to a Chromium binary`,
  },
  pytorch: {
    needs: 'PyTorch and torchvision',
    install: `${INSTALL_SCRIPT} pytorch (Debian: apt-get install python3-torch python3-torchvision)`,
  },
};

/** How each requirement is looked for. */
const PROBES: Record<Requirement, () => ProbeResult> = {
  webgpu() {
    const probe = probeWebGpu();
    return probe.found ? { met: true } : { met: false, missing: `none found: ${probe.summary}` };
  },
  'vulkan-loader'() {
    if (process.platform !== 'linux') {
      return {
        met: false,
        missing: `Dawn uses Vulkan on Linux only (this is ${process.platform})`,
      };
    }
    // Dawn loads the Vulkan loader first: an adapter, or "the loader found no driver", means it is there.
    const probe = probeWebGpu();
    if (probe.found || probe.code === 'NO_VULKAN_DRIVER') return { met: true };
    return { met: false, missing: probe.summary };
  },
  chromium() {
    return existsSync(CHROMIUM_PATH)
      ? { met: true }
      : {
          met: false,
          missing: `not found at ${CHROMIUM_PATH}${process.env.CHROMIUM_PATH ? ' (CHROMIUM_PATH)' : ''}`,
        };
  },
  pytorch() {
    return oncePerRun('pytorch', () => {
      try {
        execFileSync(PYTHON_PATH, ['-c', 'import torch, torchvision'], {
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: PROBE_TIMEOUT_MS,
        });
        return { met: true };
      } catch (error) {
        const { code, stderr } = error as { code?: string; stderr?: Buffer };
        if (code === 'ENOENT') return { met: false, missing: `${PYTHON_PATH} not found` };
        const lines = String(stderr ?? '')
          .trim()
          .split('\n');
        const reason = lines[lines.length - 1] || (error as Error).message;
        return {
          met: false,
          missing: `${PYTHON_PATH} -c 'import torch, torchvision' failed: ${reason}`,
        };
      }
    });
  },
};

/** `setupBackend('webgpu')` in a child process, so that the probe leaves this one as it was. */
function probeWebGpu(): WebGpuProbe {
  const result = oncePerRun('webgpu', (): ProbeResult & { code?: string } => {
    const script = `
      const report = (result) => process.stdout.write(JSON.stringify(result) + '\\n', () => process.exit(0));
      let setupBackend;
      try {
        ({ setupBackend } = await import(${JSON.stringify(WEBGPU_SETUP_MODULE)}));
      } catch (error) {
        const reason = String(error.message).split('\\n')[0];
        const summary =
          ${JSON.stringify(WEBGPU_SETUP_MODULE)} + ' could not be loaded (' + reason + '): run pnpm build';
        report({ found: false, code: 'NOT_LOADED', summary });
      }
      if (setupBackend) {
        try {
          await setupBackend('webgpu', { quiet: true });
          report({ found: true });
        } catch (error) {
          const summary = error.summary ?? String(error.message).split('\\n')[0];
          report({ found: false, code: String(error.code), summary });
        }
      }
    `;
    let output: string;
    try {
      output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: REPOSITORY_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: PROBE_TIMEOUT_MS,
      });
    } catch (error) {
      return { met: false, code: 'PROBE_FAILED', missing: `the probe failed: ${firstLine(error)}` };
    }
    const line = output.trim().split('\n').pop() ?? '';
    try {
      const probe = JSON.parse(line) as WebGpuProbe;
      return probe.found ? { met: true } : { met: false, code: probe.code, missing: probe.summary };
    } catch {
      return { met: false, code: 'PROBE_FAILED', missing: `the probe printed no result: ${line}` };
    }
  });
  return result.met
    ? { found: true }
    : { found: false, code: result.code ?? 'PROBE_FAILED', summary: result.missing };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** Probes already answered in this process. */
const answered = new Map<string, unknown>();

/**
 * `probe()`'s result, computed once per run: by this process, or read from the run's probe
 * folder where another worker has computed it (or is computing it: then this one waits).
 */
function oncePerRun<T>(name: string, probe: () => T): T {
  if (answered.has(name)) return answered.get(name) as T;
  const folder = process.env[REQUIREMENT_PROBES_FOLDER_VARIABLE];
  const result = folder == null || !existsSync(folder) ? probe() : sharedProbe(folder, name, probe);
  answered.set(name, result);
  return result;
}

function sharedProbe<T>(folder: string, name: string, probe: () => T): T {
  const resultPath = join(folder, `${name}.json`);
  const lockPath = join(folder, `${name}.probing`);
  for (;;) {
    const cached = readResult<T>(resultPath);
    if (cached !== undefined) return cached;
    if (takeLock(lockPath)) {
      const result = probe();
      // One small write: a reader that catches it half-written reads again.
      writeFileSync(resultPath, JSON.stringify({ result }));
      return result;
    }
    if (lockIsStale(lockPath)) rmSync(lockPath, { force: true });
    else sleep(50);
  }
}

function readResult<T>(path: string): T | undefined {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { result: T }).result;
  } catch {
    return undefined; // not written yet, or half-written
  }
}

function takeLock(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx'));
    return true;
  } catch {
    return false;
  }
}

/** A lock older than any probe can take: its worker died while probing. */
function lockIsStale(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > PROBE_TIMEOUT_MS + 10_000;
  } catch {
    return false;
  }
}

function sleep(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}
