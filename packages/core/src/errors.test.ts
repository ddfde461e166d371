import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, describeValue } from './errors';

describe('ArgumentError', () => {
  it("says 'Argument … passed to … must …, but got ….' and keeps fn and argument", () => {
    const error = new ArgumentError('ctcLoss', 'options.blank', 'be an integer in [0, 9]', 12);
    expect(error.message).toBe(
      "Argument 'options.blank' passed to 'ctcLoss' must be an integer in [0, 9], but got 12.",
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ArgumentError');
    expect(error.fn).toBe('ctcLoss');
    expect(error.argument).toBe('options.blank');
  });

  it('shows actualText instead of the value when given, and keeps the cause', () => {
    const cause = new Error('inner');
    const error = new ArgumentError('f', 'x', 'be sorted', [3, 1], {
      actualText: 'an array out of order at index 1',
      cause,
    });
    expect(error.message).toBe(
      "Argument 'x' passed to 'f' must be sorted, but got an array out of order at index 1.",
    );
    expect(error.cause).toBe(cause);
  });
});

describe('describeValue', () => {
  it.each([
    [-1, '-1'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [true, 'true'],
    ['adagrad', "'adagrad'"],
    [null, 'null'],
    [undefined, 'undefined'],
    [[3, -1], '[3, -1]'],
    [['a', 'b'], "['a', 'b']"],
    [new Array(20).fill(0), 'an array of length 20'],
    [[[1], [2]], 'an array of length 2'],
    [new Int32Array(4), 'an Int32Array of length 4'],
    [new Float32Array(2), 'a Float32Array of length 2'],
    [{ a: 1 }, 'an object'],
    [new Map(), 'a Map'],
    [() => 1, 'a function'],
    [10n, '10n'],
  ])('describes %o as %s', (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('describes a tensor by dtype and shape', () => {
    const tensor = tf.zeros([2, 3], 'int32');
    expect(describeValue(tensor)).toBe('an int32 tensor of shape [2, 3]');
    const floats = tf.ones([4]);
    expect(describeValue(floats)).toBe('a float32 tensor of shape [4]');
    floats.dispose();
    tensor.dispose();
  });

  it('shortens long strings', () => {
    expect(describeValue('x'.repeat(100))).toBe(`'${'x'.repeat(60)}…' (a string of length 100)`);
  });

  test.prop([fc.anything()])('never throws and never returns an empty text', (value) => {
    expect(describeValue(value).length).toBeGreaterThan(0);
  });
});
