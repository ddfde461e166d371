/**
 * Frames in, glosses out: the streaming student and a streaming CTC beam search (with the
 * n-gram LM when there is one), with the numbers the page shows. No DOM: the browser test runs
 * the same code in Node.js for its reference transcript.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  createCtcStreamingBeamSearch,
  NGramLanguageModel,
  type CtcStreamingBeamSearch,
} from '@slr/ctc';
import type { GlossVocabulary } from '@slr/data';
import {
  createStudentStream,
  type StudentStream,
  type StudentStreamOptions,
} from './student-stream';

/** Options of {@link createRecognizer}. */
export interface RecognizerOptions extends StudentStreamOptions {
  /** The text of an ARPA n-gram LM over the glosses, or undefined for none. */
  arpa?: string;
  /** Beam width of the decoder. Default 8. */
  beamWidth?: number;
  /** LM weight. Default 0.5. */
  lmWeight?: number;
  /** Classes shown per output frame in the chart. Default 3. */
  topK?: number;
}

/** One output frame's most probable classes, for the chart. */
export interface FrameTopK {
  /** Output frame index. */
  frame: number;
  /** Class ids, most probable first. */
  ids: number[];
  /** Their probabilities. */
  probs: number[];
}

/** What a push or finish changed. */
export interface RecognizerUpdate {
  /** The final glosses so far (all of them after `finish`). */
  stable: string[];
  /** The rest of the best hypothesis (empty after `finish`). */
  partial: string[];
  /** The new output frames' top-k classes. */
  topK: FrameTopK[];
  /** Output frames decoded since the stream began. */
  outputFrames: number;
  /** Milliseconds the student took on this push. */
  modelMs: number;
  /** Milliseconds the decoder took on this push. */
  decoderMs: number;
}

/** See {@link createRecognizer}. */
export interface Recognizer {
  readonly student: StudentStream;
  readonly vocabulary: GlossVocabulary;
  readonly hasLm: boolean;
  /** Frames `[t, H, W, 3]` (RGB in [0, 1], H×W the model's). The caller keeps the tensor. */
  push(frames: tf.Tensor4D): Promise<RecognizerUpdate>;
  /** Ends the stream: the final transcript in `stable`. The recognizer then starts anew. */
  finish(): Promise<RecognizerUpdate>;
}

const now = (): number => globalThis.performance.now();

/** The running recognizer of `model` (a MobileNetV3 student) over `vocabulary`. */
export function createRecognizer(
  model: tf.LayersModel,
  vocabulary: GlossVocabulary,
  options: RecognizerOptions = {},
): Recognizer {
  const student = createStudentStream(model, options);
  const lm =
    options.arpa === undefined
      ? undefined
      : NGramLanguageModel.fromArpa(options.arpa, {
          vocabulary: [null, ...vocabulary.glosses],
        });
  const decoder: CtcStreamingBeamSearch = createCtcStreamingBeamSearch({
    classes: student.classes,
    beamWidth: options.beamWidth ?? 8,
    ...(lm === undefined ? {} : { lm, lmWeight: options.lmWeight ?? 0.5 }),
  });
  const topK = options.topK ?? 3;
  const V = student.classes;

  const glosses = (ids: readonly number[]): string[] => ids.map((id) => vocabulary.glossOf(id));

  function topKOf(logProbs: Float32Array, firstFrame: number): FrameTopK[] {
    const out: FrameTopK[] = [];
    for (let f = 0; f * V < logProbs.length; f++) {
      const row = Array.from(logProbs.subarray(f * V, (f + 1) * V), (value, id) => ({ value, id }));
      row.sort((a, b) => b.value - a.value || a.id - b.id);
      const best = row.slice(0, topK);
      out.push({
        frame: firstFrame + f,
        ids: best.map((entry) => entry.id),
        probs: best.map((entry) => Math.exp(entry.value)),
      });
    }
    return out;
  }

  async function step(run: () => Promise<Float32Array>, end: boolean): Promise<RecognizerUpdate> {
    const start = now();
    const logProbs = await run();
    const modelDone = now();
    const firstFrame = decoder.frames;
    decoder.push(logProbs);
    let stable: string[];
    let partial: string[];
    if (end) {
      const [best] = decoder.finish();
      stable = glosses(best.tokens);
      partial = [];
    } else {
      const hypothesis = decoder.partial();
      stable = glosses(hypothesis.tokens.slice(0, hypothesis.stableTokens));
      partial = glosses(hypothesis.tokens.slice(hypothesis.stableTokens));
    }
    const outputFrames = firstFrame + logProbs.length / V;
    if (end) decoder.reset();
    return {
      stable,
      partial,
      topK: topKOf(logProbs, firstFrame),
      outputFrames,
      modelMs: modelDone - start,
      decoderMs: now() - modelDone,
    };
  }

  return {
    student,
    vocabulary,
    hasLm: lm !== undefined,
    push: (frames) => step(() => student.push(frames), false),
    finish: () => step(() => student.flush(), true),
  };
}

/**
 * Checks that the model's classes are the vocabulary's glosses and the blank; the message says
 * what to do when they are not (a wrong model/vocabulary pairing).
 */
export function pairingProblem(
  modelClasses: number,
  vocabulary: GlossVocabulary,
): string | undefined {
  if (modelClasses === vocabulary.size) return undefined;
  return (
    `The model has ${modelClasses} output classes but the vocabulary has ${vocabulary.size - 1} ` +
    `glosses + blank = ${vocabulary.size}: they were not trained together. Use the vocabulary.json ` +
    `written with this model (or the model trained with this vocabulary).`
  );
}
