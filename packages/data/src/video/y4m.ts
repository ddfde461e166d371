/**
 * YUV4MPEG2 (`.y4m`) video: uncompressed 8-bit 4:2:0 frames behind a one-line header, the
 * format Chromium's fake camera plays (`--use-file-for-fake-video-capture=clip.y4m`) and that
 * ffmpeg, x264 and libvpx read. Browser-safe: bytes in, bytes out.
 *
 * Colours are BT.601 in limited ("studio") range, Y in [16, 235] and Cb, Cr in [16, 240], what
 * a Y4M file without a colour tag means to ffmpeg and what Chromium assumes for the frames of
 * its fake camera. Chroma is subsampled over 2×2 blocks, centred (`C420jpeg`).
 */
import { ArgumentError, checkInteger, checkOptions } from '@slr/core';

/** Options of {@link encodeY4m}. */
export interface EncodeY4mOptions {
  /** Frame height in pixels (an integer >= 1). Required. */
  height: number;
  /** Frame width in pixels (an integer >= 1). Required. */
  width: number;
  /** Frames per second, a positive integer (the header's `F<fps>:1`). Default 25. */
  fps?: number;
}

/** A video read by {@link decodeY4m}. */
export interface Y4mVideo {
  /** Frames, row-major `[T, H, W, 3]`, RGB in [0, 1] (as {@link SignSample.frames}). */
  frames: Float32Array;
  /** `[T, H, W, 3]`. */
  frameShape: [number, number, number, 3];
  /** Frames per second: the header's frame-rate ratio. */
  fps: number;
}

const MAGIC = 'YUV4MPEG2';
const FRAME = 'FRAME';

/** Y, Cb, Cr of BT.601 limited range for RGB in [0, 1], unrounded. */
function toYCbCr(r: number, g: number, b: number): [number, number, number] {
  const y = 0.299 * r + 0.587 * g + 0.114 * b;
  return [16 + 219 * y, 128 + 224 * ((b - y) / 1.772), 128 + 224 * ((r - y) / 1.402)];
}

const byte = (value: number): number => Math.min(255, Math.max(0, Math.round(value)));

/**
 * Encodes frames `[T, H, W, 3]` (RGB in [0, 1], row-major, as a {@link SignSample}'s) as a
 * YUV4MPEG2 video: BT.601 limited range, 4:2:0 with each chroma sample the mean of a 2×2 block
 * (an odd width or height gives a last column or row of half blocks). Values outside [0, 1]
 * are clamped; a NaN throws.
 *
 * @example
 * ```ts
 * const corpus = generateSignCorpus({ seed: 1, glosses: 10, trainSamples: 10 });
 * const sample = corpus.renderSample(corpus.splits.train[0], { height: 32, width: 32, fps: 4 });
 * const bytes: Uint8Array = encodeY4m(sample.frames, { height: 32, width: 32, fps: 4 });
 * ```
 */
export function encodeY4m(frames: Float32Array, options: EncodeY4mOptions): Uint8Array {
  const fn = 'encodeY4m';
  if (!(frames instanceof Float32Array))
    throw new ArgumentError(fn, 'frames', 'be a Float32Array of RGB frames [T, H, W, 3]', frames);
  const given = checkOptions(fn, options);
  const height = checkInteger(fn, 'options.height', given.height, { min: 1 });
  const width = checkInteger(fn, 'options.width', given.width, { min: 1 });
  const fps = checkInteger(fn, 'options.fps', given.fps ?? 25, { min: 1 });
  const frameValues = height * width * 3;
  if (frames.length % frameValues !== 0) {
    throw new ArgumentError(
      fn,
      'frames',
      `hold whole frames of ${height}×${width}×3 values (options.height, options.width)`,
      frames,
      { actualText: `a Float32Array of length ${frames.length}` },
    );
  }
  const count = frames.length / frameValues;
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  const planeBytes = height * width + 2 * chromaWidth * chromaHeight;
  const header = new TextEncoder().encode(
    `${MAGIC} W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`,
  );
  const frameHeader = new TextEncoder().encode(`${FRAME}\n`);
  const out = new Uint8Array(header.length + count * (frameHeader.length + planeBytes));
  out.set(header, 0);
  let offset = header.length;
  const cb = new Float64Array(chromaWidth * chromaHeight);
  const cr = new Float64Array(chromaWidth * chromaHeight);
  const weight = new Float64Array(chromaWidth * chromaHeight);
  for (let t = 0; t < count; t++) {
    out.set(frameHeader, offset);
    offset += frameHeader.length;
    const base = t * frameValues;
    cb.fill(0);
    cr.fill(0);
    weight.fill(0);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = base + (y * width + x) * 3;
        const rgb = [frames[i], frames[i + 1], frames[i + 2]];
        for (let c = 0; c < 3; c++) {
          if (Number.isNaN(rgb[c])) {
            throw new ArgumentError(fn, 'frames', 'be free of NaN', frames, {
              actualText: `NaN at frame ${t}, row ${y}, column ${x}, channel ${c}`,
            });
          }
          rgb[c] = Math.min(1, Math.max(0, rgb[c]));
        }
        const [luma, blue, red] = toYCbCr(rgb[0], rgb[1], rgb[2]);
        out[offset + y * width + x] = byte(luma);
        const j = (y >> 1) * chromaWidth + (x >> 1);
        cb[j] += blue;
        cr[j] += red;
        weight[j] += 1;
      }
    }
    offset += height * width;
    for (let j = 0; j < cb.length; j++) out[offset + j] = byte(cb[j] / weight[j]);
    offset += cb.length;
    for (let j = 0; j < cr.length; j++) out[offset + j] = byte(cr[j] / weight[j]);
    offset += cr.length;
  }
  return out;
}

