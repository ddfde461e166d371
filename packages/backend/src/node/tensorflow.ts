import * as tf from '@tensorflow/tfjs';
import { BackendSetupError, messageOf } from '../errors';
import { importModule, isModuleNotFound, isNode } from '../runtime';
import { switchBackend } from '../switch-backend';

/** The packages that provide the 'tensorflow' backend, in order of preference. */
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** What {@link setupTensorflow} loaded, and what failed on the way. */
export interface TensorflowSetup {
  /** The package that provides the backend, or `undefined` when it was registered already. */
  packageName?: string;
  /** Packages that are installed but failed to load, with why. */
  failures: string[];
}

/**
 * Imports `@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node`, and switches to the
 * 'tensorflow' backend they register.
 *
 * @example
 * ```ts
 * const { packageName } = await setupTensorflow(); // '@tensorflow/tfjs-node'
 * ```
 */
export async function setupTensorflow(): Promise<TensorflowSetup> {
  if (tf.findBackendFactory('tensorflow') != null) {
    await switchBackend('tensorflow');
    return { failures: [] };
  }
  if (!isNode()) {
    throw new BackendSetupError(
      'NOT_NODE',
      "The 'tensorflow' backend (TensorFlow's C library) exists only in Node.js.",
      'not Node.js',
    );
  }
  const failures: string[] = [];
  const errors: unknown[] = [];
  for (const packageName of TENSORFLOW_PACKAGES) {
    try {
      await importModule(packageName);
    } catch (error) {
      if (!isModuleNotFound(error, packageName)) {
        failures.push(`${packageName} failed to load: ${messageOf(error)}`);
        errors.push(error);
      }
      continue;
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      failures.push(
        `${packageName} loaded but registered no 'tensorflow' backend (is it a 4.x version?)`,
      );
      continue;
    }
    await switchBackend('tensorflow');
    return { packageName, failures };
  }
  if (failures.length === 0) {
    throw new BackendSetupError(
      'TENSORFLOW_NOT_INSTALLED',
      "The 'tensorflow' backend needs TensorFlow's native bindings for Node.js: " +
        'npm install @tensorflow/tfjs-node (or -gpu)',
      'tensorflow not installed',
    );
  }
  throw new BackendSetupError(
    'TENSORFLOW_LOAD_FAILED',
    `The 'tensorflow' backend could not be loaded:\n  ${failures.join('\n  ')}`,
    `tensorflow failed to load (${failures[0].split('\n')[0]})`,
    { cause: errors[0] },
  );
}
