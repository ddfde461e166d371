import { describe, expect, it } from 'vitest';
import { importModule, isModuleNotFound } from './runtime';

describe('isModuleNotFound', () => {
  it('recognises the error of importing a package that is not installed', async () => {
    const error = await importModule('@tensorflow/tfjs-node').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeDefined();
    expect(isModuleNotFound(error, '@tensorflow/tfjs-node')).toBe(true);
    expect(isModuleNotFound(error, '@tensorflow/tfjs')).toBe(false);
  });

  it("tells a package from another whose name it begins ('-gpu')", () => {
    const error = Object.assign(
      new Error("Cannot find package '@tensorflow/tfjs-node-gpu' imported from /app/index.js"),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    expect(isModuleNotFound(error, '@tensorflow/tfjs-node-gpu')).toBe(true);
    expect(isModuleNotFound(error, '@tensorflow/tfjs-node')).toBe(false);
  });

  it('does not take a failing native binding for a missing package', () => {
    const error = new Error(
      'libtensorflow.so.2: cannot open shared object file: No such file or directory',
    );
    expect(isModuleNotFound(error, '@tensorflow/tfjs-node')).toBe(false);
    expect(isModuleNotFound(undefined, 'webgpu')).toBe(false);
  });
});
