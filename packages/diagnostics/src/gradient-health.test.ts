import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { describeWithBackends } from '@slr/test-utils';
import { gradientHealth } from './gradient-health';

describeWithBackends('gradientHealth', () => {
  it('computes per-variable and global norms by hand, tidy-clean', async () => {
    const grads = {
      a: tf.tensor1d([3, 4]),
      b: tf.tensor2d([
        [1, 2],
        [2, 0],
      ]),
    }; // 5 and 3
    const before = tf.memory().numTensors;
    const r = await gradientHealth(grads);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.norms).toEqual({ a: 5, b: 3 });
    expect(r.globalNorm).toBe(Math.sqrt(34));
    expect(r).toMatchObject({
      ok: true,
      nonFinite: [],
      vanishing: [],
      exploding: [],
      warnings: [],
    });
    expect(grads.a.isDisposed).toBe(false);
    tf.dispose(grads);
  });

  it('flags non-finite, vanishing and exploding gradients', async () => {
    const grads: tf.NamedTensorMap = {
      nan: tf.tensor1d([1, NaN]),
      inf: tf.tensor1d([-Infinity, 1]),
      tiny: tf.tensor1d([1e-9, 0]),
      zero: tf.zeros([3]),
      big: tf.tensor1d([300, 400]),
      fine: tf.tensor1d([1]),
    };
    const r = await gradientHealth(grads, { explodeThreshold: 100 });
    expect(r.ok).toBe(false);
    expect(r.norms.nan).toBeNaN();
    expect(r.norms.inf).toBe(Infinity);
    expect(r.norms.big).toBe(500);
    expect(r.globalNorm).toBeNaN();
    expect(r.nonFinite).toEqual(['nan', 'inf']);
    expect(r.vanishing).toEqual(['tiny', 'zero']);
    expect(r.exploding).toEqual(['inf', 'big']);
    expect(r.warnings.some((w) => w.includes("'big' is exploding"))).toBe(true);
    tf.dispose(grads);
  });

  it('flags an exploding global norm and all-vanishing gradients', async () => {
    const many = { a: tf.tensor1d([60]), b: tf.tensor1d([80]) }; // each ≤ 99, global sqrt(60² + 80²) = 100
    const r = await gradientHealth(many, { explodeThreshold: 99 });
    expect(r.globalNorm).toBe(100);
    expect(r.exploding).toEqual([]);
    expect(r.ok).toBe(false);
    expect(r.warnings[0]).toMatch(/Global gradient norm 100/);
    const zeros = { a: tf.zeros([2]) };
    const z = await gradientHealth(zeros);
    expect(z.warnings.at(-1)).toMatch(/Every gradient is vanishing/);
    tf.dispose([many, zeros]);
    await expect(gradientHealth({}, { explodeThreshold: 0 })).rejects.toThrow(
      "Argument 'options.explodeThreshold' passed to 'gradientHealth' must be a finite number > 0, but got 0.",
    );
  });
});
