import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'docs/*.test.ts',
      'scripts/**/*.test.ts',
      'python/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['./vitest.setup.ts'],
    // After vitest's own: the suites skipped for lack of a WebGPU adapter, Chromium or PyTorch.
    reporters: ['default', '@slr/test-utils/requirements-reporter'],
  },
});
