import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber } from '@slr/core';
import type { OptimizerConfig } from './optimizer-config';
import { checkOptimizerConfig } from './optimizer-checks';

/** What `Optimizer.applyGradients` accepts. */
type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization"), as `torch.optim.AdamW`: per step
 * `w ← w − lr·m̂/(√v̂ + ε) − lr·wd·w`, with the Adam moments computed from the raw gradient.
 * Serializable (`registerClass`, `getConfig`); `getWeights`/`setWeights` save and restore the
 * moments and the iteration count.
 *
 * @example
 * ```ts
 * const adamw = new AdamWOptimizer(1e-3, 0.9, 0.999, 1e-8, 0.01);
 * adamw.minimize(computeLoss);
 * ```
 */
export class AdamWOptimizer extends tf.AdamOptimizer {
  /** Name under which the class is registered for serialization. */
  static override get className(): string {
    return 'AdamW';
  }

  /** The decoupled weight-decay factor. */
  readonly weightDecay: number;

  constructor(
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    weightDecay: number,
  ) {
    super(learningRate, beta1, beta2, epsilon);
    this.weightDecay = weightDecay;
  }

  /** Sets the learning rate used from the next {@link AdamWOptimizer.applyGradients} call on. */
  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  /** The current learning rate. */
  getLearningRate(): number {
    return this.learningRate;
  }

  /** Applies decoupled decay `w ← w·(1 − lr·wd)` to every variable with a gradient, then the Adam step. */
  override applyGradients(variableGradients: VariableGradients): void {
    if (this.weightDecay !== 0) {
      const names = Array.isArray(variableGradients)
        ? variableGradients.map((g) => g.name)
        : Object.keys(variableGradients);
      const factor = 1 - this.learningRate * this.weightDecay;
      tf.tidy(() => {
        names.forEach((name, i) => {
          const gradient = Array.isArray(variableGradients)
            ? variableGradients[i].tensor
            : variableGradients[name];
          if (gradient == null) return;
          const variable = tf.engine().registeredVariables[name];
          variable.assign(tf.mul(variable, factor));
        });
      });
    }
    super.applyGradients(variableGradients);
  }

  /** Adam's configuration plus `weightDecay`, for serialisation. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }

  /** Rebuilds an optimizer from {@link AdamWOptimizer.getConfig}'s output. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as typeof AdamWOptimizer)(
      config.learningRate as number,
      config.beta1 as number,
      config.beta2 as number,
      config.epsilon as number,
      config.weightDecay as number,
    ) as unknown as T;
  }
}
tf.serialization.registerClass(AdamWOptimizer);

/**
 * SGD with momentum, optional Nesterov momentum and L2 weight decay added to the gradient
 * (`g ← g + wd·w`), as `torch.optim.SGD` with `dampening` 0. Built on tfjs's
 * `MomentumOptimizer` (whose update equals PyTorch's for dampening 0).
 *
 * @example
 * ```ts
 * const sgd = new SgdOptimizer(0.1, 0.9, true, 1e-4); // momentum 0.9, Nesterov, L2 1e-4
 * sgd.minimize(computeLoss);
 * ```
 */
export class SgdOptimizer extends tf.MomentumOptimizer {
  /** Name under which the class is registered for serialization. */
  static override get className(): string {
    return 'SlrSgd';
  }

  /** The L2 coefficient added to gradients. */
  readonly weightDecay: number;

  constructor(learningRate: number, momentum: number, useNesterov: boolean, weightDecay: number) {
    super(learningRate, momentum, useNesterov);
    this.weightDecay = weightDecay;
  }

  /** The current learning rate. */
  getLearningRate(): number {
    return this.learningRate;
  }

  /** Adds `wd·w` to each gradient, then the momentum step. */
  override applyGradients(variableGradients: VariableGradients): void {
    if (this.weightDecay === 0) {
      super.applyGradients(variableGradients);
      return;
    }
    const decayed = tf.tidy(() => {
      const add = (name: string, g: tf.Tensor): tf.Tensor =>
        tf.add(g, tf.mul(tf.engine().registeredVariables[name], this.weightDecay));
      if (Array.isArray(variableGradients)) {
        return variableGradients.map((g) => ({
          name: g.name,
          tensor: g.tensor == null ? g.tensor : add(g.name, g.tensor),
        }));
      }
      const out: tf.NamedTensorMap = {};

      for (const [name, g] of Object.entries(variableGradients))
        if (g != null) out[name] = add(name, g);
      return out;
    }) as VariableGradients;
    try {
      super.applyGradients(decayed);
    } finally {
      tf.dispose(Array.isArray(decayed) ? decayed.map((g) => g.tensor) : decayed);
    }
  }

