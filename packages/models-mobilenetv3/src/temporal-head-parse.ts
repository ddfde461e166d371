/**
 * Parsing and checking of a temporal-head spec, with errors that name the function the user
 * called and the argument the spec came in (`parseTemporalHead`'s `spec`,
 * `buildMobileNetV3Student`'s `options.temporalHead`…). Internal to the package.
 *
 * @internal
 * @packageDocumentation
 */
import { ArgumentError, checkInteger, checkOneOf } from '@slr/core';
import type { TemporalHeadSpec, TemporalOp } from './temporal-head';

/** The operations of `spec`, checked; errors name `fn` and `argument`. */
export function parseTemporalHeadFor(
  fn: string,
  argument: string,
  spec: TemporalHeadSpec,
): TemporalOp[] {
  let ops: readonly TemporalOp[];
  if (typeof spec === 'string') {
    const text = spec.trim();
    if (text === '' || text.toLowerCase() === 'none') return [];
    ops = text.split('-').map((token, i): TemporalOp => {
      const match = /^([KkPp])(\d+)$/.exec(token.trim());
      if (match == null) {
        throw new ArgumentError(
          fn,
          argument,
          "be made of K<kernel> and P<pool> tokens joined by '-' (e.g. 'K5-P2-K5-P2')",
          spec,
          { actualText: `'${spec}' (token ${i + 1}, '${token}', is neither)` },
        );
      }
      const n = Number(match[2]);
      return match[1].toUpperCase() === 'K'
        ? { type: 'conv', kernelSize: n }
        : { type: 'pool', size: n };
    });
  } else if (Array.isArray(spec)) {
    ops = spec;
  } else {
    throw new ArgumentError(
      fn,
      argument,
      "be a string such as 'K5-P2-K5-P2' or a list of operations",
      spec,
    );
  }
  return ops.map((op, i): TemporalOp => {
    const at = `${argument}[${i}]`;
    if (op?.type === 'conv') {
      const kernelSize = checkInteger(fn, `${at}.kernelSize`, op.kernelSize, { min: 1 });
      const padding = checkOneOf(fn, `${at}.padding`, op.padding ?? 'valid', ['valid', 'same']);
      return { type: 'conv', kernelSize, padding };
    }
    if (op?.type === 'pool') {
      const size = checkInteger(fn, `${at}.size`, op.size, { min: 1 });
      const stride = checkInteger(fn, `${at}.stride`, op.stride ?? op.size, { min: 1 });
      return { type: 'pool', size, stride };
    }
    throw new ArgumentError(fn, at, "be an operation of type 'conv' or 'pool'", op);
  });
}
