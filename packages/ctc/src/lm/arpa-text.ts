/** Reading the text of an ARPA file from a string or its bytes. */
import { ArgumentError, describeValue } from '@slr/core';

/**
 * The text of an ARPA file passed to `fn`: a string as it is, bytes (a `Uint8Array`, which a
 * Node.js `Buffer` is) decoded as UTF-8, a byte-order mark dropped. Anything else, or bytes
 * that are not UTF-8, throws an `ArgumentError`.
 *
 * @example
 * ```ts
 * arpaText('parseArpa', new TextEncoder().encode('ngram 1=1')); // 'ngram 1=1'
 * ```
 */
export function arpaText(fn: string, text: unknown): string {
  if (typeof text === 'string') return text;
  if (!(text instanceof Uint8Array)) {
    throw new ArgumentError(
      fn,
      'text',
      'be the text of an ARPA file: a string, or its UTF-8 bytes (a Uint8Array or Buffer)',
      text,
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch (cause) {
    throw new ArgumentError(fn, 'text', 'be UTF-8 text', text, {
      actualText: `${describeValue(text)} with bytes that are not UTF-8`,
      cause,
    });
  }
}
