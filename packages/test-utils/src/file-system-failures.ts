/**
 * File-system failures that a test running as root cannot cause for real (a read-only file
 * system, a full disk), injected under chosen folders by wrapping `node:fs/promises` with
 * `vi.mock`. The read-only emulation does what Node 20 does on a real read-only mount (checked
 * by hand on a read-only tmpfs): a plain `mkdir` or `open(…, 'w')` fails with `EROFS`, but a
 * recursive `mkdir` of a missing folder reports `ENOENT` (Node stats the folder after the
 * `EROFS` and reports the stat's error).
 */
import { basename, dirname, sep } from 'node:path';
import type * as FsPromises from 'node:fs/promises';

/** Where the file system fails; the arrays are read at each call, so tests fill and clear them. */
export interface FileSystemFailures {
  /** Folders under which the file system is read-only. */
  readOnly: string[];
  /**
   * Writes of data that fail with `code` (`'ENOSPC'`: the disk is full): every file under
   * `root`, or `file` and the temporary files `writeFileAtomic` makes for it.
   */
  failingWrites: ({ code: string } & ({ root: string } | { file: string }))[];
}

/** errno and the system's words of the codes tests inject. */
const SYSTEM_ERRORS: Record<string, [errno: number, words: string]> = {
  ENOENT: [2, 'no such file or directory'],
  EACCES: [13, 'permission denied'],
  EEXIST: [17, 'file already exists'],
  EXDEV: [18, 'cross-device link not permitted'],
  EFBIG: [27, 'file too large'],
  ENOSPC: [28, 'no space left on device'],
  EROFS: [30, 'read-only file system'],
};

/**
 * An error as Node's file functions throw it (`code`, `errno`, `syscall`, `path`).
 *
 * @example
 * ```ts
 * throw systemError('ENOSPC', 'write', '/data/corpus/frames/0001.png');
 * ```
 */
export function systemError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const [errno, words] = SYSTEM_ERRORS[code] ?? [0, code.toLowerCase()];
  return Object.assign(new Error(`${code}: ${words}, ${syscall} '${path}'`), {
    code,
    errno: -errno,
    syscall,
    path,
  });
}

/**
 * Clears every injected failure (for an `afterEach`).
 *
 * @example
 * ```ts
 * afterEach(() => clearFileSystemFailures(failures));
 * ```
 */
export function clearFileSystemFailures(failures: FileSystemFailures): void {
  failures.readOnly.length = 0;
  failures.failingWrites.length = 0;
}

/**
 * `node:fs/promises` (`real`) with `mkdir`, `open`, `writeFile`, `rename` and `rm` failing as
 * `failures` says; the rest as it is. The mocked module for `vi.mock`.
 *
 * @example
 * ```ts
 * const failures = vi.hoisted(() => ({ readOnly: [], failingWrites: [] }) as FileSystemFailures);
 * vi.mock('node:fs/promises', async (importOriginal) => {
 *   const { withFileSystemFailures } = await import('@slr/test-utils/file-system-failures');
 *   return withFileSystemFailures(await importOriginal(), failures);
 * });
 * ```
 */
export function withFileSystemFailures(
  real: typeof FsPromises,
  failures: FileSystemFailures,
): typeof FsPromises & { default: typeof FsPromises } {
  const under = (roots: readonly string[], path: string): boolean =>
    roots.some((root) => path === root || path.startsWith(root + sep));
  const exists = (path: string): Promise<boolean> =>
    real.stat(path).then(
      () => true,
      () => false,
    );
  const readOnly = (path: string): boolean => under(failures.readOnly, path);
  const readOnlyError = async (syscall: string, path: string): Promise<Error> =>
    systemError((await exists(dirname(path))) ? 'EROFS' : 'ENOENT', syscall, path);
  const writeFailure = (path: string): string | undefined =>
    failures.failingWrites.find((failure) =>
      'root' in failure
        ? under([failure.root], path)
        : path === failure.file ||
          (dirname(path) === dirname(failure.file) &&
            basename(path).startsWith(`.${basename(failure.file)}.tmp-`)),
    )?.code;

  const mkdir = (async (path: string, options?: { recursive?: boolean }) => {
    const folder = String(path);
    if (!readOnly(folder)) return real.mkdir(path, options);
    if (await exists(folder)) {
      if (options?.recursive) return undefined;
      throw systemError('EEXIST', 'mkdir', folder);
    }
    if (options?.recursive) throw systemError('ENOENT', 'mkdir', folder);
    throw await readOnlyError('mkdir', folder);
  }) as typeof real.mkdir;

  const open = (async (path: string, flags?: string, mode?: number) => {
    const file = String(path);
    const writing = flags !== undefined && flags !== 'r';
    if (writing && readOnly(file)) throw await readOnlyError('open', file);
    const handle = await real.open(path, flags, mode);
    const code = writing ? writeFailure(file) : undefined;
    if (code === undefined) return handle;
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'writeFile' || key === 'write')
          return () => Promise.reject(systemError(code, 'write', file));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }) as typeof real.open;

  const writeFile = (async (path: string, ...rest: unknown[]) => {
    const file = String(path);
    if (readOnly(file)) throw await readOnlyError('open', file);
    const code = writeFailure(file);
    if (code !== undefined) throw systemError(code, 'write', file);
    return (real.writeFile as (...args: unknown[]) => Promise<void>)(path, ...rest);
  }) as typeof real.writeFile;

  const rename: typeof real.rename = async (from, to) => {
    if (readOnly(String(to))) throw await readOnlyError('rename', String(to));
    return real.rename(from, to);
  };

  const rm: typeof real.rm = async (path, options) => {
    if (readOnly(String(path)) && (await exists(String(path))))
      throw await readOnlyError('rm', String(path));
    return real.rm(path, options);
  };

  const mocked = { ...real, mkdir, open, writeFile, rename, rm };
  return { ...mocked, default: mocked };
}
