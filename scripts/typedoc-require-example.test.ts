/**
 * The @example check of the documentation build (typedoc-require-example.mjs, loaded by
 * typedoc.json): converted with TypeDoc and validated, a small package reports exactly its
 * exports without an @example, and a package whose exports all have one reports nothing.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, LogLevel, TSConfigReader } from 'typedoc';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { exportsWithoutExample } from './typedoc-require-example.mjs';

const PLUGIN = fileURLToPath(new URL('./typedoc-require-example.mjs', import.meta.url));

const SOURCE = `
/**
 * Adds two numbers.
 *
 * @example
 * \`\`\`ts
 * add(1, 2); // 3
 * \`\`\`
 */
export function add(a: number, b: number): number {
  return a + b;
}

/** Subtracts \`b\` from \`a\`. */
export function subtract(a: number, b: number): number {
  return a - b;
}

/** A point on a line. */
export interface Point {
  /** Its coordinate. */
  x: number;
}

/**
 * The origin.
 *
 * @example
 * \`\`\`ts
 * ORIGIN.x; // 0
 * \`\`\`
 */
export const ORIGIN: Point = { x: 0 };

/** A pair of points. */
export type Segment = [Point, Point];

/** Doubles a number. */
export const double = (x: number): number => 2 * x;

/** A scale. */
export class Scale {
  /** Its factor. */
  factor = 2;
}

/** The unit length. */
export const UNIT = 1;

export { add as plus };
`;

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * Converts and validates `source` as a package with the plugin loaded; returns the project and
 * the plugin's warnings.
 */
async function check(source: string) {
  const dir = await mkdtemp(join(tmpdir(), 'slr-typedoc-example-'));
  dirs.push(dir);
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture', version: '1.0.0' }));
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        types: [],
      },
      include: ['src'],
    }),
  );
  await writeFile(join(dir, 'src', 'index.ts'), source);
  // Only the fixture's tsconfig is read: the repository's typedoc.json is not this fixture's.
  const app = await Application.bootstrapWithPlugins(
    {
      entryPoints: [join(dir, 'src', 'index.ts')],
      tsconfig: join(dir, 'tsconfig.json'),
      plugin: [PLUGIN],
      logLevel: LogLevel.Error,
    },
    [new TSConfigReader()],
  );
  const warn = vi.spyOn(app.logger, 'validationWarning');
  const project = await app.convert();
  if (project === undefined) throw new Error('TypeDoc could not convert the fixture');
  app.validate(project);
  const warnings = warn.mock.calls
    .map(([message]) => String(message))
    .filter((message) => message.includes('@example'));
  return { project, warnings };
}

describe('typedoc-require-example', () => {
  it('reports every function and class without an @example, and no type or constant', async () => {
    const { project, warnings } = await check(SOURCE);
    expect(exportsWithoutExample(project).sort()).toEqual([
      'Scale (Class)',
      'double (Function)',
      'subtract (Function)',
    ]);
    expect(warnings.sort()).toEqual([
      'fixture: Scale (Class) has no @example in its doc comment',
      'fixture: double (Function) has no @example in its doc comment',
      'fixture: subtract (Function) has no @example in its doc comment',
    ]);
  });

  it('reports nothing when every export has an @example', async () => {
    const { warnings } = await check(SOURCE.replace(/\/\*\* Subtracts[\s\S]*$/, ''));
    expect(warnings).toEqual([]);
  });
});
