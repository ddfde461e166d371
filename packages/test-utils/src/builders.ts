/**
 * Small builders shared by the tests of decoders and losses.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Log-softmax of each row of logits, rounded to float32 as a tensor will hold it.
 *
 * @example
 * ```ts
 * logSoftmaxRows([[0, 0]]); // [[-0.6931471824645996, -0.6931471824645996]]
 * ```
 */
export function logSoftmaxRows(logits: readonly (readonly number[])[]): number[][] {
  return logits.map((row) => {
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((sum, x) => sum + Math.exp(x - max), 0));
    return row.map((x) => Math.fround(x - logSum));
  });
}

/**
 * `[T][B][V]` nested arrays → a `[T, B, V]` tensor.
 *
 * @example
 * ```ts
 * const logProbs = toTensor3d([[[-0.1, -2.3]]], 1, 2);
 * ```
 */
export function toTensor3d(
  frames: readonly (readonly (readonly number[])[])[],
  B: number,
  V: number,
): tf.Tensor3D {
  return tf.tensor3d(frames.flat(2), [frames.length, B, V]);
}

/**
 * A trigram ARPA model over the words A, B, C in which every order has hits and misses,
 * contexts with and without back-off weights, and `<s>`, `</s>`, `<unk>`; read it with
 * `NGramLanguageModel.fromArpa(TRIGRAM_ARPA, { vocabulary: TRIGRAM_VOCABULARY })`.
 */
export const TRIGRAM_ARPA = `
\\data\\
ngram 1=6
ngram 2=5
ngram 3=2

\\1-grams:
-1.5\t<unk>
-99\t<s>\t-0.4
-0.8\t</s>
-0.5\tA\t-0.3
-0.7\tB\t-0.2
-0.9\tC\t-0.1

\\2-grams:
-0.2\t<s> A\t-0.15
-0.6\tA B\t-0.25
-0.4\tB </s>
-0.3\tB A
-0.35\tC </s>

\\3-grams:
-0.1\t<s> A B
-0.05\tA B </s>

\\end\\
`;

/** Token ids of {@link TRIGRAM_ARPA}'s words: blank 0, A 1, B 2, C 3. */
export const TRIGRAM_VOCABULARY = [null, 'A', 'B', 'C'];
