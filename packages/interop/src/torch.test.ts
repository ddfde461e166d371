import { readFileSync } from 'node:fs';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  dictPickle,
  fixture,
  fixturePath,
  op,
  pickleOf,
  storedZip,
  tensorOpcodes,
} from '../test/helpers';
import {
  readSafetensors,
  readTorchCheckpoint,
  readTorchWeights,
  stateDictOf,
  TorchFormatError,
  type CheckpointValue,
  type TensorData,
} from './index';

/** The problem of the TorchFormatError that reading `bytes` as `file` throws. */
function problemOf(
  bytes: Uint8Array,
  file = 'model.pt',
  read: (bytes: Uint8Array, options: { file: string }) => unknown = readTorchCheckpoint,
): string {
  try {
    read(bytes, { file });
  } catch (error) {
    if (!(error instanceof TorchFormatError)) throw error;
    expect(error.message.startsWith(`Cannot read '${file}' as `), error.message).toBe(true);
    expect(error.file).toBe(file);
    return error.problem;
  }
  throw new Error(`expected a TorchFormatError reading ${file}`);
}

/** A zip checkpoint `archive/` with `data.pkl` and storages. */
function checkpoint(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array> = {},
  name = 'archive',
): Uint8Array {
  return storedZip({
    [`${name}/data.pkl`]: pickle,
    ...Object.fromEntries(
      Object.entries(storages).map(([key, data]) => [`${name}/data/${key}`, data]),
    ),
    [`${name}/version`]: new TextEncoder().encode('3\n'),
  });
}

const floats = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);
const arange = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the safe unpickler', () => {
  const pickles = JSON.parse(readFileSync(fixturePath('pickles.json'), 'utf8')) as Record<
    string,
    string
  >;
  const hex = (text: string) =>
    new Uint8Array(text.match(/../g)?.map((byte) => parseInt(byte, 16)) ?? []);

  it.each(['2', '3', '4', '5'])(
    'reads the plain values Python pickles with protocol %s',
    (protocol) => {
      const value = readTorchCheckpoint(checkpoint(hex(pickles[protocol]))) as Map<
        string,
        CheckpointValue
      >;
      expect(value.get('ints')).toEqual([
        0,
        1,
        -1,
        255,
        256,
        65535,
        65536,
        -(2 ** 31),
        2 ** 31,
        2n ** 53n,
        2n ** 63n,
        -(2n ** 70n),
      ]);
      expect(value.get('floats')).toEqual([1.5, -0, 1e308]);
      expect(Object.is((value.get('floats') as number[])[1], -0)).toBe(true);
      expect(value.get('consts')).toEqual([null, true, false]);
      expect(value.get('text')).toEqual(['x', 'é', 'y'.repeat(300)]);
      expect(value.get('raw')).toEqual(new Uint8Array([0, 255]));
      expect(value.get('set')).toEqual(new Set([1, 2]));
      expect(value.get('frozen')).toEqual(new Set([3]));
      expect(value.get('empty')).toEqual([new Map(), [], []]);
      expect(value.get('pair')).toEqual([1, 2]);
      expect(value.get('triple')).toEqual([1, 2, 3]);
      expect(value.get('p')).toEqual([7]);
      expect(value.get('q')).toBe(value.get('p')); // one list, referenced twice (the memo)
    },
  );

  it('reads a bytearray (protocol 5)', () => {
    expect(readTorchCheckpoint(checkpoint(hex(pickles.bytearray)))).toEqual(
      new Uint8Array([97, 98]),
    );
  });

  it.each<[string, number[][], RegExp]>([
    [
      'GLOBAL os.system',
      [op.global('os', 'system')],
      /byte 2 \(GLOBAL\): it names the Python global 'os\.system', which this reader refuses/,
    ],
    [
      'STACK_GLOBAL builtins.eval',
      [op.str('builtins'), op.str('eval'), op.stackGlobal],
      /\(STACK_GLOBAL\): it names the Python global 'builtins\.eval'/,
    ],
    [
      'a numpy array',
      [op.global('numpy.core.multiarray', '_reconstruct')],
      /'numpy\.core\.multiarray\._reconstruct'/,
    ],
    ['INST', [[0x69, ...new TextEncoder().encode('os\nsystem\n')]], /does not handle INST/],
    ['EXT1', [[0x82, 1]], /does not handle EXT1/],
    [
      'a storage class called',
      [op.global('torch', 'FloatStorage'), op.emptyTuple, op.reduce],
      /'torch\.FloatStorage' is called, which it never is/,
    ],
    [
      'OrderedDict built with keywords',
      [op.global('collections', 'OrderedDict'), op.tupleOf(op.int(1), op.int(2)), op.reduce],
      /OrderedDict is called with 2 arguments/,
    ],
    ['BUILD on a list', [[0x5d], op.emptyDict, op.build], /sets the state of a tuple or list of 0/],
    [
      'a persistent id that is no storage',
      [op.tupleOf(op.str('module')), op.binPersId],
      /persistent id is the string 'module', not a storage/,
    ],
    ['an unknown opcode', [[0xff]], /0xff is not an opcode of the pickle protocols 2 to 5/],
    ['protocol 6', [op.proto(6)], /pickle protocol 6, newer than the 5/],
    ['POP on an empty stack', [[0x30]], /the stack is empty/],
    ['a missing memo entry', [[0x68, 9]], /memo entry 9 was never stored/],
    [
      'a bare storage',
      [
        op.tupleOf(
          op.str('storage'),
          op.global('torch', 'FloatStorage'),
          op.str('0'),
          op.str('cpu'),
          op.int(1),
        ),
        op.binPersId,
      ],
      /holds a bare storage \('0'\)/,
    ],
    [
      'an uncalled global',
      [op.global('collections', 'OrderedDict')],
      /holds the Python object 'collections\.OrderedDict' itself/,
    ],
  ])('refuses %s, saying what and where', (_what, opcodes, problem) => {
    const pickle = pickleOf(op.proto(2), ...opcodes, op.stop);
    expect(problemOf(checkpoint(pickle, { 0: floats([1]) }))).toMatch(problem);
  });

  it('never calls what it refuses: nothing runs, and the error comes before REDUCE', () => {
    const pickle = pickleOf(
      op.proto(2),
      op.global('os', 'system'),
      op.tupleOf(op.str('exit 1')),
      op.reduce,
      op.stop,
    );
    expect(problemOf(checkpoint(pickle))).toMatch(/^archive\/data\.pkl, byte 2 \(GLOBAL\)/);
  });

  it('reads bytes written by pickle protocol 2 (_codecs.encode, latin-1) but no other encoding', () => {
    const encode = (encoding: string) =>
      pickleOf(
        op.proto(2),
        op.global('_codecs', 'encode'),
        op.tupleOf(op.str('\u00e9\u00ff'), op.str(encoding)),
        op.reduce,
        op.stop,
      );
    expect(readTorchCheckpoint(checkpoint(encode('latin1')))).toEqual(new Uint8Array([0xe9, 0xff]));
    expect(problemOf(checkpoint(encode('rot13')))).toMatch(
      /_codecs\.encode is called with .* not as pickle writes bytes/,
    );
  });
});

