import { describe, expect, it } from 'vitest';
import { checkBoolean, checkInteger, checkNumber, checkOneOf, checkOptions } from './checks';
import { ArgumentError } from './errors';

describe('checkNumber', () => {
  it('returns a finite number within the bounds', () => {
    expect(checkNumber('f', 'x', 0.5, { min: 0, max: 1 })).toBe(0.5);
    expect(checkNumber('f', 'x', 0, { min: 0 })).toBe(0);
    expect(checkNumber('f', 'x', -1e300)).toBe(-1e300);
  });

  it.each([
    [-1, { min: 0, minExclusive: true }, 'a finite number > 0', '-1'],
    [0, { min: 0, minExclusive: true }, 'a finite number > 0', '0'],
    [1, { min: 0, max: 1, maxExclusive: true }, 'a finite number in [0, 1)', '1'],
    [2, { max: 1 }, 'a finite number <= 1', '2'],
    [NaN, {}, 'a finite number', 'NaN'],
    [Infinity, { min: 0 }, 'a finite number >= 0', 'Infinity'],
    ['1', {}, 'a finite number', "'1'"],
  ])('refuses %o with %o', (value, bounds, must, got) => {
    expect(() => checkNumber('createOptimizer', 'config.lr', value, bounds)).toThrow(
      `Argument 'config.lr' passed to 'createOptimizer' must be ${must}, but got ${got}.`,
    );
  });
});

describe('checkInteger', () => {
  it('returns an integer within the bounds', () => {
    expect(checkInteger('f', 'n', 3, { min: 1, max: 3 })).toBe(3);
  });

  it.each([
    [2.5, { min: 1 }, 'an integer >= 1', '2.5'],
    [0, { min: 1 }, 'an integer >= 1', '0'],
    [10, { min: 0, max: 9 }, 'an integer in [0, 9]', '10'],
    [null, {}, 'an integer', 'null'],
  ])('refuses %o with %o', (value, bounds, must, got) => {
    expect(() => checkInteger('ctcBeamSearch', 'options.beamWidth', value, bounds)).toThrow(
      `Argument 'options.beamWidth' passed to 'ctcBeamSearch' must be ${must}, but got ${got}.`,
    );
  });
});

describe('checkOneOf, checkBoolean, checkOptions', () => {
  it('accepts what is allowed', () => {
    expect(checkOneOf('ctcLoss', 'options.reduction', 'sum', ['none', 'sum', 'mean'])).toBe('sum');
    expect(checkBoolean('ctcLoss', 'options.zeroInfinity', false)).toBe(false);
    expect(checkOptions('ctcLoss', undefined)).toEqual({});
    const options = { blank: 0 };
    expect(checkOptions('ctcLoss', options)).toBe(options);
  });

  it('refuses the rest, naming the function and the argument', () => {
    expect(() => checkOneOf('ctcLoss', 'options.reduction', 'avg', ['none', 'mean'])).toThrow(
      "Argument 'options.reduction' passed to 'ctcLoss' must be one of 'none', 'mean', but got 'avg'.",
    );
    expect(() => checkBoolean('ctcLoss', 'options.zeroInfinity', 'false')).toThrow(
      "Argument 'options.zeroInfinity' passed to 'ctcLoss' must be a boolean, but got 'false'.",
    );
    for (const bad of [null, [], 3, 'x']) {
      expect(() => checkOptions('ctcLoss', bad as never)).toThrow(ArgumentError);
    }
    expect(() => checkOptions('setupBackend', null as never)).toThrow(
      "Argument 'options' passed to 'setupBackend' must be an object or undefined, but got null.",
    );
  });
});
