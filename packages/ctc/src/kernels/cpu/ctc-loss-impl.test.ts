import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { bruteForceCtcLoss } from '@slr/test-utils';
import { type CtcProblem, ctcBackward, ctcForward, samplesInLogSpace } from './ctc-loss-impl';

/** A random CTC problem: log-softmax of scaled normal logits, random lengths and labels. */
const problemArbitrary = (limits: {
  frames: number;
  classes: number;
  batch: number;
  targetLength: number;
}) =>
  fc
    .record({
      frames: fc.integer({ min: 0, max: limits.frames }),
      classes: fc.integer({ min: 2, max: limits.classes }),
      batch: fc.integer({ min: 1, max: limits.batch }),
      maxTargetLength: fc.integer({ min: 0, max: limits.targetLength }),
      peakiness: fc.double({ min: 0.1, max: 60, noNaN: true }),
      seed: fc.integer(),
    })
    .chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        blank: fc.integer({ min: 0, max: shape.classes - 1 }),
        inputLengths: fc.array(fc.integer({ min: 0, max: shape.frames }), {
          minLength: shape.batch,
          maxLength: shape.batch,
        }),
        targetLengths: fc.array(fc.integer({ min: 0, max: shape.maxTargetLength }), {
          minLength: shape.batch,
          maxLength: shape.batch,
        }),
        labels: fc.array(fc.integer({ min: 0, max: shape.classes - 2 }), {
          minLength: shape.batch * shape.maxTargetLength,
          maxLength: shape.batch * shape.maxTargetLength,
        }),
      }),
    )
    .map(({ shape, blank, inputLengths, targetLengths, labels }): CtcProblem => {
      const { frames, classes, batch, maxTargetLength, peakiness, seed } = shape;
      const logProbs = new Float32Array(frames * batch * classes);
      let random = seed >>> 0 || 1;
      const next = (): number => {
        random ^= random << 13;
        random ^= random >>> 17;
        random ^= random << 5;
        return (random >>> 0) / 4294967296;
      };
      for (let row = 0; row < frames * batch; row++) {
        const logits = Array.from({ length: classes }, () => peakiness * (next() * 2 - 1));
        const max = Math.max(...logits);
        const logZ = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
        logits.forEach((x, k) => (logProbs[row * classes + k] = x - logZ));
      }
      // Labels avoid the blank by skipping over it.
      const targets = Int32Array.from(labels, (label) => (label >= blank ? label + 1 : label));
      return {
        logProbs,
        frames,
        batch,
        classes,
        targets,
        maxTargetLength,
        inputLengths: Int32Array.from(inputLengths),
        targetLengths: Int32Array.from(targetLengths),
        blank,
      };
    });

function rowsOf(problem: CtcProblem, b: number): number[][] {
  return Array.from({ length: problem.inputLengths[b] }, (_, t) =>
    Array.from(
      problem.logProbs.subarray(
        (t * problem.batch + b) * problem.classes,
        (t * problem.batch + b + 1) * problem.classes,
      ),
    ),
  );
}

function targetOf(problem: CtcProblem, b: number): number[] {
  return Array.from(
    problem.targets.subarray(
      b * problem.maxTargetLength,
      b * problem.maxTargetLength + problem.targetLengths[b],
    ),
  );
}

function expectClose(actual: number, expected: number, relative: number): void {
  if (!Number.isFinite(expected)) expect(actual).toBe(expected);
  else
    expect(Math.abs(actual - expected)).toBeLessThanOrEqual(
      relative * Math.max(1, Math.abs(expected)),
    );
}

