import * as tf from '@tensorflow/tfjs';

/**
 * Keeps tfjs's CPU backend from printing "Hi, looks like you are running TensorFlow.js in
 * Node.js…". The CPU backend prints it through tfjs's `warn()` on its first `write()`, and
 * `warn()` prints nothing while the `PROD` flag is set; so this makes that first write happen
 * now, with `PROD` set for just that moment, and puts `PROD` back as it was. Initialises the
 * CPU backend (cheap). Does nothing outside Node.js or when the CPU backend already wrote.
 *
 * @example
 * ```ts
 * silenceNodeBanner();
 * tf.tensor([1, 2]); // no banner
 * ```
 */
export function silenceNodeBanner(): void {
  if (!tf.env().getBool('IS_NODE') || tf.findBackendFactory('cpu') == null) return;
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    const backend = tf.findBackend('cpu');
    if (backend == null) return;
    const dataId = backend.write(new Float32Array(1), [1], 'float32');
    backend.disposeData(dataId, true);
  } finally {
    tf.env().set('PROD', prod);
  }
}
