/**
 * Type-checks every `@example` in the doc comments of the packages and examples, so that an
 * example that no longer matches the code fails `pnpm test` instead of misleading a reader.
 *
 * Each ```ts block of an `@example` becomes a module of its own, checked by the TypeScript
 * compiler in one program with the packages' sources:
 *
 * - its `import` lines stay at the top; every other line goes inside an `async function`
 *   (so `await` works and each example has a scope of its own);
 * - names an example uses without importing are imported for it: `tf` (`@tensorflow/tfjs`), the
 *   exports of the file it documents, and every export of every `@slr` package entry (`@slr/x`,
 *   then `@slr/x/node`), the example's own package first;
 * - inputs an example takes as given (`model`, `logProbs`, `samples`…) are declared once, with
 *   their types, in `scripts/example-context.d.ts`; an example may also declare its own
 *   (`declare const clip: tf.Tensor5D;`).
 *
 * Usage: `tsx scripts/check-examples.ts [--list]` (exits 1 on the first pass with errors,
 * printing each as `file:line: message`; `--list` prints the examples found).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const contextFile = join(root, 'scripts', 'example-context.d.ts');
const virtualFolder = join(root, '.examples-check');

/** A published package: its name, folder and entry files (`.` and `./node` when it has one). */
interface PackageEntries {
  name: string;
  folder: string;
  entries: { specifier: string; file: string }[];
}

/** One fenced block of an `@example`. */
interface Example {
  /** The source file holding the doc comment. */
  file: string;
  /** 1-based line of the first line of code in `file`. */
  line: number;
  /** The code, comment stars removed. */
  code: string;
  /** The package the file belongs to, when it is one. */
  packageName: string | undefined;
}

function listPackages(): PackageEntries[] {
  const packagesFolder = join(root, 'packages');
  const result: PackageEntries[] = [];
  for (const folderName of readdirSync(packagesFolder).sort()) {
    const folder = join(packagesFolder, folderName);
    const manifestPath = join(folder, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      name: string;
      private?: boolean;
      exports?: Record<string, unknown>;
    };
    if (manifest.private) continue;
    const entries: PackageEntries['entries'] = [];
    for (const subpath of Object.keys(manifest.exports ?? { '.': null })) {
      if (subpath === './package.json') continue;
      const base = subpath === '.' ? 'index' : subpath.slice(2);
      const file = [join(folder, 'src', `${base}.ts`), join(folder, 'src', base, 'index.ts')].find(
        (candidate) => existsSync(candidate),
      );
      if (file === undefined)
        throw new Error(`No source entry for '${manifest.name}${subpath.slice(1)}' in ${folder}.`);
      entries.push({ specifier: `${manifest.name}${subpath.slice(1)}`, file });
    }
    result.push({ name: manifest.name, folder, entries });
  }
  return result;
}

function sourceFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') files.push(...sourceFiles(path));
    } else if (/\.(ts|mts)$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) {
      files.push(path);
    }
  }
  return files.sort();
}

/** The ```ts blocks of the `@example` tags in the doc comments of `file`. */
function examplesIn(file: string, packageName: string | undefined): Example[] {
  const text = readFileSync(file, 'utf8');
  const examples: Example[] = [];
  const comment = /\/\*\*[\s\S]*?\*\//g;
  for (let match = comment.exec(text); match !== null; match = comment.exec(text)) {
    const startLine = text.slice(0, match.index).split('\n').length;
    const lines = match[0].split('\n').map((line) => line.replace(/^\s*\/?\*+\/?\s?/, ''));
    let inExample = false;
    let fence: { line: number; code: string[] } | undefined;
    lines.forEach((line, index) => {
      if (/^@\w+/.test(line)) inExample = line.startsWith('@example');
      if (!inExample) return;
      if (fence === undefined && /^```(ts|typescript)\s*$/.test(line.trim())) {
        fence = { line: startLine + index + 1, code: [] };
      } else if (fence !== undefined && line.trim() === '```') {
        examples.push({ file, line: fence.line, code: fence.code.join('\n'), packageName });
        fence = undefined;
      } else if (fence !== undefined) {
        fence.code.push(line);
      }
    });
  }
  return examples;
}

/** Names exported by each of `files`, read with the compiler. */
function exportsOf(program: ts.Program, files: string[]): Map<string, string[]> {
  const checker = program.getTypeChecker();
  const exports = new Map<string, string[]>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    const symbol = source && checker.getSymbolAtLocation(source);
    exports.set(
      file,
      symbol === undefined
        ? []
        : checker.getExportsOfModule(symbol).map((exported) => exported.getName()),
    );
  }
  return exports;
}

function compilerOptions(packages: PackageEntries[]): ts.CompilerOptions {
  const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), (path) =>
    ts.sys.readFile(path),
  );
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const paths: Record<string, string[]> = {};
  for (const pkg of packages)
    for (const entry of pkg.entries) paths[entry.specifier] = [relative(root, entry.file)];
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    baseUrl: root,
    paths,
    noUnusedLocals: false,
    noUnusedParameters: false,
    allowUnreachableCode: true,
  };
}

