import * as tf from '@tensorflow/tfjs';
import { BackendSetupError } from './errors';

/**
 * `tf.setBackend(name)`, failing with an error when tfjs could not initialise it.
 *
 * @example
 * ```ts
 * await switchBackend('cpu');
 * ```
 */
export async function switchBackend(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) {
    throw new BackendSetupError(
      'SET_BACKEND_FAILED',
      `tf.setBackend('${name}') failed (tf.getBackend() is '${tf.getBackend()}'); tfjs printed the reason above.`,
      `tf.setBackend('${name}') failed`,
    );
  }
}
