import { checkInteger } from '@slr/core';
import { parseTemporalHeadFor } from './temporal-head-parse';

/**
 * One layer of a temporal head: a 1-D convolution (followed by BatchNorm and ReLU, stride 1) or a
 * max pooling over time.
 */
export type TemporalOp =
  | {
      /** A 1-D convolution without bias, followed by BatchNorm and ReLU. */
      readonly type: 'conv';
      /** Temporal kernel size. */
      readonly kernelSize: number;
      /** `'valid'` (the default; T shrinks by kernelSize − 1) or `'same'` (T kept). */
      readonly padding?: 'valid' | 'same';
    }
  | {
      /** A 1-D max pooling. */
      readonly type: 'pool';
      /** Pool window. */
      readonly size: number;
      /** Stride (default: the window size). */
      readonly stride?: number;
    };

/**
 * A temporal head: either a string of `-`-separated tokens, `K<k>` for a valid 1-D convolution of
 * kernel k and `P<p>` for a max pooling of window and stride p (e.g. `'K5-P2-K5-P2'`, VAC's and
 * CorrNet's head), `'none'` (or `''`) for no temporal layer, or the list of {@link TemporalOp}s.
 */
export type TemporalHeadSpec = string | readonly TemporalOp[];

/**
 * Parses and checks a {@link TemporalHeadSpec} into its list of operations.
 *
 * @example
 * ```ts
 * parseTemporalHead('K5-P2');
 * // [{ type: 'conv', kernelSize: 5, padding: 'valid' }, { type: 'pool', size: 2, stride: 2 }]
 * parseTemporalHead('none'); // []
 * ```
 */
export function parseTemporalHead(spec: TemporalHeadSpec): TemporalOp[] {
  return parseTemporalHeadFor('parseTemporalHead', 'spec', spec);
}

/**
 * Frames left after a temporal head, exactly as its layers compute them: a valid convolution of
 * kernel k gives `T − k + 1`, a same one `T`, a max pooling of window p and stride s
 * `floor((T − p) / s) + 1`; 0 once too few frames are left.
 *
 * @example
 * ```ts
 * temporalOutputLength(32, 'K5-P2-K5-P2'); // ((32 − 4) / 2 − 4) / 2 = 5
 * temporalOutputLength(17, 'K5-P2-K5-P2'); // floor((floor(13 / 2) − 4) / 2) = 1
 * ```
 */
export function temporalOutputLength(length: number, spec: TemporalHeadSpec): number {
  const fn = 'temporalOutputLength';
  let t = checkInteger(fn, 'length', length, { min: 0 });
  for (const op of parseTemporalHeadFor(fn, 'spec', spec)) {
    if (op.type === 'conv') {
      if (op.padding !== 'same') t = t >= op.kernelSize ? t - op.kernelSize + 1 : 0;
    } else {
      const stride = op.stride ?? op.size;
      t = t >= op.size ? Math.floor((t - op.size) / stride) + 1 : 0;
    }
  }
  return t;
}