/** Identifiers an example's own code declares or imports (so they are not imported for it). */
function ownNames(code: string): Set<string> {
  const names = new Set<string>();
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node): void => {
    if (ts.isImportSpecifier(node) || ts.isNamespaceImport(node) || ts.isImportClause(node)) {
      if (node.name !== undefined) names.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

/** The module checked for `example`: its imports, the imports it needs, its body in a function. */
function exampleModule(
  example: Example,
  exports: Map<string, string[]>,
  packages: PackageEntries[],
): { text: string; bodyOffset: number } {
  const lines = example.code.split('\n');
  const importLines: string[] = [];
  const bodyLines: string[] = [];
  let inImport = false;
  for (const line of lines) {
    // Imports, and the inputs an example declares (`declare const clip: tf.Tensor5D;`), are
    // module-level statements: they move above the function, keeping their line numbers free.
    if (/^(import|declare)\s/.test(line) || inImport) {
      importLines.push(line);
      inImport =
        /^import\s/.test(line) || inImport
          ? !/;\s*$/.test(line) && !/from\s+['"][^'"]+['"]\s*;?\s*$/.test(line)
          : false;
      bodyLines.push('');
    } else {
      bodyLines.push(line);
    }
  }
  const taken = ownNames(importLines.join('\n'));
  const order = [
    ...packages.filter((pkg) => pkg.name === example.packageName),
    ...packages.filter((pkg) => pkg.name !== example.packageName),
  ];
  const provided: string[] = [];
  if (!taken.has('tf')) provided.push("import * as tf from '@tensorflow/tfjs';");
  taken.add('tf');
  const sources = [
    { file: example.file, specifier: example.file.replace(/\.m?ts$/, '') },
    ...order.flatMap((pkg) => pkg.entries),
  ];
  for (const { file, specifier } of sources) {
    const names = (exports.get(file) ?? []).filter((name) => !taken.has(name));
    names.forEach((name) => taken.add(name));
    if (names.length > 0) provided.push(`import { ${names.join(', ')} } from '${specifier}';`);
  }
  const header = [...provided, 'export {};'];
  const text = [
    ...header,
    ...importLines,
    'async function example(): Promise<void> {',
    ...bodyLines,
    '}',
    'void example;',
  ].join('\n');
  return { text, bodyOffset: header.length + importLines.length + 1 };
}

function main(): void {
  const packages = listPackages();
  const examples: Example[] = [];
  for (const pkg of packages)
    for (const file of sourceFiles(join(pkg.folder, 'src')))
      examples.push(...examplesIn(file, pkg.name));
  for (const folder of ['examples', 'scripts']) {
    const base = join(root, folder);
    for (const file of sourceFiles(base)) examples.push(...examplesIn(file, undefined));
  }
  if (process.argv.includes('--list')) {
    for (const example of examples) console.log(`${relative(root, example.file)}:${example.line}`);
    return;
  }

  const options = compilerOptions(packages);
  const entryFiles = packages.flatMap((pkg) => pkg.entries.map((entry) => entry.file));
  const documentedFiles = [...new Set(examples.map((example) => example.file))];
  const baseProgram = ts.createProgram({ rootNames: [...entryFiles, ...documentedFiles], options });
  const exports = exportsOf(baseProgram, [...entryFiles, ...documentedFiles]);

  const virtualFiles = new Map<string, { example: Example; text: string; bodyOffset: number }>();
  examples.forEach((example, index) => {
    const { text, bodyOffset } = exampleModule(example, exports, packages);
    virtualFiles.set(join(virtualFolder, `example-${index}.ts`), { example, text, bodyOffset });
  });

  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const virtual = virtualFiles.get(resolve(fileName));
    if (virtual !== undefined)
      return ts.createSourceFile(fileName, virtual.text, languageVersion, true);
    return getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => virtualFiles.has(resolve(fileName)) || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => virtualFiles.get(resolve(fileName))?.text ?? readFile(fileName);

  const program = ts.createProgram({
    rootNames: [contextFile, ...virtualFiles.keys()],
    options,
    host,
    oldProgram: baseProgram,
  });
  const problems: string[] = [];
  for (const [fileName, virtual] of virtualFiles) {
    const source = program.getSourceFile(fileName);
    if (source === undefined) continue;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const diagnostic of diagnostics) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const sourceLine = virtual.example.line + Math.max(0, line - virtual.bodyOffset);
      problems.push(`${relative(root, virtual.example.file)}:${sourceLine}: ${message}`);
    }
  }
  const contextSource = program.getSourceFile(contextFile);
  if (contextSource !== undefined) {
    for (const diagnostic of program.getSemanticDiagnostics(contextSource)) {
      const { line } = contextSource.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      problems.push(
        `${relative(root, contextFile)}:${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`,
      );
    }
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    console.error(
      `\n${problems.length} type error(s) in the @example blocks (of ${examples.length}).`,
    );
    process.exit(1);
  }
  console.log(`Type-checked ${examples.length} @example blocks: no errors.`);
}

main();
