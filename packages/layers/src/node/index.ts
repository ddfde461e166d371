/**
 * `@slr/layers/node`: what of `@slr/layers` needs Node.js — saving a `tf.LayersModel` to a
 * folder atomically and loading it back, in the standard tfjs format, without tfjs-node. Import
 * `@slr/layers` (or the model package that defines the model's layers) before loading, so that
 * its custom layers are registered.
 *
 * @module @slr/layers/node
 */
export * from './model-io';
