/**
 * Helpers of this package's tests (not exported by the package): the fixtures of
 * test-fixtures/, written by scripts/generate-interop-fixtures.py, and exact comparisons of
 * tensors with the values PyTorch gave.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { TensorData } from '../src/tensor-data';
import { crc32 } from '../src/zip';

/** A fixture's path. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../test-fixtures/${name}`, import.meta.url));
}

/** A fixture's bytes. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

/** A tensor as expected.json (or a PyTorch script) gives it. */
export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  /** Row-major; floats as float32 with 'NaN', 'Infinity', '-Infinity'; int64 as strings. */
  values: (number | string)[];
}

/** The tensors of each readable fixture, by fixture kind. */
export function expectedTensors(): Record<
  'dtypes' | 'module' | 'safetensors',
  Record<string, ExpectedTensor>
> {
  return JSON.parse(readFileSync(fixturePath('expected.json'), 'utf8')) as Record<
    'dtypes' | 'module' | 'safetensors',
    Record<string, ExpectedTensor>
  >;
}

/** The expected values as the reader gives them: numbers (-0 and NaN kept), bigints for int64. */
function expectedValues(expected: ExpectedTensor): (number | bigint)[] {
  return expected.values.map((value) => {
    if (expected.dtype === 'int64') return BigInt(value);
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    return value as number;
  });
}

/**
 * `actual` is `expected` exactly: dtype, shape, the typed array's kind, and every value (-0 and
 * NaN included).
 */
export function expectTensor(actual: unknown, expected: ExpectedTensor, what: string): void {
  expect(actual, what).toBeDefined();
  const tensor = actual as TensorData;
  expect(tensor.dtype, `${what}: dtype`).toBe(expected.dtype);
  expect(tensor.shape, `${what}: shape`).toEqual(expected.shape);
  const kind =
    {
      int64: 'BigInt64Array',
      int32: 'Int32Array',
      int16: 'Int32Array',
      int8: 'Int32Array',
      uint8: 'Uint8Array',
      bool: 'Uint8Array',
    }[expected.dtype] ?? 'Float32Array';
  expect(tensor.data.constructor.name, `${what}: values' array`).toBe(kind);
  const values = Array.from(tensor.data as ArrayLike<number | bigint>);
  const wanted = expectedValues(expected);
  expect(values.length, `${what}: value count`).toBe(wanted.length);
  const wrong = values.findIndex((value, i) => !Object.is(value, wanted[i]));
  expect(
    wrong,
    `${what}: first differing value (${String(values[wrong])} vs ${String(wanted[wrong])})`,
  ).toBe(-1);
}

/** Python's pickle, opcode by opcode, for tests that need a pickle PyTorch would not write. */
export const op = {
  proto: (protocol = 2): number[] => [0x80, protocol],
  mark: [0x28],
  stop: [0x2e],
  none: [0x4e],
  newFalse: [0x89],
  emptyDict: [0x7d],
  emptyTuple: [0x29],
  tuple: [0x74],
  tuple1: [0x85],
  tuple2: [0x86],
  setItem: [0x73],
  setItems: [0x75],
  reduce: [0x52],
  build: [0x62],
  newObj: [0x81],
  binPersId: [0x51],
  stackGlobal: [0x93],
  str(text: string): number[] {
    const bytes = new TextEncoder().encode(text);
    return [0x58, ...le(bytes.length, 4), ...bytes];
  },
  int(value: number): number[] {
    return value >= 0 && value < 256 ? [0x4b, value] : [0x4a, ...le(value, 4)];
  },
  global(module: string, name: string): number[] {
    return [0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)];
  },
  /** A tuple of the values (each a list of opcodes). */
  tupleOf(...items: number[][]): number[] {
    return [0x28, ...items.flat(), 0x74];
  },
};

