#!/usr/bin/env python3
"""Times PyTorch's CTC loss + gradient (with log-softmax forward and backward) on given shapes.

Reads a JSON list of shapes on stdin: [{"name": "cslr", "T": 150, "B": 8, "V": 1296, "L": 30}, ...]
and prints one JSON object: {"torch": version, "device": ..., "threads": n, "results": {name: ms}}.
Used by the @slr/ctc benchmark to report a same-run reference and ratio.

    echo '[{"name":"small","T":50,"B":4,"V":20,"L":10}]' | python3 scripts/bench-ctc-torch.py --device cpu
"""
import argparse
import json
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.stderr.write("PyTorch is not installed (Debian: apt-get install python3-torch; or pip install torch)\n")
    sys.exit(3)


def time_shape(shape, device, iterations, warmup):
    T, B, V, L = shape["T"], shape["B"], shape["V"], shape["L"]
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(T, B, V, generator=generator).to(device).requires_grad_(True)
    targets = torch.randint(1, V, (B, L), generator=generator).to(device)
    input_lengths = torch.full((B,), T, dtype=torch.long)
    target_lengths = torch.full((B,), L, dtype=torch.long)

    def step():
        logits.grad = None
        loss = F.ctc_loss(F.log_softmax(logits, dim=-1), targets, input_lengths, target_lengths,
                          blank=0, reduction="mean", zero_infinity=False)
        loss.backward()
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        step()
        samples.append((time.perf_counter() - start) * 1000.0)
    samples.sort()
    return samples[len(samples) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch (default 1)")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.stderr.write("CUDA is not available to PyTorch\n")
        sys.exit(4)
    torch.set_num_threads(args.threads)
    shapes = json.load(sys.stdin)
    results = {s["name"]: time_shape(s, args.device, args.iterations, args.warmup) for s in shapes}
    print(json.dumps({
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "results": results,
    }))


if __name__ == "__main__":
    main()