describe('tensors of a zip checkpoint', () => {
  it('reads tensors of any archive name (torch.save names it after the file)', () => {
    const pickle = dictPickle({ w: tensorOpcodes('FloatStorage', '0', 3, 0, [3], [1]) });
    const value = readTorchCheckpoint(checkpoint(pickle, { 0: floats([1, 2, 3]) }, 'my_model'));
    expect(stateDictOf(value)?.get('w')).toEqual({
      dtype: 'float32',
      shape: [3],
      data: new Float32Array([1, 2, 3]),
    });
  });

  it('reads a zip64 archive (as torch.save writes beyond 4 GiB)', () => {
    const pickle = dictPickle({ w: tensorOpcodes('IntStorage', '0', 2, 0, [2], [1]) });
    const zip = storedZip(
      { 'a/data.pkl': pickle, 'a/data/0': new Uint8Array(new Int32Array([5, -6]).buffer) },
      { zip64: true },
    );
    expect(stateDictOf(readTorchCheckpoint(zip))?.get('w')?.data).toEqual(new Int32Array([5, -6]));
  });

  const viewArbitrary = fc
    .array(
      fc.record({ size: fc.integer({ min: 0, max: 3 }), stride: fc.integer({ min: 0, max: 4 }) }),
      { maxLength: 4 },
    )
    .chain((dims) =>
      fc.record({ dims: fc.constant(dims), offset: fc.integer({ min: 0, max: 5 }) }),
    );

  fcTest.prop([viewArbitrary])(
    'gathers any strided view (offset, zero and permuted strides) as PyTorch indexes it',
    ({ dims, offset }) => {
      const size = dims.map((d) => d.size);
      const stride = dims.map((d) => d.stride);
      const count = size.reduce((a, b) => a * b, 1);
      const last = offset + dims.reduce((sum, d) => sum + Math.max(d.size - 1, 0) * d.stride, 0);
      const storage = arange(last + 1).map((i) => i * 10);
      const pickle = dictPickle({
        v: tensorOpcodes('FloatStorage', '0', storage.length, offset, size, stride),
      });
      const tensor = stateDictOf(
        readTorchCheckpoint(checkpoint(pickle, { 0: floats(storage) })),
      )?.get('v') as TensorData;
      // Element [i0, i1, …] is storage[offset + Σ ik·stride[k]], row-major.
      const wanted: number[] = [];
      for (let flat = 0; flat < count; flat++) {
        let rest = flat;
        let at = offset;
        for (let d = size.length - 1; d >= 0; d--) {
          at += (rest % size[d]) * stride[d];
          rest = Math.floor(rest / size[d]);
        }
        wanted.push(storage[at]);
      }
      expect(tensor.shape).toEqual(size);
      expect(Array.from(tensor.data as Float32Array)).toEqual(wanted);
    },
  );

  it('refuses a view beyond its storage, and a storage that is missing or of a wrong size', () => {
    const view = dictPickle({ v: tensorOpcodes('FloatStorage', '0', 4, 1, [2, 2], [2, 1]) });
    expect(problemOf(checkpoint(view, { 0: floats([0, 1, 2, 3]) }))).toMatch(
      /a float32 tensor of shape \[2, 2\] in storage '0' \(offset 1, stride \[2, 1\]\) reaches element 4 of a storage of 4/,
    );
    expect(problemOf(checkpoint(view))).toMatch(
      /its entry 'archive\/data\/0', a storage its tensors use, is missing/,
    );
    const halves = dictPickle({ v: tensorOpcodes('HalfStorage', '0', 2, 0, [2], [1]) });
    expect(problemOf(checkpoint(halves, { 0: new Uint8Array(3) }))).toMatch(
      /holds 3 bytes, not a whole number of float16 elements/,
    );
    const twoTypes = dictPickle({
      a: tensorOpcodes('FloatStorage', '0', 1, 0, [1], [1]),
      b: tensorOpcodes('IntStorage', '0', 1, 0, [1], [1]),
    });
    expect(problemOf(checkpoint(twoTypes, { 0: floats([1]) }))).toMatch(
      /storage '0' is named as both float32 and int32/,
    );
  });

  it('refuses a tensor too large to hold (a corrupt size with a zero stride)', () => {
    const huge = dictPickle({
      v: tensorOpcodes('FloatStorage', '0', 1, 0, [2 ** 31 - 1, 2 ** 31 - 1], [0, 0]),
    });
    expect(problemOf(checkpoint(huge, { 0: floats([1]) }))).toMatch(
      /holds 4611686014132420609 elements, more than this reader can hold \(4294967296\)/,
    );
  });

  it("refuses a checkpoint whose byteorder record says 'big'", () => {
    const zip = storedZip({
      'a/data.pkl': pickleOf(op.proto(2), op.none, op.stop),
      'a/byteorder': new TextEncoder().encode('big'),
    });
    expect(problemOf(zip)).toMatch(
      /written on a big-endian machine \(its byteorder record says 'big'\)/,
    );
  });

  it('refuses a zip entry whose data does not match its CRC-32', () => {
    const bytes = fixture('dtypes.zip.pt');
    const corrupt = bytes.slice();
    const at =
      new TextDecoder('latin1').decode(bytes).indexOf('archive/data/0') +
      'archive/data/0'.length +
      64;
    corrupt[at] ^= 0xff;
    expect(problemOf(corrupt, 'dtypes.zip.pt')).toMatch(
      /its entry 'archive\/data\/\d+' is corrupt: its CRC-32 is 0x[0-9a-f]{8}, but the archive's directory says 0x[0-9a-f]{8}/,
    );
  });
});

