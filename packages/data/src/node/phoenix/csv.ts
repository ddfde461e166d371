/**
 * The corpus CSV's data lines (internal: the reader parses them, the writer formats them).
 */
import { isSafeName } from './internal';
import { PHOENIX_CSV_HEADER, type PhoenixCsvEntry, PhoenixDataError } from './layout';

/**
 * Parses one data line of a corpus CSV (`id|folder|signer|annotation`); any problem is a
 * {@link PhoenixDataError} naming `file:line`.
 *
 * @example
 * ```ts
 * parsePhoenixCsvLine('a-0|a-0/1/*.png|Signer01|REGEN MORGEN', 'train.corpus.csv', 2);
 * // { id: 'a-0', folder: 'a-0/1/*.png', signer: 'Signer01', glosses: ['REGEN', 'MORGEN'], … }
 * ```
 */
export function parsePhoenixCsvLine(text: string, file: string, line: number): PhoenixCsvEntry {
  const columns = text.replace(/\r$/, '').split('|');
  if (columns.length !== 4) {
    throw new PhoenixDataError(
      file,
      line,
      `expected 4 '|'-separated columns (${PHOENIX_CSV_HEADER}) but found ${columns.length}: '${truncate(text)}'.`,
    );
  }
  const [id, folder, signer, annotation] = columns.map((column) => column.trim());
  if (id === '') throw new PhoenixDataError(file, line, 'the id column is empty.');
  if (!isSafeName(id))
    throw new PhoenixDataError(file, line, `the id '${id}' is not a plain folder name.`);
  if (folder === '') throw new PhoenixDataError(file, line, 'the folder column is empty.');
  if (folder.startsWith('/') || folder.split('/').some((part) => part === '..' || part === '')) {
    throw new PhoenixDataError(
      file,
      line,
      `the folder '${folder}' must be a relative path like '<id>/1/*.png'.`,
    );
  }
  const glosses = annotation === '' ? [] : annotation.split(/\s+/);
  if (glosses.length === 0)
    throw new PhoenixDataError(file, line, `the annotation of '${id}' is empty.`);
  return { id, folder, signer, glosses, file, line };
}

/**
 * The CSV line (without newline) the writer emits for a sample.
 *
 * @example
 * ```ts
 * formatPhoenixCsvLine({ id: 'a-0', signer: 'Signer01', glosses: ['REGEN'] });
 * // 'a-0|a-0/1/*.png|Signer01|REGEN'
 * ```
 */
export function formatPhoenixCsvLine(sample: {
  id: string;
  signer: string;
  glosses: readonly string[];
}): string {
  return `${sample.id}|${sample.id}/1/*.png|${sample.signer}|${sample.glosses.join(' ')}`;
}

function truncate(text: string, length = 80): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
