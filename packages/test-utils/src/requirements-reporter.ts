/**
 * A vitest reporter, configured beside the default one, that makes skips for lack of a
 * requirement loud: one line per test file as soon as the file has run, and a summary after
 * vitest's own listing every suite skipped and why. It also gives the run a folder in which
 * the test workers share what they probed (see `describeRequiring`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import {
  explainMissing,
  REQUIREMENT_PROBES_FOLDER_VARIABLE,
  type MissingRequirement,
} from './requirement-records';

/** One file's suites skipped for lack of one requirement. */
interface SkippedGroup {
  file: string;
  missing: MissingRequirement;
  suites: string[];
  tests: number;
}

/**
 * Reports the suites that `describeRequiring` skipped. Configure it in `vitest.config.ts`
 * after the default reporter.
 *
 * @example
 * ```ts
 * import { defineConfig } from 'vitest/config';
 *
 * export default defineConfig({
 *   test: { reporters: ['default', '@slr/test-utils/requirements-reporter'] },
 * });
 * ```
 */
export default class RequirementsReporter implements Reporter {
  private vitest?: Vitest;
  private skipped: SkippedGroup[] = [];
  /** Tests per skipped suite (`file › suite`), each suite once whatever it lacks. */
  private skippedSuites = new Map<string, number>();

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    // Set before the workers start, so that they inherit it.
    const folder = mkdtempSync(join(tmpdir(), 'slr-test-requirements-'));
    process.env[REQUIREMENT_PROBES_FOLDER_VARIABLE] = folder;
    process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  }

  onTestRunStart(): void {
    this.skipped = [];
    this.skippedSuites.clear();
  }

  onTestModuleEnd(testModule: TestModule): void {
    const file = relative(this.vitest?.config.root ?? process.cwd(), testModule.moduleId);
    const groups = new Map<string, SkippedGroup>();
    for (const suite of testModule.children.allSuites()) {
      // Suites inside a skipped suite inherit its record: count the outermost only.
      const parent = suite.parent.type === 'suite' ? suite.parent.meta().missingRequirements : [];
      const inherited = new Set((parent ?? []).map(explainMissing));
      for (const missing of suite.meta().missingRequirements ?? []) {
        const key = explainMissing(missing);
        if (inherited.has(key)) continue;
        const group = groups.get(key) ?? { file, missing, suites: [], tests: 0 };
        const tests = [...suite.children.allTests()].length;
        group.suites.push(suite.fullName);
        group.tests += tests;
        this.skippedSuites.set(`${file} › ${suite.fullName}`, tests);
        groups.set(key, group);
      }
    }
    for (const group of groups.values()) {
      this.skipped.push(group);
      this.log(`SKIPPED ${describeGroup(group)}: ${explainMissing(group.missing)}`);
    }
  }

  onTestRunEnd(): void {
    if (this.skipped.length === 0) return;
    const byRequirement = new Map<string, SkippedGroup[]>();
    for (const group of this.skipped) {
      const key = explainMissing(group.missing);
      byRequirement.set(key, [...(byRequirement.get(key) ?? []), group]);
    }
    const suites = this.skippedSuites.size;
    const tests = [...this.skippedSuites.values()].reduce((sum, count) => sum + count, 0);
    const lines = [
      '',
      `SKIPPED for lack of what they need: ${suites} suite(s), ${tests} test(s). ` +
        'With CI=true nothing is skipped: these fail instead.',
    ];
    for (const groups of byRequirement.values()) {
      const { needs, missing, install } = groups[0].missing;
      lines.push(`  ${needs} — ${missing}`, `    Install: ${install}`);
      const byFile = [...groups].sort((a, b) => a.file.localeCompare(b.file));
      for (const group of byFile) lines.push(`    ${describeGroup(group)}`);
    }
    this.log(`${lines.join('\n')}\n`);
  }

  private log(text: string): void {
    if (this.vitest != null) this.vitest.logger.log(text);
    else console.log(text);
  }
}

function describeGroup(group: SkippedGroup): string {
  return `${group.file} › ${group.suites.join(', ')} (${group.tests} test${group.tests === 1 ? '' : 's'})`;
}
