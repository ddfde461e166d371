/**
 * File-system errors that say what happened in words and name the user's path (never a
 * temporary one), the operation and the cause: "Could not write 'runs/a/model.json': the disk is
 * full (ENOSPC)."
 */
import { getSystemErrorMap } from 'node:util';

/** What Node's error codes mean, for the codes a user can act on. */
const CODE_WORDS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the folder is not empty',
  EMFILE: 'too many open files',
  EBUSY: 'the resource is busy',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'an input/output error',
};

/**
 * The cause in words with its code: our words for the codes above, the system's for any other
 * (never Node's message, which names the path the system call got, perhaps a temporary one).
 */
function causeInWords(cause: unknown, code: string | undefined): string {
  const words = code === undefined ? undefined : (CODE_WORDS[code] ?? systemWords(cause, code));
  if (words !== undefined) return `${words} (${code})`;
  return cause instanceof Error ? cause.message : String(cause);
}

/** The system's description of a `code` that {@link CODE_WORDS} lacks ("file too large"). */
function systemWords(cause: unknown, code: string): string | undefined {
  const errno = (cause as { errno?: unknown }).errno;
  if (typeof errno === 'number') {
    const [name, words] = getSystemErrorMap().get(errno) ?? [];
    if (name === code && words) return words;
  }
  // Node's message is "CODE: words, syscall 'path'": keep the words.
  const message = cause instanceof Error ? cause.message : '';
  return message.startsWith(`${code}: `)
    ? /^[^:]+: (.+?), [a-z_]+(?: '.*)?$/s.exec(message)?.[1]
    : undefined;
}

/**
 * An error of the file system, worded for a person: the operation, the user's path, and the
 * cause in words with Node's code (`code` is kept so that a caller can branch on it).
 *
 * @example
 * ```ts
 * try {
 *   await writeFileAtomic('/read-only/model.json', '{}');
 * } catch (error) {
 *   if (error instanceof FileSystemError && error.code === 'EROFS') console.error(error.message);
 *   // "Could not write '/read-only/model.json': the file system is read-only (EROFS)."
 * }
 * ```
 */
export class FileSystemError extends Error {
  /** Node's error code (`'ENOSPC'`, `'EACCES'`, …), or `undefined` when there was none. */
  readonly code: string | undefined;
  /** The path the user asked for. */
  readonly path: string;
  /** What was being done: `'write'`, `'read'`, `'create the folder'`, … */
  readonly operation: string;

  constructor(operation: string, path: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const codeText = typeof code === 'string' ? code : undefined;
    super(`Could not ${operation} '${path}': ${causeInWords(cause, codeText)}.`, { cause });
    this.name = 'FileSystemError';
    this.code = codeText;
    this.path = path;
    this.operation = operation;
  }
}

/**
 * Runs `action` and rethrows a file-system failure as a {@link FileSystemError} naming
 * `operation` and `path`; any other error (and an existing `FileSystemError`) passes unchanged.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 *
 * const text = await withFileSystemError('read', 'corpus/vocabulary.json', () =>
 *   readFile('corpus/vocabulary.json', 'utf8'),
 * );
 * ```
 */
export async function withFileSystemError<T>(
  operation: string,
  path: string,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof FileSystemError) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
      throw new FileSystemError(operation, path, error);
    throw error;
  }
}
