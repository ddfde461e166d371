import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { ctcLoss, logSoftmax } from '@slr/ctc';
import { expectNoLeaks } from '@slr/test-utils';
import {
  type DistillationLossOptions,
  distillationLoss,
  distillationLossTerms,
} from './distillation-loss';
import { temporalInterpolationWeights } from './resample';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Seeded log-probabilities `[T, B, V]` as nested arrays (float64) and a tensor. */
function randomLogProbs(
  frames: number,
  batch: number,
  classes: number,
  seed: number,
  scale = 2,
): { values: number[][][]; tensor: tf.Tensor3D } {
  let s = seed >>> 0 || 1;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const values: number[][][] = [];
  for (let t = 0; t < frames; t++) {
    const row: number[][] = [];
    for (let b = 0; b < batch; b++) {
      const logits = Array.from({ length: classes }, () => scale * (rand() * 2 - 1));
      const m = Math.max(...logits);
      const lse = m + Math.log(logits.reduce((a, x) => a + Math.exp(x - m), 0));
      row.push(logits.map((x) => x - lse));
    }
    values.push(row);
  }
  return { values, tensor: tf.tensor3d(values, [frames, batch, classes]) };
}

/** A plain float64 implementation of the definition, written independently of the op. */
function referenceKd(
  student: number[][][],
  teacher: number[][][],
  studentLengths: number[],
  teacherLengths: number[],
  temperature: number,
  includeBlank: boolean,
  blank = 0,
): number[] {
  const classes = student[0][0].length;
  const keep = Array.from({ length: classes }, (_, k) => k).filter(
    (k) => includeBlank || k !== blank,
  );
  const softmax = (row: number[]): number[] => {
    const z = keep.map((k) => row[k] / temperature);
    const m = Math.max(...z);
    const e = z.map((x) => Math.exp(x - m));
    const sum = e.reduce((a, x) => a + x, 0);
    return e.map((x) => x / sum);
  };
  return studentLengths.map((ls, b) => {
    const lt = teacherLengths[b];
    if (ls === 0) return 0;
    const w = temporalInterpolationWeights(lt, ls);
    let total = 0;
    for (let i = 0; i < ls; i++) {
      const p = new Array(keep.length).fill(0);
      for (let j = 0; j < lt; j++) {
        const wij = w[i * lt + j];
        if (wij === 0) continue;
        softmax(teacher[j][b]).forEach((v, k) => (p[k] += wij * v));
      }
      const q = softmax(student[i][b]);
      for (let k = 0; k < keep.length; k++)
        if (p[k] > 0) total += p[k] * (Math.log(p[k]) - Math.log(q[k]));
    }
    return (temperature * temperature * total) / ls;
  });
}

