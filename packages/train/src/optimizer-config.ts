/** The configuration {@link createOptimizer} takes. */

/** The optimizers {@link createOptimizer} builds. */
export type OptimizerName = 'adam' | 'adamw' | 'sgd';

/** Names accepted by {@link createOptimizer}. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'adamw', 'sgd'];

/**
 * Configuration of {@link createOptimizer}. Defaults follow PyTorch: `beta1` 0.9, `beta2` 0.999,
 * `epsilon` 1e-8, `weightDecay` 0 (0.01 is PyTorch's AdamW default, but here it must be asked
 * for), `momentum` 0, `nesterov` false.
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
