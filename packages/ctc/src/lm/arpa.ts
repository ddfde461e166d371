/**
 * Parser for the ARPA back-off n-gram format (as written by KenLM's `lmplz` and SRILM).
 *
 * ```text
 * \data\
 * ngram 1=3
 * ngram 2=1
 *
 * \1-grams:
 * -1.2	<s>	-0.3
 * -0.5	HELLO	-0.2
 * -0.9	</s>
 *
 * \2-grams:
 * -0.1	<s> HELLO
 *
 * \end\
 * ```
 *
 * Every entry is `log10prob w1 ... wN [log10backoff]`; the highest order carries no back-off.
 * Anything before `\data\` and after `\end\` is ignored.
 */
import { arpaText } from './arpa-text';

/** One n-gram of an ARPA file, with its log10 values as written. */
export interface ArpaEntry {
  /** log10 P(last word | preceding words). */
  log10Prob: number;
  /** log10 back-off weight of the n-gram used as a context; 0 when absent. */
  log10Backoff: number;
}

/** The content of an ARPA file. */
export interface ArpaModel {
  /** Highest n-gram order. */
  order: number;
  /** `counts[n - 1]`: number of n-grams of order n. */
  counts: number[];
  /** Every n-gram, keyed by its words joined with single spaces. */
  ngrams: Map<string, ArpaEntry>;
}

/**
 * Malformed ARPA input; `line` is the 1-based line number the message refers to.
 *
 * @example
 * ```ts
 * try {
 *   parseArpa('\\data\\\nngram one=2');
 * } catch (error) {
 *   if (error instanceof ArpaParseError) console.error(error.line); // 2
 * }
 * ```
 */
export class ArpaParseError extends Error {
  /**
   * @param message What is wrong with the line.
   * @param line The 1-based line number the message refers to.
   */
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`ARPA line ${line}: ${message}`);
    this.name = 'ArpaParseError';
  }
}

const COUNT_LINE = /^ngram\s+(\d+)\s*=\s*(\d+)$/;
const SECTION_LINE = /^\\(\d+)-grams:$/;

function parseLog10(field: string, what: string, lineNumber: number): number {
  const lower = field.toLowerCase();
  const value = lower === '-inf' || lower === '-infinity' ? -Infinity : Number(field);
  if (field === '' || Number.isNaN(value)) {
    throw new ArpaParseError(`expected a log10 ${what} (a number), but got '${field}'`, lineNumber);
  }
  return value;
}

/**
 * Parses the text of an ARPA file (or its UTF-8 bytes). Throws an {@link ArpaParseError} naming the line for
 * malformed input: a missing `\data\` or `\end\`, a bad `ngram N=count` line, sections out of
 * order, an entry with the wrong number of fields or a non-numeric value, a positive log10
 * probability, a duplicate n-gram, or a section whose size differs from its declared count.
 *
 * @example
 * ```ts
 * const model = parseArpa('\\data\\\nngram 1=1\n\n\\1-grams:\n-0.5\tA\n\n\\end\\\n');
 * model.order;                     // 1
 * model.ngrams.get('A')!.log10Prob; // -0.5
 * ```
 */
export function parseArpa(text: string | Uint8Array): ArpaModel {
  const lines = arpaText('parseArpa', text).split(/\r?\n/);
  let index = 0;
  const next = (): string | undefined => (index < lines.length ? lines[index++].trim() : undefined);

  // Preamble: everything up to `\data\` is ignored.
  for (;;) {
    const line = next();
    if (line === undefined) throw new ArpaParseError('no \\data\\ header found', lines.length);
    if (line === '\\data\\') break;
  }

  // Counts, up to the first section header.
  const counts: number[] = [];
  const countLines: number[] = [];
  let line: string | undefined;
  for (;;) {
    line = next();
    if (line === undefined) {
      throw new ArpaParseError(
        'reached the end of the text before the \\1-grams: section',
        lines.length,
      );
    }
    if (line === '') continue;
    if (SECTION_LINE.test(line)) break;
    const match = COUNT_LINE.exec(line);
    if (match == null) {
      throw new ArpaParseError(
        `expected 'ngram N=count' or '\\1-grams:', but got '${line}'`,
        index,
      );
    }
    const order = Number(match[1]);
    if (order !== counts.length + 1) {
      throw new ArpaParseError(
        `expected the count of order ${counts.length + 1}, but got 'ngram ${order}=...'`,
        index,
      );
    }
    counts.push(Number(match[2]));
    countLines.push(index);
  }
  if (counts.length === 0) {
    throw new ArpaParseError(
      "expected at least one 'ngram N=count' line before the first section",
      index,
    );
  }
  const order = counts.length;

  const ngrams = new Map<string, ArpaEntry>();
  const entryLines = new Map<string, number>();
  let section = 0;
  let sectionSize = 0;
  const closeSection = (lineNumber: number): void => {
    if (sectionSize !== counts[section - 1]) {
      throw new ArpaParseError(
        `the \\${section}-grams: section has ${sectionSize} entries, but line ${countLines[section - 1]} ` +
          `declared 'ngram ${section}=${counts[section - 1]}'`,
        lineNumber,
      );
    }
  };

  for (;;) {
    if (line === undefined)
      throw new ArpaParseError('reached the end of the text without \\end\\', lines.length);
    if (line === '\\end\\') {
      closeSection(index);
      if (section !== order) {
        const message = `\\end\\ after the \\${section}-grams: section, but the header declares order ${order}`;
        throw new ArpaParseError(message, index);
      }
      break;
    }
    const header = SECTION_LINE.exec(line);
    if (header != null) {
      const n = Number(header[1]);
      if (section > 0) closeSection(index);
      if (n !== section + 1 || n > order) {
        const expected = section < order ? `\\${section + 1}-grams:` : '\\end\\';
        throw new ArpaParseError(`expected ${expected}, but got '${line}'`, index);
      }
      section = n;
      sectionSize = 0;
    } else if (line !== '') {
      const fields = line.split(/\s+/);
      const maxFields = section < order ? section + 2 : section + 1;
      if (fields.length < section + 1 || fields.length > maxFields) {
        const backoff =
          section < order
            ? ' and an optional log10 back-off'
            : ' (the highest order has no back-off)';
        throw new ArpaParseError(
          `a ${section}-gram entry must be a log10 probability, ${section} word(s)${backoff}, ` +
            `but got ${fields.length} field(s): '${line}'`,
          index,
        );
      }
      const log10Prob = parseLog10(fields[0], 'probability', index);
      if (log10Prob > 0) {
        throw new ArpaParseError(`a log10 probability must be <= 0, but got ${fields[0]}`, index);
      }
      const log10Backoff =
        fields.length === section + 2 ? parseLog10(fields[section + 1], 'back-off', index) : 0;
      const key = fields.slice(1, section + 1).join(' ');
      const previous = entryLines.get(key);
      if (previous !== undefined) {
        throw new ArpaParseError(
          `duplicate ${section}-gram '${key}' (first on line ${previous})`,
          index,
        );
      }
      ngrams.set(key, { log10Prob, log10Backoff });
      entryLines.set(key, index);
      sectionSize++;
    }
    line = next();
  }
  return { order, counts, ngrams };
}
