/**
 * The app in headless Chromium (Debian's, driven by playwright-core): a tiny student trained on
 * the synthetic corpus (seeded, a few seconds on the cpu backend) is served with the built app;
 * the fake camera plays a clip of one of its samples (`clip.y4m`). Checked:
 *  - camera: the page's final transcript equals what the same model and decoder give in Node.js
 *    on exactly the frames the page processed (it keeps them with `?record=1`), and the page
 *    reports its backend, fps and latency; a screenshot mid-stream goes to `.out/web-browser/`
 *    (and, with SLR_UPDATE_DOCS_SCREENSHOT=1, to `docs/images/web-app.png`);
 *  - a video file (the clip, opened as a file) on each backend the browser has, with its fps;
 *  - a missing model and a model with the wrong vocabulary give the page's error, not a blank page;
 *  - no console error and no request outside the app's origin.
 *
 * The test builds the app (Vite) itself. Needs Chromium: the Debian package `chromium`, or a
 * binary named by `CHROMIUM_PATH`; without it the test is skipped, saying so, and under CI=true
 * it fails.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GlossVocabulary, decodeY4m } from '@slr/data';
import { loadModel } from '@slr/layers/node';
import { CHROMIUM_ARGS, CHROMIUM_PATH, describeRequiring } from '@slr/test-utils';
import { uniformArpa, VIDEO, writeFixture, type Fixture } from './node/fixture';
import { createRecognizer } from './recognizer';

const APP = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(APP, '..', '..');
const DIST = join(APP, 'dist');
const OUT = join(ROOT, '.out', 'web-browser');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

/** Serves `routes` (URL prefix → folder), longest prefix first, on 127.0.0.1. */
async function serve(routes: Record<string, string>): Promise<{ server: Server; base: string }> {
  const prefixes = Object.keys(routes).sort((a, b) => b.length - a.length);
  const server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      const prefix = prefixes.find((p) => path.startsWith(p)) ?? '/';
      const dir = routes[prefix];
      let file = join(dir, path.slice(prefix.length));
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

/** The transcript the same model and decoder give in Node.js (cpu) on `frames` [T, H, W, 3]. */
async function referenceTranscript(frames: Float32Array, count: number): Promise<string> {
  await tf.setBackend('cpu');
  const model = await loadModel(fixture.modelDir);
  try {
    const vocabulary = GlossVocabulary.fromJSON(
      JSON.parse(await readFile(join(fixture.modelDir, 'vocabulary.json'), 'utf8')),
    );
    const arpa = await readFile(join(fixture.modelDir, 'lm.arpa'), 'utf8');
    const recognizer = createRecognizer(model, vocabulary, { arpa });
    const input = tf.tensor4d(frames, [count, VIDEO.height, VIDEO.width, 3]);
    await recognizer.push(input);
    input.dispose();
    return (await recognizer.finish()).stable.join(' ');
  } finally {
    model.dispose();
  }
}

interface PageLog {
  errors: string[];
  requests: string[];
}

let dir: string;
let fixture: Fixture;
let server: Server;
let base: string;
let context: BrowserContext;
const measurements: Record<string, unknown>[] = [];

async function open(query: string): Promise<{ page: Page; log: PageLog }> {
  const page = await context.newPage();
  const log: PageLog = { errors: [], requests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') log.errors.push(message.text());
  });
  page.on('pageerror', (error) => log.errors.push(error.message));
  page.on('request', (request) => log.requests.push(request.url()));
  await page.goto(`${base}${query}`, { waitUntil: 'load' });
  return { page, log };
}

const text = async (page: Page, testId: string): Promise<string> =>
  ((await page.getByTestId(testId).textContent()) ?? '').trim();

