/**
 * What the test workers (through {@link describeRequiring}) and the requirements reporter (in
 * vitest's own process) share: the names of what a suite can need, the record a skipped suite
 * leaves in its `meta`, and the variable that names one run's probe folder. Nothing here
 * imports vitest's runtime, so the reporter can load it.
 */

/**
 * What a suite can need that a fresh machine with only Node.js and pnpm lacks:
 * - `'webgpu'`: a WebGPU adapter (Dawn, through `setupBackend('webgpu')` from `@slr/backend`);
 * - `'vulkan-loader'`: the Vulkan loader (`libvulkan.so.1`), with or without a driver, for
 *   tests that hide the drivers from Dawn and check what it says;
 * - `'chromium'`: the Chromium binary at {@link CHROMIUM_PATH};
 * - `'pytorch'`: `/usr/bin/python3` that can `import torch`.
 */
export type Requirement = 'webgpu' | 'vulkan-loader' | 'chromium' | 'pytorch';

/**
 * A requirement a suite declared and this machine lacks: what is needed, what is missing and
 * the command that provides it.
 */
export interface MissingRequirement {
  /** Which requirement. */
  requirement: Requirement;
  /** What the suite needs, in words: `'a WebGPU adapter'`. */
  needs: string;
  /** What this machine lacks, in words: `'none found: no Vulkan loader (libvulkan1 missing)'`. */
  missing: string;
  /** The command that provides it. */
  install: string;
}

declare module 'vitest' {
  interface TaskMeta {
    /** Set on a suite skipped for lack of what it needs (never under CI=true). */
    missingRequirements?: MissingRequirement[];
  }
}

/**
 * The environment variable naming the folder where one run's probes are cached, so that test
 * files (each in its own worker process) probe each requirement once per run. The requirements
 * reporter sets it before the workers start; without it each worker probes for itself.
 */
export const REQUIREMENT_PROBES_FOLDER_VARIABLE = 'SLR_TEST_REQUIREMENT_PROBES';

/**
 * A missing requirement in one line: what is needed, what is missing and how to get it.
 *
 * @example
 * ```ts
 * explainMissing({
 *   requirement: 'chromium',
 *   needs: 'Chromium',
 *   missing: 'not found at /usr/bin/chromium',
 *   install: '.ci/install-test-requirements chromium',
 * }); // 'needs Chromium — not found at /usr/bin/chromium. Install: .ci/install-test-requirements chromium'
 * ```
 */
export function explainMissing(missing: MissingRequirement): string {
  return `needs ${missing.needs} — ${missing.missing}. Install: ${missing.install}`;
}
