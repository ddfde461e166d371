import { describe, expect, it } from 'vitest';
import { generateSignCorpus } from './corpus';
import { mixSeed, Mulberry32 } from './random';

describe('the synthetic corpus generator', () => {
  // Regenerating these values means that every corpus of every seed has changed: corpora are
  // meant to stay the same for a seed from one version to the next.
  it('draws the same numbers for a seed in every version (mulberry32 through mixSeed)', () => {
    const random = new Mulberry32(42);
    expect([random.next(), random.next(), random.int(1000), random.range(-1, 1)]).toEqual([
      0.8680596775375307, 0.8717629110906273, 342, -0.2740359790623188,
    ]);
    expect([mixSeed(1, 2, 3), mixSeed(0), mixSeed(-7, 2 ** 31)]).toEqual([
      4231359514, 2737663673, 3781368273,
    ]);
  });

  it('gives the same sentences, signers and sample seeds for a seed in every version', () => {
    const corpus = generateSignCorpus({
      seed: 1,
      glosses: 20,
      trainSamples: 2,
      devSamples: 1,
      testSamples: 1,
    });
    const specs = (['train', 'dev', 'test'] as const).map((split) =>
      corpus.splits[split].map((spec) => [spec.glosses.join(' '), spec.signer, spec.seed]),
    );
    expect(specs).toEqual([
      [
        ['BLEIBEN KALT OST STEIGEN KALT STEIGEN', 'Signer03', 2538585820],
        ['WEST KOMMEN WEST NORD STARK', 'Signer09', 1909953169],
      ],
      [['REGEN KALT STEIGEN HEUTE WEST', 'Signer01', 3974373729]],
      [['BLEIBEN NORD SCHNEE REGEN NORD SUED REGEN', 'Signer05', 225473777]],
    ]);
  });
});
