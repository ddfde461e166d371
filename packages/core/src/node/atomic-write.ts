/**
 * Atomic file writes: every file the `@slr` packages write (models, checkpoints, corpora,
 * reports) goes through {@link writeFileAtomic}, so a reader sees the old file or the new one,
 * never a half-written one, whatever kills the process.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { makeFolder } from './create-folder';
import { FileSystemError } from './file-system-error';

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /**
   * Create the file's folder (and its parents) first, as {@link createFolder} does. Default
   * `false`.
   */
  createFolder?: boolean;
  /**
   * Flush the file, and then its folder's entry, to the disk before returning, so that the new
   * file survives a power loss too. Default `true`.
   */
  durable?: boolean;
}

/**
 * A unique temporary name beside `path`, in the same folder so that the rename is atomic, and
 * hidden (a leading dot) so that listings of the folder do not show it.
 *
 * @example
 * ```ts
 * temporaryPathBeside('runs/a/latest.json'); // 'runs/a/.latest.json.tmp-4242-9f3a1c0e'
 * ```
 */
export function temporaryPathBeside(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/**
 * Writes `data` to `path` atomically: into a temporary file beside it, flushed to the disk,
 * then renamed over `path` (and the folder flushed). On any failure the temporary file is
 * removed and a {@link FileSystemError} names `path` (never the temporary file), the operation
 * and the cause in words.
 *
 * @example
 * ```ts
 * const history = { loss: [3.2, 1.4, 0.6] };
 * await writeFileAtomic('runs/overfit/history.json', JSON.stringify(history), {
 *   createFolder: true,
 * });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const durable = options.durable ?? true;
  if (options.createFolder) {
    try {
      await makeFolder(dirname(path));
    } catch (error) {
      throw new FileSystemError('create the folder of', path, error);
    }
  }
  const temporary = temporaryPathBeside(path);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new FileSystemError('write', path, error);
  }
  if (durable) await syncFolder(dirname(path));
}

/**
 * Flushes a folder's entries (a rename into it) to the disk. Best effort: some platforms
 * (Windows) and file systems cannot open a folder for syncing, and the write has already
 * happened.
 *
 * @example
 * ```ts
 * import { rename } from 'node:fs/promises';
 *
 * await rename('runs/a/.checkpoint-0001.tmp', 'runs/a/checkpoint-0001');
 * await syncFolder('runs/a'); // the rename now survives a power loss
 * ```
 */
export async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Not supported here; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
