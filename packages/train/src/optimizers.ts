import * as tf from '@tensorflow/tfjs';
import { ArgumentError, checkNumber } from '@slr/core';
import type { OptimizerConfig } from './optimizer-config';
import { checkOptimizerConfig } from './optimizer-checks';
import { ADAM_UPDATE, MOMENTUM_UPDATE, registerTrainCpuKernels } from './kernels/optimizer-update';

registerTrainCpuKernels();

/** What `Optimizer.applyGradients` accepts. */
type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** A variable's optimizer state as tfjs keeps it (`getWeights` names it `originalName`). */
interface SlotVariable {
  originalName: string;
  variable: tf.Variable;
}

/** The fields of tfjs's `AdamOptimizer` (protected in its typings) the fused step uses. */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: (SlotVariable | undefined)[];
  accumulatedSecondMoment: (SlotVariable | undefined)[];
  incrementIterations(): void;
}

/** The fields of tfjs's `MomentumOptimizer` (protected in its typings) the fused step uses. */
interface MomentumInternals {
  /** `−learningRate`, a kept scalar. */
  c: tf.Scalar;
  /** The momentum, a kept scalar. */
  m: tf.Scalar;
  useNesterov: boolean;
  accumulations: (SlotVariable | undefined)[];
  incrementIterations(): void;
}

/** The variable names and gradients of an `applyGradients` argument, in its order. */
function entries(variableGradients: VariableGradients): [string, tf.Tensor | null | undefined][] {
  return Array.isArray(variableGradients)
    ? variableGradients.map((g) => [g.name, g.tensor])
    : Object.entries(variableGradients);
}

/**
 * Whether the fused kernel `kernelName` runs the update: the current backend has it and every
 * variable and gradient is float32.
 */
function canFuse(kernelName: string, list: [string, tf.Tensor | null | undefined][]): boolean {
  if (tf.getKernel(kernelName, tf.getBackend()) == null) return false;
  return list.every(
    ([name, gradient]) =>
      tf.engine().registeredVariables[name]?.dtype === 'float32' &&
      (gradient == null || gradient.dtype === 'float32'),
  );
}

/**
 * tfjs's Adam step (`AdamOptimizer.applyGradients`, same state variables created in the same
 * order), one {@link ADAM_UPDATE} kernel per variable; with `decayFactor`, each variable is
 * first multiplied by it (AdamW's decoupled decay).
 */
function fusedAdamStep(
  optimizer: AdamInternals,
  list: [string, tf.Tensor | null | undefined][],
  decayFactor: number | null,
): void {
  tf.tidy(() => {
    const oneMinusAccBeta1 = tf.sub(1, optimizer.accBeta1);
    const oneMinusAccBeta2 = tf.sub(1, optimizer.accBeta2);
    const attrs = {
      beta1: optimizer.beta1,
      beta2: optimizer.beta2,
      epsilon: optimizer.epsilon,
      learningRate: optimizer.learningRate,
      decay: decayFactor != null,
      decayFactor: decayFactor ?? 1,
    };
    list.forEach(([name, gradient], i) => {
      const value = tf.engine().registeredVariables[name];
      const slot = (suffix: string): SlotVariable => ({
        originalName: `${name}/${suffix}`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      });
      const first = (optimizer.accumulatedFirstMoment[i] ??= slot('m')).variable;
      const second = (optimizer.accumulatedSecondMoment[i] ??= slot('v')).variable;
      if (gradient == null) return;
      const [param, m, v] = tf
        .engine()
        .runKernel<tf.Tensor[]>(
          ADAM_UPDATE,
          { param: value, gradient, m: first, v: second, oneMinusAccBeta1, oneMinusAccBeta2 },
          attrs,
        );
      first.assign(m);
      second.assign(v);
      value.assign(param);
    });
    optimizer.accBeta1.assign(tf.mul(optimizer.accBeta1, optimizer.beta1));
    optimizer.accBeta2.assign(tf.mul(optimizer.accBeta2, optimizer.beta2));
  });
  optimizer.incrementIterations();
}

