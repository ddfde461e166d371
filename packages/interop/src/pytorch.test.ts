/**
 * Round trips with PyTorch itself (`/usr/bin/python3` with torch, run at test time): random
 * tensors of every dtype, contiguous and strided, saved by `torch.save` in the zip format (with
 * pickle protocols 2 and 4) and the legacy one, read here exactly; and safetensors files written
 * here, read by PyTorch from the bytes (`torch.frombuffer`, after a strict reading of the header)
 * and compared with PyTorch's own conversions of the same float32 values (`.half()`,
 * `.bfloat16()`, `.double()`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRequiring, PYTHON_PATH } from '@slr/test-utils';
import { expectTensor, type ExpectedTensor } from '../test/helpers';
import {
  readTorchWeights,
  stateDictOf,
  readTorchCheckpoint,
  writeSafetensors,
  type TensorData,
  type TensorDtype,
} from './index';

const SAVE_RANDOM_TENSORS = String.raw`
import json, math, os, sys, torch
out, seed = sys.argv[1], int(sys.argv[2])
g = torch.Generator().manual_seed(seed)
def randint(lo, hi): return int(torch.randint(lo, hi + 1, (1,), generator=g))
def floats(n, dtype):
    x = torch.randn(n, generator=g, dtype=torch.float64) * 10.0 ** torch.randint(-6, 6, (n,), generator=g)
    if n > 3:
        x[0], x[1], x[2] = math.inf, -math.nan, -0.0
    return x.to(dtype)
def ints(n, dtype):
    info = torch.iinfo(dtype)
    lo, hi = (-(2**62), 2**62) if dtype == torch.int64 else (info.min, info.max)
    return torch.randint(lo, hi, (n,), generator=g, dtype=torch.int64).to(dtype)
dtypes = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
          torch.int16, torch.int8, torch.uint8, torch.bool]
tensors = {}
for i in range(24):
    dtype = dtypes[i % len(dtypes)]
    shape = [randint(0 if i % 7 == 0 else 1, 4) for _ in range(randint(0, 4))]
    n = int(torch.tensor(shape).prod()) if shape else 1
    if dtype.is_floating_point: base = floats(n, dtype)
    elif dtype == torch.bool: base = torch.randint(0, 2, (n,), generator=g).bool()
    else: base = ints(n, dtype)
    t = base.reshape(shape)
    view = randint(0, 3) if len(shape) >= 2 else 0
    if view == 1: t = t.transpose(0, len(shape) - 1)
    elif view == 2: t = t[..., ::2]
    elif view == 3: t = t.unsqueeze(0).expand(2, *shape)
    tensors[f"layer{i}.{str(dtype)[6:]}"] = t
def values(t):
    flat = t.reshape(-1)
    if t.dtype.is_floating_point:
        return [("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity") if math.isinf(v) else v)
                for v in flat.float().tolist()]
    if t.dtype == torch.int64: return [str(v) for v in flat.tolist()]
    if t.dtype == torch.bool: return [int(v) for v in flat.tolist()]
    return flat.tolist()
names = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
         torch.bfloat16: "bfloat16", torch.int64: "int64", torch.int32: "int32", torch.int16: "int16",
         torch.int8: "int8", torch.uint8: "uint8", torch.bool: "bool"}
expected = {k: {"dtype": names[t.dtype], "shape": list(t.shape), "values": values(t)} for k, t in tensors.items()}
from collections import OrderedDict
state = OrderedDict(tensors)
torch.save(state, os.path.join(out, "weights_zip.pt"))
torch.save({"state_dict": state, "epoch": seed}, os.path.join(out, "checkpoint_p4.pth"), pickle_protocol=4)
torch.save(state, os.path.join(out, "weights_legacy.pt"), _use_new_zipfile_serialization=False)
json.dump({"names": list(tensors), "tensors": expected}, open(os.path.join(out, "expected.json"), "w"))
`;

const READ_OUR_SAFETENSORS = String.raw`
import json, math, struct, sys, torch
path = sys.argv[1]
raw = open(path, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert (8 + n) % 8 == 0, "the header does not end on a multiple of 8 bytes"
text = raw[8 : 8 + n].decode("utf-8")
assert text.rstrip(" ") == text.rstrip(" ").strip() and text.startswith("{"), "padding other than trailing spaces"
header = json.loads(text)
metadata = header.pop("__metadata__", None)
codes = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
         "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
         "BOOL": torch.bool}
ranks = {"BOOL": 0, "U8": 1, "I8": 2, "I16": 5, "F16": 7, "BF16": 8, "I32": 9, "F32": 11, "F64": 12, "I64": 13}
data = raw[8 + n :]
order = list(header)
assert order == sorted(order, key=lambda k: (-ranks[header[k]["dtype"]], k)), "not the reference writer's order"
end = 0
tensors = {}
for name in order:
    info = header[name]
    start, stop = info["data_offsets"]
    assert start == end, f"{name} does not start where the previous tensor ends"
    end = stop
    dtype = codes[info["dtype"]]
    count = math.prod(info["shape"])
    assert stop - start == count * torch.tensor([], dtype=dtype).element_size(), name
    chunk = bytearray(data[start:stop])
    flat = torch.frombuffer(chunk, dtype=dtype) if count else torch.empty(0, dtype=dtype)
    tensors[name] = flat.reshape(info["shape"])
assert end == len(data), "bytes after the last tensor"
def same(a, b):
    if a.dtype != b.dtype or a.shape != b.shape: return False
    if a.dtype.is_floating_point:
        nan = torch.isnan(a.float())
        if not torch.equal(nan, torch.isnan(b.float())): return False
        bits = torch.int16 if a.element_size() == 2 else (torch.int32 if a.element_size() == 4 else torch.int64)
        return torch.equal(a[~nan].view(bits), b[~nan].view(bits))
    return torch.equal(a, b)
for name, t in tensors.items():
    if name.endswith(".source"): continue
    kind, _ = name.split(".", 1)
    source = tensors.get(kind + ".source")
    if source is not None and t.dtype != torch.float32:
        wanted = source.to(t.dtype).reshape(t.shape)  # PyTorch's own rounding of the same float32 values
        if not same(t, wanted):
            both_nan = torch.isnan(t.float()).flatten() & torch.isnan(wanted.float()).flatten()
            bits = torch.int16 if t.element_size() == 2 else torch.int64
            differ = (t.flatten().view(bits) != wanted.flatten().view(bits)) & ~both_nan
            i = int(differ.nonzero()[0])
            raise AssertionError(f"{name}[{i}]: {t.flatten()[i].item()} written, but PyTorch rounds "
                                 f"{source.flatten()[i].item()!r} to {wanted.flatten()[i].item()}")
expected = json.load(open(sys.argv[2]))
for name, want in expected.items():
    t = tensors[name]
    assert list(t.shape) == want["shape"], name
    flat = t.reshape(-1)
    got = flat.int().tolist() if t.dtype == torch.bool else flat.tolist()
    if t.dtype == torch.int64: got = [str(v) for v in got]
    assert got == want["values"], f"{name}: {got[:8]} != {want['values'][:8]}"
print(json.dumps({"tensors": len(tensors), "metadata": metadata}))
`;

let dir: string;

/** A small seeded generator (mulberry32), so that a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Float32 values a conversion to float16 and bfloat16 meets: normal values across many
 * exponents, float16 subnormals, exact ties of both formats, signed zeros, infinities, NaN.
 */
