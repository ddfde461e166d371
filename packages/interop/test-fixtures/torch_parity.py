"""PyTorch's side of the parity tests of @slr/interop's ``loadTorchWeights`` / ``saveTorchWeights``.

    python3 torch_parity.py make  <dir> <cases.json>
    python3 torch_parity.py check <dir> <cases.json>
    python3 torch_parity.py names <file.json>
    python3 torch_parity.py layers <dir>

``make`` builds each case's PyTorch model (torchvision's MobileNetV3, or pytorch-i3d's
``InceptionI3d`` from ``pytorch_i3d.py``) with a fixed seed, randomises every BatchNorm's
weight, bias and running statistics (and every bias), and writes its state dict three ways:
``<name>.zip.pt`` (``torch.save``), ``<name>.legacy.pt`` (``_use_new_zipfile_serialization=False``)
and ``<name>.safetensors`` (written here: the ``safetensors`` package is not needed), with its
eval-mode output for random inputs (``<name>.input<i>.bin``, ``<name>.output<i>.bin``: float32
little-endian, PyTorch's layouts).

``check`` loads ``<name>.ours.safetensors`` (written by ``saveTorchWeights``) into a fresh
PyTorch model with ``strict=True`` (the I3D backbone: only ``logits`` may be missing), runs it on
the same inputs and prints, per case and input, the largest difference from
``<name>.ours.output<i>.bin`` (what the @slr model computed) and the largest absolute output.

``names`` writes the state-dict keys and shapes of a few models (``torch-names.json``, beside
this file: ``/usr/bin/python3 torch_parity.py names torch-names.json``), which the tests compare
with ``torchStateDict`` on machines without PyTorch.

``layers`` writes, for each layout of ``loadTorchWeights``, one PyTorch module with random
weights (``<name>.safetensors``), random inputs and its eval-mode output (``<name>.input<i>.bin``,
``<name>.output.bin``), and prints their shapes.

A case: ``{"name", "model": "mobilenet_v3_large" | "mobilenet_v3_small" | "i3d", "num_classes"
(optional), "width" (I3D), "head" (I3D: with the logits), "seed", "inputs": [[shape], ...]}``.
"""

import json
import os
import struct
import sys
from collections import OrderedDict

import torch

sys.dont_write_bytecode = True  # run from the source tree by the tests: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_i3d import InceptionI3d  # noqa: E402

CODES = {torch.float32: "F32", torch.int64: "I64"}
DTYPES = {"F32": torch.float32, "I64": torch.int64}


def build(case):
    if case["model"] == "i3d":
        return InceptionI3d(num_classes=case.get("num_classes", 400), width=case.get("width", 1.0))
    import torchvision

    factory = getattr(torchvision.models, case["model"])
    kwargs = {"num_classes": case["num_classes"]} if "num_classes" in case else {}
    return factory(weights=None, **kwargs)


