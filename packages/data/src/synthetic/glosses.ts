/**
 * Gloss names for the synthetic corpus, in the style of RWTH-PHOENIX-Weather 2014 (German
 * weather-forecast glosses in upper case, umlauts spelt out), each with a coarse syntactic
 * category that the sentence grammar uses.
 */
import { checkInteger } from '@slr/core';

/**
 * The syntactic categories of synthetic glosses; the grammar
 * ({@link createSyntheticGrammar}) prefers orders such as TIME → PLACE → WEATHER → QUALITY.
 */
export type SyntheticGlossCategory = 'WEATHER' | 'TIME' | 'PLACE' | 'QUALITY' | 'ACTION';

/**
 * The categories in the order glosses are interleaved: gloss `i` of the built-in list belongs
 * to `SYNTHETIC_GLOSS_CATEGORIES[i % 5]`, and so does a generated `GLOSS_nnnn` name.
 */
export const SYNTHETIC_GLOSS_CATEGORIES: readonly SyntheticGlossCategory[] = [
  'WEATHER',
  'TIME',
  'PLACE',
  'QUALITY',
  'ACTION',
];

const WORDS: Record<SyntheticGlossCategory, readonly string[]> = {
  WEATHER: [
    'REGEN',
    'SONNE',
    'WOLKE',
    'SCHNEE',
    'GEWITTER',
    'NEBEL',
    'WIND',
    'STURM',
    'FROST',
    'SCHAUER',
    'HAGEL',
    'GLATTEIS',
    'NIESEL',
    'BOEE',
    'TAU',
    'DUNST',
    'HOCH',
    'TIEF',
    'LUFT',
    'TEMPERATUR',
    'WETTER',
    'HIMMEL',
    'SCHNEEREGEN',
    'NIEDERSCHLAG',
    'UNWETTER',
  ],
  TIME: [
    'MORGEN',
    'HEUTE',
    'ABEND',
    'NACHT',
    'TAG',
    'MITTAG',
    'MONTAG',
    'DIENSTAG',
    'MITTWOCH',
    'DONNERSTAG',
    'FREITAG',
    'SAMSTAG',
    'SONNTAG',
    'WOCHENENDE',
    'JETZT',
    'SPAETER',
    'BALD',
    'VORMITTAG',
    'NACHMITTAG',
    'UEBERMORGEN',
    'WOCHE',
    'FRUEH',
    'ZEIT',
    'DANN',
    'ZUERST',
  ],
  PLACE: [
    'NORD',
    'SUED',
    'WEST',
    'OST',
    'NORDWEST',
    'SUEDOST',
    'NORDOST',
    'SUEDWEST',
    'REGION',
    'KUESTE',
    'BERG',
    'ALPEN',
    'MEER',
    'FLUSS',
    'LAND',
    'DEUTSCHLAND',
    'BAYERN',
    'MITTE',
    'RAUM',
    'UEBERALL',
    'TAL',
    'INSEL',
    'OSTSEE',
    'NORDSEE',
    'GRENZE',
  ],
  QUALITY: [
    'STARK',
    'SCHWACH',
    'KALT',
    'WARM',
    'HEISS',
    'KUEHL',
    'MILD',
    'NASS',
    'TROCKEN',
    'FREUNDLICH',
    'WECHSELHAFT',
    'KLAR',
    'VIEL',
    'WENIG',
    'MEHR',
    'MAESSIG',
    'GRAD',
    'MINUS',
    'PLUS',
    'NULL',
    'SCHOEN',
    'GLATT',
    'FRISCH',
    'SCHWUEL',
    'DICHT',
  ],
  ACTION: [
    'KOMMEN',
    'BLEIBEN',
    'WECHSELN',
    'STEIGEN',
    'SINKEN',
    'ZIEHEN',
    'AUFLOCKERN',
    'BEWOELKT',
    'AUFKLAEREN',
    'LOCKER',
    'AUCH',
    'NOCH',
    'WIEDER',
    'MEISTENS',
    'VORAUS',
    'AUSSEHEN',
    'ZEIGEN',
    'BRINGEN',
    'WEHEN',
    'FALLEN',
    'SCHEINEN',
    'ERWARTEN',
    'ENTWICKELN',
    'NICHT',
    'GEWESEN',
  ],
};

const BUILT_IN: readonly string[] = (() => {
  const names: string[] = [];
  const longest = Math.max(...SYNTHETIC_GLOSS_CATEGORIES.map((category) => WORDS[category].length));
  for (let i = 0; i < longest; i++) {
    for (const category of SYNTHETIC_GLOSS_CATEGORIES) {
      const word = WORDS[category][i];
      if (word !== undefined) names.push(word);
    }
  }
  return names;
})();

/**
 * How many PHOENIX-style words are built in; beyond them names are `GLOSS_0125`, `GLOSS_0126`, …
 *
 * @example
 * ```ts
 * syntheticGlossNames(SYNTHETIC_BUILT_IN_GLOSS_COUNT + 1).at(-1); // 'GLOSS_0125'
 * ```
 */
export const SYNTHETIC_BUILT_IN_GLOSS_COUNT = BUILT_IN.length;

/**
 * The first `count` synthetic gloss names: PHOENIX-style words (categories interleaved, so any
 * prefix mixes them), then `GLOSS_nnnn` (index, zero-padded to 4 digits). A prefix of a longer
 * list, so gloss `i` has the same name for every vocabulary size.
 *
 * @example
 * ```ts
 * syntheticGlossNames(5); // ['REGEN', 'MORGEN', 'NORD', 'STARK', 'KOMMEN']
 * syntheticGlossNames(1295).length; // 1295 (PHOENIX-2014's vocabulary size)
 * ```
 */
export function syntheticGlossNames(count: number): string[] {
  checkInteger('syntheticGlossNames', 'count', count, { min: 0 });
  const names = BUILT_IN.slice(0, count);
  for (let i = names.length; i < count; i++) names.push(`GLOSS_${String(i).padStart(4, '0')}`);
  return names;
}

/**
 * The syntactic category of synthetic gloss number `index` (0-based, i.e. its id − 1).
 *
 * @example
 * ```ts
 * syntheticGlossCategory(1); // 'TIME' ('MORGEN')
 * ```
 */
export function syntheticGlossCategory(index: number): SyntheticGlossCategory {
  return SYNTHETIC_GLOSS_CATEGORIES[index % SYNTHETIC_GLOSS_CATEGORIES.length];
}
