/**
 * Rendering a synthetic sentence into a {@link SignSample}: a body silhouette (background
 * gradient, torso, head) and two arms with hands (palm ellipse, finger capsules) following the
 * planned motion, plus pixel noise; optionally the same motion's 2-D keypoints.
 */
import { ArgumentError, checkInteger } from '@slr/core';
import { isArray } from '../checks';
import type { SignSample } from '../types';
import {
  HAND,
  interpolatePose,
  decodeSign,
  POSE,
  REST_POSE,
  signPose,
  type DecodedSign,
} from './motion';
import { checkRenderOptions } from './checks';
import { mixSeed, Mulberry32 } from './random';
import { fillCapsule, fillConvexPolygon, fillEllipse, fillGradient, type RgbImage } from './raster';
import type { SyntheticSigner } from './signers';
import type { SyntheticSign } from './signs';
import { planSyntheticTimeline } from './timeline';

/**
 * Names of the K = 20 keypoints, in order. Left and right are the signer's: the dominant
 * (right) hand appears on the image's left.
 *
 * @example
 * ```ts
 * const wrist = SYNTHETIC_KEYPOINT_NAMES.indexOf('rightWrist'); // 6
 * const [x, y] = sample.keypoints!.subarray(2 * wrist, 2 * wrist + 2); // frame 0's (keypoints: true)
 * ```
 */
export const SYNTHETIC_KEYPOINT_NAMES: readonly string[] = [
  'head',
  'neck',
  'rightShoulder',
  'leftShoulder',
  'rightElbow',
  'leftElbow',
  'rightWrist',
  'leftWrist',
  'rightHand',
  'leftHand',
  'rightThumbTip',
  'rightIndexTip',
  'rightMiddleTip',
  'rightRingTip',
  'rightPinkyTip',
  'leftThumbTip',
  'leftIndexTip',
  'leftMiddleTip',
  'leftRingTip',
  'leftPinkyTip',
];

/** How to render a synthetic sample. */
export interface SyntheticRenderOptions {
  /** Frame height in pixels (default 112). */
  height?: number;
  /** Frame width in pixels (default 112). The body is drawn isotropically, centred, scaled to the shorter side. */
  width?: number;
  /** Frames per second (default 25, as PHOENIX); T is proportional to it. */
  fps?: number;
  /** Also return keypoints `[T, 20, 2]` and their names (default false). */
  keypoints?: boolean;
  /** Antialiased edges (default true; false is slightly faster). */
  antialias?: boolean;
  /** Multiplier of the signer's pixel-noise amplitude (default 1; 0 gives clean frames). */
  noise?: number;
  /** Seed of the pixel noise only (default: derived from the sample's seed). */
  noiseSeed?: number;
}

/**
 * What {@link renderSyntheticVideo} draws: a sentence's signs, who signs it, and the seed of
 * its variation (timing, small position / scale / lighting jitter, noise).
 */
export interface SyntheticVideoInput {
  /** The sample's id. */
  id: string;
  /** The sentence's signs, in order. */
  signs: readonly SyntheticSign[];
  /** The glosses' vocabulary ids, one per sign. */
  glossIds: readonly number[];
  /** Who signs it. */
  signer: SyntheticSigner;
  /** Seed of the sample's variation: timing, placement and lighting jitter, pixel noise. */
  seed: number;
}

// Body frame geometry (unit square around the signer, y down).
const HEAD = { x: 0.5, y: 0.235, rx: 0.072, ry: 0.092 };
const SHOULDER_Y = 0.41;
const SHOULDER_HALF_SPAN = 0.135;
const UPPER_ARM = 0.19;
const FOREARM = 0.19;
const FINGER_LENGTHS = [0.045, 0.055, 0.06, 0.055, 0.045];
/** The body frame is drawn this much larger than the shorter side, shifted down, so the signer fills the frame. */
const ZOOM = 1.25;
const SHIFT_Y = 0.03;

interface Segment {
  kind: 'rest' | 'transition' | 'sign';
  start: number;
  end: number;
  from?: Float64Array;
  to?: Float64Array;
  sign?: DecodedSign;
}