describe('what is not a checkpoint', () => {
  it.each<[string, Uint8Array, RegExp]>([
    ['an empty file', new Uint8Array(0), /the file is empty/],
    [
      'a text file',
      new TextEncoder().encode('hello world'),
      /neither a zip archive .* nor a pickle .*: it starts with the bytes 68 65 6c 6c 6f 20 77 6f/,
    ],
    [
      'a safetensors file',
      readFileSync(fixturePath('weights.safetensors')),
      /it is a safetensors file: read it with readSafetensors/,
    ],
    [
      'a tar archive',
      (() => {
        const tar = new Uint8Array(1024);
        tar.set(new TextEncoder().encode('ustar'), 257);
        return tar;
      })(),
      /a tar archive, the format of PyTorch before 0\.4/,
    ],
    [
      'a zip archive of something else',
      storedZip({ 'notes.txt': new Uint8Array(1) }),
      /a zip archive without a data\.pkl, so not one torch\.save wrote \(its entries: 'notes\.txt'\)/,
    ],
    [
      'a pickle of something else',
      pickleOf(op.proto(2), op.global('numpy', 'array'), op.stop),
      /a pickle, but not one torch\.save wrote: .*starts with a pickled magic number/,
    ],
    [
      'a pickle of a number',
      pickleOf(op.proto(2), op.int(3), op.stop),
      /its first value is the number 3, not PyTorch's magic number/,
    ],
  ])('refuses %s', (_what, bytes, problem) => {
    expect(problemOf(new Uint8Array(bytes))).toMatch(problem);
  });

  it('readTorchWeights refuses a checkpoint without a state dict, listing what it holds', () => {
    const pickle = dictPickle({ epoch: op.int(3), optimizer: op.emptyDict });
    expect(problemOf(checkpoint(pickle), 'ckpt.pt', readTorchWeights)).toMatch(
      /it holds no state dict: a dict of 'epoch', 'optimizer'; a state dict is a dict of tensors by name/,
    );
  });
});

