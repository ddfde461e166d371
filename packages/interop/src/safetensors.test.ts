import { fc, test as fcTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs';
import { ArgumentError } from '@slr/core';
import { describeWithBackends } from '@slr/test-utils';
import { describe, expect, it } from 'vitest';
import {
  readSafetensors,
  TorchFormatError,
  writeSafetensors,
  type TensorData,
  type TensorDtype,
} from './index';

/** A safetensors file with `header` (an object, or raw text) and `data` after it. */
function file(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  headerLength?: number,
): Uint8Array {
  const text = new TextEncoder().encode(
    typeof header === 'string' ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function problemOf(bytes: Uint8Array): string {
  try {
    readSafetensors(bytes, { file: 'm.safetensors' });
  } catch (error) {
    expect(error).toBeInstanceOf(TorchFormatError);
    expect((error as Error).message).toMatch(/^Cannot read 'm\.safetensors' as safetensors: /);
    return (error as TorchFormatError).problem;
  }
  throw new Error('expected a TorchFormatError');
}

/** `bytes` with `byte` at `index`. */
function withByte(bytes: Uint8Array, index: number, byte: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = byte;
  return copy;
}

const f32 = (name: string, begin: number, end: number, shape = [(end - begin) / 4]) => ({
  [name]: { dtype: 'F32', shape, data_offsets: [begin, end] },
});

describe('readSafetensors refuses a bad file, saying what is wrong', () => {
  it.each<[string, Uint8Array, RegExp]>([
    [
      'shorter than the length',
      new Uint8Array(5),
      /is 5 bytes long, shorter than the 8-byte header length/,
    ],
    [
      'a header longer than the file',
      file('{}', undefined, 50),
      /header is 50 bytes long, but only 2 bytes follow.*truncated/,
    ],
    [
      'a huge header length',
      file('{}', undefined, 2 ** 40),
      /header length is 1099511627776 bytes, more than the format's limit/,
    ],
    [
      'a header that is not UTF-8',
      withByte(file('{"a":1}'), 10, 0xff),
      /header is not valid UTF-8/,
    ],
    ['a header that is not JSON', file('{"a": '), /header is not valid JSON/],
    ['a header that is an array', file('[1]'), /does not start with '\{'/],
    [
      'an unknown dtype',
      file({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /tensor 'a' has the dtype 'F8_E4M3', which this reader does not read/,
    ],
    [
      'a negative dimension',
      file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }),
      /tensor 'a' has the shape \[-1\]/,
    ],
    [
      'offsets the wrong way round',
      file({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }),
      /data_offsets \[4, 0\], not \[begin, end\]/,
    ],
    [
      'offsets that do not match the shape',
      file(f32('a', 0, 8, [3]), new Uint8Array(8)),
      /tensor 'a' \(F32, shape \[3\]\) needs 12 bytes, but its data_offsets \[0, 8\] span 8/,
    ],
    [
      'overlapping tensors',
      file({ ...f32('a', 0, 8), ...f32('b', 4, 12) }, new Uint8Array(12)),
      /tensors 'a' and 'b' overlap/,
    ],
    [
      'a gap',
      file({ ...f32('a', 0, 4), ...f32('b', 8, 12) }, new Uint8Array(12)),
      /bytes \[4, 8\) of the data, before tensor 'b', belong to no tensor/,
    ],
    [
      'a gap at the start',
      file(f32('a', 4, 8), new Uint8Array(8)),
      /bytes \[0, 4\) of the data, before tensor 'a'/,
    ],
    [
      'a truncated tensor',
      file(f32('a', 0, 16), new Uint8Array(10)),
      /need 16 bytes of data after the header, but the file has only 10.*truncated/,
    ],
    [
      'bytes after the last tensor',
      file(f32('a', 0, 4), new Uint8Array(7)),
      /the last 3 bytes of the file, after the last tensor, belong to no tensor/,
    ],
    [
      'metadata that is not strings',
      file({ __metadata__: { epoch: 3 } }),
      /__metadata__ entry 'epoch' is 3, not a string/,
    ],
  ])('%s', (_what, bytes, problem) => {
    expect(problemOf(bytes)).toMatch(problem);
  });

  it('a float64 value beyond float32 range', () => {
    const data = new Uint8Array(new Float64Array([1, 1e300]).buffer);
    expect(
      problemOf(file({ d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, data)),
    ).toMatch(/tensor 'd' \(F64\) holds 1e\+300 at index 1, beyond float32's range/);
  });

  it('names "the bytes" when no file is given, and checks its arguments', () => {
    expect(() => readSafetensors(new Uint8Array(2))).toThrow(
      /^Cannot read the bytes as safetensors: /,
    );
    expect(() => readSafetensors('model.safetensors' as never)).toThrow(ArgumentError);
    expect(() => readSafetensors(new Uint8Array(2), null as never)).toThrow(ArgumentError);
    expect(() => readSafetensors(new Uint8Array(2), { file: 3 as never })).toThrow(
      "Argument 'options.file' passed to 'readSafetensors' must be a string, but got 3.",
    );
  });

  it('reads an ArrayBuffer, a Buffer, and a tensor-less file; offsets may be in any order in the header', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const bytes = file({ ...f32('b', 4, 12), ...f32('a', 0, 4), __metadata__: {} }, data);
    for (const input of [bytes.slice().buffer, Buffer.from(bytes)]) {
      const { tensors } = readSafetensors(input);
      expect([...tensors.keys()]).toEqual(['a', 'b']);
      expect(tensors.get('b')?.data).toEqual(new Float32Array([2, 3]));
    }
    expect(readSafetensors(file({})).tensors.size).toBe(0);
  });
});

describe('writeSafetensors', () => {
  it('lays the file out as the reference writer: by descending dtype then name, header padded to 8 bytes', () => {
    const bytes = writeSafetensors(
      {
        b: { dtype: 'bool', shape: [1], data: new Uint8Array([1]) },
        z: { dtype: 'float32', shape: [1], data: new Float32Array([1]) },
        a: { dtype: 'float32', shape: [1], data: new Float32Array([2]) },
        i: { dtype: 'int64', shape: [], data: new BigInt64Array([5n]) },
        h: { dtype: 'float16', shape: [2], data: new Float32Array([1, 2]) },
      },
      { metadata: { format: 'pt', a: 'b' } },
    );
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + length) % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + length));
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"a":"b","format":"pt"},' +
        '"i":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"z":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
        '"h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},' +
        '"b":{"dtype":"BOOL","shape":[1],"data_offsets":[20,21]}}',
    );
    expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
    expect(bytes.length).toBe(8 + length + 21);
  });

  it('orders names by code point and escapes them as JSON', () => {
    const one = (value: number): TensorData => ({
      dtype: 'float32',
      shape: [],
      data: new Float32Array([value]),
    });
    const names = ['é', 'a"b\n', '\u{1F600}', '\uFFFD', 'B', '10', '9'];
    const bytes = writeSafetensors(new Map(names.map((name, i) => [name, one(i)])));
    const { tensors } = readSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['10', '9', 'B', 'a"b\n', 'é', '\uFFFD', '\u{1F600}']);
    expect(tensors.get('\u{1F600}')?.data).toEqual(new Float32Array([2]));
  });

  it('rounds float32 to float16 and bfloat16 to the nearest, ties to even, as PyTorch', () => {
    const values = new Float32Array([
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      65519,
      2 ** -25,
      3 * 2 ** -26,
      -0,
      NaN,
      Infinity,
      1 + 2 ** -8,
      1 + 3 * 2 ** -8,
    ]);
    const { tensors } = readSafetensors(
      writeSafetensors({
        h: { dtype: 'float16', shape: [10], data: values },
        b: { dtype: 'bfloat16', shape: [10], data: values },
      }),
    );
    expect(Array.from(tensors.get('h')?.data as Float32Array)).toEqual([
      1,
      1 + 2 ** -9,
      65504,
      0,
      2 ** -24,
      -0,
      NaN,
      Infinity,
      1 + 2 ** -8,
      1 + 3 * 2 ** -8,
    ]);
    expect(Array.from(tensors.get('b')?.data as Float32Array)).toEqual([
      1,
      1,
      65536,
      2 ** -25,
      3 * 2 ** -26,
      -0,
      NaN,
      Infinity,
      1,
      1 + 2 ** -6,
    ]);
  });

  it('refuses, instead of writing infinity or wrapping around, a value the dtype cannot hold', () => {
    expect(() =>
      writeSafetensors({ w: { dtype: 'float16', shape: [2], data: new Float32Array([1, 65520]) } }),
    ).toThrow(
      "Argument 'tensors.w' passed to 'writeSafetensors' must hold only values that float16 can represent " +
        '(finite values within ±65504 stay finite), but got 65520 at index 1.',
    );
    expect(() =>
      writeSafetensors({ w: { dtype: 'bfloat16', shape: [1], data: new Float32Array([3.4e38]) } }),
    ).toThrow(/bfloat16/);
    expect(() =>
      writeSafetensors({ w: { dtype: 'int8', shape: [1], data: new Int32Array([128]) } }),
    ).toThrow(/got 128 at index 0/);
    expect(() =>
      writeSafetensors({ w: { dtype: 'bool', shape: [1], data: new Uint8Array([2]) } }),
    ).toThrow(/0 or 1/);
  });

  it('checks its arguments', () => {
    const ok: TensorData = { dtype: 'float32', shape: [1], data: new Float32Array(1) };
    expect(() => writeSafetensors(null as never)).toThrow(ArgumentError);
    expect(() => writeSafetensors({ __metadata__: ok })).toThrow(/'__metadata__'/);
    expect(() => writeSafetensors({ w: { ...ok, dtype: 'float8' as TensorDtype } })).toThrow(
      /Argument 'tensors.w.dtype' passed to 'writeSafetensors' must be one of float32, /,
    );
    expect(() => writeSafetensors({ w: { ...ok, data: new Int32Array(1) } })).toThrow(
      "Argument 'tensors.w.data' passed to 'writeSafetensors' must be a Float32Array for a float32 tensor, " +
        'but got an Int32Array of length 1.',
    );
    expect(() => writeSafetensors({ w: { ...ok, shape: [2] } })).toThrow(
      /must hold 2 values \(shape \[2\]\)/,
    );
    expect(() => writeSafetensors({ w: ok }, { metadata: { epoch: 3 } as never })).toThrow(
      /options.metadata/,
    );
    const disposed = tf.scalar(1);
    disposed.dispose();
    expect(() => writeSafetensors({ w: disposed })).toThrow(/not disposed/);
    const complex = tf.complex([1], [2]);
    expect(() => writeSafetensors({ w: complex })).toThrow(/float32, int32 or bool tensor/);
    complex.dispose();
  });

  const dtypes: TensorDtype[] = [
    'float32',
    'float64',
    'float16',
    'bfloat16',
    'int64',
    'int32',
    'int16',
    'int8',
    'uint8',
    'bool',
  ];
  const tensorArbitrary = fc
    .tuple(fc.constantFrom(...dtypes), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }))
    .chain(([dtype, shape]) => {
      const count = shape.reduce((a, b) => a * b, 1);
      const values = (() => {
        switch (dtype) {
          case 'float32':
          case 'float64':
            return fc.float32Array({ minLength: count, maxLength: count });
          case 'float16': // values float16 holds, so that they come back unchanged
            return fc
              .array(fc.integer({ min: -2048, max: 2048 }), { minLength: count, maxLength: count })
              .map((a) => Float32Array.from(a, (v) => v / 16));
          case 'bfloat16':
            return fc
              .array(fc.integer({ min: -128, max: 128 }), { minLength: count, maxLength: count })
              .map((a) => Float32Array.from(a, (v) => v * 2 ** 100));
          case 'int64':
            return fc.bigInt64Array({ minLength: count, maxLength: count });
          case 'int32':
            return fc.int32Array({ minLength: count, maxLength: count });
          case 'int16':
            return fc
              .array(fc.integer({ min: -32768, max: 32767 }), {
                minLength: count,
                maxLength: count,
              })
              .map((a) => Int32Array.from(a));
          case 'int8':
            return fc
              .array(fc.integer({ min: -128, max: 127 }), { minLength: count, maxLength: count })
              .map((a) => Int32Array.from(a));
          case 'uint8':
            return fc.uint8Array({ minLength: count, maxLength: count });
          case 'bool':
            return fc
              .array(fc.integer({ min: 0, max: 1 }), { minLength: count, maxLength: count })
              .map((a) => Uint8Array.from(a));
        }
      })() as fc.Arbitrary<TensorData['data']>;
      return values.map((data): TensorData => ({ dtype, shape, data }));
    });

  fcTest.prop([
    fc
      .dictionary(fc.string({ minLength: 1, maxLength: 6 }), tensorArbitrary, { maxKeys: 6 })
      .filter((d) => !('__metadata__' in d)),
  ])('readSafetensors(writeSafetensors(t)) is t, for every dtype and shape', (tensors) => {
    const read = readSafetensors(writeSafetensors(tensors)).tensors;
    expect(new Set(read.keys())).toEqual(new Set(Object.keys(tensors)));
    for (const [name, tensor] of Object.entries(tensors)) {
      const back = read.get(name) as TensorData;
      expect(back.dtype).toBe(tensor.dtype);
      expect(back.shape).toEqual(tensor.shape);
      expect(Array.from(back.data as ArrayLike<number>)).toEqual(
        Array.from(tensor.data as ArrayLike<number>),
      );
    }
  });
});

describeWithBackends('writeSafetensors of tfjs tensors', () => {
  it('writes tfjs tensors (float32, int32, bool) and creates no tensor', () => {
    const x = tf.tidy(() => tf.add(tf.tensor2d([[0, 1, 2]]), 1)); // computed on the backend
    const n = tf.tensor1d([4, -5], 'int32');
    const m = tf.tensor1d([true, false], 'bool');
    const before = tf.memory().numTensors;
    const { tensors } = readSafetensors(writeSafetensors({ x, n, m }));
    expect(tf.memory().numTensors).toBe(before);
    expect(tensors.get('x')).toEqual({
      dtype: 'float32',
      shape: [1, 3],
      data: new Float32Array([1, 2, 3]),
    });
    expect(tensors.get('n')).toEqual({ dtype: 'int32', shape: [2], data: new Int32Array([4, -5]) });
    expect(tensors.get('m')).toEqual({ dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) });
    // An error path creates none either.
    expect(() =>
      writeSafetensors({ x, bad: { dtype: 'int8', shape: [1], data: new Int32Array([999]) } }),
    ).toThrow(ArgumentError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, n, m]);
  });
});
