/**
 * The files PyTorch wrote (test-fixtures/, from scripts/generate-interop-fixtures.py) read back
 * exactly, and the ones a safe reader must refuse, refused by name. Runs without PyTorch.
 */
import { describe, expect, it } from 'vitest';
import { expectedTensors, expectTensor, fixture } from '../test/helpers';
import {
  readSafetensors,
  readTorchCheckpoint,
  readTorchWeights,
  stateDictOf,
  TorchFormatError,
  writeSafetensors,
  type CheckpointValue,
} from './index';

const expected = expectedTensors();

/** The error `action` throws, which must be a TorchFormatError. */
function formatError(action: () => unknown): TorchFormatError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TorchFormatError);
    return error as TorchFormatError;
  }
  throw new Error('expected a TorchFormatError, but nothing was thrown');
}

describe('PyTorch checkpoints written by torch.save', () => {
  for (const file of ['dtypes.zip.pt', 'dtypes.legacy.pt']) {
    it(`reads every dtype, strided views and shared storages of ${file} exactly`, () => {
      const value = readTorchCheckpoint(fixture(file), { file });
      expect(value).toBeInstanceOf(Map);
      const map = value as Map<CheckpointValue, CheckpointValue>;
      expect([...map.keys()]).toEqual(Object.keys(expected.dtypes));
      for (const [name, tensor] of Object.entries(expected.dtypes))
        expectTensor(map.get(name), tensor, `${file} › ${name}`);
      expect(stateDictOf(value)).toBe(value);
    });
  }

  for (const file of ['module.zip.pt', 'module.legacy.pt']) {
    it(`reads model.state_dict() from ${file} (OrderedDict with _metadata, num_batches_tracked)`, () => {
      const value = readTorchCheckpoint(fixture(file), { file });
      const stateDict = stateDictOf(value);
      expect(stateDict).toBe(value);
      expect([...(stateDict?.keys() ?? [])]).toEqual(Object.keys(expected.module));
      for (const [name, tensor] of Object.entries(expected.module))
        expectTensor(stateDict?.get(name), tensor, `${file} › ${name}`);
      expect(stateDict?.get('1.num_batches_tracked')?.data).toEqual(new BigInt64Array([1n]));
    });
  }

  for (const file of ['checkpoint.zip.pt', 'checkpoint.legacy.pt']) {
    it(`reads a training checkpoint's plain values and finds its state dict in ${file}`, () => {
      const value = readTorchCheckpoint(fixture(file), { file }) as Map<
        CheckpointValue,
        CheckpointValue
      >;
      expect(value.get('epoch')).toBe(3);
      expect(value.get('lr')).toBe(0.1);
      expect(value.get('name')).toBe('i3d');
      expect(value.get('flags')).toEqual([true, null, false]);
      expect(value.get('big')).toBe(2n ** 70n);
      expect(value.get('negative')).toBe(-5);
      expect(value.get('pair')).toEqual([1, 'a']);
      expect(value.get('raw')).toEqual(new Uint8Array([0, 1]));
      expect(value.get('parameter')).toEqual({
        dtype: 'float32',
        shape: [2],
        data: new Float32Array([1, 1]),
      });
      const stateDict = stateDictOf(value);
      expect(stateDict).toBe(value.get('state_dict'));
      for (const [name, tensor] of Object.entries(expected.module))
        expectTensor(stateDict?.get(name), tensor, `${file} › ${name}`);

      const weights = readTorchWeights(fixture(file), { file });
      expect(weights.format).toBe(file.includes('zip') ? 'torch-zip' : 'torch-legacy');
      expect(weights.tensors).toBe(
        weights.value instanceof Map ? weights.value.get('state_dict') : undefined,
      );
      expect(weights.metadata).toEqual({});
    });
  }
});