describe('stateDictOf', () => {
  const tensor: TensorData = { dtype: 'float32', shape: [], data: new Float32Array(1) };
  const flat = new Map<CheckpointValue, CheckpointValue>([['w', tensor]]);
  it.each([['state_dict'], ['model'], ['model_state_dict']])(
    "finds the state dict under '%s'",
    (key) => {
      expect(
        stateDictOf(
          new Map<CheckpointValue, CheckpointValue>([
            [key, flat],
            ['epoch', 3],
          ]),
        ),
      ).toBe(flat);
    },
  );
  it('takes a flat dict of tensors (an empty one too) as it is, and nothing else', () => {
    expect(stateDictOf(flat)).toBe(flat);
    const empty = new Map();
    expect(stateDictOf(empty)).toBe(empty);
    expect(
      stateDictOf(
        new Map<CheckpointValue, CheckpointValue>([
          ['w', tensor],
          ['epoch', 3],
        ]),
      ),
    ).toBeUndefined();
    expect(stateDictOf(new Map<CheckpointValue, CheckpointValue>([[0, tensor]]))).toBeUndefined();
    expect(stateDictOf(new Map<CheckpointValue, CheckpointValue>([['net', flat]]))).toBeUndefined();
    expect(stateDictOf([flat])).toBeUndefined();
    expect(stateDictOf(null)).toBeUndefined();
  });
});

describe('truncated and corrupt files', () => {
  const readers = {
    'dtypes.zip.pt': readTorchCheckpoint,
    'dtypes.legacy.pt': readTorchCheckpoint,
    'checkpoint.zip.pt': readTorchCheckpoint,
    'checkpoint.legacy.pt': readTorchCheckpoint,
    'weights.safetensors': readSafetensors,
  } as const;

  it.each(Object.keys(readers) as (keyof typeof readers)[])(
    'every truncation of %s is refused with a TorchFormatError naming the file',
    (file) => {
      const bytes = fixture(file);
      const read = readers[file];
      const kinds = new Set<string>();
      for (let length = 0; length < bytes.length; length++) {
        try {
          read(bytes.subarray(0, length), { file });
        } catch (error) {
          expect(error, `${file} cut at ${length}`).toBeInstanceOf(TorchFormatError);
          expect((error as Error).message).toContain(`'${file}'`);
          kinds.add((error as TorchFormatError).problem.replace(/\d+/g, 'N').slice(0, 40));
          continue;
        }
        throw new Error(
          `${file} cut at ${length} of ${bytes.length} bytes was read without an error`,
        );
      }
      expect(kinds.size).toBeGreaterThan(1);
    },
  );

  const files = Object.keys(readers) as (keyof typeof readers)[];
  fcTest.prop([fc.constantFrom(...files), fc.nat(), fc.integer({ min: 1, max: 255 })], {
    numRuns: 300,
  })(
    'a corrupt byte anywhere is read or refused with a TorchFormatError, never another error',
    (file, where, flip) => {
      const bytes = fixture(file);
      bytes[where % bytes.length] ^= flip;
      try {
        readers[file](bytes, { file });
      } catch (error) {
        expect(error).toBeInstanceOf(TorchFormatError);
      }
    },
  );

  it('says which storage of a legacy checkpoint is cut short', () => {
    const bytes = fixture('dtypes.legacy.pt');
    const problems = arange(200).map((cut) =>
      problemOf(bytes.subarray(0, bytes.length - 1 - cut), 'l.pt'),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^storage '\d+' \(at byte \d+\) says it holds \d+ float32 elements, but only \d+ bytes follow: the file is truncated$/,
      ),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^the file ends at byte \d+, before storage '\d+' \(expected at byte \d+\): the file is truncated$/,
      ),
    );
  });
});
