import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { BackendSetupError } from '../errors';

/**
 * Finding out why Dawn returned no adapter. Dawn's native code prints the reason (the Vulkan
 * loader's dlopen error, "Found no drivers!") to the process's stderr, where JavaScript cannot
 * read it, and `requestAdapter()` just resolves to `null`; so the same request is repeated in
 * a child process whose stderr is captured.
 */

/**
 * Lines of Dawn's output that are noise rather than a reason (lavapipe prints them on every
 * adapter).
 */
const NOISE = [/artificially reduced from/];

const VULKAN_DRIVERS =
  'the NVIDIA driver for an NVIDIA GPU, Mesa (mesa-vulkan-drivers) for AMD or Intel, ' +
  'or mesa-vulkan-drivers >= 25 for lavapipe, a software adapter that runs on the CPU ' +
  '(Debian bookworm: from bookworm-backports). ' +
  '`vulkaninfo --summary` (package vulkan-tools) lists what the Vulkan loader finds.';

/**
 * The lines of Dawn's output worth showing.
 *
 * @example
 * ```ts
 * relevantDawnOutput('Found no drivers!\nmaxBufferSize artificially reduced from 4294967296\n');
 * // ['Found no drivers!']: lavapipe's "artificially reduced" warnings are noise
 * ```
 */
export function relevantDawnOutput(output: string): string[] {
  return output
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '' && !NOISE.some((pattern) => pattern.test(line)));
}

/**
 * The error for "Dawn found no adapter", from what Dawn printed while looking for one.
 *
 * @param output - what Dawn printed to stderr (empty when unknown)
 * @param platform - `process.platform`
 *
 * @example
 * ```ts
 * const error = explainMissingAdapter('Warning: vkCreateInstance: Found no drivers!', 'linux');
 * error.code; // 'NO_VULKAN_DRIVER'
 * ```
 */
export function explainMissingAdapter(output: string, platform: string): BackendSetupError {
  const lines = relevantDawnOutput(output);
  const printed = lines.length > 0 ? `\nDawn printed:\n  ${lines.slice(0, 12).join('\n  ')}` : '';
  const text = lines.join('\n');

  const loader = /Couldn't load Vulkan:?\s*(.*)/.exec(text);
  if (loader != null) {
    return new BackendSetupError(
      'NO_VULKAN_LOADER',
      `Dawn found no WebGPU adapter: it could not load the Vulkan loader (${loader[1].trim() || 'libvulkan.so.1'}). ` +
        'Install it (Debian/Ubuntu: apt-get install libvulkan1; Fedora: dnf install vulkan-loader). ' +
        `WebGPU also needs a Vulkan driver: ${VULKAN_DRIVERS}${printed}`,
      'no Vulkan loader (libvulkan1 missing)',
    );
  }
  if (/Found no drivers|VK_ERROR_INCOMPATIBLE_DRIVER/i.test(text)) {
    return new BackendSetupError(
      'NO_VULKAN_DRIVER',
      `Dawn found no WebGPU adapter: the Vulkan loader found no driver. Install one: ${VULKAN_DRIVERS}${printed}`,
      'no Vulkan driver',
    );
  }
  const hint =
    platform === 'linux'
      ? `On Linux Dawn uses Vulkan, which needs a driver: ${VULKAN_DRIVERS}`
      : platform === 'darwin'
        ? 'On macOS Dawn uses Metal, which needs macOS 11 or newer.'
        : platform === 'win32'
          ? 'On Windows Dawn uses Direct3D 12 or Vulkan: update the GPU driver.'
          : `Dawn may not support this platform (${platform}).`;
  return new BackendSetupError(
    'NO_ADAPTER',
    `Dawn found no WebGPU adapter. ${hint}${printed}`,
    'no adapter found',
  );
}

/** Where the `webgpu` package's entry lies, or `undefined` when it cannot be found. */
function dawnModuleUrl(): string | undefined {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return undefined;
  }
}

const CHILD_SCRIPT = `
const [url, flags, options] = process.argv.slice(1);
const { create } = await import(url);
const adapter = await create(JSON.parse(flags)).requestAdapter(JSON.parse(options));
process.stdout.write(JSON.stringify({ found: adapter != null }));
`;

/**
 * Repeats Dawn's adapter request in a child process and returns the error that explains why
 * there was no adapter.
 *
 * @param dawnFlags - the flags the GPU object was created with
 * @param adapterOptions - the options of `requestAdapter()`
 * @param env - the child's environment (default: this process's)
 *
 * @example
 * ```ts
 * throw await diagnoseMissingAdapter([], { powerPreference: 'high-performance' });
 * ```
 */
export async function diagnoseMissingAdapter(
  dawnFlags: string[],
  adapterOptions: { powerPreference?: string },
  env: Record<string, string | undefined> = process.env,
): Promise<BackendSetupError> {
  const url = dawnModuleUrl();
  if (url == null) return explainMissingAdapter('', process.platform);
  const stderr = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        CHILD_SCRIPT,
        url,
        JSON.stringify(dawnFlags),
        JSON.stringify(adapterOptions),
      ],
      { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 30_000, encoding: 'utf8' },
      (_error, _stdout, output) => resolve(String(output ?? '')),
    );
  });
  return explainMissingAdapter(stderr, process.platform);
}
