/**
 * The vocabulary a corpus on disk has (internal: the reader reads with it, the writer keeps its
 * ids): `annotations/vocabulary.json`, or, without one, the one derived from the train split.
 */
import { stat, readFile } from 'node:fs/promises';
import { ArgumentError } from '@slr/core';
import { GlossVocabulary } from '../../vocabulary';
import { annotations } from './annotations';
import { PhoenixDataError, phoenixPaths } from './layout';

/** The vocabulary of a corpus on disk, and where its ids come from. */
export interface CorpusVocabulary {
  vocabulary: GlossVocabulary;
  /** Whether it was derived from the train split (there is no `vocabulary.json`). */
  derived: boolean;
  /** Where the ids come from, for messages. */
  source: string;
}

/**
 * `annotations/vocabulary.json` of `dir` when it exists; otherwise every distinct gloss of the
 * train split in code-point order, with the blank `blank` (in memory: nothing is written).
 * Without either: an error when `required`, else `undefined`. A malformed file is a
 * {@link PhoenixDataError} naming it.
 */
export async function corpusVocabulary(
  dir: string,
  blank: string,
  { required }: { required: boolean },
): Promise<CorpusVocabulary | undefined> {
  const paths = phoenixPaths(dir);
  const path = paths.vocabulary;
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!isAbsence(error))
      throw new PhoenixDataError(path, undefined, `cannot read: ${(error as Error).message}`, {
        cause: error,
      });
  }
  if (text !== undefined) {
    try {
      return {
        vocabulary: GlossVocabulary.fromJSON(JSON.parse(text)),
        derived: false,
        source: path,
      };
    } catch (error) {
      throw new PhoenixDataError(
        path,
        undefined,
        `not a valid vocabulary: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  const csv = paths.corpusCsv('train');
  if (!required && !(await exists(csv))) return undefined;
  const glosses = new Set<string>();
  for await (const entry of annotations(dir, 'train'))
    for (const gloss of entry.glosses) glosses.add(gloss);
  return {
    vocabulary: GlossVocabulary.fromGlosses(glosses, blank),
    derived: true,
    source: `derived from the train split, ${csv}, as there is no ${path}`,
  };
}

/** The text of `vocabulary.json`. */
export function vocabularyText(vocabulary: GlossVocabulary): string {
  return `${JSON.stringify(vocabulary.toJSON(), null, 2)}\n`;
}

/**
 * The vocabulary of a corpus after writing `glosses` into it: the one on disk, its ids kept,
 * then the glosses it lacks in code-point order; without one, {@link GlossVocabulary.fromGlosses}.
 */
export function grownVocabulary(
  onDisk: GlossVocabulary | undefined,
  glosses: Iterable<string>,
): GlossVocabulary {
  if (onDisk === undefined) return GlossVocabulary.fromGlosses(glosses);
  const added = [...new Set(glosses)].filter((gloss) => !onDisk.has(gloss));
  if (added.length === 0) return onDisk;
  return GlossVocabulary.ordered(
    [...onDisk.glosses, ...GlossVocabulary.fromGlosses(added, onDisk.blank).glosses],
    onDisk.blank,
  );
}

/**
 * Checks that `given` (`options.vocabulary` of `fn`) keeps every id of the corpus vocabulary
 * `onDisk`: the same blank, and each gloss on disk at the same id (new glosses only after them).
 */
export function checkKeepsIds(fn: string, given: GlossVocabulary, onDisk: CorpusVocabulary): void {
  const { vocabulary, source } = onDisk;
  const fail = (got: string) =>
    new ArgumentError(
      fn,
      'options.vocabulary',
      `keep the id of every gloss of the corpus (${source}; a corpus's vocabulary only grows)`,
      given,
      { actualText: got },
    );
  if (given.blank !== vocabulary.blank)
    throw fail(
      `a vocabulary whose blank is '${given.blank}' where the corpus has '${vocabulary.blank}'`,
    );
  vocabulary.glosses.forEach((gloss, index) => {
    const id = index + 1;
    if (!given.has(gloss)) throw fail(`a vocabulary without '${gloss}' (id ${id} in the corpus)`);
    const newId = given.idOf(gloss);
    if (newId !== id)
      throw fail(`a vocabulary with '${gloss}' at id ${newId} where the corpus has it at id ${id}`);
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isAbsence(error)) return false;
    throw new PhoenixDataError(path, undefined, `cannot read: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Whether `error` says that there is no such file (nor could be: a part of the path is a file). */
function isAbsence(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