/** The end of the line that starts at `start` (the index of its `\n`), or -1. */
function lineEnd(bytes: Uint8Array, start: number, limit: number): number {
  for (let i = start; i < Math.min(bytes.length, start + limit); i++) if (bytes[i] === 10) return i;
  return -1;
}

/**
 * Decodes a YUV4MPEG2 video with 4:2:0 chroma (`C420`, `C420jpeg`, `C420mpeg2`, `C420paldv`, or
 * no colour tag) into RGB frames in [0, 1], BT.601 limited range, each chroma sample used for
 * its 2×2 block (the inverse of {@link encodeY4m} up to its rounding and subsampling).
 * Interlaced, 4:2:2, 4:4:4 and high-bit-depth files, and truncated frames, throw an
 * `ArgumentError` that says what is wrong.
 *
 * @example
 * ```ts
 * const video: Y4mVideo = decodeY4m(encodeY4m(new Float32Array(2 * 4 * 4 * 3).fill(0.5), { height: 4, width: 4 }));
 * video.frameShape; // [2, 4, 4, 3]
 * video.fps; // 25
 * ```
 */
export function decodeY4m(bytes: Uint8Array): Y4mVideo {
  const fn = 'decodeY4m';
  const bad = (what: string): never => {
    throw new ArgumentError(fn, 'bytes', 'be a YUV4MPEG2 video with 4:2:0 chroma', bytes, {
      actualText: what,
    });
  };
  if (!(bytes instanceof Uint8Array))
    throw new ArgumentError(fn, 'bytes', 'be a Uint8Array', bytes);
  const headerEnd = lineEnd(bytes, 0, 1024);
  if (headerEnd < 0) bad('no header line');
  const decoder = new TextDecoder();
  const tokens = decoder.decode(bytes.subarray(0, headerEnd)).split(' ');
  if (tokens[0] !== MAGIC) bad(`a file that does not start with '${MAGIC}'`);
  let width = 0;
  let height = 0;
  let fps = 25;
  for (const token of tokens.slice(1)) {
    const value = token.slice(1);
    switch (token[0]) {
      case 'W':
        width = Number(value);
        break;
      case 'H':
        height = Number(value);
        break;
      case 'F': {
        const [num, den] = value.split(':').map(Number);
        fps = num / den;
        break;
      }
      case 'I':
        if (value !== 'p' && value !== '?') bad(`interlaced frames (I${value})`);
        break;
      case 'C':
        if (!/^420(jpeg|mpeg2|paldv)?$/.test(value)) bad(`colour format C${value}`);
        break;
      default:
        break;
    }
  }
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1)
    bad(`a header without a valid size (W${width} H${height})`);
  if (!(fps > 0) || !Number.isFinite(fps)) bad(`a frame rate of ${fps}`);
  const chromaWidth = Math.ceil(width / 2);
  const chromaHeight = Math.ceil(height / 2);
  const planeBytes = height * width + 2 * chromaWidth * chromaHeight;
  const frames: Float32Array[] = [];
  let offset = headerEnd + 1;
  while (offset < bytes.length) {
    const end = lineEnd(bytes, offset, 1024);
    if (end < 0 || decoder.decode(bytes.subarray(offset, offset + FRAME.length)) !== FRAME)
      bad(`no FRAME marker at byte ${offset}`);
    offset = end + 1;
    if (offset + planeBytes > bytes.length)
      bad(`frame ${frames.length} truncated (${bytes.length - offset} of ${planeBytes} bytes)`);
    const rgb = new Float32Array(height * width * 3);
    const cbBase = offset + height * width;
    const crBase = cbBase + chromaWidth * chromaHeight;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const j = (y >> 1) * chromaWidth + (x >> 1);
        const luma = (bytes[offset + y * width + x] - 16) / 219;
        const pb = (bytes[cbBase + j] - 128) / 224;
        const pr = (bytes[crBase + j] - 128) / 224;
        const i = (y * width + x) * 3;
        rgb[i] = Math.min(1, Math.max(0, luma + 1.402 * pr));
        rgb[i + 1] = Math.min(
          1,
          Math.max(0, luma - ((0.114 * 1.772) / 0.587) * pb - ((0.299 * 1.402) / 0.587) * pr),
        );
        rgb[i + 2] = Math.min(1, Math.max(0, luma + 1.772 * pb));
      }
    }
    frames.push(rgb);
    offset += planeBytes;
  }
  const all = new Float32Array(frames.length * height * width * 3);
  frames.forEach((frame, t) => all.set(frame, t * frame.length));
  return { frames: all, frameShape: [frames.length, height, width, 3], fps };
}
