"""PyTorch's side of the parity tests of @slr/interop's ``'slr'`` naming: the twins of
``python/slr_torch`` (``I3DTeacher``, ``MobileNetV3Student``).

    python3 slr_parity.py make  <dir> <cases.json>
    python3 slr_parity.py check <dir> <cases.json>

``make`` builds each case's twin from its JS options (turned into snake_case) with a fixed seed,
randomises every BatchNorm's weight, bias and running statistics, every GroupNorm's weight and
every bias, and writes its state dict as ``<name>.zip.pt``, ``<name>.legacy.pt`` and
``<name>.safetensors`` (its keys, in order, in ``<name>.keys.json``), with its eval-mode output for random inputs (``<name>.input<i>.bin``,
``<name>.pose<i>.bin`` for a teacher with a pose stream, ``<name>.output<i>.bin``: float32
little-endian; inputs ``[B, T, H, W, C]`` and ``[B, T, K, 2]`` as the JS models take them, the
output the twin's ``[T', B, V]``).

``check`` loads ``<name>.ours.safetensors`` (written by ``saveTorchWeights``) into a fresh twin
with ``strict=True``, runs it on the same inputs and prints, per case and input, the largest
difference from ``<name>.ours.output<i>.bin`` and the largest absolute output.

A case: ``{"name", "model": "teacher" | "student", "options": {JS options, numClasses and
inputShape included}, "seed", "inputs": [[B, T, H, W, C], ...]}``.
"""

import json
import os
import re
import sys

import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))
from slr_torch import build_i3d_teacher, build_mobilenet_v3_student  # noqa: E402
from torch_parity import load_safetensors, read_floats, save_safetensors, write_floats  # noqa: E402


def snake_case(value):
    if isinstance(value, dict):
        return {re.sub(r"([A-Z])", r"_\1", k).lower(): snake_case(v) for k, v in value.items()}
    return value


def build(case):
    options = snake_case(case["options"])
    if case["model"] == "teacher":
        return build_i3d_teacher(options.pop("num_classes"), options.pop("input_shape"), **options)
    return build_mobilenet_v3_student(
        options.pop("num_classes"), options.pop("input_shape"), options.pop("variant"), **options
    )


def randomise(model, generator):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                n = module.num_features
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.2)
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.2)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=generator)))
            elif isinstance(module, torch.nn.GroupNorm):
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.2)
            else:
                for name, parameter in module.named_parameters(recurse=False):
                    if name.startswith("bias"):
                        parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)


def pose_of(case):
    pose = case["options"].get("pose")
    return None if pose is None else (pose["keypoints"], pose.get("channels", 2))


def run(case, model, directory, name, i, shape):
    video = read_floats(os.path.join(directory, f"{name}.input{i}.bin"), shape)
    args = [video]
    pose = pose_of(case)
    if pose is not None:
        args.append(read_floats(os.path.join(directory, f"{name}.pose{i}.bin"), [*shape[:2], *pose]))
    with torch.no_grad():
        return model(*args)


def make(directory, cases):
    manifest = {}
    for case in cases:
        torch.manual_seed(case["seed"])
        generator = torch.Generator().manual_seed(case["seed"])
        model = build(case).eval()
        randomise(model, generator)
        state = model.state_dict()
        name = case["name"]
        torch.save(state, os.path.join(directory, f"{name}.zip.pt"))
        torch.save(state, os.path.join(directory, f"{name}.legacy.pt"), _use_new_zipfile_serialization=False)
        save_safetensors(state, os.path.join(directory, f"{name}.safetensors"))
        with open(os.path.join(directory, f"{name}.keys.json"), "w") as f:
            json.dump(list(state.keys()), f)
        outputs = []
        for i, shape in enumerate(case["inputs"]):
            write_floats(os.path.join(directory, f"{name}.input{i}.bin"), torch.rand(shape, generator=generator))
            pose = pose_of(case)
            if pose is not None:
                write_floats(
                    os.path.join(directory, f"{name}.pose{i}.bin"), torch.rand([*shape[:2], *pose], generator=generator)
                )
            y = run(case, model, directory, name, i, shape)
            write_floats(os.path.join(directory, f"{name}.output{i}.bin"), y)
            outputs.append(list(y.shape))
        manifest[name] = {"outputs": outputs, "keys": len(state)}
    print(json.dumps(manifest))


def check(directory, cases):
    results = {}
    for case in cases:
        name = case["name"]
        model = build(case).eval()
        model.load_state_dict(load_safetensors(os.path.join(directory, f"{name}.ours.safetensors")), strict=True)
        errors = []
        for i, shape in enumerate(case["inputs"]):
            y = run(case, model, directory, name, i, shape)
            ours = read_floats(os.path.join(directory, f"{name}.ours.output{i}.bin"), list(y.shape))
            errors.append(
                {"maxError": float((y - ours).abs().max()), "maxAbs": float(y.abs().max()), "shape": list(y.shape)}
            )
        results[name] = errors
    print(json.dumps(results))


if __name__ == "__main__":
    command, directory, spec = sys.argv[1:4]
    torch.set_num_threads(2)
    {"make": make, "check": check}[command](directory, json.load(open(spec)))
