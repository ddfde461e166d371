import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  AdamWOptimizer,
  SgdOptimizer,
  createOptimizer,
  getLearningRate,
  setLearningRate,
} from './optimizers';
import type { OptimizerConfig } from './optimizer-config';
import { resolveOptimizerConfig } from './optimizer-checks';

const GRADS = [
  [0.5, -1.2, 3.0],
  [-0.3, 0.8, 0.1],
  [1.1, 0.0, -2.5],
  [0.2, -0.4, 0.9],
];
const W0 = [1.0, -2.0, 0.5];
const LRS = [0.01, 0.02, 0.005, 0.01];

/** Runs the optimizer on a variable with the fixed gradients, changing the LR per step. */
function run(
  opt: tf.Optimizer,
  name: string,
  steps = GRADS.length,
  w0 = W0,
  variable?: tf.Variable,
): { values: number[][]; variable: tf.Variable } {
  const w = variable ?? tf.variable(tf.tensor1d(w0), true, name);
  const values: number[][] = [];
  for (let s = 0; s < steps; s++) {
    setLearningRate(opt, LRS[s]);
    const g = tf.tensor1d(GRADS[s]);
    opt.applyGradients({ [w.name]: g });
    g.dispose();
    values.push(Array.from(w.dataSync()));
  }
  return { values, variable: w };
}

function adamwReference(wd: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): number[][] {
  const w = [...W0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  const out: number[][] = [];
  for (let s = 0; s < GRADS.length; s++) {
    const t = s + 1;
    const lr = LRS[s];
    for (let i = 0; i < 3; i++) {
      const g = GRADS[s][i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const mHat = m[i] / (1 - beta1 ** t);
      const vHat = v[i] / (1 - beta2 ** t);
      w[i] = w[i] - lr * (mHat / (Math.sqrt(vHat) + eps)) - lr * wd * w[i];
    }
    out.push([...w]);
  }
  return out;
}

function sgdReference(momentum: number, nesterov: boolean, wd: number): number[][] {
  const w = [...W0];
  const buf = [0, 0, 0];
  const out: number[][] = [];
  for (let s = 0; s < GRADS.length; s++) {
    for (let i = 0; i < 3; i++) {
      const g = GRADS[s][i] + wd * w[i];
      buf[i] = s === 0 ? g : momentum * buf[i] + g;
      const d = nesterov ? g + momentum * buf[i] : buf[i];
      w[i] -= LRS[s] * d;
    }
    out.push([...w]);
  }
  return out;
}

function expectClose(actual: number[][], expected: number[][], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, s) =>
    row.forEach((x, i) => expect(Math.abs(x - expected[s][i])).toBeLessThan(tol)),
  );
}

let counter = 0;
const uniqueName = (): string => `train_opt_test_${counter++}`;