/**
 * Adam as `tf.train.adam` (class name `'Adam'`, same configuration, `getWeights` layout and
 * numbers, bit for bit), with the update of each variable one fused kernel on the `cpu`
 * backend (`SlrAdamUpdate`) in place of some 15 tfjs kernels; other backends run tfjs's step.
 *
 * @example
 * ```ts
 * const adam = new AdamOptimizer(1e-3, 0.9, 0.999, 1e-8);
 * adam.minimize(computeLoss);
 * ```
 */
export class AdamOptimizer extends tf.AdamOptimizer {
  /** Runs the Adam step on every variable with a gradient. */
  override applyGradients(variableGradients: VariableGradients): void {
    const list = entries(variableGradients);
    if (!canFuse(ADAM_UPDATE, list)) {
      super.applyGradients(variableGradients);
      return;
    }
    fusedAdamStep(this as unknown as AdamInternals, list, null);
  }
}

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

  /**
   * Applies decoupled decay `w ← w·(1 − lr·wd)` to every variable with a gradient, then the Adam
   * step; on `cpu` both in one fused kernel per variable (`SlrAdamUpdate`), with the same
   * numbers.
   */
  override applyGradients(variableGradients: VariableGradients): void {
    const list = entries(variableGradients);
    if (canFuse(ADAM_UPDATE, list)) {
      const internals = this as unknown as AdamInternals;
      const decay = this.weightDecay !== 0 ? 1 - this.learningRate * this.weightDecay : null;
      fusedAdamStep(internals, list, decay);
      return;
    }
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

  /**
   * Adds `wd·w` to each gradient, then the momentum step; on `cpu` both in one fused kernel per
   * variable (`SlrMomentumUpdate`), with the same numbers.
   */
  override applyGradients(variableGradients: VariableGradients): void {
    const list = entries(variableGradients);
    if (canFuse(MOMENTUM_UPDATE, list)) {
      this.fusedStep(list);
      return;
    }
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

      // A null gradient stays (as null): the momentum optimizer keeps its state by position.
      for (const [name, g] of Object.entries(variableGradients))
        out[name] = g == null ? g : add(name, g);
      return out;
    }) as VariableGradients;
    try {
      super.applyGradients(decayed);
    } finally {
      tf.dispose(Array.isArray(decayed) ? decayed.map((g) => g.tensor) : decayed);
    }
  }

  /** tfjs's `MomentumOptimizer.applyGradients`, one {@link MOMENTUM_UPDATE} kernel per variable. */
  private fusedStep(list: [string, tf.Tensor | null | undefined][]): void {
    const self = this as unknown as MomentumInternals;
    const attrs = { useNesterov: self.useNesterov, weightDecay: this.weightDecay };
    list.forEach(([name, gradient], i) => {
      const value = tf.engine().registeredVariables[name];
      const accumulation = (self.accumulations[i] ??= {
        originalName: `${name}/momentum`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      }).variable;
      if (gradient == null) return;
      tf.tidy(() => {
        const [param, newAccumulation] = tf
          .engine()
          .runKernel<tf.Tensor[]>(
            MOMENTUM_UPDATE,
            { param: value, gradient, accumulation, momentum: self.m, negLearningRate: self.c },
            attrs,
          );
        accumulation.assign(newAccumulation);
        value.assign(param);
      });
    });
    self.incrementIterations();
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
 * Builds an optimizer from a validated {@link OptimizerConfig}: `'adam'` an {@link AdamOptimizer}
 * (`tf.train.adam` with a fused update), `'adamw'` an {@link AdamWOptimizer}, `'sgd'` an
 * {@link SgdOptimizer}. Throws before any training on a bad configuration.
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
      return new AdamOptimizer(learningRate, beta1, beta2, epsilon);
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