/** Checks a {@link SyntheticVideoInput} passed to `fn` as `argument`. */
function checkVideoInput(input: SyntheticVideoInput, fn: string, argument: string): void {
  if (input == null || typeof input !== 'object')
    throw new ArgumentError(fn, argument, 'be a SyntheticVideoInput', input);
  if (!isArray(input.signs) || input.signs.length === 0)
    throw new ArgumentError(fn, `${argument}.signs`, 'be a non-empty array of signs', input.signs);
  if (!isArray(input.glossIds) || input.glossIds.length !== input.signs.length) {
    throw new ArgumentError(
      fn,
      `${argument}.glossIds`,
      `hold one id per sign (${input.signs.length})`,
      input.glossIds,
    );
  }
  checkInteger(fn, `${argument}.seed`, input.seed);
}

/**
 * Renders one sample: frames `[T, H, W, 3]` in [0, 1], the glosses, their ids, the spans of
 * {@link planSyntheticTimeline}, and (optionally) keypoints. Deterministic for the input and
 * options. Cost is about a static background layer per sample plus ~10 small shapes and one
 * noise pass per frame (thousands of 112×112 frames per second on one core).
 *
 * @example
 * ```ts
 * const sample = renderSyntheticVideo(
 *   {
 *     id: 'demo',
 *     signs: [corpus.signs[0], corpus.signs[4]],
 *     glossIds: [1, 5],
 *     signer: corpus.signers[0],
 *     seed: 9,
 *   },
 *   { height: 112, width: 112, fps: 25, keypoints: true },
 * );
 * sample.frameShape; // [T, 112, 112, 3]
 * ```
 */