describe('createOptimizer', () => {
  it('adamw follows the decoupled update formula step by step (per-step LR)', () => {
    const opt = createOptimizer({ name: 'adamw', learningRate: 0.01, weightDecay: 0.1 });
    expect(opt).toBeInstanceOf(AdamWOptimizer);
    const { values, variable } = run(opt, uniqueName());
    expectClose(values, adamwReference(0.1));
    variable.dispose();
    opt.dispose();
  });

  it('adamw with weightDecay 0 equals adam', () => {
    const a = createOptimizer({ name: 'adamw', learningRate: 0.01, weightDecay: 0 });
    const b = createOptimizer({ name: 'adam', learningRate: 0.01 });
    const ra = run(a, uniqueName());
    const rb = run(b, uniqueName());
    expectClose(ra.values, rb.values, 1e-7);
    expectClose(rb.values, adamwReference(0));
    [ra.variable, rb.variable, a, b].forEach((x) => x.dispose());
  });

  it('adamw differs from adam with L2 (decay is not fed to the moments)', () => {
    const opt = createOptimizer({
      name: 'adamw',
      learningRate: 0.01,
      weightDecay: 0.5,
      beta1: 0.8,
      beta2: 0.99,
      epsilon: 1e-6,
    });
    const { values, variable } = run(opt, uniqueName());
    expectClose(values, adamwReference(0.5, 0.8, 0.99, 1e-6));
    variable.dispose();
    opt.dispose();
  });

  it('adamw state saves and restores through getWeights/setWeights', async () => {
    const full = createOptimizer({ name: 'adamw', learningRate: 0.01, weightDecay: 0.1 });
    const reference = run(full, uniqueName());

    const first = createOptimizer({ name: 'adamw', learningRate: 0.01, weightDecay: 0.1 });
    const part = run(first, uniqueName(), 2);
    const saved = (await first.getWeights()).map((w) => ({
      name: w.name,
      tensor: w.tensor.clone(),
    }));
    first.dispose();
    const second = createOptimizer({ name: 'adamw', learningRate: 0.01, weightDecay: 0.1 });
    await second.setWeights(saved);
    for (let s = 2; s < GRADS.length; s++) {
      setLearningRate(second, LRS[s]);
      const g = tf.tensor1d(GRADS[s]);
      second.applyGradients({ [part.variable.name]: g });
      g.dispose();
    }
    expectClose([Array.from(part.variable.dataSync())], [reference.values[GRADS.length - 1]]);
    expect(second.iterations).toBe(GRADS.length);
    tf.dispose(saved.map((w) => w.tensor));
    [reference.variable, part.variable, full, second].forEach((x) => x.dispose());
  });

  it('adamw serializes through getConfig / registerClass', () => {
    const opt = createOptimizer({
      name: 'adamw',
      learningRate: 0.003,
      weightDecay: 0.02,
      beta1: 0.85,
    }) as AdamWOptimizer;
    expect(opt.getClassName()).toBe('AdamW');
    const config = opt.getConfig();
    expect(config).toMatchObject({
      learningRate: 0.003,
      beta1: 0.85,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0.02,
    });
    const registered = tf.serialization.SerializationMap.getMap().classNameMap.AdamW;
    expect(registered).toBeDefined();
    const copy = AdamWOptimizer.fromConfig(AdamWOptimizer, config) as AdamWOptimizer;
    expect(copy.getConfig()).toEqual(config);
    opt.dispose();
    copy.dispose();
  });

  it.each([
    [0.9, true, 0],
    [0.9, false, 0],
    [0.5, true, 0.01],
    [0, false, 0.1],
  ])(
    'sgd momentum %f nesterov %s weightDecay %f follows the PyTorch formula',
    (momentum, nesterov, wd) => {
      const opt = createOptimizer({
        name: 'sgd',
        learningRate: 0.01,
        momentum,
        nesterov,
        weightDecay: wd,
      });
      expect(opt).toBeInstanceOf(SgdOptimizer);
      const { values, variable } = run(opt, uniqueName());
      expectClose(values, sgdReference(momentum, nesterov, wd));
      variable.dispose();
      opt.dispose();
    },
  );

  it('setLearningRate is read on every applyGradients call, for all three optimizers', () => {
    for (const name of ['adam', 'adamw', 'sgd'] as const) {
      const opt = createOptimizer({ name, learningRate: 0.1 });
      const w = tf.variable(tf.tensor1d([1]), true, uniqueName());
      const g = tf.tensor1d([1]);
      setLearningRate(opt, 0);
      expect(getLearningRate(opt)).toBe(0);
      opt.applyGradients({ [w.name]: g });
      expect(w.dataSync()[0]).toBeCloseTo(1, 7);
      setLearningRate(opt, 0.25);
      opt.applyGradients({ [w.name]: g });
      // Adam's first steps move by ≈ lr; SGD by exactly lr·g.
      expect(1 - w.dataSync()[0]).toBeCloseTo(0.25, 3);
      g.dispose();
      w.dispose();
      opt.dispose();
    }
  });

  it('does not leak tensors per step', () => {
    for (const name of ['adam', 'adamw', 'sgd'] as const) {
      const opt = createOptimizer({
        name,
        learningRate: 0.1,
        weightDecay: name === 'adam' ? 0 : 0.1,
        momentum: name === 'sgd' ? 0.9 : undefined,
      });
      const w = tf.variable(tf.tensor1d([1, 2]), true, uniqueName());
      const g = tf.tensor1d([1, -1]);
      opt.applyGradients({ [w.name]: g });
      const before = tf.memory().numTensors;
      opt.applyGradients({ [w.name]: g });
      setLearningRate(opt, 0.01);
      opt.applyGradients({ [w.name]: g });
      expect(tf.memory().numTensors).toBe(before);
      g.dispose();
      w.dispose();
      opt.dispose();
    }
  });

  it.each<[Record<string, unknown>, RegExp]>([
    [
      { name: 'rmsprop' },
      /Argument 'config.name' passed to 'createOptimizer' must be one of 'adam', 'adamw', 'sgd', but got 'rmsprop'\./,
    ],
    [
      { learningRate: -0.1 },
      /Argument 'config.learningRate' passed to 'createOptimizer' must be a finite number > 0, but got -0.1\./,
    ],
    [{ learningRate: Number.NaN }, /'config.learningRate'.*got NaN/],
    [
      { beta1: 1 },
      /Argument 'config.beta1' passed to 'createOptimizer' must be a finite number in \[0, 1\), but got 1\./,
    ],
    [
      { beta2: -0.1 },
      /Argument 'config.beta2' passed to 'createOptimizer' must be a finite number in \[0, 1\), but got -0.1\./,
    ],
    [
      { name: 'adamw', weightDecay: -0.01 },
      /Argument 'config.weightDecay' passed to 'createOptimizer' must be a finite number >= 0, but got -0.01\./,
    ],
    [
      { name: 'adam', weightDecay: 0.01 },
      /Argument 'config.weightDecay' passed to 'createOptimizer' must be 0 for 'adam'/,
    ],
    [{ name: 'sgd', momentum: 1.5 }, /'config.momentum'.*got 1.5/],
    [
      { name: 'sgd', nesterov: true },
      /Argument 'config.momentum' passed to 'createOptimizer' must be > 0 when config.nesterov is true, but got 0\./,
    ],
    [{ epsilon: 0 }, /'config.epsilon'.*got 0/],
  ])('rejects %o', (override, message) => {
    const config = { name: 'adam', learningRate: 0.001, ...override } as unknown as OptimizerConfig;
    const before = tf.memory().numTensors;
    expect(() => createOptimizer(config)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('resolveOptimizerConfig', () => {
  it.each<OptimizerConfig>([
    { name: 'adam', learningRate: 0.01 },
    { name: 'adamw', learningRate: 0.01, weightDecay: 0.1, beta2: 0.99 },
    { name: 'sgd', learningRate: 0.1 },
    { name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
  ])('fills in the defaults createOptimizer uses: %o', (config) => {
    const resolved = resolveOptimizerConfig(config);
    const a = createOptimizer(config);
    const b = createOptimizer(resolved);
    expect(b.getConfig()).toEqual(a.getConfig());
    expect(resolveOptimizerConfig(resolved)).toEqual(resolved);
    expect(Object.keys(resolved)).toEqual(
      config.name === 'sgd'
        ? ['name', 'learningRate', 'momentum', 'nesterov', 'weightDecay']
        : ['name', 'learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'],
    );
    a.dispose();
    b.dispose();
  });
});
