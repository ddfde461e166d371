/**
 * Hand poses of the synthetic signs (internal: not re-exported from the package). A pose is
 * both hands' state in the body frame; signs are pose trajectories, transitions interpolate.
 */
import type { SyntheticSign } from './signs';
import { signParameterIndex as at } from './signs';

/** Numbers per hand in a pose: x, y (wrist), orient, facing, 5 finger extensions, spread, size. */
export const HAND = 11;
/** Numbers per pose: dominant (signer's right) hand, then the non-dominant (left) hand. */
export const POSE = 2 * HAND;

/** Hands at rest, low in front of the torso. */
export const REST_POSE = Float64Array.from([
  0.42, 0.78, 1.9, 0.35, 0.3, 0.3, 0.3, 0.3, 0.3, 0.2, 1, 0.58, 0.78, -1.9, 0.35, 0.3, 0.3, 0.3,
  0.3, 0.3, 0.2, 1,
]);

const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
const smoothstep = (low: number, high: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - low) / (high - low)));
  return t * t * (3 - 2 * t);
};

/** A sign's raw parameters mapped to physical ones (body-frame units, radians, seconds). */
export interface DecodedSign {
  startX: number;
  startY: number;
  endX: number;
  endY: number;
  arc: number;
  oscFrequency: number;
  oscAmplitude: number;
  oscPhase: number;
  oscAspect: number;
  /** Seconds at speed 1. */
  duration: number;
  hold: number;
  orientStart: number;
  orientEnd: number;
  facingStart: number;
  facingEnd: number;
  shape: Float64Array; // 5 extensions, spread
  size: number;
  weakInvolvement: number;
  weakSymmetry: number;
  weakX: number;
  weakY: number;
  weakOrient: number;
  weakFacing: number;
  weakShape: Float64Array;
}

/**
 * Maps a sign's raw vector to physical parameters.
 *
 * @example
 * ```ts
 * decodeSign(corpus.signs[0]).duration; // seconds, in [0.35, 0.75]
 * ```
 */
export function decodeSign(sign: SyntheticSign): DecodedSign {
  const v = (name: Parameters<typeof at>[0]): number => sign.vector[at(name)];
  const extension = (x: number): number => smoothstep(0.2, 0.8, x);
  return {
    startX: lerp(0.28, 0.6, v('startX')),
    startY: lerp(0.16, 0.7, v('startY')),
    endX: lerp(0.28, 0.6, v('endX')),
    endY: lerp(0.16, 0.7, v('endY')),
    arc: lerp(-0.12, 0.12, v('arc')),
    oscFrequency: 2.5 * v('oscFrequency'),
    oscAmplitude: 0.06 * v('oscAmplitude'),
    oscPhase: 2 * Math.PI * v('oscPhase'),
    oscAspect: lerp(-1, 1, v('oscAspect')),
    duration: lerp(0.35, 0.75, v('duration')),
    hold: 0.3 * v('hold'),
    orientStart: lerp(-1.2, 1.2, v('orientStart')),
    orientEnd: lerp(-1.2, 1.2, v('orientEnd')),
    facingStart: v('facingStart'),
    facingEnd: v('facingEnd'),
    shape: Float64Array.from([
      extension(v('extThumb')),
      extension(v('extIndex')),
      extension(v('extMiddle')),
      extension(v('extRing')),
      extension(v('extPinky')),
      v('spread'),
    ]),
    size: lerp(0.85, 1.15, v('handSize')),
    weakInvolvement: smoothstep(0.4, 0.6, v('weakInvolvement')),
    weakSymmetry: smoothstep(0.35, 0.65, v('weakSymmetry')),
    weakX: lerp(0.45, 0.68, v('weakX')),
    weakY: lerp(0.45, 0.72, v('weakY')),
    weakOrient: lerp(-1.2, 1.2, v('weakOrient')),
    weakFacing: v('weakFacing'),
    weakShape: Float64Array.from([
      extension(v('weakExtThumb')),
      extension(v('weakExtIndex')),
      extension(v('weakExtMiddle')),
      extension(v('weakExtRing')),
      extension(v('weakExtPinky')),
      v('weakSpread'),
    ]),
  };
}

/**
 * Writes the pose of `sign` at progress `s` ∈ [0, 1] into `out` (length {@link POSE}).
 *
 * @example
 * ```ts
 * const pose = new Float64Array(POSE);
 * signPose(decodeSign(corpus.signs[0]), 0, pose); // the sign's start pose
 * ```
 */
export function signPose(sign: DecodedSign, s: number, out: Float64Array): Float64Array {
  const p = Math.min(1, Math.max(0, s / (1 - sign.hold)));
  const e = p * p * (3 - 2 * p);
  const dx = sign.endX - sign.startX;
  const dy = sign.endY - sign.startY;
  const length = Math.hypot(dx, dy);
  const nx = length > 1e-6 ? -dy / length : 1;
  const ny = length > 1e-6 ? dx / length : 0;
  const bulge = sign.arc * Math.sin(Math.PI * e);
  const angle = 2 * Math.PI * sign.oscFrequency * e + sign.oscPhase;
  const x =
    sign.startX +
    dx * e +
    nx * bulge +
    sign.oscAmplitude * (Math.cos(angle) - Math.cos(sign.oscPhase));
  const y =
    sign.startY +
    dy * e +
    ny * bulge +
    sign.oscAmplitude * sign.oscAspect * (Math.sin(angle) - Math.sin(sign.oscPhase));
  const orient = lerp(sign.orientStart, sign.orientEnd, e);
  const facing = lerp(sign.facingStart, sign.facingEnd, e);
  out[0] = x;
  out[1] = y;
  out[2] = orient;
  out[3] = facing;
  for (let i = 0; i < 6; i++) out[4 + i] = sign.shape[i];
  out[10] = sign.size;
  // Non-dominant hand: static base or mirror of the dominant hand, blended with rest.
  const m = sign.weakSymmetry;
  const w = sign.weakInvolvement;
  const o = HAND;
  const active = [
    lerp(sign.weakX, 1 - x, m),
    lerp(sign.weakY, y, m),
    lerp(sign.weakOrient, -orient, m),
    lerp(sign.weakFacing, facing, m),
  ];
  for (let i = 0; i < 4; i++) out[o + i] = lerp(REST_POSE[o + i], active[i], w);
  for (let i = 0; i < 6; i++)
    out[o + 4 + i] = lerp(REST_POSE[o + 4 + i], lerp(sign.weakShape[i], sign.shape[i], m), w);
  out[o + 10] = lerp(1, sign.size, w);
  return out;
}

/**
 * `out = a + (b − a) · smoothstep(t)` element-wise (a movement-epenthesis frame).
 *
 * @example
 * ```ts
 * const [first, second] = corpus.signs.map(decodeSign);
 * const end = signPose(first, 1, new Float64Array(POSE));
 * const start = signPose(second, 0, new Float64Array(POSE));
 * const halfway = interpolatePose(end, start, 0.5, new Float64Array(POSE));
 * ```
 */
export function interpolatePose(
  a: Float64Array,
  b: Float64Array,
  t: number,
  out: Float64Array,
): Float64Array {
  const e = t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);
  for (let i = 0; i < POSE; i++) out[i] = a[i] + (b[i] - a[i]) * e;
  return out;
}
