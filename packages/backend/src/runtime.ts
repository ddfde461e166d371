/**
 * Node.js detection and imports of optional modules. The specifiers are passed as variables so
 * that bundlers building for browsers neither follow nor fail on them.
 */

/**
 * True in Node.js (and runtimes that imitate it, such as Bun).
 *
 * @example
 * ```ts
 * const where = isNode() ? `Node.js ${process.versions.node}` : 'a browser';
 * ```
 */
export function isNode(): boolean {
  return (
    typeof process !== 'undefined' && process.versions != null && process.versions.node != null
  );
}

/**
 * `import(specifier)`, hidden from bundlers.
 *
 * @example
 * ```ts
 * const os = await importModule<typeof import('node:os')>('node:os');
 * ```
 */
export async function importModule<T>(specifier: string): Promise<T> {
  return (await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier)) as T;
}

/**
 * Whether `error` says that `specifier` itself could not be found (as opposed to a module it
 * imports, or a native binding that failed to load).
 *
 * @example
 * ```ts
 * try {
 *   await importModule('@tensorflow/tfjs-node');
 * } catch (error) {
 *   if (!isModuleNotFound(error, '@tensorflow/tfjs-node')) throw error; // installed, but broken
 *   console.log('npm install @tensorflow/tfjs-node');
 * }
 * ```
 */
export function isModuleNotFound(error: unknown, specifier: string): boolean {
  if (error == null || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /Cannot find (package|module)|Failed to (load|resolve)|Could not resolve/i.test(text);
  if (!notFound) return false;
  const escaped = specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  // '@tensorflow/tfjs-node' must not match a message about '@tensorflow/tfjs-node-gpu'.
  return new RegExp(`(^|[\\s'"\`(])${escaped}(?![\\w-])`).test(text);
}
