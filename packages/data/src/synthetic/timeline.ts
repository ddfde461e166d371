/**
 * Timing of a synthetic sentence: rest, movement epenthesis and signs laid out in seconds and
 * cut into frames.
 */
import { ArgumentError, checkNumber } from '@slr/core';
import { isArray } from '../checks';
import type { SignSpan } from '../types';
import { decodeSign, type DecodedSign, POSE, REST_POSE, signPose } from './motion';
import { mixSeed, Mulberry32 } from './random';
import type { SyntheticSigner } from './signers';
import type { SyntheticSign } from './signs';

/** One stretch of a synthetic video, in seconds. */
export interface SyntheticTimelineSegment {
  /** Hands at rest, a transition between poses (movement epenthesis), or a sign. */
  kind: 'rest' | 'transition' | 'sign';
  /** Start time in seconds. */
  start: number;
  /** End time in seconds. */
  end: number;
  /** For `'sign'`: the sign's position in the sentence. */
  sign?: number;
}

/**
 * The layout of one sample in time and in frames.
 *
 * @example
 * ```ts
 * const timeline = corpus.timeline(corpus.splits.train[0], 25);
 * timeline.frameCount; // ≈ timeline.duration · 25
 * ```
 */
export interface SyntheticTimeline {
  /** Seconds. */
  duration: number;
  /** Frames per second. */
  fps: number;
  /** T: `max(round(duration · fps), glosses)`; frame k shows time `(k + ½) · duration / T`. */
  frameCount: number;
  /** Rest, transition (in), sign, transition, sign, …, transition (out), rest. */
  segments: SyntheticTimelineSegment[];
  /**
   * The ground-truth alignment: one span per gloss, in order, partitioning `[0, T)` (the lead-in
   * rest goes to the first sign, the closing rest to the last, each transition is split at its
   * midpoint); every span has at least one frame.
   */
  spans: SignSpan[];
  /**
   * Frames whose time lies in the sign itself (no epenthesis, no rest), within `spans[i]`; may
   * be empty at very low fps.
   */
  coreSpans: SignSpan[];
}

const jitter = (random: Mulberry32, amount: number): number => 1 + amount * (2 * random.next() - 1);

/**
 * Plans a sentence of `signs` as `signer` would sign it, at `fps` frames per second. `seed`
 * varies the lead-in and closing rest and each sign's and transition's duration (±15 %);
 * transitions last longer the farther the hands travel; everything is divided by the signer's
 * speed.
 *
 * @example
 * ```ts
 * const { spans } = planSyntheticTimeline([corpus.signs[3], corpus.signs[7]], corpus.signers[0], 1, 25);
 * spans.map((span) => span.end - span.start); // frames per sign
 * ```
 */
export function planSyntheticTimeline(
  signs: readonly SyntheticSign[],
  signer: SyntheticSigner,
  seed: number,
  fps: number,
): SyntheticTimeline {
  const fn = 'planSyntheticTimeline';
  if (!isArray(signs) || signs.length === 0)
    throw new ArgumentError(fn, 'signs', 'be a non-empty array of signs', signs);
  checkNumber(fn, 'fps', fps, { min: 0, minExclusive: true });
  const random = new Mulberry32(mixSeed(seed, 0x71e));
  const decoded = signs.map(decodeSign);
  const segments: SyntheticTimelineSegment[] = [];
  let time = 0;
  const push = (kind: SyntheticTimelineSegment['kind'], seconds: number, sign?: number): void => {
    const segment: SyntheticTimelineSegment = {
      kind,
      start: time,
      end: time + seconds / signer.speed,
    };
    if (sign !== undefined) segment.sign = sign;
    segments.push(segment);
    time = segment.end;
  };
  const from = new Float64Array(POSE);
  const to = new Float64Array(POSE);
  const travel = (a: Float64Array, b: Float64Array): number =>
    Math.max(Math.hypot(a[0] - b[0], a[1] - b[1]), Math.hypot(a[11] - b[11], a[12] - b[12]));
  push('rest', random.range(0.1, 0.3));
  from.set(REST_POSE);
  decoded.forEach((sign: DecodedSign, i) => {
    signPose(sign, 0, to);
    push('transition', Math.min(0.4, 0.1 + 0.6 * travel(from, to)) * jitter(random, 0.15));
    push('sign', sign.duration * jitter(random, 0.15), i);
    signPose(sign, 1, from);
  });
  push('transition', Math.min(0.4, 0.15 + 0.4 * travel(from, REST_POSE)) * jitter(random, 0.15));
  push('rest', random.range(0.1, 0.3));

  const n = signs.length;
  const duration = time;
  const frameCount = Math.max(n, Math.round(duration * fps));
  const toFrames = frameCount / duration;
  const signSegments = segments.filter((segment) => segment.kind === 'sign');
  // Span boundaries: midpoints of the transitions between signs.
  const bounds = [0];
  for (let i = 1; i < n; i++) {
    const transition = segments[segments.indexOf(signSegments[i]) - 1];
    bounds.push(Math.round(((transition.start + transition.end) / 2) * toFrames));
  }
  bounds.push(frameCount);
  for (let i = 1; i < n; i++) bounds[i] = Math.max(bounds[i], bounds[i - 1] + 1);
  for (let i = n - 1; i >= 1; i--) bounds[i] = Math.min(bounds[i], bounds[i + 1] - 1);
  const glossOf = (i: number): string => signs[i].gloss;
  const spans = signSegments.map((_, i) => ({
    gloss: glossOf(i),
    start: bounds[i],
    end: bounds[i + 1],
  }));
  const coreSpans = signSegments.map((segment, i) => {
    const start = Math.min(
      spans[i].end,
      Math.max(spans[i].start, Math.ceil(segment.start * toFrames - 0.5)),
    );
    const end = Math.max(start, Math.min(spans[i].end, Math.ceil(segment.end * toFrames - 0.5)));
    return { gloss: glossOf(i), start, end };
  });
  return { duration, fps, frameCount, segments, spans, coreSpans };
}
