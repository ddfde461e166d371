/**
 * Opens the documentation site that `pnpm docs` builds in `docs/api` in headless Chromium
 * (driven by playwright-core) and checks that, following links from the index page, the API
 * page of every package under `packages/` renders with the package's name and a documented
 * symbol, and that every guide in `docs/*.md` renders, with no console error and no request
 * outside the site. `pnpm test` builds the site before it runs the tests; on its own this test
 * needs `pnpm docs` first and fails saying so when the site is missing.
 *
 * The site is served from `docs/api` over HTTP on 127.0.0.1, as it is published: from file://
 * URLs Chromium refuses the SVG icons every page references.
 *
 * Needs Chromium: the Debian package `chromium`, or a Chromium binary named by the environment
 * variable `CHROMIUM_PATH`. Without it the test is skipped, saying so; under CI=true it fails.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH, describeRequiring } from '@slr/test-utils';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SITE = join(ROOT, 'docs', 'api');
const INDEX = join(SITE, 'index.html');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** A static file server for `dir` on 127.0.0.1 (a free port); resolves to the server and its base URL. */
async function serve(dir: string): Promise<{ server: Server; base: string }> {
  const server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      if (path === '/favicon.ico') {
        // Chromium asks every origin for one; the site has none.
        response.writeHead(204);
        response.end();
        return;
      }
      let file = join(dir, path);
      if (file !== dir && !file.startsWith(dir + sep)) file = join(dir, 'missing');
      if ((await stat(file).catch(() => undefined))?.isDirectory()) file = join(file, 'index.html');
      try {
        const body = await readFile(file);
        response.writeHead(200, {
          'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        });
        response.end(body);
      } catch {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end(`not found: ${path}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Every published package under packages/, by its package.json name (`@slr/ctc`, …). */
const PACKAGES = readdirSync(join(ROOT, 'packages'))
  .filter((dir) => existsSync(join(ROOT, 'packages', dir, 'package.json')))
  .map(
    (dir) =>
      JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as {
        name: string;
        private?: boolean;
      },
  )
  .filter((manifest) => manifest.private !== true)
  .map((manifest) => manifest.name)
  .sort();

/** The links of a TypeDoc page's member summaries whose target matches `kind`. */
async function memberLinks(page: Page, kind: RegExp): Promise<{ text: string; href: string }[]> {
  const links = await page.$$eval('dl.tsd-member-summaries a[href]', (anchors) =>
    anchors.map((a) => ({
      text: a.textContent?.trim() ?? '',
      href: (a as HTMLAnchorElement).href,
    })),
  );
  return links.filter((link) => kind.test(link.href) && /\.html$/.test(link.href));
}

/** Every guide: docs/*.md, with the text of its first `# ` heading (Markdown code marks removed). */
const GUIDES = readdirSync(join(ROOT, 'docs'))
  .filter((file) => file.endsWith('.md'))
  .sort()
  .map((file) => {
    const heading = readFileSync(join(ROOT, 'docs', file), 'utf8').match(/^# (.+)$/m)?.[1] ?? '';
    return { file, name: basename(file, '.md'), heading: heading.replace(/`/g, '').trim() };
  });

/** What a page did while it was open: errors in its console or scripts, and what it requested. */
interface PageLog {
  errors: string[];
  requests: string[];
}

let context: BrowserContext;
let profileDir: string;
let server: Server;
let base: string;

async function open(url: string): Promise<{ page: Page; log: PageLog }> {
  const page = await context.newPage();
  const log: PageLog = { errors: [], requests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') log.errors.push(message.text());
  });
  page.on('pageerror', (error) => log.errors.push(error.message));
  page.on('request', (request) => log.requests.push(request.url()));
  page.on('response', (response) => {
    if (response.status() >= 400) log.errors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, log };
}

/** The absolute URLs of the links on `page` whose text is `text` (trimmed). */
async function linksWithText(page: Page, text: string): Promise<string[]> {
  return page.$$eval(
    'a[href]',
    (anchors, wanted) =>
      anchors
        .filter((a) => a.textContent?.trim() === wanted)
        .map((a) => (a as HTMLAnchorElement).href),
    text,
  );
}

/** Nothing failed and nothing left the site: every request was for a file of it. */
function expectLocalOnly(log: PageLog, what: string): void {
  expect(
    log.requests.filter((url) => !url.startsWith(base)),
    `${what}: requests outside the site`,
  ).toEqual([]);
  expect(log.errors, `${what}: console or script errors`).toEqual([]);
}

describeRequiring('chromium', 'documentation site in headless Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(INDEX)) {
      throw new Error(
        `The documentation site is not built (${relative(ROOT, INDEX)} does not exist): run pnpm docs first`,
      );
    }
    ({ server, base } = await serve(SITE));
    profileDir = await mkdtemp(join(tmpdir(), 'slr-docs-browser-')); // fresh profile every run
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
  });

  afterAll(async () => {
    await context?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  it('has the 10 published packages of packages/ and the guides of docs/ to check', () => {
    expect(PACKAGES).toHaveLength(10);
    expect(GUIDES.map((guide) => guide.name)).toEqual(
      expect.arrayContaining([
        'getting-started',
        'ctc-semantics',
        'debugging-overfit',
        'backends',
        'benchmarks',
      ]),
    );
    for (const guide of GUIDES) expect(guide.heading, guide.file).not.toBe('');
  });

  it("links the index to each package's API page, naming the package and a documented symbol", async () => {
    const { page: index, log: indexLog } = await open(base);
    try {
      expect(await index.title()).toContain('@slr');
      for (const name of PACKAGES) {
        const [href] = await linksWithText(index, name);
        expect(href, `a link named ${name} on the index page`).toBeDefined();

        const { page, log } = await open(href);
        try {
          expect(await page.title(), href).toContain(name);
          await expect(page.locator('h1').first().textContent(), href).resolves.toContain(name);
          // The module page lists the package's exports, each linking to its own page; a
          // package with a Node.js entry lists its two modules (`@slr/x`, `@slr/x/node`) first.
          let symbols = await memberLinks(
            page,
            /\/(classes|functions|interfaces|types|variables)\//,
          );
          if (symbols.length === 0) {
            const modules = await memberLinks(page, /\/modules\//);
            expect(
              modules.map((link) => link.text),
              `${name}: its modules`,
            ).toContain(name);
            const main = modules.find((link) => link.text === name);
            const { page: modulePage, log: moduleLog } = await open(main?.href ?? '');
            try {
              symbols = await memberLinks(
                modulePage,
                /\/(classes|functions|interfaces|types|variables)\//,
              );
              expectLocalOnly(moduleLog, main?.href ?? '');
            } finally {
              await modulePage.close();
            }
          }
          expect(symbols.length, `${name}: exported symbols listed`).toBeGreaterThan(0);

          const [symbol] = symbols;
          const { page: symbolPage, log: symbolLog } = await open(symbol.href);
          try {
            await expect(
              symbolPage.locator('h1').first().textContent(),
              symbol.href,
            ).resolves.toContain(symbol.text);
            const comment = (await symbolPage.locator('.tsd-comment').first().textContent()) ?? '';
            expect(
              comment.trim().length,
              `${name}: ${symbol.text} has a doc comment`,
            ).toBeGreaterThan(0);
            expectLocalOnly(symbolLog, symbol.href);
          } finally {
            await symbolPage.close();
          }
          expectLocalOnly(log, href);
        } finally {
          await page.close();
        }
      }
      expectLocalOnly(indexLog, 'index.html');
    } finally {
      await index.close();
    }
  });

  it('links from the index to every guide, each rendering its heading and text', async () => {
    const { page: index, log: indexLog } = await open(base);
    try {
      // The links of the page and of the navigation, which the site's script draws after load.
      await index.waitForSelector('.tsd-navigation a[href*="documents/"]');
      const hrefs = await index.$$eval('a[href]', (anchors) =>
        anchors.map((a) => (a as HTMLAnchorElement).href),
      );
      for (const guide of GUIDES) {
        const href = hrefs.find((url) => url.endsWith(`/documents/${guide.name}.html`));
        expect(
          href,
          `docs/${guide.file} is not linked from the index page: is it in projectDocuments of typedoc.json?`,
        ).toBeDefined();

        const { page, log } = await open(href as string);
        try {
          await expect(page.locator('h1').first().textContent(), guide.file).resolves.toContain(
            guide.heading,
          );
          expect(
            await page.locator('.tsd-typography p').count(),
            `${guide.file}: paragraphs`,
          ).toBeGreaterThan(0);
          expectLocalOnly(log, guide.file);
        } finally {
          await page.close();
        }
      }
      expectLocalOnly(indexLog, 'index.html');
    } finally {
      await index.close();
    }
  });
});
