import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeY4mFile } from '../node/y4m-file';
import { generateSignCorpus } from '../synthetic/corpus';
import { decodeY4m, encodeY4m } from './y4m';

/** Frames whose pixels are equal within each 2×2 block, so that 4:2:0 loses nothing but rounding. */
function blockyFrames(count: number, height: number, width: number, seed: number): Float32Array {
  const frames = new Float32Array(count * height * width * 3);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  for (let t = 0; t < count; t++) {
    for (let by = 0; by < height; by += 2) {
      for (let bx = 0; bx < width; bx += 2) {
        const rgb = [random(), random(), random()];
        for (let y = by; y < Math.min(height, by + 2); y++)
          for (let x = bx; x < Math.min(width, bx + 2); x++)
            frames.set(rgb, ((t * height + y) * width + x) * 3);
      }
    }
  }
  return frames;
}

describe('encodeY4m / decodeY4m', () => {
  it('writes the YUV4MPEG2 header and one FRAME of W×H + 2 (W/2)×(H/2) bytes per frame', () => {
    const bytes = encodeY4m(new Float32Array(3 * 4 * 6 * 3).fill(1), {
      height: 4,
      width: 6,
      fps: 4,
    });
    const header = 'YUV4MPEG2 W6 H4 F4:1 Ip A1:1 C420jpeg\n';
    expect(new TextDecoder().decode(bytes.subarray(0, header.length))).toBe(header);
    const frameBytes = 'FRAME\n'.length + 6 * 4 + 2 * 3 * 2;
    expect(bytes.length).toBe(header.length + 3 * frameBytes);
    const first = bytes.subarray(header.length);
    expect(new TextDecoder().decode(first.subarray(0, 6))).toBe('FRAME\n');
    // White: Y = 235, neutral chroma.
    expect(first[6]).toBe(235);
    expect(first[6 + 24]).toBe(128);
  });

  it('round-trips frames within the rounding of 8-bit limited-range YUV', () => {
    for (const [height, width] of [
      [8, 10],
      [5, 7],
    ]) {
      const frames = blockyFrames(3, height, width, height * 31 + width);
      const video = decodeY4m(encodeY4m(frames, { height, width, fps: 12 }));
      expect(video.frameShape).toEqual([3, height, width, 3]);
      expect(video.fps).toBe(12);
      let worst = 0;
      for (let i = 0; i < frames.length; i++)
        worst = Math.max(worst, Math.abs(video.frames[i] - frames[i]));
      // Half a step of Y (1/219) plus half a step of chroma (1/224) times the largest
      // chroma-to-RGB coefficient (1.772), and clamping only helps.
      expect(worst).toBeLessThan(0.5 / 219 + 1.772 * (0.5 / 224) + 1e-6);
    }
  });

  it('keeps a synthetic sample recognisable: mean error well under 2%', () => {
    const corpus = generateSignCorpus({
      seed: 3,
      glosses: 4,
      trainSamples: 4,
      devSamples: 0,
      testSamples: 0,
    });
    const sample = corpus.renderSample(corpus.splits.train[0], { height: 32, width: 32, fps: 4 });
    const video = decodeY4m(encodeY4m(sample.frames, { height: 32, width: 32, fps: 4 }));
    expect(video.frameShape).toEqual(sample.frameShape);
    let total = 0;
    for (let i = 0; i < sample.frames.length; i++)
      total += Math.abs(video.frames[i] - sample.frames[i]);
    expect(total / sample.frames.length).toBeLessThan(0.02);
  });

  it('says what is wrong with bad arguments and files', () => {
    expect(() => encodeY4m(new Float32Array(5), { height: 2, width: 2 })).toThrow(
      "Argument 'frames' passed to 'encodeY4m' must hold whole frames of 2×2×3 values " +
        '(options.height, options.width), but got a Float32Array of length 5.',
    );
    expect(() => encodeY4m(new Float32Array(12).fill(NaN), { height: 2, width: 2 })).toThrow(
      /must be free of NaN, but got NaN at frame 0, row 0, column 0, channel 0/,
    );
    expect(() => decodeY4m(new TextEncoder().encode('P6\n'))).toThrow(
      "Argument 'bytes' passed to 'decodeY4m' must be a YUV4MPEG2 video with 4:2:0 chroma, " +
        "but got a file that does not start with 'YUV4MPEG2'.",
    );
    expect(() => decodeY4m(new TextEncoder().encode('YUV4MPEG2 W2 H2 F25:1 C444\n'))).toThrow(
      /but got colour format C444/,
    );
    const truncated = encodeY4m(new Float32Array(12), { height: 2, width: 2 }).subarray(0, -1);
    expect(() => decodeY4m(truncated)).toThrow(/frame 0 truncated \(5 of 6 bytes\)/);
  });

  it('writes a file that decodes to the same frames (writeY4mFile)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slr-y4m-'));
    try {
      const frames = blockyFrames(2, 4, 4, 7);
      const path = join(dir, 'clip.y4m');
      const written = await writeY4mFile(path, frames, { height: 4, width: 4, fps: 4 });
      const bytes = new Uint8Array(await readFile(path));
      expect(bytes.length).toBe(written);
      expect(bytes).toEqual(encodeY4m(frames, { height: 4, width: 4, fps: 4 }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