describe('CTC typed-array kernels', () => {
  test.prop([problemArbitrary({ frames: 6, classes: 4, batch: 3, targetLength: 3 })])(
    'the nll equals brute-force enumeration of every path',
    (problem) => {
      const { nll } = ctcForward(problem);
      for (let b = 0; b < problem.batch; b++) {
        const expected =
          problem.inputLengths[b] === 0
            ? problem.targetLengths[b] === 0
              ? 0
              : Infinity
            : bruteForceCtcLoss(rowsOf(problem, b), targetOf(problem, b), problem.blank);
        expectClose(nll[b], expected, 1e-9);
      }
    },
  );

  test.prop([
    problemArbitrary({ frames: 40, classes: 6, batch: 3, targetLength: 12 }),
    fc.float({ min: Math.fround(-2), max: Math.fround(2), noNaN: true }),
  ])('scaled linear space and log space agree on loss and gradient', (problem, scale) => {
    const gradScale = new Float32Array(problem.batch).fill(scale);
    const auto = ctcForward(problem, 'auto');
    const log = ctcForward(problem, 'log');
    for (let b = 0; b < problem.batch; b++) expectClose(auto.nll[b], log.nll[b], 1e-9);
    const gradAuto = ctcBackward(problem, auto.state, gradScale);
    const gradLog = ctcBackward(problem, log.state, gradScale);
    for (let i = 0; i < gradAuto.length; i++) {
      expect(Number.isFinite(gradAuto[i])).toBe(true);
      expect(Math.abs(gradAuto[i] - gradLog[i])).toBeLessThanOrEqual(1e-6);
    }
  });

  test.prop([
    problemArbitrary({ frames: 12, classes: 5, batch: 3, targetLength: 4 }),
    fc.array(fc.constantFrom(NaN, Infinity, -Infinity, -1.5), { minLength: 1, maxLength: 64 }),
    fc.float({ min: Math.fround(-2), max: Math.fround(2), noNaN: true }),
  ])(
    'the gradient is NaN exactly where a valid frame holds a NaN, whatever infinities its row holds',
    (problem, extra, scale) => {
      // Three classes that no target uses, holding NaN, ±Infinity or a finite value: the loss and
      // the gradient of the other classes must not change.
      const { frames, batch, classes } = problem;
      const wide = classes + 3;
      const logProbs = new Float32Array(frames * batch * wide);
      for (let row = 0; row < frames * batch; row++) {
        for (let k = 0; k < wide; k++) {
          logProbs[row * wide + k] =
            k < classes
              ? problem.logProbs[row * classes + k]
              : extra[(row * 3 + k - classes) % extra.length];
        }
      }
      const widened: CtcProblem = { ...problem, logProbs, classes: wide };
      const gradScale = new Float32Array(batch).fill(scale);
      const narrow = ctcForward(problem);
      const { nll, state } = ctcForward(widened);
      expect(Array.from(nll)).toEqual(Array.from(narrow.nll));
      const expected = ctcBackward(problem, narrow.state, gradScale);
      const grad = ctcBackward(widened, state, gradScale);
      for (let t = 0; t < frames; t++) {
        for (let b = 0; b < batch; b++) {
          const row = t * batch + b;
          const marked = t < problem.inputLengths[b] && Number.isFinite(nll[b]);
          for (let k = 0; k < wide; k++) {
            const value = grad[row * wide + k];
            if (k < classes) expect(value).toBe(expected[row * classes + k]);
            else expect(value).toBe(marked && Number.isNaN(logProbs[row * wide + k]) ? NaN : 0);
          }
        }
      }
    },
  );

  it('falls back to log space for a very peaky long sequence, with the same result', () => {
    const frames = 400;
    const classes = 5;
    const maxTargetLength = 120;
    const logProbs = new Float32Array(frames * classes);
    for (let t = 0; t < frames; t++) {
      // A peaky model: one class near probability 1, the others around e^-90.
      const winner = t % classes;
      for (let k = 0; k < classes; k++)
        logProbs[t * classes + k] = k === winner ? -4 * Math.exp(-90) : -90 - k;
    }
    const targets = Int32Array.from({ length: maxTargetLength }, (_, i) => 1 + (i % 4));
    const problem: CtcProblem = {
      logProbs,
      frames,
      batch: 1,
      classes,
      targets,
      maxTargetLength,
      inputLengths: Int32Array.of(frames),
      targetLengths: Int32Array.of(maxTargetLength),
      blank: 0,
    };
    const auto = ctcForward(problem, 'auto');
    expect(samplesInLogSpace(problem, auto.state)).toEqual([true]);
    const log = ctcForward(problem, 'log');
    expect(Number.isFinite(auto.nll[0])).toBe(true);
    expectClose(auto.nll[0], log.nll[0], 1e-12);
    const grad = ctcBackward(problem, auto.state, Float32Array.of(1));
    expect(grad.every(Number.isFinite)).toBe(true);
    // Each frame's gradient over the label columns sums to -1 (the occupancies sum to one).
    for (const t of [0, 150, 399]) {
      const sum = grad.subarray(t * classes, (t + 1) * classes).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(-1, 5);
    }
  });

  it('uses scaled linear space for an ordinary batch', () => {
    const frames = 50;
    const classes = 10;
    const logProbs = new Float32Array(frames * 2 * classes).fill(-Math.log(classes));
    const problem: CtcProblem = {
      logProbs,
      frames,
      batch: 2,
      classes,
      targets: Int32Array.of(1, 2, 3, 4, 4, 5),
      maxTargetLength: 3,
      inputLengths: Int32Array.of(50, 30),
      targetLengths: Int32Array.of(3, 2),
      blank: 0,
    };
    const { state } = ctcForward(problem);
    expect(samplesInLogSpace(problem, state)).toEqual([false, false]);
  });
});
