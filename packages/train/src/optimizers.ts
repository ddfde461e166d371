import * as tf from '@tensorflow/tfjs';
import { configError, requireNumber } from './errors';

/** What `Optimizer.applyGradients` accepts. */
type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** The optimizers {@link createOptimizer} builds..
 *
 * @example
 * ```ts
 * const name: OptimizerName = 'sgd';
 * ```
 */
export type OptimizerName = 'adam' | 'adamw' | 'sgd';

/** Names accepted by {@link createOptimizer}..
 *
 * @example
 * ```ts
 * OPTIMIZER_NAMES.includes('adamw'); // true
 * ```
 */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'adamw', 'sgd'];

/**
 * Configuration of {@link createOptimizer}. Defaults follow PyTorch: `beta1` 0.9, `beta2` 0.999,
 * `epsilon` 1e-8, `weightDecay` 0 (0.01 is PyTorch's AdamW default, but here it must be asked
 * for), `momentum` 0, `nesterov` false.
 *
 * @example
 * ```ts
 * const config: OptimizerConfig = { name: 'adamw', learningRate: 1e-3, weightDecay: 0.01 };
 * ```
 */
export interface OptimizerConfig {
  /** `'adam'` (no weight decay), `'adamw'` (decoupled weight decay) or `'sgd'` (momentum, Nesterov, L2). */
  name: OptimizerName;
  /** Initial learning rate, > 0. Change it per step with {@link setLearningRate}. */
  learningRate: number;
  /** Adam's first-moment decay, in [0, 1). */
  beta1?: number;
  /** Adam's second-moment decay, in [0, 1). */
  beta2?: number;
  /** Adam's denominator term, > 0. */
  epsilon?: number;
  /** `'adamw'`: decoupled decay factor; `'sgd'`: L2 coefficient added to the gradient. `'adam'` must leave it 0. */
  weightDecay?: number;
  /** SGD momentum, in [0, 1). */
  momentum?: number;
  /** SGD Nesterov momentum (needs `momentum` > 0, as in PyTorch). */
  nesterov?: boolean;
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
 * const opt = new AdamWOptimizer(1e-3, 0.9, 0.999, 1e-8, 0.01);
 * opt.minimize(() => loss());
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
 * const opt = new SgdOptimizer(0.1, 0.9, true, 1e-4);
 * opt.minimize(() => loss());
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
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      for (const [name, g] of Object.entries(variableGradients))
        if (g != null) out[name] = add(name, g);
      return out;
    }) as VariableGradients;
    try {
      super.applyGradients(decayed);
    } finally {
      tf.dispose(
        Array.isArray(decayed) ? decayed.map((g) => g.tensor) : (decayed as tf.NamedTensorMap),
      );
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
 * Checks an {@link OptimizerConfig}; throws naming the field, the expected and the actual value.
 *
 * @example
 * ```ts
 * validateOptimizerConfig({ name: 'adam', learningRate: -1 });
 * // throws "Invalid 'learningRate': expected a finite number > 0, but got -1."
 * ```
 */
export function validateOptimizerConfig(config: OptimizerConfig, prefix = ''): void {
  const f = (name: string): string => `${prefix}${name}`;
  if (config == null || typeof config !== 'object')
    throw new Error(configError(f('optimizer config'), 'an object', config));
  if (!OPTIMIZER_NAMES.includes(config.name)) {
    throw new Error(
      configError(
        f('name'),
        `one of ${OPTIMIZER_NAMES.map((n) => `'${n}'`).join(', ')}`,
        config.name,
      ),
    );
  }
  requireNumber(f('learningRate'), config.learningRate, 0, false);
  if (config.beta1 !== undefined) requireNumber(f('beta1'), config.beta1, 0, true, 1, false);
  if (config.beta2 !== undefined) requireNumber(f('beta2'), config.beta2, 0, true, 1, false);
  if (config.epsilon !== undefined) requireNumber(f('epsilon'), config.epsilon, 0, false);
  if (config.weightDecay !== undefined)
    requireNumber(f('weightDecay'), config.weightDecay, 0, true);
  if (config.momentum !== undefined)
    requireNumber(f('momentum'), config.momentum, 0, true, 1, false);
  if (config.nesterov !== undefined && typeof config.nesterov !== 'boolean') {
    throw new Error(configError(f('nesterov'), 'a boolean', config.nesterov));
  }
  if (config.name === 'adam' && (config.weightDecay ?? 0) !== 0) {
    throw new Error(
      configError(
        f('weightDecay'),
        "0 for 'adam' (use 'adamw' for decoupled weight decay)",
        config.weightDecay,
      ),
    );
  }
  if (config.name === 'sgd' && config.nesterov === true && (config.momentum ?? 0) === 0) {
    throw new Error(
      configError(f('momentum'), "a value > 0 when 'nesterov' is true", config.momentum ?? 0),
    );
  }
}

/**
 * Builds an optimizer from a validated {@link OptimizerConfig}: `'adam'` is `tf.train.adam`,
 * `'adamw'` an {@link AdamWOptimizer}, `'sgd'` an {@link SgdOptimizer}. Throws before any
 * training on a bad configuration.
 *
 * @example
 * ```ts
 * const opt = createOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true });
 * setLearningRate(opt, 0.05);
 * ```
 */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  validateOptimizerConfig(config);
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
 *   setLearningRate(opt, schedule(step));
 *   opt.minimize(() => loss());
 * }
 * ```
 */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  requireNumber('learningRate', learningRate, 0, true);
  const target = optimizer as unknown as {
    learningRate?: number;
    setLearningRate?: (lr: number) => void;
  };
  if (typeof target.setLearningRate === 'function') target.setLearningRate(learningRate);
  else if (typeof target.learningRate === 'number') target.learningRate = learningRate;
  else
    throw new Error(
      configError('optimizer', 'an optimizer with a learningRate field', optimizer.getClassName()),
    );
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
  if (typeof lr !== 'number')
    throw new Error(
      configError('optimizer', 'an optimizer with a learningRate field', optimizer.getClassName()),
    );
  return lr;
}