export function renderSyntheticVideo(
  input: SyntheticVideoInput,
  options: SyntheticRenderOptions = {},
): SignSample {
  const fn = 'renderSyntheticVideo';
  checkRenderOptions(options, fn);
  checkVideoInput(input, fn, 'input');
  const height = options.height ?? 112;
  const width = options.width ?? 112;
  const fps = options.fps ?? 25;
  const { signer } = input;
  const timeline = planSyntheticTimeline(input.signs, signer, input.seed, fps);
  const T = timeline.frameCount;

  // Per-sample jitter of the signer's placement and lighting.
  const random = new Mulberry32(mixSeed(input.seed, 0x7e1d));
  const scale = Math.min(width, height) * ZOOM * signer.scale * random.range(0.97, 1.03);
  const originX = width / 2 + (signer.offsetX + random.range(-0.015, 0.015) - 0.5) * scale;
  const originY =
    height / 2 + (signer.offsetY + SHIFT_Y + random.range(-0.015, 0.015) - 0.5) * scale;
  const gain = signer.brightness * random.range(0.93, 1.07);
  const light = (color: readonly number[], factor = 1): number[] =>
    color.map((c) => Math.min(1, Math.max(0, c * factor * gain + signer.lightOffset)));
  const noiseAmplitude = signer.noise * (options.noise ?? 1);
  const noiseSeed = options.noiseSeed ?? mixSeed(input.seed, 0x4015e);
  const X = (u: number): number => originX + u * scale;
  const Y = (v: number): number => originY + v * scale;

  // Static layer: background, torso, neck, head.
  const frameSize = height * width * 3;
  const layer: RgbImage = {
    data: new Float32Array(frameSize),
    width,
    height,
    antialias: options.antialias ?? true,
  };
  fillGradient(layer, light(signer.backgroundTop), light(signer.backgroundBottom));
  const clothing = light(signer.clothing);
  const build = signer.build;
  const shoulderR = [0.5 - SHOULDER_HALF_SPAN * build, SHOULDER_Y];
  const shoulderL = [0.5 + SHOULDER_HALF_SPAN * build, SHOULDER_Y];
  fillConvexPolygon(
    layer,
    [
      X(0.5 - 0.15 * build),
      Y(0.4),
      X(0.5 + 0.15 * build),
      Y(0.4),
      X(0.5 + 0.19 * build),
      Y(1.3),
      X(0.5 - 0.19 * build),
      Y(1.3),
    ],
    clothing,
  );
  fillCapsule(
    layer,
    X(shoulderR[0]),
    Y(shoulderR[1]),
    X(shoulderL[0]),
    Y(shoulderL[1]),
    0.045 * scale,
    clothing,
  );
  const skin = light(signer.skin);
  fillCapsule(layer, X(0.5), Y(0.3), X(0.5), Y(0.38), 0.034 * scale, light(signer.skin, 0.88));
  fillEllipse(layer, X(HEAD.x), Y(HEAD.y), HEAD.rx * scale, HEAD.ry * scale, 0, skin);
  fillEllipse(
    layer,
    X(HEAD.x),
    Y(HEAD.y - 0.055),
    HEAD.rx * 1.05 * scale,
    HEAD.ry * 0.55 * scale,
    0,
    light(signer.clothing, 0.6),
  );
  const sleeve = light(signer.clothing.map((c) => c * 1.35 + 0.04));
  const palmColor = light(signer.skin.map((c) => Math.min(1, c * 1.06 + 0.03)));
  const backColor = light(signer.skin, 0.8);

  // Segments with their end poses.
  const decoded = input.signs.map(decodeSign);
  const segments: Segment[] = timeline.segments.map((segment) => ({
    kind: segment.kind,
    start: segment.start,
    end: segment.end,
    sign: segment.sign === undefined ? undefined : decoded[segment.sign],
  }));
  segments.forEach((segment, i) => {
    if (segment.kind !== 'transition') return;
    const before = segments[i - 1];
    const after = segments[i + 1];
    segment.from = before.sign ? signPose(before.sign, 1, new Float64Array(POSE)) : REST_POSE;
    segment.to = after.sign ? signPose(after.sign, 0, new Float64Array(POSE)) : REST_POSE;
  });

  const frames = new Float32Array(T * frameSize);
  const K = SYNTHETIC_KEYPOINT_NAMES.length;
  const keypoints = options.keypoints ? new Float32Array(T * K * 2) : undefined;
  const points = new Float64Array(K * 2); // body frame
  const pose = new Float64Array(POSE);
  const image: RgbImage = { data: frames, width, height, antialias: layer.antialias };
  const colorScratch = [0, 0, 0];
  let noiseState = mixSeed(noiseSeed, 0x9) | 1;
  let segmentIndex = 0;

  const setPoint = (k: number, u: number, v: number): void => {
    points[2 * k] = u;
    points[2 * k + 1] = v;
  };
  setPoint(0, HEAD.x, HEAD.y);
  setPoint(1, 0.5, 0.34);
  setPoint(2, shoulderR[0], shoulderR[1]);
  setPoint(3, shoulderL[0], shoulderL[1]);

  /** Draws one arm and hand of `pose` (hand `side`: 0 dominant/right, 1 left) into the current frame. */
  const drawArm = (side: 0 | 1): void => {
    const o = side * HAND;
    const handedness = side === 0 ? 1 : -1;
    const sx = side === 0 ? shoulderR[0] : shoulderL[0];
    const sy = SHOULDER_Y;
    const wx = pose[o];
    const wy = pose[o + 1];
    // Elbow by two-link inverse kinematics, bending down.
    const dx = wx - sx;
    const dy = wy - sy;
    const d = Math.max(1e-6, Math.hypot(dx, dy));
    let ex: number;
    let ey: number;
    if (d >= UPPER_ARM + FOREARM) {
      ex = sx + (dx * UPPER_ARM) / d;
      ey = sy + (dy * UPPER_ARM) / d;
    } else {
      const along = (UPPER_ARM * UPPER_ARM - FOREARM * FOREARM + d * d) / (2 * d);
      const across = Math.sqrt(Math.max(0, UPPER_ARM * UPPER_ARM - along * along));
      const mx = sx + (dx * along) / d;
      const my = sy + (dy * along) / d;
      const ax = (-dy / d) * across;
      const ay = (dx / d) * across;
      // Of the two solutions take the lower one, and on ties the one away from the body.
      const first = my + ay > my - ay || (my + ay === my - ay && handedness * ax < 0);
      ex = first ? mx + ax : mx - ax;
      ey = first ? my + ay : my - ay;
    }
    setPoint(4 + side, ex, ey);
    setPoint(6 + side, wx, wy);
    fillCapsule(image, X(sx), Y(sy), X(ex), Y(ey), 0.032 * scale, sleeve);
    fillCapsule(image, X(ex), Y(ey), X(wx), Y(wy), 0.026 * scale, sleeve);

    // Hand: palm ellipse and five finger capsules.
    const theta = pose[o + 2];
    const facing = Math.min(1, Math.max(0, pose[o + 3]));
    const spread = pose[o + 9];
    const size = pose[o + 10];
    const dirX = Math.sin(theta);
    const dirY = -Math.cos(theta);
    const side3d = 2 * facing - 1; // −1: back of the hand to the camera, 1: palm
    const thumbSide = handedness * side3d;
    const flip = thumbSide >= 0 ? 1 : -1;
    const palmLength = 0.042 * size;
    const palmWidth = 0.036 * size * (0.45 + 0.55 * Math.abs(side3d));
    const cx = wx + dirX * palmLength * 0.9;
    const cy = wy + dirY * palmLength * 0.9;
    setPoint(8 + side, cx, cy);
    for (let c = 0; c < 3; c++)
      colorScratch[c] = backColor[c] + (palmColor[c] - backColor[c]) * facing;
    fillCapsule(image, X(wx), Y(wy), X(cx), Y(cy), 0.024 * size * scale, colorScratch);
    fillEllipse(
      image,
      X(cx),
      Y(cy),
      palmLength * scale,
      palmWidth * scale,
      Math.atan2(dirY, dirX),
      colorScratch,
    );
    const perpX = -dirY;
    const perpY = dirX;
    const tipBase = 10 + side * 5;
    for (let f = 0; f < 5; f++) {
      const extension = pose[o + 4 + f];
      let bx: number;
      let by: number;
      let angle: number;
      if (f === 0) {
        bx = cx + perpX * thumbSide * palmWidth * 0.8 - dirX * palmLength * 0.25;
        by = cy + perpY * thumbSide * palmWidth * 0.8 - dirY * palmLength * 0.25;
        angle = theta + flip * (0.55 + 0.6 * spread);
      } else {
        const across = (2.5 - f) / 1.5; // index 1 … pinky −1
        bx = cx + dirX * palmLength * 0.8 + perpX * thumbSide * across * palmWidth * 0.7;
        by = cy + dirY * palmLength * 0.8 + perpY * thumbSide * across * palmWidth * 0.7;
        angle = theta + flip * across * spread * 0.3;
      }
      const length = extension * FINGER_LENGTHS[f] * size;
      const tx = bx + Math.sin(angle) * Math.max(length, 0.008 * size);
      const ty = by - Math.cos(angle) * Math.max(length, 0.008 * size);
      setPoint(tipBase + f, tx, ty);
      if (length > 0.004)
        fillCapsule(
          image,
          X(bx),
          Y(by),
          X(tx),
          Y(ty),
          (f === 0 ? 0.011 : 0.0095) * size * scale,
          colorScratch,
        );
    }
  };

  for (let k = 0; k < T; k++) {
    const time = ((k + 0.5) * timeline.duration) / T;
    while (segmentIndex < segments.length - 1 && time >= segments[segmentIndex].end) segmentIndex++;
    const segment = segments[segmentIndex];
    if (segment.kind === 'rest') pose.set(REST_POSE);
    else if (segment.kind === 'transition')
      interpolatePose(
        segment.from!,
        segment.to!,
        (time - segment.start) / (segment.end - segment.start),
        pose,
      );
    else signPose(segment.sign!, (time - segment.start) / (segment.end - segment.start), pose);

    const offset = k * frameSize;
    image.data = frames.subarray(offset, offset + frameSize);
    image.data.set(layer.data);
    drawArm(1);
    drawArm(0);
    if (noiseAmplitude > 0) {
      const data = image.data;
      const amplitude = 2 * noiseAmplitude * 2.3283064365386963e-10;
      let s = noiseState;
      for (let i = 0; i < frameSize; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        const value = data[i] + ((s >>> 0) - 2147483648) * amplitude;
        data[i] = value < 0 ? 0 : value > 1 ? 1 : value;
      }
      noiseState = s;
    }
    if (keypoints) {
      const base = k * K * 2;
      for (let p = 0; p < K; p++) {
        const x = X(points[2 * p]) / width;
        const y = Y(points[2 * p + 1]) / height;
        keypoints[base + 2 * p] = x < 0 ? 0 : x > 1 ? 1 : x;
        keypoints[base + 2 * p + 1] = y < 0 ? 0 : y > 1 ? 1 : y;
      }
    }
  }

  const sample: SignSample = {
    id: input.id,
    signer: signer.id,
    frameShape: [T, height, width, 3],
    frames,
    glosses: input.signs.map((sign) => sign.gloss),
    glossIds: [...input.glossIds],
    spans: timeline.spans,
  };
  if (keypoints) {
    sample.keypoints = keypoints;
    sample.keypointNames = [...SYNTHETIC_KEYPOINT_NAMES];
  }
  return sample;
}
