import { describe, expect, it } from 'vitest';
import {
  MOBILENET_V3_LARGE_BLOCKS,
  MOBILENET_V3_SMALL_BLOCKS,
  mobileNetV3Architecture,
} from './index';

describe('mobileNetV3Architecture', () => {
  it('has the paper’s tables at width 1, with torchvision’s SE squeeze widths', () => {
    const large = mobileNetV3Architecture('large');
    expect(large.stemChannels).toBe(16);
    expect(large.lastConvChannels).toBe(960);
    expect(large.classifierChannels).toBe(1280);
    expect(large.blocks.map((b) => b.squeezeChannels)).toEqual([
      0, 0, 0, 24, 32, 32, 0, 0, 0, 0, 120, 168, 168, 240, 240,
    ]);
    expect(large.blocks.map((b) => b.residual)).toEqual([
      true,
      false,
      true,
      false,
      true,
      true,
      false,
      true,
      true,
      true,
      false,
      true,
      false,
      true,
      true,
    ]);
    expect(large.blocks.map((b) => b.stride)).toEqual(
      MOBILENET_V3_LARGE_BLOCKS.map((b) => b.stride),
    );

    const small = mobileNetV3Architecture('small');
    expect(small.stemChannels).toBe(16);
    expect(small.lastConvChannels).toBe(576);
    expect(small.classifierChannels).toBe(1024);
    expect(small.blocks.map((b) => b.squeezeChannels)).toEqual([
      8, 0, 0, 24, 64, 64, 32, 40, 72, 144, 144,
    ]);
    expect(small.blocks.map((b) => b.expandedChannels)).toEqual(
      MOBILENET_V3_SMALL_BLOCKS.map((b) => b.expandedChannels),
    );
  });

  it('chains the blocks: each block takes the previous block’s output', () => {
    for (const specs of [MOBILENET_V3_LARGE_BLOCKS, MOBILENET_V3_SMALL_BLOCKS]) {
      for (let i = 1; i < specs.length; i++)
        expect(specs[i].inputChannels).toBe(specs[i - 1].outputChannels);
    }
  });

  it('rounds every width with makeDivisible(c × width, 8), as torchvision', () => {
    const small = mobileNetV3Architecture('small', 0.25);
    expect(small.stemChannels).toBe(8);
    expect(
      small.blocks.map((b) => [b.inputChannels, b.expandedChannels, b.outputChannels]),
    ).toEqual([
      [8, 8, 8],
      [8, 24, 8],
      [8, 24, 8],
      [8, 24, 16],
      [16, 64, 16],
      [16, 64, 16],
      [16, 32, 16],
      [16, 40, 16],
      [16, 72, 24],
      [24, 144, 24],
      [24, 144, 24],
    ]);
    expect(small.lastConvChannels).toBe(144);
    expect(small.classifierChannels).toBe(256);
    const large = mobileNetV3Architecture('large', 0.75);
    expect(large.blocks[large.blocks.length - 1].outputChannels).toBe(120);
    expect(large.lastConvChannels).toBe(720);
    expect(large.classifierChannels).toBe(960);
  });

  it('rejects unknown variants and widths', () => {
    expect(() => mobileNetV3Architecture('medium' as never)).toThrow(
      "Argument 'variant' passed to 'mobileNetV3Architecture' must be one of 'large', 'small', but got 'medium'.",
    );
    expect(() => mobileNetV3Architecture('large', 0)).toThrow(
      "Argument 'widthMultiplier' passed to 'mobileNetV3Architecture' must be a finite number > 0, but got 0.",
    );
  });
});
