/**
 * One continuous-signing sample, as the synthetic generator makes it and the PHOENIX-layout
 * reader returns it. Frames and keypoints are plain typed arrays (no tensors), so samples can
 * be produced, written and streamed without a tfjs backend; batching turns them into tensors.
 *
 * @example
 * ```ts
 * const corpus = generateSignCorpus({ seed: 1, glosses: 20 });
 * const sample: SignSample = corpus.renderSample(corpus.splits.train[0], { height: 112, width: 112 });
 * const [frameCount, height, width] = sample.frameShape; // [146, 112, 112]
 * sample.frames.length === frameCount * height * width * 3; // true
 * sample.glosses; // ['BLEIBEN', 'KALT', 'OST', 'STEIGEN', 'KALT', 'STEIGEN']
 * ```
 */
export interface SignSample {
  /** Unique id (PHOENIX: the `id` column, also the frame folder's name). */
  id: string;
  /** Signer identifier (PHOENIX: `Signer01` … `Signer09`). */
  signer: string;
  /** `[T, H, W, 3]`. */
  frameShape: [number, number, number, 3];
  /** Frames, row-major `[T, H, W, 3]`, RGB in [0, 1]. */
  frames: Float32Array;
  /** The gloss sequence. */
  glosses: string[];
  /** Gloss ids in the sample's vocabulary (blank is 0, so every id here is ≥ 1). */
  glossIds: number[];
  /** Ground-truth alignment: frames `[start, end)` of each sign, one per gloss, in order. */
  spans?: SignSpan[];
  /** 2-D keypoints `[T, K, 2]` (x, y in [0, 1] image coordinates), when present. */
  keypoints?: Float32Array;
  /** Names of the K keypoints, in order (for example `'leftWrist'`). */
  keypointNames?: string[];
}

/**
 * The frames one sign occupies in a sample.
 *
 * @example
 * ```ts
 * const spans: SignSpan[] = sample.spans ?? [];
 * for (const { gloss, start, end } of spans) console.log(`${gloss}: frames ${start}–${end - 1}`);
 * ```
 */
export interface SignSpan {
  /** The sign's gloss. */
  gloss: string;
  /** First frame of the sign. */
  start: number;
  /** One past its last frame. */
  end: number;
}

/** Dataset split names, as in PHOENIX-2014. */
export type Split = 'train' | 'dev' | 'test';
