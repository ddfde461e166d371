/**
 * The page: loads the model folder, picks a backend, reads the camera or a video file, and
 * shows the running transcript with its numbers. Query parameters:
 *  - `model=<url>`: the model folder (default `model/`, beside the page);
 *  - `backend=auto|webgpu|webgl|wasm|cpu` (default `auto`);
 *  - `frames=<n>`: stop after n frames and show the final transcript (default: until Stop);
 *  - `lm=0`: ignore the folder's `lm.arpa`;
 *  - `record=1`: keep the frames the model saw, for `window.slrApp.recording()` (the browser test).
 */
import * as tf from '@tensorflow/tfjs';
import { decodeY4m } from '@slr/data';
import { BackendUnavailableError, chooseBackend, requestedBackend } from './backend';
import { drawTopK } from './chart';
import { AppError, loadModelFolder } from './model-files';
import {
  createRecognizer,
  type FrameTopK,
  type Recognizer,
  type RecognizerUpdate,
} from './recognizer';

const search = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(testId: string): T =>
  document.querySelector(`[data-testid="${testId}"]`) as T;
const video = document.getElementById('video') as HTMLVideoElement;
const inputCanvas = $<HTMLCanvasElement>('input');
const chart = $<HTMLCanvasElement>('chart');

type State = 'loading' | 'ready' | 'running' | 'done' | 'error';
function setState(state: State, status: string): void {
  document.body.dataset.state = state;
  $('status').textContent = status;
  $<HTMLButtonElement>('start-camera').disabled =
    state === 'loading' || state === 'running' || state === 'error';
  $<HTMLInputElement>('file').disabled =
    state === 'loading' || state === 'running' || state === 'error';
  $<HTMLButtonElement>('stop').disabled = state !== 'running';
}

function showError(error: unknown): void {
  const kind =
    error instanceof AppError
      ? error.kind
      : error instanceof BackendUnavailableError
        ? 'backend'
        : 'internal';
  const box = $('error');
  box.hidden = false;
  box.dataset.kind = kind;
  box.textContent = error instanceof Error ? error.message : String(error);
  setState('error', 'Error');
}

/** One frame the model will see: RGB in [0, 1], H×W, and when it was captured. */
interface Frame {
  pixels: Float32Array;
  time: number;
}

let recognizer: Recognizer;
let height = 0;
let width = 0;
const frameLimit = search.has('frames') ? Number(search.get('frames')) : Infinity;
const record = search.get('record') === '1';
const recorded: Uint8Array[] = [];

// The state of a run.
let running = false;
let accepted = 0;
let processed = 0;
let dropped = 0;
let stopSource: () => void = () => {};
let queue: Frame[] = [];
let draining: Promise<void> = Promise.resolve();
let captureTimes: number[] = [];
let latencyAccounted = 0;
let latencies: number[] = [];
let fpsTimes: number[] = [];
let runStart = 0;
/** When the last push was done; at the end, fps is frames over the run up to it. */
let lastPush = 0;
let computeMs = 0;
let decoderMs = 0;
let outputFrames = 0;
let topK: FrameTopK[] = [];

const context = inputCanvas.getContext('2d', { willReadFrequently: true })!;

/** The frame on `source` now, centre-cropped to the model's aspect ratio and scaled to H×W. */
function grab(source: CanvasImageSource, sourceWidth: number, sourceHeight: number): Frame {
  const scale = Math.min(sourceWidth / width, sourceHeight / height);
  const cropWidth = width * scale;
  const cropHeight = height * scale;
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(
    source,
    (sourceWidth - cropWidth) / 2,
    (sourceHeight - cropHeight) / 2,
    cropWidth,
    cropHeight,
    0,
    0,
    width,
    height,
  );
  const rgba = context.getImageData(0, 0, width, height).data;
  const pixels = new Float32Array(width * height * 3);
  const bytes = record ? new Uint8Array(width * height * 3) : undefined;
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    for (let c = 0; c < 3; c++) {
      pixels[j + c] = rgba[i + c] / 255;
      if (bytes) bytes[j + c] = rgba[i + c];
    }
  }
  if (bytes) recorded.push(bytes);
  return { pixels, time: performance.now() };
}

