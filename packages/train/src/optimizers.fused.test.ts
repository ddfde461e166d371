import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer } from './optimizers';
import type { OptimizerConfig } from './optimizer-config';
import { ADAM_UPDATE, MOMENTUM_UPDATE, registerTrainCpuKernels } from './kernels/optimizer-update';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => registerTrainCpuKernels());

const CONFIGS: OptimizerConfig[] = [
  { name: 'adam', learningRate: 1e-2 },
  { name: 'adam', learningRate: 3e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
  { name: 'adamw', learningRate: 1e-2, weightDecay: 0.05 },
  { name: 'adamw', learningRate: 1e-3, weightDecay: 0 },
  { name: 'sgd', learningRate: 0.1 },
  { name: 'sgd', learningRate: 0.05, momentum: 0.9 },
  { name: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
  { name: 'sgd', learningRate: 0.02, momentum: 0.5, weightDecay: 0.1 },
];

interface Problem {
  shapes: number[][];
  steps: number;
  seed: number;
  /** Variables without a gradient in some step (index → step). */
  missing: number;
}

/** Weights and optimizer state after `steps` steps on fixed random gradients. */
async function train(
  config: OptimizerConfig,
  problem: Problem,
  fused: boolean,
): Promise<{ weights: number[][]; state: { name: string; values: number[] }[] }> {
  if (!fused) {
    tf.unregisterKernel(ADAM_UPDATE, 'cpu');
    tf.unregisterKernel(MOMENTUM_UPDATE, 'cpu');
  }
  const optimizer = createOptimizer(config);
  const variables = problem.shapes.map((shape, i) =>
    tf.variable(tf.randomNormal(shape, 0, 1, 'float32', problem.seed + i)),
  );
  for (let step = 0; step < problem.steps; step++) {
    const gradients = variables.map((v, i) =>
      i === problem.missing && step % 2 === 0
        ? null
        : tf.randomNormal(v.shape, 0, 1, 'float32', problem.seed * 31 + step * 7 + i),
    );
    // The list form on odd steps, the map form on even ones.
    if (step % 2 === 1) {
      optimizer.applyGradients(
        variables.map((v, i) => ({ name: v.name, tensor: gradients[i] as tf.Tensor })),
      );
    } else {
      // A missing gradient stays in the map as null: tfjs keeps state by position.
      const map: tf.NamedTensorMap = {};
      variables.forEach((v, i) => (map[v.name] = gradients[i] as tf.Tensor));
      optimizer.applyGradients(map);
    }
    tf.dispose(gradients.filter((g): g is tf.Tensor => g != null));
  }
  const weights = variables.map((v) => Array.from(v.dataSync()));
  const saved = await optimizer.getWeights();
  const state = saved.map((w) => ({
    // Variable names differ between runs; the part after the variable name does not.
    name: w.name.replace(/^.*\//, ''),
    values: Array.from(w.tensor.dataSync()),
  }));
  optimizer.dispose();
  tf.dispose(variables);
  return { weights, state };
}

const problems = fc.record({
  shapes: fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 3 }), {
    minLength: 1,
    maxLength: 3,
  }),
  steps: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer({ min: 1, max: 1000 }),
  missing: fc.integer({ min: -1, max: 2 }),
});

describe('fused optimizer updates (cpu)', () => {
  for (const config of CONFIGS) {
    test.prop([problems], { numRuns: 8 })(
      `${JSON.stringify(config)}: the same weights and state as the unfused update, bit for bit`,
      async (problem) => {
        const fused = await train(config, problem, true);
        const reference = await train(config, problem, false);
        expect(fused.weights).toEqual(reference.weights);
        expect(fused.state).toEqual(reference.state);
      },
    );
  }

  it('propagates NaN and Infinity gradients as the unfused update does', () => {
    for (const config of CONFIGS) {
      const run = (fused: boolean): number[] => {
        if (!fused) {
          tf.unregisterKernel(ADAM_UPDATE, 'cpu');
          tf.unregisterKernel(MOMENTUM_UPDATE, 'cpu');
        }
        const optimizer = createOptimizer(config);
        const w = tf.variable(tf.tensor1d([1, -2, 3, 0.5]));
        const g = tf.tensor1d([NaN, Infinity, -Infinity, 0.25]);
        optimizer.applyGradients({ [w.name]: g });
        const values = Array.from(w.dataSync());
        tf.dispose([w, g]);
        optimizer.dispose();
        registerTrainCpuKernels();
        return values;
      };
      const fused = run(true);
      expect(fused[0]).toBeNaN();
      expect(fused).toEqual(run(false));
    }
  });

  for (const fused of [true, false]) {
    it(`sgd + decay keeps each momentum with a null map gradient (${fused ? 'fused' : 'tfjs ops'})`, async () => {
      if (!fused) tf.unregisterKernel(MOMENTUM_UPDATE, 'cpu');
      const optimizer = createOptimizer({
        name: 'sgd',
        learningRate: 0.5,
        momentum: 0.5,
        weightDecay: 0.25,
      });
      const a = tf.variable(tf.tensor1d([1]), true, 'nullGradA');
      const b = tf.variable(tf.tensor1d([2]), true, 'nullGradB');
      const g = tf.tensor1d([1]);
      optimizer.applyGradients({ [a.name]: null as unknown as tf.Tensor, [b.name]: g });
      optimizer.applyGradients({ [a.name]: g, [b.name]: g });
      const state = await optimizer.getWeights();
      expect(state.map((w) => w.name)).toEqual([
        'iter',
        'nullGradA/momentum',
        'nullGradB/momentum',
      ]);
      // a: one step from 1: g' = 1 + 0.25 = 1.25; b: g' = 1.5, then 0.5·1.5 + (1 + 0.25·1.25).
      expect(Array.from(state[1].tensor.dataSync())).toEqual([1.25]);
      expect(Array.from(state[2].tensor.dataSync())[0]).toBeCloseTo(0.75 + 1.3125, 6);
      tf.dispose([a, b, g]);
      optimizer.dispose();
    });
  }

  it('costs one kernel per variable and a fixed few per step', async () => {
    for (const config of CONFIGS) {
      const optimizer = createOptimizer(config);
      const variables = [4, 6, 8, 10].map((n) => tf.variable(tf.ones([n])));
      const gradients = variables.map((v) => tf.onesLike(v));
      const step = (): void =>
        optimizer.applyGradients(
          Object.fromEntries(variables.map((v, i) => [v.name, gradients[i]])),
        );
      step(); // creates the state
      const info = await tf.profile(step);
      const fusedName = config.name === 'sgd' ? MOMENTUM_UPDATE : ADAM_UPDATE;
      const fusedCalls = info.kernels.filter((k) => k.name === fusedName).length;
      expect(fusedCalls).toBe(4);
      // Adam: 1 − β^t twice and β^t ← β^t·β twice per step; SGD: nothing else.
      expect(info.kernels.length - fusedCalls).toBe(config.name === 'sgd' ? 0 : 4);
      tf.dispose([...variables, ...gradients]);
      optimizer.dispose();
    }
  });

  it('leaks no tensors per step', () => {
    for (const config of CONFIGS) {
      const optimizer = createOptimizer(config);
      const w = tf.variable(tf.ones([3, 2]));
      const g = tf.onesLike(w);
      optimizer.applyGradients({ [w.name]: g });
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) optimizer.applyGradients({ [w.name]: g });
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([w, g]);
      optimizer.dispose();
    }
  });
});
