import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';

/**
 * Runs `build`, a synchronous function that creates layers or a model, and returns what it
 * returns; when it throws, first disposes of every variable (layer weight) registered during
 * the call, so that a build that fails halfway leaves `tf.memory().numTensors` as it found it.
 * The `@slr` model builders run inside it. Synchronous code only: nothing else runs meanwhile,
 * so every variable created during the call is the build's own.
 *
 * @example
 * ```ts
 * const model = disposeOnError(() => {
 *   const input = tf.input({ shape: [16] });
 *   const output = tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor;
 *   return tf.model({ inputs: input, outputs: output });
 * });
 * ```
 */
export function disposeOnError<T>(build: () => T): T {
  if (typeof build !== 'function')
    throw new ArgumentError('disposeOnError', 'build', 'be a function', build);
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    return build();
  } catch (error) {
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables))
      if (!before.has(name)) variable.dispose();
    throw error;
  }
}