/** `value` as `bytes` little-endian bytes (two's complement). */
export function le(value: number, bytes: number): number[] {
  const out: number[] = [];
  let rest = BigInt.asUintN(bytes * 8, BigInt(value));
  for (let i = 0; i < bytes; i++) {
    out.push(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return out;
}

/** A pickle from parts (lists of opcodes and their arguments). */
export function pickleOf(...parts: number[][]): Uint8Array {
  return new Uint8Array(parts.flat());
}

/**
 * The opcodes of `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` for
 * a storage persistent id `('storage', torch.<storageClass>, key, 'cpu', numel)`.
 */
export function tensorOpcodes(
  storageClass: string,
  key: string,
  numel: number,
  offset: number,
  size: number[],
  stride: number[],
): number[] {
  return [
    ...op.global('torch._utils', '_rebuild_tensor_v2'),
    ...op.tupleOf(
      [
        ...op.tupleOf(
          op.str('storage'),
          op.global('torch', storageClass),
          op.str(key),
          op.str('cpu'),
          op.int(numel),
        ),
        ...op.binPersId,
      ],
      op.int(offset),
      op.tupleOf(...size.map((n) => op.int(n))),
      op.tupleOf(...stride.map((n) => op.int(n))),
      op.newFalse,
      [...op.global('collections', 'OrderedDict'), ...op.emptyTuple, ...op.reduce],
    ),
    ...op.reduce,
  ];
}

/** A pickle of a dict of the named values (each a list of opcodes), protocol 2. */
export function dictPickle(entries: Record<string, number[]>): Uint8Array {
  return pickleOf(
    op.proto(2),
    op.emptyDict,
    op.mark,
    ...Object.entries(entries).map(([key, value]) => [...op.str(key), ...value]),
    op.setItems,
    op.stop,
  );
}

/**
 * A zip archive of stored entries, as torch.save writes them; with `zip64`, every size and
 * offset is in zip64 records (as a file beyond 4 GiB has them).
 */
export function storedZip(
  entries: Record<string, Uint8Array>,
  options: { zip64?: boolean } = {},
): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const local: number[] = [];
  const directory: number[] = [];
  const encoder = new TextEncoder();
  for (const [name, data] of Object.entries(entries)) {
    const nameBytes = [...encoder.encode(name)];
    const crc = crc32(data);
    const offset = local.length;
    const small = (value: number) => (zip64 ? le(0xffffffff, 4) : le(value, 4));
    const extra = zip64
      ? [...le(1, 2), ...le(24, 2), ...le(data.length, 8), ...le(data.length, 8), ...le(offset, 8)]
      : [];
    local.push(
      ...le(0x04034b50, 4),
      ...le(20, 2),
      ...le(0, 2),
      ...le(0, 2),
      ...le(0, 4),
      ...le(crc, 4),
    );
    local.push(
      ...le(data.length, 4),
      ...le(data.length, 4),
      ...le(nameBytes.length, 2),
      ...le(0, 2),
      ...nameBytes,
      ...data,
    );
    directory.push(
      ...le(0x02014b50, 4),
      ...le(20, 2),
      ...le(20, 2),
      ...le(0, 2),
      ...le(0, 2),
      ...le(0, 4),
      ...le(crc, 4),
    );
    directory.push(
      ...small(data.length),
      ...small(data.length),
      ...le(nameBytes.length, 2),
      ...le(extra.length, 2),
    );
    directory.push(
      ...le(0, 2),
      ...le(0, 2),
      ...le(0, 2),
      ...le(0, 4),
      ...small(offset),
      ...nameBytes,
      ...extra,
    );
  }
  const count = Object.keys(entries).length;
  const tail: number[] = [];
  if (zip64) {
    const end64 = local.length + directory.length;
    tail.push(
      ...le(0x06064b50, 4),
      ...le(44, 8),
      ...le(45, 2),
      ...le(45, 2),
      ...le(0, 4),
      ...le(0, 4),
    );
    tail.push(...le(count, 8), ...le(count, 8), ...le(directory.length, 8), ...le(local.length, 8));
    tail.push(...le(0x07064b50, 4), ...le(0, 4), ...le(end64, 8), ...le(1, 4));
  }
  tail.push(...le(0x06054b50, 4), ...le(0, 2), ...le(0, 2));
  tail.push(...(zip64 ? le(0xffff, 2) : le(count, 2)), ...(zip64 ? le(0xffff, 2) : le(count, 2)));
  tail.push(
    ...(zip64 ? le(0xffffffff, 4) : le(directory.length, 4)),
    ...(zip64 ? le(0xffffffff, 4) : le(local.length, 4)),
  );
  tail.push(...le(0, 2));
  return new Uint8Array([...local, ...directory, ...tail]);
}