def randomise(model, generator):
    """Random biases, BatchNorm affine parameters and running statistics (eval mode uses them)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                n = module.num_features
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.2)
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.2)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=generator)))
            elif getattr(module, "bias", None) is not None:
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)


def run(case, model, x):
    with torch.no_grad():
        if case["model"] == "i3d" and not case.get("head", False):
            return model.extract_mixed_5c(x)
        return model(x)


def save_safetensors(tensors, path):
    header, offset, chunks = {}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def load_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    out = OrderedDict()
    for name, info in header.items():
        start, stop = info["data_offsets"]
        chunk = bytearray(raw[8 + n + start : 8 + n + stop])
        dtype = DTYPES[info["dtype"]]
        flat = torch.frombuffer(chunk, dtype=dtype) if stop > start else torch.empty(0, dtype=dtype)
        out[name] = flat.reshape(info["shape"])
    return out


def write_floats(path, t):
    with open(path, "wb") as f:
        f.write(t.detach().contiguous().float().numpy().tobytes())


def read_floats(path, shape):
    return torch.frombuffer(bytearray(open(path, "rb").read()), dtype=torch.float32).reshape(shape)


def make(directory, cases):
    manifest = {}
    for case in cases:
        torch.manual_seed(case["seed"])
        generator = torch.Generator().manual_seed(case["seed"])
        model = build(case).eval()
        randomise(model, generator)
        state = model.state_dict()
        if case["model"] == "i3d" and not case.get("head", False):
            state = OrderedDict((k, v) for k, v in state.items() if not k.startswith("logits."))
        name = case["name"]
        torch.save(state, os.path.join(directory, f"{name}.zip.pt"))
        torch.save(state, os.path.join(directory, f"{name}.legacy.pt"), _use_new_zipfile_serialization=False)
        save_safetensors(state, os.path.join(directory, f"{name}.safetensors"))
        outputs = []
        for i, shape in enumerate(case["inputs"]):
            x = torch.randn(shape, generator=generator)
            y = run(case, model, x)
            write_floats(os.path.join(directory, f"{name}.input{i}.bin"), x)
            write_floats(os.path.join(directory, f"{name}.output{i}.bin"), y)
            outputs.append(list(y.shape))
        manifest[name] = {"outputs": outputs, "keys": len(state)}
    print(json.dumps(manifest))


def check(directory, cases):
    results = {}
    for case in cases:
        name = case["name"]
        model = build(case).eval()
        state = load_safetensors(os.path.join(directory, f"{name}.ours.safetensors"))
        if case["model"] == "i3d" and not case.get("head", False):
            missing, unexpected = model.load_state_dict(state, strict=False)
            assert unexpected == [] and sorted(missing) == ["logits.conv3d.bias", "logits.conv3d.weight"], (
                missing,
                unexpected,
            )
        else:
            model.load_state_dict(state, strict=True)
        errors = []
        for i, shape in enumerate(case["inputs"]):
            x = read_floats(os.path.join(directory, f"{name}.input{i}.bin"), shape)
            y = run(case, model, x)
            ours = read_floats(os.path.join(directory, f"{name}.ours.output{i}.bin"), list(y.shape))
            errors.append(
                {"maxError": float((y - ours).abs().max()), "maxAbs": float(y.abs().max()), "shape": list(y.shape)}
            )
        results[name] = errors
    print(json.dumps(results))


def layer_modules():
    """One module per layout, with its inputs (PyTorch's layouts)."""
    import torchvision

    g = torch.Generator().manual_seed(11)

    def r(*shape):
        return torch.randn(*shape, generator=g)

    bn = torch.nn.BatchNorm2d(4, eps=1e-3)
    se = torchvision.ops.SqueezeExcitation(8, 4, scale_activation=torch.nn.Hardsigmoid)
    return {
        "conv3d": (torch.nn.Conv3d(3, 5, (3, 2, 4)), [r(2, 3, 4, 5, 6)]),
        "conv2d": (torch.nn.Conv2d(3, 4, (3, 2)), [r(2, 3, 5, 6)]),
        "depthwise2d": (torch.nn.Conv2d(4, 8, 3, groups=4), [r(2, 4, 6, 5)]),
        "conv1d": (torch.nn.Conv1d(3, 5, 3), [r(2, 3, 7)]),
        "linear": (torch.nn.Linear(6, 4), [r(3, 6)]),
        "batchnorm": (bn, [r(2, 4, 3, 3)]),
        "squeeze_excite": (se, [r(2, 8, 3, 3)]),
        "lstm": (torch.nn.LSTM(3, 4, batch_first=True), [r(2, 5, 3)]),
        "attention": (torch.nn.MultiheadAttention(8, 2, batch_first=True), [r(2, 3, 8), r(2, 5, 8)]),
    }


def layers(directory):
    g = torch.Generator().manual_seed(12)
    manifest = {}
    for name, (module, inputs) in layer_modules().items():
        module.eval()
        with torch.no_grad():
            for key, value in module.state_dict().items():
                if value.dtype.is_floating_point:
                    value.copy_(torch.randn(value.shape, generator=g) * 0.5)
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_var.copy_(torch.rand(4, generator=g) + 0.5)
            if name == "attention":
                y = module(inputs[0], inputs[1], inputs[1], need_weights=False)[0]
            elif name == "lstm":
                y = module(inputs[0])[0]
            else:
                y = module(inputs[0])
        state = OrderedDict((k, v) for k, v in module.state_dict().items() if v.dtype.is_floating_point)
        save_safetensors(state, os.path.join(directory, f"{name}.safetensors"))
        for i, x in enumerate(inputs):
            write_floats(os.path.join(directory, f"{name}.input{i}.bin"), x)
        write_floats(os.path.join(directory, f"{name}.output.bin"), y)
        manifest[name] = {"inputs": [list(x.shape) for x in inputs], "output": list(y.shape)}
    print(json.dumps(manifest))


NAMED_MODELS = [
    {"name": "mobilenet_v3_large", "model": "mobilenet_v3_large"},
    {"name": "mobilenet_v3_small_10_classes", "model": "mobilenet_v3_small", "num_classes": 10},
    {"name": "inception_i3d", "model": "i3d"},
]


def names(path):
    """Each model's state-dict keys, in order, with their dtypes and shapes: one key a line."""
    lines = []
    for case in NAMED_MODELS:
        state = build(case).state_dict()
        entries = [f"  {json.dumps(k)}: [{json.dumps(str(v.dtype)[6:])}, {json.dumps(list(v.shape))}]" for k, v in state.items()]
        lines.append(f"{json.dumps(case['name'])}: {{\n" + ",\n".join(entries) + "\n}")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    if sys.argv[1] == "names":
        names(sys.argv[2])
        sys.exit(0)
    if sys.argv[1] == "layers":
        layers(sys.argv[2])
        sys.exit(0)
    command, directory, spec = sys.argv[1:4]
    cases = json.load(open(spec))
    {"make": make, "check": check}[command](directory, cases)