/** Waits for `body[data-state]` to be one of `states`; the page's error, if any, fails it. */
async function waitForState(page: Page, ...states: string[]): Promise<string> {
  await page.waitForFunction(
    (wanted) => wanted.includes(document.body.dataset.state ?? ''),
    [...states, 'error'],
    { timeout: 120_000 },
  );
  const state = await page.evaluate(() => document.body.dataset.state ?? '');
  if (state === 'error' && !states.includes('error'))
    throw new Error(`the page shows an error: ${await text(page, 'error')}`);
  return state;
}

function expectClean(log: PageLog, what: string): void {
  expect(
    log.requests.filter(
      (url) => !url.startsWith(base) && !url.startsWith('blob:') && !url.startsWith('data:'),
    ),
    `${what}: requests outside the app's origin`,
  ).toEqual([]);
  expect(log.errors, `${what}: console or script errors`).toEqual([]);
}

/** What the page reports. */
async function readings(page: Page): Promise<Record<string, string>> {
  const ids = [
    'model-info',
    'backend',
    'backend-reason',
    'fps',
    'capacity-fps',
    'latency',
    'model-ms',
    'decoder-ms',
    'frames',
    'output-frames',
    'dropped',
  ];
  return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await text(page, id)])));
}

describeRequiring('chromium', 'the web app in headless Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slr-web-browser-'));
    await build({ root: APP, logLevel: 'warn', configFile: join(APP, 'vite.config.ts') });
    fixture = await writeFixture(dir);
    // A folder whose vocabulary does not match the model: one gloss more.
    const badDir = join(dir, 'bad-model');
    await mkdir(badDir);
    for (const file of ['model.json', 'weights.bin']) {
      await copyFile(join(fixture.modelDir, file), join(badDir, file)).catch(() => undefined);
    }
    const modelJson = JSON.parse(await readFile(join(fixture.modelDir, 'model.json'), 'utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    for (const group of modelJson.weightsManifest)
      for (const path of group.paths)
        await copyFile(join(fixture.modelDir, path), join(badDir, path));
    const glosses = [
      ...GlossVocabulary.fromJSON(
        JSON.parse(await readFile(join(fixture.modelDir, 'vocabulary.json'), 'utf8')),
      ).glosses,
      'EXTRA',
    ];
    await writeFile(
      join(badDir, 'vocabulary.json'),
      JSON.stringify(GlossVocabulary.ordered(glosses).toJSON()),
    );
    await writeFile(join(badDir, 'lm.arpa'), uniformArpa(glosses));

    ({ server, base } = await serve({
      '/': DIST,
      '/model/': fixture.modelDir,
      '/bad-model/': badDir,
    }));
    await mkdir(OUT, { recursive: true });
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM_PATH,
      headless: true,
      viewport: { width: 1000, height: 900 },
      args: [
        ...CHROMIUM_ARGS.filter((arg) => arg !== '--disable-gpu'),
        // WebGL on SwiftShader where there is no GPU, and WebGPU where the browser has it.
        '--enable-unsafe-swiftshader',
        '--enable-unsafe-webgpu',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${fixture.clipPath}`,
      ],
    });
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    if (server) await new Promise((resolve) => server.close(resolve));
    if (measurements.length > 0)
      await writeFile(join(OUT, 'measurements.json'), JSON.stringify(measurements, null, 2));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('recognises the camera clip as the same model and decoder do in Node.js on the same frames', async () => {
    const frames = fixture.sample.frameShape[0];
    const { page, log } = await open(`?frames=${frames}&record=1`);
    try {
      await waitForState(page, 'ready');
      await page.getByTestId('start-camera').click();
      // Mid-stream: once a few output frames are decoded.
      await page.waitForFunction(
        () => Number(document.querySelector('[data-testid="output-frames"]')?.textContent) >= 4,
        undefined,
        { timeout: 120_000 },
      );
      const screenshot = await page.screenshot({ fullPage: true });
      await writeFile(join(OUT, 'web-app.png'), screenshot);
      if (process.env.SLR_UPDATE_DOCS_SCREENSHOT === '1')
        await writeFile(join(ROOT, 'docs', 'images', 'web-app.png'), screenshot);
      await waitForState(page, 'done');

      const reported = await readings(page);
      const transcript = await text(page, 'transcript');
      const shape = await page.evaluate(() =>
        (window as unknown as { slrApp: { frameShape(): number[] } }).slrApp.frameShape(),
      );
      const recording = Buffer.from(
        await page.evaluate(() =>
          (window as unknown as { slrApp: { recording(): string } }).slrApp.recording(),
        ),
        'base64',
      );
      expect(shape).toEqual([frames, VIDEO.height, VIDEO.width, 3]);
      expect(Number(reported.frames)).toBe(frames);
      const pixels = Float32Array.from(recording, (byte) => byte / 255);
      const reference = await referenceTranscript(pixels, frames);
      measurements.push({
        source: 'camera',
        ...reported,
        transcript,
        reference,
        truth: fixture.sample.glosses.join(' '),
      });
      expect(transcript).toBe(reference);
      expect(transcript.length).toBeGreaterThan(0);
      expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(reported.backend);
      expect(reported['backend-reason']).not.toBe('');
      expect(Number(reported.fps)).toBeGreaterThan(0);
      expect(Number(reported.latency)).toBeGreaterThan(0);
      expectClean(log, 'camera');
    } finally {
      await page.close();
    }
  }, 300_000);

  for (const backend of ['auto', 'webgpu', 'webgl', 'wasm', 'cpu']) {
    it(`recognises the clip opened as a video file (backend ${backend})`, async () => {
      const { page, log } = await open(`?backend=${backend}`);
      try {
        const state = await waitForState(page, 'ready', 'error');
        if (state === 'error') {
          // Only a backend asked for by name may be missing; the page says why.
          expect(backend).not.toBe('auto');
          expect(await page.getByTestId('error').getAttribute('data-kind')).toBe('backend');
          measurements.push({ source: 'file', backend, unavailable: await text(page, 'error') });
          return;
        }
        await page.getByTestId('file').setInputFiles(fixture.longClipPath);
        await waitForState(page, 'done');
        const reported = await readings(page);
        const transcript = await text(page, 'transcript');
        const video = decodeY4m(new Uint8Array(await readFile(fixture.longClipPath)));
        const reference = await referenceTranscript(video.frames, video.frameShape[0]);
        const truth = fixture.longClipGlosses.join(' ');
        measurements.push({
          source: 'file',
          requested: backend,
          ...reported,
          transcript,
          reference,
          truth,
        });
        expect(transcript).toBe(reference);
        if (backend !== 'auto') expect(reported.backend).toBe(backend);
        expect(Number(reported.frames)).toBe(video.frameShape[0]);
        expect(Number(reported.fps)).toBeGreaterThan(0);
        expectClean(log, `file on ${backend}`);
      } finally {
        await page.close();
      }
    }, 300_000);
  }

  it('says so when there is no model, instead of a blank page', async () => {
    const { page, log } = await open('?model=/no-such-model/');
    try {
      await waitForState(page, 'error');
      const box = page.getByTestId('error');
      await expect(box.isVisible()).resolves.toBe(true);
      expect(await box.getAttribute('data-kind')).toBe('model-not-found');
      expect(await text(page, 'error')).toMatch(
        /No model at .*\/no-such-model\/model\.json.*\?model=<url>/,
      );
      // The one failure: the 404 of model.json itself.
      expect(
        log.errors.every((e) => /404/.test(e)),
        log.errors.join('\n'),
      ).toBe(true);
      expect(log.requests.filter((url) => !url.startsWith(base))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('says that the model and the vocabulary do not belong together', async () => {
    const { page, log } = await open('?model=/bad-model/');
    try {
      await waitForState(page, 'error');
      expect(await page.getByTestId('error').getAttribute('data-kind')).toBe('pairing');
      expect(await text(page, 'error')).toMatch(
        /has 7 output classes but the vocabulary has 7 glosses \+ blank = 8/,
      );
      expectClean(log, 'bad model');
    } finally {
      await page.close();
    }
  });
});