function showNumbers(update: RecognizerUpdate | undefined): void {
  if (update) {
    $('transcript').textContent = update.stable.join(' ');
    $('partial').textContent = update.partial.join(' ');
  }
  // Frames done over the last 3 s (or since the run began, when that is shorter).
  const now = performance.now();
  fpsTimes = fpsTimes.filter((t) => now - t < 3000);
  const span = Math.min(3000, now - runStart) / 1000;
  if (!running && processed > 0 && lastPush > runStart)
    $('fps').textContent = (processed / ((lastPush - runStart) / 1000)).toFixed(1);
  else if (span > 0 && fpsTimes.length > 0)
    $('fps').textContent = (fpsTimes.length / span).toFixed(1);
  if (processed > 0) {
    $('model-ms').textContent = (computeMs / processed).toFixed(2);
    $('capacity-fps').textContent = (1000 / ((computeMs + decoderMs) / processed)).toFixed(1);
  }
  if (outputFrames > 0) $('decoder-ms').textContent = (decoderMs / outputFrames).toFixed(3);
  const recent = latencies.slice(-50);
  if (recent.length > 0)
    $('latency').textContent = (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(0);
  $('frames').textContent = String(processed);
  $('output-frames').textContent = String(outputFrames);
  $('dropped').textContent = String(dropped);
  drawTopK(chart, topK, (id) => recognizer.vocabulary.glossOf(id));
}

function account(update: RecognizerUpdate, end: boolean): void {
  computeMs += update.modelMs;
  decoderMs += update.decoderMs;
  outputFrames = update.outputFrames;
  topK = [...topK, ...update.topK].slice(-96);
  const now = performance.now();
  const covered = end ? processed : Math.min(processed, outputFrames * recognizer.student.stride);
  for (; latencyAccounted < covered; latencyAccounted++)
    latencies.push(now - captureTimes[latencyAccounted]);
  showNumbers(update);
}

async function processFrames(frames: Frame[]): Promise<void> {
  const batch = tf.tensor4d(concat(frames.map((f) => f.pixels)), [frames.length, height, width, 3]);
  try {
    for (const frame of frames) captureTimes.push(frame.time);
    const update = await recognizer.push(batch);
    processed += frames.length;
    const done = performance.now();
    lastPush = done;
    for (let i = 0; i < frames.length; i++) fpsTimes.push(done);
    account(update, false);
  } finally {
    batch.dispose();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Takes a captured frame; drops the oldest waiting one when the model falls far behind. */
function offer(frame: Frame): void {
  if (!running || accepted >= frameLimit) return;
  accepted++;
  queue.push(frame);
  if (queue.length > 64) {
    queue.shift();
    dropped++;
  }
  draining = draining.then(drain).catch(showError);
  if (accepted >= frameLimit) void stop();
}

async function drain(): Promise<void> {
  while (queue.length > 0) {
    const frames = queue;
    queue = [];
    await processFrames(frames);
  }
}

function begin(status: string): void {
  running = true;
  accepted = processed = dropped = outputFrames = latencyAccounted = 0;
  computeMs = decoderMs = 0;
  captureTimes = [];
  latencies = [];
  fpsTimes = [];
  topK = [];
  recorded.length = 0;
  runStart = performance.now();
  $('transcript').textContent = '';
  $('partial').textContent = '';
  setState('running', status);
}

/** Ends the run: the source stops, the waiting frames are decoded, and the transcript is final. */
async function stop(): Promise<void> {
  if (!running) return;
  running = false;
  stopSource();
  stopSource = () => {};
  try {
    await draining;
    account(await recognizer.finish(), true);
    setState('done', `Done: ${processed} frames`);
  } catch (error) {
    showError(error);
  }
}

/** Feeds the frames of `video` as it plays (camera or file), one per new video frame. */
function feedVideo(): void {
  const onFrame = (): void => {
    if (!running) return;
    if (video.videoWidth > 0) offer(grab(video, video.videoWidth, video.videoHeight));
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

async function startCamera(): Promise<void> {
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (error) {
    const name = (error as { name?: string }).name;
    throw new AppError(
      'camera',
      name === 'NotAllowedError'
        ? 'The camera permission was denied: allow the camera for this site in the browser (the icon ' +
            'in the address bar), then press Start camera again; or open a video file instead.'
        : name === 'NotFoundError'
          ? 'No camera was found: connect one, or open a video file instead.'
          : name === 'NotReadableError'
            ? 'The camera is in use by another program: close it and try again.'
            : `The camera could not be opened (${String(error)}); open a video file instead.`,
    );
  }
  video.srcObject = stream;
  begin('Camera');
  stopSource = () => {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  await video.play();
  feedVideo();
}

async function startFile(file: File): Promise<void> {
  if (/\.y4m$/i.test(file.name)) {
    let decoded;
    try {
      decoded = decodeY4m(new Uint8Array(await file.arrayBuffer()));
    } catch (error) {
      throw new AppError(
        'video',
        `${file.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const [count, fileHeight, fileWidth] = decoded.frameShape;
    begin(`${file.name}: ${count} frames`);
    const size = fileHeight * fileWidth * 3;
    const end = Math.min(count, frameLimit);
    for (let t = 0; t < end && running; t++) {
      let pixels = decoded.frames.subarray(t * size, (t + 1) * size);
      if (fileHeight !== height || fileWidth !== width) {
        pixels = tf.tidy(
          () =>
            tf.image
              .resizeBilinear(
                tf.tensor3d(pixels, [fileHeight, fileWidth, 3]),
                [height, width],
                false,
                true,
              )
              .dataSync() as Float32Array,
        );
      }
      offer({ pixels: new Float32Array(pixels), time: performance.now() });
      if (t % 4 === 3) {
        await draining;
        await new Promise((resolve) => setTimeout(resolve, 0)); // let the page draw
      }
    }
    await stop();
    return;
  }
  const url = URL.createObjectURL(file);
  video.srcObject = null;
  video.src = url;
  begin(file.name);
  stopSource = () => {
    video.pause();
    URL.revokeObjectURL(url);
  };
  video.onended = () => void stop();
  video.onerror = () =>
    showError(
      new AppError(
        'video',
        `${file.name} cannot be played by this browser: try a WebM or MP4 file, or a .y4m.`,
      ),
    );
  await video.play();
  feedVideo();
}

async function main(): Promise<void> {
  const requested = requestedBackend(search);
  setState('loading', 'Choosing a backend…');
  const choice = await chooseBackend(requested);
  $('backend').textContent = choice.backend;
  $('backend-reason').textContent = [
    choice.reason,
    ...choice.skipped.map((s) => `not ${s.replace(/\.$/, '')}`),
  ].join('; ');

  setState('loading', 'Loading the model…');
  const base = new URL(search.get('model') ?? 'model/', location.href);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const folder = await loadModelFolder(base.href, search.get('lm') !== '0');
  recognizer = createRecognizer(folder.model, folder.vocabulary, { arpa: folder.arpa });
  setState('loading', 'Warming up the backend…');
  await recognizer.student.warmUp();
  [height, width] = recognizer.student.frameSize;
  inputCanvas.width = width;
  inputCanvas.height = height;
  $('model-info').textContent =
    `${folder.model.name}: ${height}×${width} frames, ${folder.vocabulary.size - 1} glosses, ` +
    `${(folder.downloadBytes / 1024).toFixed(0)} KiB; latency ${recognizer.student.framesToFirstChunk} frames; ` +
    (recognizer.hasLm ? 'with the LM' : 'no LM');
  document.body.dataset.modelBytes = String(folder.downloadBytes);
  setState('ready', 'Ready: start the camera or open a video');
}

$('start-camera').addEventListener('click', () => void startCamera().catch(showError));
$('stop').addEventListener('click', () => void stop());
$<HTMLInputElement>('file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) void startFile(file).catch(showError);
});

/** For the browser test: the frames the model saw (`record=1`), as base64 of RGB bytes. */
(window as unknown as { slrApp: unknown }).slrApp = {
  recording(): string {
    let text = '';
    for (const frame of recorded) for (const byte of frame) text += String.fromCharCode(byte);
    return btoa(text);
  },
  frameShape: () => [recorded.length, height, width, 3],
};

main().catch(showError);
