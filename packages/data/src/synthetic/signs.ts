/**
 * Sign "phonology" for the synthetic corpus: every gloss is a point in a box of
 * {@link SYNTHETIC_SIGN_PARAMETERS} (location, movement, orientation, hand shape, the
 * non-dominant hand, timing), and the renderer turns that point into a motion of two hands.
 */
import { ArgumentError } from '@slr/core';
import { isArray } from '../checks';
import { checkSignOptions } from './checks';
import { mixSeed, Mulberry32 } from './random';

/**
 * Names of the raw sign parameters, in vector order. Each raw value lies in [0, 1]; the
 * renderer maps it to its physical range (for example `startX` to a horizontal position in the
 * signing space, `extThumb` … `extPinky` to finger extension).
 *
 * @example
 * ```ts
 * const sign = generateSyntheticSigns(['REGEN'])[0];
 * sign.vector[SYNTHETIC_SIGN_PARAMETERS.indexOf('oscFrequency')]; // how often the hand circles
 * ```
 */
export const SYNTHETIC_SIGN_PARAMETERS = [
  // Location (dominant hand's start and end, in the signing space).
  'startX',
  'startY',
  'endX',
  'endY',
  // Movement.
  'arc',
  'oscFrequency',
  'oscAmplitude',
  'oscPhase',
  'oscAspect',
  'duration',
  'hold',
  // Orientation (in-plane rotation and palm facing, at start and end; non-dominant hand's).
  'orientStart',
  'orientEnd',
  'facingStart',
  'facingEnd',
  'weakOrient',
  'weakFacing',
  // Dominant hand shape.
  'extThumb',
  'extIndex',
  'extMiddle',
  'extRing',
  'extPinky',
  'spread',
  'handSize',
  // Non-dominant ("weak") hand: involvement, mirror vs. static base, base location, hand shape.
  'weakInvolvement',
  'weakSymmetry',
  'weakX',
  'weakY',
  'weakExtThumb',
  'weakExtIndex',
  'weakExtMiddle',
  'weakExtRing',
  'weakExtPinky',
  'weakSpread',
] as const;

/** One sign parameter's name. */
export type SyntheticSignParameter = (typeof SYNTHETIC_SIGN_PARAMETERS)[number];

const INDEX = Object.fromEntries(SYNTHETIC_SIGN_PARAMETERS.map((name, i) => [name, i])) as Record<
  SyntheticSignParameter,
  number
>;

/** Parameter groups ("phonological parameters"); minimal pairs differ mainly in one or two. */
const GROUPS: readonly (readonly number[])[] = [
  ['startX', 'startY', 'endX', 'endY'],
  ['arc', 'oscFrequency', 'oscAmplitude', 'oscPhase', 'oscAspect', 'duration', 'hold'],
  ['orientStart', 'orientEnd', 'facingStart', 'facingEnd', 'weakOrient', 'weakFacing'],
  ['extThumb', 'extIndex', 'extMiddle', 'extRing', 'extPinky', 'spread', 'handSize'],
  [
    'weakInvolvement',
    'weakSymmetry',
    'weakX',
    'weakY',
    'weakExtThumb',
    'weakExtIndex',
    'weakExtMiddle',
    'weakExtRing',
    'weakExtPinky',
    'weakSpread',
  ],
].map((names) => names.map((name) => INDEX[name as SyntheticSignParameter]));

/** One gloss's sign. */
export interface SyntheticSign {
  /** The gloss this sign expresses. */
  gloss: string;
  /** 0-based gloss index (its vocabulary id − 1). */
  index: number;
  /**
   * The sign's family: signs of a family share an anchor sign and, as `difficulty` grows,
   * differ from it only slightly (minimal pairs). Family `f` holds indices `f·k … f·k + k − 1`.
   */
  family: number;
  /** Raw parameters in [0, 1], in {@link SYNTHETIC_SIGN_PARAMETERS} order. */
  vector: Float64Array;
}