function floatSources(next: () => number, count: number, maxExponent: number): Float32Array {
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) {
    const kind = Math.floor(next() * 6);
    const sign = next() < 0.5 ? -1 : 1;
    if (kind === 0)
      out[i] = sign * (1 + next()) * 2 ** Math.floor(next() * (maxExponent + 40) - 40);
    else if (kind === 1)
      out[i] = sign * next() * 2 ** -14; // float16 subnormals
    else if (kind === 2)
      bits[i] = ((Math.floor(next() * 0x7bff) << 13) + 0x1000 + (127 - 15) * 2 ** 23) >>> 0; // float16 ties
    else if (kind === 3)
      bits[i] = ((Math.floor(next() * 0x7f00) << 16) | 0x8000) >>> 0; // bfloat16 ties
    else if (kind === 4) out[i] = [0, -0, Infinity, -Infinity, NaN][Math.floor(next() * 5)];
    else out[i] = sign * Math.floor(next() * 4096);
    if (Math.abs(out[i]) > 2 ** maxExponent && Number.isFinite(out[i])) out[i] = sign;
  }
  return out;
}

describeRequiring('pytorch', 'round trips with PyTorch', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slr-interop-torch-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads random tensors of every dtype, contiguous or strided, that torch.save wrote in each format', () => {
    const seed = 20240917;
    execFileSync(PYTHON_PATH, ['-c', SAVE_RANDOM_TENSORS, dir, String(seed)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const { names, tensors } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
      names: string[];
      tensors: Record<string, ExpectedTensor>;
    };
    const readings: [string, Map<string, TensorData> | undefined][] = [
      [
        'weights_zip.pt',
        readTorchWeights(readFileSync(join(dir, 'weights_zip.pt')), { file: 'weights_zip.pt' })
          .tensors,
      ],
      [
        'weights_legacy.pt',
        stateDictOf(readTorchCheckpoint(readFileSync(join(dir, 'weights_legacy.pt')))),
      ],
      [
        'checkpoint_p4.pth',
        stateDictOf(readTorchCheckpoint(readFileSync(join(dir, 'checkpoint_p4.pth')))),
      ],
    ];
    for (const [file, stateDict] of readings) {
      expect([...(stateDict?.keys() ?? [])], file).toEqual(names);
      for (const name of names)
        expectTensor(stateDict?.get(name), tensors[name], `seed ${seed} › ${file} › ${name}`);
    }
  });

  it('writes safetensors that PyTorch reads, rounding to float16/bfloat16 exactly as PyTorch does', () => {
    const seed = 7;
    const next = random(seed);
    const tensors = new Map<string, TensorData>();
    const expected: Record<string, { shape: number[]; values: (number | string)[] }> = {};
    const sources = { f16: floatSources(next, 4000, 15), bf16: floatSources(next, 4000, 120) };
    tensors.set('f16.source', { dtype: 'float32', shape: [4000], data: sources.f16 });
    tensors.set('f16.half', { dtype: 'float16', shape: [40, 100], data: sources.f16 });
    tensors.set('bf16.source', { dtype: 'float32', shape: [4000], data: sources.bf16 });
    tensors.set('bf16.bfloat', { dtype: 'bfloat16', shape: [4000], data: sources.bf16 });
    tensors.set('bf16.double', { dtype: 'float64', shape: [2, 2000], data: sources.bf16 });
    const ints = (dtype: TensorDtype, low: number, high: number, shape: number[]) => {
      const count = shape.reduce((a, b) => a * b, 1);
      const values = Array.from(
        { length: count },
        () => low + Math.floor(next() * (high - low + 1)),
      );
      const data =
        dtype === 'int64'
          ? BigInt64Array.from(values, (v) => BigInt(v) * 2n ** 31n)
          : dtype === 'uint8' || dtype === 'bool'
            ? Uint8Array.from(values)
            : Int32Array.from(values);
      tensors.set(`ints.${dtype}`, { dtype, shape, data });
      expected[`ints.${dtype}`] = {
        shape,
        values: dtype === 'int64' ? values.map((v) => String(BigInt(v) * 2n ** 31n)) : values,
      };
    };
    ints('int64', -(2 ** 31), 2 ** 31 - 1, [3, 5]);
    ints('int32', -(2 ** 31), 2 ** 31 - 1, [7]);
    ints('int16', -32768, 32767, [2, 2, 2]);
    ints('int8', -128, 127, [9]);
    ints('uint8', 0, 255, [4]);
    ints('bool', 0, 1, [6]);
    ints('int32', 0, 0, [0, 3]); // replaces the int32 above with an empty tensor
    tensors.set('scalar.f32', { dtype: 'float32', shape: [], data: new Float32Array([0.1]) });
    expected['scalar.f32'] = { shape: [], values: [Math.fround(0.1)] };

    const file = join(dir, 'ours.safetensors');
    writeFileSync(
      file,
      writeSafetensors(tensors, { metadata: { format: 'pt', seed: String(seed) } }),
    );
    writeFileSync(join(dir, 'ours.json'), JSON.stringify(expected));
    const output = execFileSync(
      PYTHON_PATH,
      ['-c', READ_OUR_SAFETENSORS, file, join(dir, 'ours.json')],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(JSON.parse(output)).toEqual({
      tensors: tensors.size,
      metadata: { format: 'pt', seed: '7' },
    });
  });
});
