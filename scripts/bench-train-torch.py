#!/usr/bin/env python3
"""Times one PyTorch training step (forward, loss, backward, Adam) per case, on one CPU thread
or on CUDA (--device cuda).

The PyTorch twins of `pnpm bench:train`'s cases: reads a JSON list of cases on stdin, each
{"name", "kind", "batch", "frames", "size", "iterations", "warmup", ...} with kind one of
"teacher", "student" (slr_torch's CSLR models: CTC, reduction 'mean', on their log-softmax
output), "i3d-backbone" (slr_torch's InceptionI3d) or "mobilenet-v3" (torchvision's
classifier), the last two with loss = mean of the output; prints one JSON object
{"torch": version, "device": "CPU" or "CUDA <GPU name>", "threads": n, "results": {name: median
ms}}. On CUDA each timed step ends with torch.cuda.synchronize(); exit status 4 when CUDA is
not available.

    echo '[{"name":"i3d-w8","kind":"i3d-backbone","batch":4,"frames":16,"size":32,
      "width":0.125,"iterations":3,"warmup":1}]' | python3 scripts/bench-train-torch.py [--device cuda]
"""
import argparse
import json
import os
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.stderr.write("PyTorch is not installed (Debian: apt-get install python3-torch; or pip install torch)\n")
    sys.exit(3)

# slr_torch: in the repository's python/, or in python/ beside the bundled benchmark.
_HERE = os.path.dirname(os.path.abspath(__file__))
for _path in (os.path.join(_HERE, "..", "python"), os.path.join(_HERE, "python")):
    if os.path.isdir(os.path.join(_path, "slr_torch")):
        sys.path.insert(0, _path)
        break


def build(case, device):
    """The model (on `device`) and a `loss(model)` closure for one case."""
    kind, batch, frames, size = case["kind"], case["batch"], case["frames"], case["size"]
    generator = torch.Generator().manual_seed(1)
    if kind in ("teacher", "student"):
        from slr_torch import build_i3d_teacher, build_mobilenet_v3_student

        classes = case["classes"]
        options = dict(case["options"])
        shape = [None, size, size, 3]
        if kind == "teacher":
            model = build_i3d_teacher(classes, shape, **options)
        else:
            model = build_mobilenet_v3_student(classes, shape, options.pop("variant"), **options)
        videos = torch.rand(batch, frames, size, size, 3, generator=generator).to(device)
        output_frames, target_length = case["outputFrames"], case["targetLength"]
        targets = torch.tensor(
            [[1 + (i % (classes - 1)) for i in range(target_length)]] * batch, dtype=torch.long
        ).to(device)
        input_lengths = torch.full((batch,), output_frames, dtype=torch.long)
        target_lengths = torch.full((batch,), target_length, dtype=torch.long)

        def loss(m):
            log_probs = m(videos)
            return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean")

    elif kind == "i3d-backbone":
        from slr_torch import build_i3d_backbone

        model = build_i3d_backbone([frames, size, size, 3], width_multiplier=case["width"])
        videos = torch.rand(batch, 3, frames, size, size, generator=generator).to(device)

        def loss(m):
            return m(videos).mean()

    elif kind == "mobilenet-v3":
        import torchvision

        builder = getattr(torchvision.models, f"mobilenet_v3_{case['variant']}")
        model = builder(width_mult=case["width"], num_classes=case["classes"])
        images = torch.rand(batch, 3, size, size, generator=generator).to(device)

        def loss(m):
            return m(images).mean()

    else:
        raise ValueError(f"unknown case kind {kind!r}")
    return model.to(device), loss


def time_case(case, device):
    model, loss = build(case, device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad(set_to_none=True)
        value = loss(model)
        value.backward()
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()
        return value.item()

    for _ in range(case["warmup"]):
        step()
    samples = []
    for _ in range(case["iterations"]):
        start = time.perf_counter()
        step()
        samples.append((time.perf_counter() - start) * 1000.0)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.stderr.write("CUDA is not available to PyTorch\n")
        sys.exit(4)
    torch.set_num_threads(1)
    cases = json.load(sys.stdin)
    results = {case["name"]: time_case(case, args.device) for case in cases}
    device = "CPU" if args.device == "cpu" else "CUDA " + torch.cuda.get_device_name()
    print(json.dumps({"torch": torch.__version__, "device": device,
                      "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