/** Options of {@link generateSyntheticSigns}. */
export interface SyntheticSignOptions {
  /** Seed (default 0). Sign `i` depends only on `seed`, `difficulty`, `familySize` and `i`. */
  seed?: number;
  /**
   * In [0, 1] (default 0.3): how close the nearest signs are. At 0 every sign is drawn
   * independently. Above 0 the first sign of each family is its anchor and every other member
   * keeps the anchor's parameters except for a factor `1 − 0.97·difficulty` of its own
   * independent draw, and `1 − 0.8·difficulty` in one or two "contrast" groups (location,
   * movement, orientation, hand shape, non-dominant hand). So at 1, family members are
   * minimal pairs that differ in one or two parameter groups by a fifth of a random sign's
   * difference, and by 3 % elsewhere.
   */
  difficulty?: number;
  /** Signs per family (default 3). */
  familySize?: number;
}

function freeVector(seed: number, index: number): Float64Array {
  const random = new Mulberry32(mixSeed(seed, 0x5167, index));
  const vector = new Float64Array(SYNTHETIC_SIGN_PARAMETERS.length);
  for (let i = 0; i < vector.length; i++) vector[i] = random.next();
  return vector;
}

/**
 * The signs of `glosses` (gloss `i` gets sign `i`), deterministic for the options.
 *
 * @example
 * ```ts
 * const signs = generateSyntheticSigns(syntheticGlossNames(20), { seed: 3, difficulty: 0.5 });
 * nearestSignDistance(signs); // the closest pair's parameter distance
 * ```
 */
export function generateSyntheticSigns(
  glosses: readonly string[],
  options: SyntheticSignOptions = {},
): SyntheticSign[] {
  if (!isArray(glosses))
    throw new ArgumentError('generateSyntheticSigns', 'glosses', 'be an array of glosses', glosses);
  const { seed, difficulty, familySize } = checkSignOptions(options, 'generateSyntheticSigns');
  const keep = 1 - 0.97 * difficulty;
  const contrast = 1 - 0.8 * difficulty;
  return glosses.map((gloss, index) => {
    const family = Math.floor(index / familySize);
    const anchorIndex = family * familySize;
    const free = freeVector(seed, index);
    if (index === anchorIndex || difficulty === 0) return { gloss, index, family, vector: free };
    const anchor = freeVector(seed, anchorIndex);
    const random = new Mulberry32(mixSeed(seed, 0xc0de, index));
    const contrastGroups = new Set<number>([random.int(GROUPS.length)]);
    if (random.next() < 0.5) contrastGroups.add(random.int(GROUPS.length));
    const vector = new Float64Array(free.length);
    for (let i = 0; i < free.length; i++) vector[i] = anchor[i] + (free[i] - anchor[i]) * keep;
    for (const group of contrastGroups)
      for (const i of GROUPS[group]) vector[i] = anchor[i] + (free[i] - anchor[i]) * contrast;
    return { gloss, index, family, vector };
  });
}

/**
 * Root-mean-square difference of two signs' raw parameter vectors (0 for the same sign; about
 * 0.41 for two independent random signs).
 *
 * @example
 * ```ts
 * const [regen, morgen] = generateSyntheticSigns(['REGEN', 'MORGEN'], { seed: 1 });
 * signParameterDistance(regen, morgen); // 0 only for identical parameters
 * ```
 */
export function signParameterDistance(a: SyntheticSign, b: SyntheticSign): number {
  let sum = 0;
  for (let i = 0; i < a.vector.length; i++) {
    const d = a.vector[i] - b.vector[i];
    sum += d * d;
  }
  return Math.sqrt(sum / a.vector.length);
}

/**
 * The smallest {@link signParameterDistance} over all pairs (Infinity for fewer than two signs;
 * O(n²), about 0.1 s for 1,295 signs).
 *
 * @example
 * ```ts
 * const names = syntheticGlossNames(20);
 * nearestSignDistance(generateSyntheticSigns(names, { difficulty: 1 })) <
 *   nearestSignDistance(generateSyntheticSigns(names, { difficulty: 0 })); // true
 * ```
 */
export function nearestSignDistance(signs: readonly SyntheticSign[]): number {
  let best = Infinity;
  for (let i = 0; i < signs.length; i++)
    for (let j = i + 1; j < signs.length; j++)
      best = Math.min(best, signParameterDistance(signs[i], signs[j]));
  return best;
}

/**
 * Index of parameter `name` in a sign's vector.
 *
 * @example
 * ```ts
 * corpus.signs[0].vector[signParameterIndex('handSize')]; // the raw value, in [0, 1]
 * ```
 */
export function signParameterIndex(name: SyntheticSignParameter): number {
  return INDEX[name];
}
