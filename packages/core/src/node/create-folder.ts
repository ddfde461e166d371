/**
 * Creating folders with the real cause of a failure: Node's recursive `mkdir` reports a missing
 * folder on a read-only file system as `ENOENT` ("no such file or folder") instead of `EROFS`.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FileSystemError } from './file-system-error';

/**
 * Creates `folder` and any missing parents (`mkdir -p`); an existing folder is fine. A failure
 * is a {@link FileSystemError} naming `folder` and the real cause: "Could not create the folder
 * 'runs/a': the file system is read-only (EROFS)." (Node's `mkdir(…, { recursive: true })`
 * says `ENOENT` there.)
 *
 * @example
 * ```ts
 * await createFolder('runs/overfit/checkpoints');
 * ```
 */
export async function createFolder(folder: string): Promise<void> {
  try {
    await makeFolder(folder);
  } catch (error) {
    throw new FileSystemError('create the folder', folder, error);
  }
}

/**
 * {@link createFolder} without the wording: one `mkdir` at a time, from the first missing parent
 * down, so that the error is the one the file system gave for the folder it could not make.
 */
export async function makeFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder);
    return;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EEXIST' && (await isFolder(folder))) return;
    const parent = dirname(folder);
    if (code !== 'ENOENT' || parent === folder) throw error;
    await makeFolder(parent);
  }
  try {
    await mkdir(folder);
  } catch (error) {
    // Made by someone else in between: as good.
    if (!(codeOf(error) === 'EEXIST' && (await isFolder(folder)))) throw error;
  }
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}
