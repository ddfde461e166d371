/**
 * The corpus CSV's lines as a stream (internal: the reader and the writer's vocabulary use it).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Split } from '../../types';
import { parsePhoenixCsvLine } from './csv';
import { PHOENIX_CSV_HEADER, PhoenixDataError, phoenixPaths, type PhoenixCsvEntry } from './layout';

/** The checked lines of a split's corpus CSV (`readPhoenixAnnotations`, without its argument checks). */
export async function* annotations(dir: string, split: Split): AsyncGenerator<PhoenixCsvEntry> {
  const file = phoenixPaths(dir).corpusCsv(split);
  try {
    if (!(await stat(file)).isFile()) throw new PhoenixDataError(file, undefined, 'is not a file.');
  } catch (error) {
    if (error instanceof PhoenixDataError) throw error;
    throw new PhoenixDataError(
      file,
      undefined,
      `cannot read the ${split} annotations: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const ids = new Set<string>();
  let number = 0;
  try {
    for await (const text of lines) {
      number += 1;
      if (number === 1) {
        const header = text.replace(/^\uFEFF/, '').trim();
        if (header !== PHOENIX_CSV_HEADER)
          throw new PhoenixDataError(
            file,
            1,
            `expected the header '${PHOENIX_CSV_HEADER}' but found '${header.slice(0, 80)}'.`,
          );
        continue;
      }
      if (text.trim() === '') continue;
      const entry = parsePhoenixCsvLine(text, file, number);
      if (ids.has(entry.id))
        throw new PhoenixDataError(file, number, `the id '${entry.id}' appears twice.`);
      ids.add(entry.id);
      yield entry;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (number === 0)
    throw new PhoenixDataError(
      file,
      1,
      `the file is empty (expected the header '${PHOENIX_CSV_HEADER}').`,
    );
}
