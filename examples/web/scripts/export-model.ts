/**
 * Puts a trained student where the app finds it (`examples/web/public/model/`, served at
 * `/model/` by `pnpm web` and copied into the build by `pnpm web:build`):
 *
 *   pnpm web:model <checkpoints folder | checkpoint folder | model folder> [--vocabulary <file>] [--lm <file>]
 *   pnpm web:model --demo     # trains the tiny student of the browser test (10 s) and a clip
 *
 * A checkpoints folder (`--out …/checkpoints` of pnpm overfit:student or pnpm distill) gives its
 * latest checkpoint; a checkpoint's `run.json` gives the vocabulary. A model folder (slr-convert's)
 * needs `--vocabulary`: the corpus's `annotations/vocabulary.json`.
 */
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GlossVocabulary } from '@slr/data';
import { writeFixture } from '../src/node/fixture';

const PUBLIC = fileURLToPath(new URL('../public/', import.meta.url));
const TARGET = join(PUBLIC, 'model');

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { vocabulary: { type: 'string' }, lm: { type: 'string' }, demo: { type: 'boolean' } },
  });
  await rm(TARGET, { recursive: true, force: true });
  await mkdir(PUBLIC, { recursive: true });
  if (values.demo === true) {
    const fixture = await writeFixture(PUBLIC);
    console.log(
      `trained the demo student (${fixture.epochs} epochs, WER ${(100 * fixture.wer).toFixed(0)}%): ` +
        `${TARGET}; clips ${fixture.clipPath}, ${fixture.longClipPath}`,
    );
    return;
  }
  let source = positionals[0];
  if (source === undefined)
    throw new Error('give a checkpoints, checkpoint or model folder, or --demo');
  let glosses: string[] | undefined;
  if (await exists(join(source, 'latest.json'))) {
    const latest = JSON.parse(await readFile(join(source, 'latest.json'), 'utf8')) as {
      checkpoint: string;
    };
    source = join(source, latest.checkpoint);
  }
  if (await exists(join(source, 'run.json'))) {
    glosses = (
      JSON.parse(await readFile(join(source, 'run.json'), 'utf8')) as { vocabulary?: string[] }
    ).vocabulary;
    source = join(source, 'model');
  }
  if (!(await exists(join(source, 'model.json'))))
    throw new Error(`${source} has no model.json: give a checkpoints, checkpoint or model folder`);
  await mkdir(TARGET, { recursive: true });
  for (const file of await readdir(source)) await copyFile(join(source, file), join(TARGET, file));
  const vocabulary =
    values.vocabulary !== undefined
      ? GlossVocabulary.fromJSON(
          JSON.parse(await readFile(values.vocabulary, 'utf8')),
          values.vocabulary,
        )
      : glosses !== undefined
        ? GlossVocabulary.ordered(glosses)
        : undefined;
  if (vocabulary === undefined)
    throw new Error(
      `${source} comes with no vocabulary: give --vocabulary <corpus>/annotations/vocabulary.json`,
    );
  await writeFile(join(TARGET, 'vocabulary.json'), JSON.stringify(vocabulary.toJSON()));
  if (values.lm !== undefined) await copyFile(values.lm, join(TARGET, 'lm.arpa'));
  console.log(
    `${TARGET}: the model of ${source}, ${vocabulary.size - 1} glosses${values.lm ? ', the LM' : ''}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