describe('distillationLoss', () => {
  it('is zero, with a zero gradient, when the student equals the teacher', () => {
    for (const includeBlank of [true, false]) {
      for (const temperature of [0.5, 1, 4]) {
        const { tensor } = randomLogProbs(6, 3, 5, 11);
        const loss = distillationLoss(tensor, tensor, {
          studentLengths: [6, 4, 0],
          temperature,
          includeBlank,
        });
        expect(loss.dataSync()[0]).toBeCloseTo(0, 6);
        const grad = tf.grad((s: tf.Tensor) =>
          distillationLoss(s as tf.Tensor3D, tensor, {
            studentLengths: [6, 4, 0],
            temperature,
            includeBlank,
          }),
        )(tensor);
        expect(Math.max(...Array.from(grad.dataSync(), Math.abs))).toBeLessThan(1e-6);
        tf.dispose([tensor, loss, grad]);
      }
    }
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 4 }), // batch
      fc.integer({ min: 3, max: 7 }), // classes
      fc.integer({ min: 1, max: 9 }), // student frames
      fc.integer({ min: 1, max: 9 }), // teacher frames
      fc.constantFrom(0.5, 1, 2, 5), // temperature
      fc.boolean(), // include blank
      fc.integer({ min: 1, max: 1000 }), // seed
    ],
    { numRuns: 40 },
  )(
    'matches a plain float64 implementation (lengths, resampling, τ², blank)',
    (batch, classes, sFrames, tFrames, temperature, includeBlank, seed) => {
      const student = randomLogProbs(sFrames, batch, classes, seed);
      const teacher = randomLogProbs(tFrames, batch, classes, seed + 7);
      const studentLengths = Array.from({ length: batch }, (_, b) =>
        b === 0 ? sFrames : (seed * (b + 3)) % (sFrames + 1),
      );
      const teacherLengths = studentLengths.map((l, b) =>
        l === 0 ? (b % 2) * tFrames : Math.max(1, tFrames - ((seed + b) % tFrames)),
      );
      const perSample = distillationLoss(student.tensor, teacher.tensor, {
        studentLengths,
        teacherLengths,
        temperature,
        includeBlank,
        reduction: 'none',
      });
      const expected = referenceKd(
        student.values,
        teacher.values,
        studentLengths,
        teacherLengths,
        temperature,
        includeBlank,
      );
      const got = Array.from(perSample.dataSync());
      got.forEach((v, b) => expect(v).toBeCloseTo(expected[b], 4));
      const mean = distillationLoss(student.tensor, teacher.tensor, {
        studentLengths,
        teacherLengths,
        temperature,
        includeBlank,
      });
      expect(mean.dataSync()[0]).toBeCloseTo(expected.reduce((a, x) => a + x, 0) / batch, 4);
      const sum = distillationLoss(student.tensor, teacher.tensor, {
        studentLengths,
        teacherLengths,
        temperature,
        includeBlank,
        reduction: 'sum',
      });
      expect(sum.dataSync()[0]).toBeCloseTo(
        expected.reduce((a, x) => a + x, 0),
        4,
      );
      tf.dispose([student.tensor, teacher.tensor, perSample, mean, sum]);
    },
  );

  it('scales the KL divergence by τ² (same distributions, loss(τ) = τ²·KL_τ)', () => {
    const student = randomLogProbs(5, 2, 6, 3);
    const teacher = randomLogProbs(5, 2, 6, 4);
    const at = (temperature: number): number =>
      distillationLoss(student.tensor, teacher.tensor, {
        studentLengths: [5, 5],
        temperature,
      }).dataSync()[0];
    const klAt = (temperature: number): number =>
      referenceKd(student.values, teacher.values, [5, 5], [5, 5], temperature, true).reduce(
        (a, x) => a + x,
        0,
      ) /
      2 /
      (temperature * temperature);
    for (const t of [1, 2, 3]) expect(at(t)).toBeCloseTo(t * t * klAt(t), 5);
    // τ = 1 is the plain KL divergence.
    expect(at(1)).toBeCloseTo(klAt(1), 5);
    tf.dispose([student.tensor, teacher.tensor]);
  });

  it('has the gradient of central differences (through log-softmax of student logits)', () => {
    const logits = tf.tensor3d(randomLogProbs(4, 2, 5, 21).values, [4, 2, 5]);
    const teacher = randomLogProbs(3, 2, 5, 22);
    const options = {
      studentLengths: [4, 3],
      teacherLengths: [3, 2],
      temperature: 2,
      includeBlank: false,
    };
    const f = (x: tf.Tensor): tf.Tensor =>
      distillationLoss(logSoftmax(x as tf.Tensor3D), teacher.tensor, options);
    const analytic = tf.grad(f)(logits).dataSync();
    const base = logits.dataSync();
    const h = 1e-2;
    let worst = 0;
    for (let i = 0; i < base.length; i++) {
      const plus = Float32Array.from(base);
      const minus = Float32Array.from(base);
      plus[i] += h;
      minus[i] -= h;
      const fp = tf.tidy(() => f(tf.tensor3d(plus, [4, 2, 5])).dataSync()[0]);
      const fm = tf.tidy(() => f(tf.tensor3d(minus, [4, 2, 5])).dataSync()[0]);
      worst = Math.max(worst, Math.abs((fp - fm) / (2 * h) - analytic[i]));
    }
    expect(worst).toBeLessThan(2e-3);
    // Frames past a sample's length get no gradient.
    const grad = tf.grad(f)(logits).arraySync() as number[][][];
    expect(grad[3][1].every((g) => g === 0)).toBe(true);
    tf.dispose([logits, teacher.tensor]);
  });

  it('never reads padding: changing padded frames changes nothing', () => {
    const student = randomLogProbs(6, 2, 4, 5);
    const teacher = randomLogProbs(6, 2, 4, 6);
    const options = { studentLengths: [6, 3], temperature: 1.5 };
    const padded = (x: number[][][], seed: number): tf.Tensor3D =>
      tf.tensor3d(
        x.map((row, t) =>
          row.map((frame, b) =>
            b === 1 && t >= 3 ? frame.map((_, k) => ((seed * (k + 1) * (t + 1)) % 7) - 50) : frame,
          ),
        ),
      );
    const a = distillationLoss(student.tensor, teacher.tensor, options).dataSync()[0];
    const s2 = padded(student.values, 3);
    const t2 = padded(teacher.values, 5);
    const b = distillationLoss(s2, t2, options).dataSync()[0];
    expect(b).toBeCloseTo(a, 6);
    tf.dispose([student.tensor, teacher.tensor, s2, t2]);
  });

  it('never reads padding: NaN or ±Infinity past the lengths change neither loss nor gradient', async () => {
    const student = randomLogProbs(6, 2, 4, 15);
    const teacher = randomLogProbs(6, 2, 4, 16);
    const stridedTeacher = randomLogProbs(4, 2, 4, 17);
    const targets = tf.tensor2d(
      [
        [1, 2],
        [3, -1],
      ],
      [2, 2],
      'int32',
    );
    /** `values` with `value` in every frame of sample `b` from `from[b]` on. */
    const pad = (values: number[][][], from: number[], value: number): tf.Tensor3D =>
      tf.tensor3d(
        values.map((frame, t) =>
          frame.map((row, b) => (t >= from[b] ? row.map(() => value) : row)),
        ),
      );
    const evaluate = async (s: tf.Tensor3D, t: tf.Tensor3D, options: DistillationLossOptions) => {
      const terms = tf.valueAndGrads((x: tf.Tensor) =>
        distillationLoss(x as tf.Tensor3D, t, options),
      );
      const { value, grads } = terms([s]);
      const result = {
        loss: Array.from(await value.data()),
        grad: (await grads[0].array()) as number[][][],
      };
      tf.dispose([value, ...grads]);
      return result;
    };
    const setups: { name: string; teacher: typeof teacher; options: DistillationLossOptions }[] = [
      { name: 'same lengths', teacher, options: { studentLengths: [6, 3], reduction: 'none' } },
      {
        name: 'resampled teacher, with CTC, blank left out',
        teacher: stridedTeacher,
        options: {
          studentLengths: [6, 3],
          teacherLengths: [4, 2],
          includeBlank: false,
          ctc: { targets, targetLengths: [2, 1] },
        },
      },
    ];
    for (const { name, teacher: t, options } of setups) {
      const teacherLengths = (options.teacherLengths ?? options.studentLengths) as number[];
      const reference = await evaluate(student.tensor, t.tensor, options);
      for (const value of [NaN, -Infinity, Infinity]) {
        const s2 = pad(student.values, [6, 3], value);
        const t2 = pad(t.values, teacherLengths, value);
        const result = await evaluate(s2, t2, options);
        result.loss.forEach((v, i) =>
          expect(v, `${name}, ${value}`).toBeCloseTo(reference.loss[i], 5),
        );
        result.grad.forEach((frame, tt) =>
          frame.forEach((row, b) =>
            row.forEach((v, k) => {
              expect(
                Number.isFinite(v),
                `${name}, ${value}: gradient [${tt}, ${b}, ${k}] is ${v}`,
              ).toBe(true);
              expect(v).toBeCloseTo(reference.grad[tt][b][k], 5);
            }),
          ),
        );
        tf.dispose([s2, t2]);
      }
    }
    tf.dispose([student.tensor, teacher.tensor, stridedTeacher.tensor, targets]);
  });

  it('detaches the teacher: no gradient flows into its outputs', () => {
    const student = randomLogProbs(4, 1, 4, 8);
    const teacher = randomLogProbs(4, 1, 4, 9);
    const g = tf.grad((t: tf.Tensor) =>
      distillationLoss(student.tensor, t as tf.Tensor3D, { studentLengths: [4] }),
    )(teacher.tensor);
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([student.tensor, teacher.tensor, g]);
  });

  it('combines with CTC as α·CTC + (1 − α)·KD, or with separate weights', () => {
    const student = randomLogProbs(8, 2, 5, 12);
    const teacher = randomLogProbs(8, 2, 5, 13);
    const targets = tf.tensor2d(
      [
        [1, 2, 3],
        [4, 4, -1],
      ],
      [2, 3],
      'int32',
    );
    const ctc = { targets, targetLengths: [3, 2] };
    const lengths = [8, 6];
    const ctcValue = ctcLoss(student.tensor, targets, lengths, [3, 2]).dataSync()[0];
    const kdValue = distillationLoss(student.tensor, teacher.tensor, {
      studentLengths: lengths,
      temperature: 2,
    }).dataSync()[0];
    const combined = distillationLoss(student.tensor, teacher.tensor, {
      studentLengths: lengths,
      temperature: 2,
      alpha: 0.3,
      ctc,
    }).dataSync()[0];
    expect(combined).toBeCloseTo(0.3 * ctcValue + 0.7 * kdValue, 4);
    const weighted = distillationLoss(student.tensor, teacher.tensor, {
      studentLengths: lengths,
      temperature: 2,
      weights: { ctc: 1, kd: 2 },
      ctc,
    }).dataSync()[0];
    expect(weighted).toBeCloseTo(ctcValue + 2 * kdValue, 4);
    const terms = distillationLossTerms(student.tensor, teacher.tensor, {
      studentLengths: lengths,
      temperature: 2,
      ctc,
    });
    expect(terms.ctc?.dataSync()[0]).toBeCloseTo(ctcValue, 5);
    expect(terms.kd.dataSync()[0]).toBeCloseTo(kdValue, 5);
    expect(terms.loss.dataSync()[0]).toBeCloseTo(0.5 * ctcValue + 0.5 * kdValue, 4);
    tf.dispose([student.tensor, teacher.tensor, targets, terms.loss, terms.kd, terms.ctc]);
  });

  it('is tidy: no tensor is left behind by the loss or its gradient', () => {
    const student = randomLogProbs(6, 2, 5, 14);
    const teacher = randomLogProbs(3, 2, 5, 15);
    const targets = tf.tensor2d(
      [
        [1, 2],
        [3, -1],
      ],
      [2, 2],
      'int32',
    );
    const options = {
      studentLengths: [6, 5],
      teacherLengths: [3, 3],
      temperature: 2,
      includeBlank: false,
      ctc: { targets, targetLengths: [2, 1] },
    };
    expectNoLeaks(() => distillationLoss(student.tensor, teacher.tensor, options).dispose(), 0);
    expectNoLeaks(
      () =>
        tf
          .grad((s: tf.Tensor) => distillationLoss(s as tf.Tensor3D, teacher.tensor, options))(
            student.tensor,
          )
          .dispose(),
      0,
    );
    tf.dispose([student.tensor, teacher.tensor, targets]);
  });

  it('names the argument, the expected and the actual value on bad input', () => {
    const s = randomLogProbs(4, 2, 5, 1).tensor;
    const t = randomLogProbs(4, 2, 5, 2).tensor;
    const other = randomLogProbs(4, 3, 5, 2).tensor;
    const cases: [() => unknown, RegExp][] = [
      [
        () =>
          distillationLoss(tf.zeros([4, 5]) as unknown as tf.Tensor3D, t, {
            studentLengths: [4, 4],
          }),
        /Argument 'studentLogProbs' passed to 'distillationLoss' must be a rank-3 tensor \[T, B, V\], but got a float32 tensor of shape \[4, 5\]\./,
      ],
      [
        () => distillationLoss(s, other, { studentLengths: [4, 4] }),
        /Argument 'teacherLogProbs' passed to 'distillationLoss' must have shape \[T, 2, 5\].*but got a float32 tensor of shape \[4, 3, 5\]\./,
      ],
      [
        () => distillationLoss(s, t, { studentLengths: [4] }),
        /Argument 'options.studentLengths' passed to 'distillationLoss' must hold 2 lengths \(one per sample\), but got \[4\]\./,
      ],
      [
        () => distillationLoss(s, t, { studentLengths: [4, 5] }),
        /Argument 'options.studentLengths\[1\]' passed to 'distillationLoss' must be an integer in \[0, 4\], but got 5\./,
      ],
      [
        () => distillationLoss(s, t, { studentLengths: [4, 4], temperature: 0 }),
        /Argument 'options.temperature' passed to 'distillationLoss' must be a finite number > 0, but got 0\./,
      ],
      [
        () => distillationLoss(s, t, { studentLengths: [4, 4], alpha: 0.5 }),
        /Argument 'options.ctc' passed to 'distillationLoss' must hold CTC targets when the CTC weight is 0.5/,
      ],
      [
        () => distillationLoss(s, t, { studentLengths: [4, 4], alpha: 1.5 }),
        /Argument 'options.alpha' passed to 'distillationLoss' must be a finite number in \[0, 1\], but got 1.5\./,
      ],
      [
        () => distillationLoss(s, t, { studentLengths: [4, 4], blank: 5 }),
        /Argument 'options.blank' passed to 'distillationLoss' must be an integer in \[0, 4\], but got 5\./,
      ],
      [
        () => distillationLoss(s, t, { studentLengths: [4, 4], teacherLengths: [4, 0] }),
        /Argument 'options.teacherLengths\[1\]' passed to 'distillationLoss' must be at least one teacher frame for the student's 4, but got 0\./,
      ],
      [
        () => distillationLoss(s, t, { studentLengths: [4, 4], reduction: 'avg' as never }),
        /Argument 'options.reduction' passed to 'distillationLoss' must be one of 'none', 'sum', 'mean', but got 'avg'\./,
      ],
    ];
    for (const [call, message] of cases) expect(call).toThrow(message);
    tf.dispose([s, t, other]);
  });
});
