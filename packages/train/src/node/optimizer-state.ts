/**
 * The part of an optimizer's state that `getWeights`/`setWeights` do not carry: tfjs's Adam
 * (and AdamW, built on it) keep β₁ᵗ and β₂ᵗ as running products, which `setWeights` recomputes
 * with `pow`; for many step counts `pow` differs from the product in the last bit.
 */
import * as tf from '@tensorflow/tfjs';
import type { AccumulatedPowers } from './checkpoint';

/** The fields of tfjs's `AdamOptimizer` read here (they are private in its typings). */
interface AdamFields {
  beta1?: unknown;
  beta2?: unknown;
  accBeta1?: unknown;
  accBeta2?: unknown;
}

function adamFields(
  optimizer: tf.Optimizer,
): { beta1: number; beta2: number; accBeta1: tf.Variable; accBeta2: tf.Variable } | undefined {
  const { beta1, beta2, accBeta1, accBeta2 } = optimizer as unknown as AdamFields;
  if (
    typeof beta1 !== 'number' ||
    typeof beta2 !== 'number' ||
    !(accBeta1 instanceof tf.Variable) ||
    !(accBeta2 instanceof tf.Variable)
  )
    return undefined;
  return { beta1, beta2, accBeta1: accBeta1 as tf.Variable, accBeta2: accBeta2 as tf.Variable };
}

/** The optimizer's accumulated powers, or `undefined` when it has none (SGD). */
export async function readAccumulatedPowers(
  optimizer: tf.Optimizer,
): Promise<AccumulatedPowers | undefined> {
  const fields = adamFields(optimizer);
  if (fields === undefined) return undefined;
  const [accBeta1] = await fields.accBeta1.data();
  const [accBeta2] = await fields.accBeta2.data();
  return { beta1: fields.beta1, beta2: fields.beta2, accBeta1, accBeta2 };
}

/**
 * Sets the optimizer's accumulated powers (after its `setWeights`); returns whether it did:
 * not when it has none, nor when its betas are not those the powers are of (then the powers
 * `setWeights` computed from its own betas are the right ones).
 */
export function writeAccumulatedPowers(
  optimizer: tf.Optimizer,
  powers: AccumulatedPowers,
): boolean {
  const fields = adamFields(optimizer);
  if (fields === undefined || fields.beta1 !== powers.beta1 || fields.beta2 !== powers.beta2)
    return false;
  tf.tidy(() => {
    fields.accBeta1.assign(tf.scalar(powers.accBeta1));
    fields.accBeta2.assign(tf.scalar(powers.accBeta2));
  });
  return true;
}
