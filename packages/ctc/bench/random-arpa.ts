/** A random n-gram language model for the decoding benchmarks. */
/** A random bigram ARPA model over the token ids `1..V-1` (words are the ids in decimal). */
export function randomBigramArpa(vocabularySize: number, bigramsPerWord: number, seed = 1): string {
  let state = seed;
  const random = (): number => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const words = ['<unk>', '<s>', '</s>'];
  for (let id = 1; id < vocabularySize; id++) words.push(String(id));
  const unigrams = words.map(
    (w) => `${(-1 - 3 * random()).toFixed(4)}\t${w}\t${(-0.5 * random()).toFixed(4)}`,
  );
  const bigrams = new Set<string>();
  for (const w of words) {
    if (w === '</s>' || w === '<unk>') continue;
    for (let k = 0; k < bigramsPerWord; k++) {
      const next = words[2 + Math.floor(random() * (words.length - 2))];
      if (next !== '<s>') bigrams.add(`${w} ${next}`);
    }
  }
  const bigramLines = [...bigrams].map((key) => `${(-0.3 - 2 * random()).toFixed(4)}\t${key}`);
  return [
    '\\data\\',
    `ngram 1=${unigrams.length}`,
    `ngram 2=${bigramLines.length}`,
    '',
    '\\1-grams:',
    ...unigrams,
    '',
    '\\2-grams:',
    ...bigramLines,
    '',
    '\\end\\',
    '',
  ].join('\n');
}
