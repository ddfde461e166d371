/** The bytes argument of the readers: a `Uint8Array` (a Node.js `Buffer` is one) or an `ArrayBuffer`. */
import { ArgumentError } from '@slr/core';

/**
 * `bytes` as a plain `Uint8Array` over the same memory (not a subclass: a `Buffer`'s `slice` is
 * a view, not a copy), or an `ArgumentError` naming `fn`.
 */
export function toBytes(fn: string, bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) {
    return bytes.constructor === Uint8Array
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new ArgumentError(
    fn,
    'bytes',
    "be a Uint8Array or an ArrayBuffer (a file's contents)",
    bytes,
  );
}
