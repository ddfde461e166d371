/**
 * Argument checks and frame arithmetic of the I3D backbone, with errors that name the function
 * the user called (`buildI3DBackbone`, `applyI3DBackbone`, `buildI3DTeacher`,
 * `i3dOutputLengths`…). Internal to the package.
 *
 * @internal
 * @packageDocumentation
 */
import { ArgumentError, checkInteger, checkNumber, checkOneOf, describeValue } from '@slr/core';
import type { Lengths } from '@slr/ctc';
import { inputLengthsArray } from '@slr/layers';
import type { I3DBackboneOptions, I3DNormalization, I3DTemporalStride } from './i3d-backbone';

/** Seeds the backbone's layers take from its base seed: one per convolution (3 + 6 per block). */
export const BACKBONE_SEEDS = 3 + 6 * 9;

/** The temporal stride checked: 4 or 8. */
export function checkTemporalStride(
  fn: string,
  argument: string,
  value: unknown,
): I3DTemporalStride {
  return checkOneOf(fn, argument, value, [4, 8] as const);
}

/** Strides of the three strided layers for a total temporal stride. */
export function stridesOf(temporalStride: I3DTemporalStride): number[] {
  return temporalStride === 8 ? [2, 2, 2] : [2, 2, 1];
}

/** `i3dOutputLengths`, its errors naming `fn`. */
export function outputLengthsFor(
  fn: string,
  inputLengths: Lengths,
  temporalStride: I3DTemporalStride,
): number[] {
  const strides = stridesOf(checkTemporalStride(fn, 'temporalStride', temporalStride));
  return inputLengthsArray(fn, inputLengths).map((length) =>
    strides.reduce((frames, stride) => Math.ceil(frames / stride), length),
  );
}

/** The backbone's options, checked, with their defaults. */
export interface ResolvedOptions {
  width: number;
  minChannels: number;
  normalization: I3DNormalization;
  groups: number;
  momentum: number;
  epsilon: number;
  temporalStride: I3DTemporalStride;
  /** The model's name, when one was given. */
  name: string | undefined;
  /** The base seed, when one was given. */
  seed: number | undefined;
}

/** A model name: a non-empty string, or `undefined` for the default. */
export function checkName(fn: string, name: unknown): string | undefined {
  if (name !== undefined && (typeof name !== 'string' || name === ''))
    throw new ArgumentError(fn, 'options.name', 'be a non-empty string', name);
  return name;
}

/** A base seed: a safe integer. */
function checkSeedOption(fn: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    throw new ArgumentError(fn, 'options.seed', 'be a safe integer', seed);
  return seed;
}

/**
 * Checks the backbone's options with the errors naming `fn` (the function the user called) and
 * returns them with their defaults.
 */
export function resolveBackboneOptions(
  fn: string,
  options: I3DBackboneOptions,
  defaultTemporalStride: I3DTemporalStride = 8,
): ResolvedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ArgumentError(fn, 'options', 'be an object', options);
  const { inputShape } = options;
  const shapeRule = 'be [T, H, W, C]: positive integers, with null for a free T, H or W';
  if (
    !Array.isArray(inputShape) ||
    inputShape.length !== 4 ||
    !inputShape.every((size) => size === null || (Number.isInteger(size) && size >= 1))
  )
    throw new ArgumentError(fn, 'options.inputShape', shapeRule, inputShape);
  if (inputShape[3] == null) {
    throw new ArgumentError(fn, 'options.inputShape', 'have a known channel count C', inputShape, {
      actualText: describeValue(inputShape),
    });
  }
  const positive = { min: 0, minExclusive: true };
  return {
    width: checkNumber(fn, 'options.widthMultiplier', options.widthMultiplier ?? 1, positive),
    minChannels: checkInteger(fn, 'options.minChannels', options.minChannels ?? 4, { min: 1 }),
    normalization: checkOneOf(fn, 'options.normalization', options.normalization ?? 'batch', [
      'batch',
      'group',
    ]),
    groups: checkInteger(fn, 'options.groups', options.groups ?? 32, { min: 1 }),
    momentum: checkNumber(fn, 'options.batchNormMomentum', options.batchNormMomentum ?? 0.99, {
      min: 0,
      max: 1,
    }),
    epsilon: checkNumber(fn, 'options.normEpsilon', options.normEpsilon ?? 1e-3, positive),
    temporalStride: checkTemporalStride(
      fn,
      'options.temporalStride',
      options.temporalStride ?? defaultTemporalStride,
    ),
    name: checkName(fn, options.name),
    seed: options.seed == null ? undefined : checkSeedOption(fn, options.seed),
  };
}