  /** The momentum optimizer's configuration plus `weightDecay`, for serialisation. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }

  /** Rebuilds an optimizer from {@link SgdOptimizer.getConfig}'s output. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as typeof SgdOptimizer)(
      config.learningRate as number,
      config.momentum as number,
      config.useNesterov as boolean,
      config.weightDecay as number,
    ) as unknown as T;
  }
}
tf.serialization.registerClass(SgdOptimizer);

/**
 * Checks an {@link OptimizerConfig} without building an optimizer; throws an `ArgumentError`
 * naming the field, what it must be and what it was.
 *
 * @example
 * ```ts
 * validateOptimizerConfig({ name: 'adam', learningRate: -1 });
 * // ArgumentError: Argument 'config.learningRate' passed to 'validateOptimizerConfig' must be
 * // a finite number > 0, but got -1.
 * ```
 */
export function validateOptimizerConfig(config: OptimizerConfig): void {
  checkOptimizerConfig('validateOptimizerConfig', 'config', config);
}

/**
 * Builds an optimizer from a validated {@link OptimizerConfig}: `'adam'` is `tf.train.adam`,
 * `'adamw'` an {@link AdamWOptimizer}, `'sgd'` an {@link SgdOptimizer}. Throws before any
 * training on a bad configuration.
 *
 * @example
 * ```ts
 * const sgd = createOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true });
 * setLearningRate(sgd, 0.05);
 * ```
 */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  checkOptimizerConfig('createOptimizer', 'config', config);
  const {
    learningRate,
    beta1 = 0.9,
    beta2 = 0.999,
    epsilon = 1e-8,
    weightDecay = 0,
    momentum = 0,
    nesterov = false,
  } = config;
  switch (config.name) {
    case 'adam':
      return tf.train.adam(learningRate, beta1, beta2, epsilon);
    case 'adamw':
      return new AdamWOptimizer(learningRate, beta1, beta2, epsilon, weightDecay);
    case 'sgd':
      return new SgdOptimizer(learningRate, momentum, nesterov, weightDecay);
  }
}

/**
 * Sets an optimizer's learning rate for the next `applyGradients`/`minimize` call (for
 * schedules). Works for the three optimizers {@link createOptimizer} builds and for tfjs's own
 * Adam, SGD and Momentum: SGD-family optimizers cache `−lr` as a tensor, which this refreshes.
 *
 * @example
 * ```ts
 * const schedule = createSchedule({ base: 'cosine', learningRate: 1e-3, totalSteps: 100 });
 * for (let step = 0; step < 100; step++) {
 *   setLearningRate(optimizer, schedule(step));
 *   optimizer.minimize(computeLoss);
 * }
 * ```
 */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  checkNumber('setLearningRate', 'learningRate', learningRate, { min: 0 });
  const target = optimizer as unknown as {
    learningRate?: number;
    setLearningRate?: (lr: number) => void;
  };
  if (typeof target.setLearningRate === 'function') target.setLearningRate(learningRate);
  else if (typeof target.learningRate === 'number') target.learningRate = learningRate;
  else throw notSchedulable('setLearningRate', optimizer);
}

/**
 * Reads an optimizer's current learning rate.
 *
 * @example
 * ```ts
 * getLearningRate(createOptimizer({ name: 'adam', learningRate: 1e-3 })); // 0.001
 * ```
 */
export function getLearningRate(optimizer: tf.Optimizer): number {
  const lr = (optimizer as unknown as { learningRate?: number }).learningRate;
  if (typeof lr !== 'number') throw notSchedulable('getLearningRate', optimizer);
  return lr;
}

function notSchedulable(fn: string, optimizer: tf.Optimizer): ArgumentError {
  return new ArgumentError(
    fn,
    'optimizer',
    'be an optimizer with a learningRate field',
    optimizer,
    {
      actualText: `a ${optimizer.getClassName()} optimizer`,
    },
  );
}