describe('safetensors', () => {
  it('reads every dtype and the metadata of a file laid out as the reference writes it', () => {
    const { tensors, metadata } = readSafetensors(fixture('weights.safetensors'), {
      file: 'weights.safetensors',
    });
    expect(metadata).toEqual({ format: 'pt', source: 'slr' });
    // By name, as safe_open(...).keys() lists them.
    expect([...tensors.keys()]).toEqual(Object.keys(expected.safetensors).sort());
    for (const [name, tensor] of Object.entries(expected.safetensors))
      expectTensor(tensors.get(name), tensor, name);
  });

  it('writes back the very bytes of that file (same layout, padding and order as the reference)', () => {
    const bytes = fixture('weights.safetensors');
    const { tensors, metadata } = readSafetensors(bytes);
    // Float64 values come back as float32: the file's doubles, rounded, are what is written back.
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, headerEnd))) as Record<
      string,
      { data_offsets: [number, number] }
    >;
    const [begin, end] = header.double.data_offsets;
    const doubles = new Float64Array(bytes.slice(headerEnd + begin, headerEnd + end).buffer);
    const rounded = new Uint8Array(Float64Array.from(doubles, Math.fround).buffer);
    const wanted = bytes.slice();
    wanted.set(rounded, headerEnd + begin);
    expect(writeSafetensors(tensors, { metadata })).toEqual(wanted);
  });

  it('readTorchWeights tells safetensors apart by its header, and by its extension', () => {
    const weights = readTorchWeights(fixture('weights.safetensors'));
    expect(weights.format).toBe('safetensors');
    expect(weights.metadata).toEqual({ format: 'pt', source: 'slr' });
    expect(weights.tensors.size).toBe(Object.keys(expected.safetensors).length);
    // A .safetensors name makes a broken file a safetensors error, not an unknown format.
    expect(
      formatError(() => readTorchWeights(new Uint8Array(3), { file: 'a.safetensors' })).format,
    ).toBe('safetensors');
  });
});

describe('files a safe reader refuses', () => {
  it('refuses a pickle naming os.system, by name, without calling it', () => {
    const error = formatError(() =>
      readTorchCheckpoint(fixture('foreign-global.pt'), { file: 'foreign-global.pt' }),
    );
    expect(error.file).toBe('foreign-global.pt');
    expect(error.message).toContain(
      "Cannot read 'foreign-global.pt' as a PyTorch checkpoint (zip format)",
    );
    expect(error.message).toContain("the Python global 'os.system'");
    expect(error.message).toContain('foreign-global/data.pkl, byte 2 (GLOBAL)');
  });

  it('refuses a whole model saved with torch.save(model), naming its class and the fix', () => {
    const error = formatError(() =>
      readTorchCheckpoint(fixture('whole-model.pt'), { file: 'whole-model.pt' }),
    );
    expect(error.message).toContain("'torch.nn.modules.container.Sequential'");
    expect(error.message).toContain('save model.state_dict() instead');
  });

  it('refuses a TorchScript archive', () => {
    const error = formatError(() =>
      readTorchCheckpoint(fixture('torchscript.pt'), { file: 'torchscript.pt' }),
    );
    expect(error.problem).toMatch(/^it is a TorchScript archive \(torch\.jit\.save\)/);
  });

  it('refuses a re-zipped (deflated) checkpoint, naming the entry and the compression', () => {
    const error = formatError(() =>
      readTorchCheckpoint(fixture('compressed.pt'), { file: 'compressed.pt' }),
    );
    expect(error.message).toContain("its entry 'archive/data.pkl' is compressed (deflate)");
  });

  it('refuses a legacy checkpoint written on a big-endian machine', () => {
    const error = formatError(() =>
      readTorchCheckpoint(fixture('big-endian.legacy.pt'), { file: 'big-endian.legacy.pt' }),
    );
    expect(error.message).toContain(
      "Cannot read 'big-endian.legacy.pt' as a PyTorch checkpoint (legacy format)",
    );
    expect(error.message).toContain('big-endian machine');
  });
});
