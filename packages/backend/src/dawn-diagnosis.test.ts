import { describe, expect, it } from 'vitest';
import { describeRequiring } from '@slr/test-utils';
import {
  diagnoseMissingAdapter,
  explainMissingAdapter,
  relevantDawnOutput,
} from './node/dawn-diagnosis';

/** What Dawn 0.6.2 prints on Linux when dlopen("libvulkan.so.1") fails. */
const NO_LOADER =
  "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: " +
  'No such file or directory\n' +
  '    at operator() (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/' +
  'vulkan/BackendVk.cpp:368)\n';
/** …and when the Vulkan loader finds no driver (ICD). */
const NO_DRIVER =
  'Warning: vkCreateInstance: Found no drivers!\n' +
  'Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER\n' +
  '    at CheckVkSuccessImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/' +
  'native/vulkan/VulkanError.cpp:106)\n';
const LAVAPIPE_NOISE =
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 ' +
  'to fit dynamic offset allocation limit.\n';

describe('explainMissingAdapter', () => {
  it('says that libvulkan1 is missing when Dawn could not load the Vulkan loader', () => {
    const error = explainMissingAdapter(NO_LOADER, 'linux');
    expect(error.code).toBe('NO_VULKAN_LOADER');
    expect(error.message).toContain('apt-get install libvulkan1');
    expect(error.message).toContain('libvulkan.so.1: cannot open shared object file');
    expect(error.summary).toBe('no Vulkan loader (libvulkan1 missing)');
  });

  it('names the drivers to install when the Vulkan loader found none', () => {
    const error = explainMissingAdapter(NO_DRIVER, 'linux');
    expect(error.code).toBe('NO_VULKAN_DRIVER');
    expect(error.message).toContain('mesa-vulkan-drivers >= 25');
    expect(error.message).toContain('NVIDIA driver');
    expect(error.message).toContain('Found no drivers!');
  });

  it('falls back to a general explanation, quoting what Dawn printed', () => {
    const error = explainMissingAdapter(`${LAVAPIPE_NOISE}Something else\n`, 'linux');
    expect(error.code).toBe('NO_ADAPTER');
    expect(error.message).toContain('Something else');
    expect(error.message).not.toContain('artificially reduced');
    expect(explainMissingAdapter('', 'darwin').message).toContain('Metal');
  });

  it("drops lavapipe's limit warnings from the quoted output", () => {
    expect(relevantDawnOutput(`${LAVAPIPE_NOISE}\n${NO_DRIVER}`)).toHaveLength(3);
  });

  // The Vulkan loader is there, and the drivers are hidden from it.
  describeRequiring('vulkan-loader', 'with the Vulkan loader', () => {
    it("reads the reason from Dawn's own output in a child process (no Vulkan driver)", async () => {
      const env = {
        ...process.env,
        VK_ICD_FILENAMES: '/nonexistent/icd.json',
        VK_DRIVER_FILES: '/nonexistent/icd.json',
      };
      const error = await diagnoseMissingAdapter([], { powerPreference: 'high-performance' }, env);
      expect(error.code).toBe('NO_VULKAN_DRIVER');
      expect(error.message).toContain('Found no drivers!');
    });
  });
});
