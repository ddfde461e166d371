/**
 * Synthetic signers: how one person (and their recording set-up) looks and moves.
 */
import { checkInteger } from '@slr/core';
import { mixSeed, Mulberry32 } from './random';

/**
 * One synthetic signer. Positions are in the body frame (a unit square around the signer, x to
 * the image's right, y down), which is drawn isotropically into the image.
 */
export interface SyntheticSigner {
  /** PHOENIX-style id, `Signer01`, `Signer02`, … */
  id: string;
  /** Horizontal offset of the body in the frame (fraction of the frame's shorter side). */
  offsetX: number;
  /** Vertical offset of the body (fraction of the shorter side; positive is lower). */
  offsetY: number;
  /** Body scale relative to the frame's shorter side. */
  scale: number;
  /** Build: width factor of the torso and the shoulder span. */
  build: number;
  /** Signing speed (durations are divided by it). */
  speed: number;
  /** Background colour at the top (vertical gradient), RGB in [0, 1]. */
  backgroundTop: [number, number, number];
  /** Background colour at the bottom, RGB in [0, 1]. */
  backgroundBottom: [number, number, number];
  /** Clothing colour. */
  clothing: [number, number, number];
  /** Skin colour (face and hands). */
  skin: [number, number, number];
  /** Lighting: gain applied to every colour. */
  brightness: number;
  /** Lighting: offset added to every colour after the gain. */
  lightOffset: number;
  /** Pixel noise amplitude (uniform noise in ±noise, before clamping to [0, 1]). */
  noise: number;
}

const SKINS: [number, number, number][] = [
  [0.96, 0.8, 0.69],
  [0.92, 0.72, 0.58],
  [0.85, 0.64, 0.5],
  [0.76, 0.55, 0.4],
  [0.62, 0.43, 0.3],
  [0.45, 0.31, 0.22],
];

/**
 * `count` signers, deterministic for `seed`; signer `i` does not depend on `count`. Clothing is
 * dark and backgrounds are muted, as in PHOENIX, so the hands stand out.
 *
 * @example
 * ```ts
 * const signers = generateSyntheticSigners(9, 0); // PHOENIX has nine signers
 * ```
 */
export function generateSyntheticSigners(count: number, seed = 0): SyntheticSigner[] {
  checkInteger('generateSyntheticSigners', 'count', count, { min: 1 });
  checkInteger('generateSyntheticSigners', 'seed', seed);
  return Array.from({ length: count }, (_, i) => {
    const random = new Mulberry32(mixSeed(seed, 0x5164, i));
    const hue = random.next();
    const tint = (base: number, amount: number): [number, number, number] => [
      base + amount * Math.cos(2 * Math.PI * hue),
      base + amount * Math.cos(2 * Math.PI * (hue - 1 / 3)),
      base + amount * Math.cos(2 * Math.PI * (hue - 2 / 3)),
    ];
    const level = random.range(0.3, 0.6);
    const clothingHue = random.next();
    const clothingLevel = random.range(0.08, 0.22);
    const skin = SKINS[random.int(SKINS.length)].map((c) => c * random.range(0.95, 1.05)) as [
      number,
      number,
      number,
    ];
    return {
      id: `Signer${String(i + 1).padStart(2, '0')}`,
      offsetX: random.range(-0.06, 0.06),
      offsetY: random.range(-0.02, 0.04),
      scale: random.range(0.88, 1.08),
      build: random.range(0.9, 1.12),
      speed: random.range(0.8, 1.25),
      backgroundTop: tint(level + 0.06, 0.12),
      backgroundBottom: tint(level - 0.06, 0.1),
      clothing: [0, 1, 2].map(
        (c) => clothingLevel * (1 + 0.5 * Math.cos(2 * Math.PI * (clothingHue - c / 3))),
      ) as [number, number, number],
      skin,
      brightness: random.range(0.85, 1.15),
      lightOffset: random.range(-0.04, 0.04),
      noise: random.range(0.015, 0.05),
    };
  });
}
