#!/usr/bin/env python3
"""Generate golden CTC values for @slr/ctc from PyTorch's reference implementation.

The output is the JSON file read by the CTC tests
(packages/ctc/test-fixtures/ctc-golden.json); its format is described in
packages/ctc/test-fixtures/README.md.  Every number is computed in float64 on the CPU
with ``torch.nn.functional.ctc_loss``.

Two modes:

* default: build the fixed set of cases from scratch.  Each case draws its logits (and,
  where not written out by hand, its targets) from ``torch.manual_seed(seed)`` with a fixed
  per-case seed, so the inputs are the same on every run with the same PyTorch version::

      python3 scripts/generate-ctc-golden.py

* ``--from FILE``: keep the inputs stored in an existing golden file (logits, targets,
  lengths, blank, zeroInfinity) and recompute every output from them::

      python3 scripts/generate-ctc-golden.py \\
          --from packages/ctc/test-fixtures/ctc-golden.json \\
          --out packages/ctc/test-fixtures/ctc-golden.json

Outputs per case: logProbs = logSoftmax(logits); losses (reduction 'none'); lossSum;
lossMean (PyTorch's 'mean': the batch mean of loss_b / max(targetLength_b, 1)); the
gradients of lossSum and lossMean with respect to the logits, through logSoftmax; and
float32GradError, the largest absolute error of the same two gradients computed by PyTorch's
float32 CPU kernel (the logits cast to float32), over the samples with a finite loss: the
precision a float32 implementation can be held to.
Infinite values are written as the string "Infinity".  Where a loss is infinite and
zeroInfinity is false, PyTorch's gradient for that sample is NaN; it is stored as 0.
"""

import argparse
import json
import math
import os
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        "error: this script needs PyTorch, but 'import torch' failed for %s.\n"
        "Install it with one of:\n"
        "  apt-get install python3-torch   (Debian/Ubuntu package, then run with that python3)\n"
        "  pip install torch               (CPU wheels: pip install torch --index-url "
        "https://download.pytorch.org/whl/cpu)\n" % sys.executable
    )
    sys.exit(1)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "packages", "ctc", "test-fixtures", "ctc-golden.json")

# Key order of a case in the output file.
CASE_KEYS = (
    "name", "T", "B", "V", "blank", "zeroInfinity", "inputLengths", "targetLengths",
    "targets", "logits", "logProbs", "losses", "lossSum", "lossMean",
    "gradMeanLogits", "gradSumLogits", "float32GradError",
)
INPUT_KEYS = CASE_KEYS[:10]

# The cases generated from scratch.  ``seed`` is added to --seed-offset (default 0).
#   scale:    the logits are scale * N(0, 1)
#   targets:  written out by hand; otherwise drawn uniformly from the non-blank labels
#   repeats:  for drawn targets of length >= 4, force a repeated label at both ends
#             (t[1] = t[0] and t[-1] = t[-2]) to exercise the blank-between-repeats rule
#   peak:     plant a confident alignment: add scale * peak to the logit of one class per
#             valid frame, label i of the target at frame floor((i + 0.5) * inputLength / n)
#             and the blank elsewhere (a peaky model, as training produces)
CASE_SPECS = [
    dict(name="single-frame", seed=1, T=1, B=1, V=2, blank=0, zeroInfinity=False,
         inputLengths=[1], targetLengths=[1]),
    dict(name="small", seed=2, T=5, B=2, V=4, blank=0, zeroInfinity=False,
         inputLengths=[5, 5], targetLengths=[2, 1]),
    dict(name="repeated-labels", seed=3, T=6, B=2, V=3, blank=0, zeroInfinity=False,
         inputLengths=[6, 6], targetLengths=[2, 3], targets=[[1, 1], [2, 2, 1]]),
    dict(name="variable-lengths", seed=4, T=20, B=4, V=10, blank=0, zeroInfinity=False,
         inputLengths=[20, 15, 9, 11], targetLengths=[3, 7, 0, 5]),
    dict(name="blank-last", seed=5, T=12, B=3, V=6, blank=5, zeroInfinity=False,
         inputLengths=[12, 12, 12], targetLengths=[4, 2, 3]),
    dict(name="blank-middle", seed=6, T=12, B=3, V=7, blank=3, zeroInfinity=False,
         inputLengths=[12, 12, 12], targetLengths=[4, 2, 5], repeats=True),
    # Sample 0 needs 3 frames (1, blank, 1) but has 2: its loss is infinite.
    dict(name="impossible", seed=7, T=2, B=2, V=3, blank=0, zeroInfinity=False,
         inputLengths=[2, 2], targetLengths=[2, 1], targets=[[1, 1], [2]]),
    dict(name="impossible-zero-infinity", seed=7, T=2, B=2, V=3, blank=0, zeroInfinity=True,
         inputLengths=[2, 2], targetLengths=[2, 1], targets=[[1, 1], [2]]),
    dict(name="empty-target", seed=8, T=7, B=2, V=5, blank=0, zeroInfinity=False,
         inputLengths=[7, 7], targetLengths=[0, 2]),
    dict(name="medium", seed=9, T=50, B=3, V=30, blank=0, zeroInfinity=False,
         inputLengths=[50, 40, 45], targetLengths=[12, 5, 20], repeats=True),
    dict(name="cslr-like", seed=10, T=60, B=2, V=200, blank=0, zeroInfinity=False,
         inputLengths=[60, 52], targetLengths=[15, 9]),
    dict(name="large-logits", seed=11, T=30, B=2, V=8, blank=0, zeroInfinity=False,
         inputLengths=[30, 30], targetLengths=[6, 10], scale=30.0, repeats=True),
    # A peaky, mostly right model with large logits: states differ by e^-100 and more within a
    # frame and the losses reach the hundreds, where float32 log-space sums lose digits.
    dict(name="peaky", seed=14, T=40, B=4, V=12, blank=0, zeroInfinity=False,
         inputLengths=[40, 36, 31, 40], targetLengths=[9, 12, 5, 14], scale=30.0,
         peak=2.0, repeats=True),
]


def build_inputs(spec, seed_offset):
    """Draws one case's inputs from its seed: logits first, then the targets."""
    T, B, V, blank = spec["T"], spec["B"], spec["V"], spec["blank"]
    lengths = spec["targetLengths"]
    gen = torch.manual_seed(spec["seed"] + seed_offset)
    logits = torch.randn(T, B, V, dtype=torch.float64, generator=gen) * spec.get("scale", 1.0)
    if "targets" in spec:
        rows = [list(r) for r in spec["targets"]]
    else:
        # V - 1 non-blank labels: draw in [0, V-1) and skip over the blank.
        flat = torch.randint(0, V - 1, (sum(lengths),), generator=gen)
        flat = (flat + (flat >= blank).long()).tolist()
        rows, start = [], 0
        for n in lengths:
            rows.append(flat[start:start + n])
            start += n
        if spec.get("repeats"):
            for r in rows:
                if len(r) >= 4:
                    r[1] = r[0]
                    r[-1] = r[-2]
    if "peak" in spec:
        bonus = spec["scale"] * spec["peak"]
        for b, (row, frames) in enumerate(zip(rows, spec["inputLengths"])):
            aligned = {int((i + 0.5) * frames / len(row)): label for i, label in enumerate(row)}
            for t in range(frames):
                logits[t, b, aligned.get(t, blank)] += bonus
    width = max(lengths) if lengths else 0
    targets = [r + [-1] * (width - len(r)) for r in rows]
    return {
        "name": spec["name"], "T": T, "B": B, "V": V, "blank": blank,
        "zeroInfinity": spec["zeroInfinity"],
        "inputLengths": list(spec["inputLengths"]), "targetLengths": list(lengths),
        "targets": targets, "logits": logits.tolist(),
    }


def check_inputs(case):
    name = case.get("name", "?")
    missing = [k for k in INPUT_KEYS if k not in case]
    if missing:
        raise ValueError("case %r lacks %s" % (name, ", ".join(missing)))
    T, B, V = case["T"], case["B"], case["V"]
    shape = (len(case["logits"]),
             len(case["logits"][0]) if T else 0,
             len(case["logits"][0][0]) if T and B else 0)
    if shape != (T, B, V):
        raise ValueError("case %r: logits have shape %s, expected %s" % (name, shape, (T, B, V)))
    if len(case["inputLengths"]) != B or len(case["targetLengths"]) != B or len(case["targets"]) != B:
        raise ValueError("case %r: inputLengths, targetLengths and targets need %d entries" % (name, B))
    for b in range(B):
        if not 0 <= case["inputLengths"][b] <= T:
            raise ValueError("case %r: inputLengths[%d] is outside [0, %d]" % (name, b, T))
        n = case["targetLengths"][b]
        if not 0 <= n <= len(case["targets"][b]):
            raise ValueError("case %r: targetLengths[%d] exceeds the target row" % (name, b))
        for label in case["targets"][b][:n]:
            if not 0 <= label < V or label == case["blank"]:
                raise ValueError("case %r: target label %r of sample %d is invalid" % (name, label, b))


def encode(x):
    """A float for JSON: infinities as strings, NaN refused."""
    if math.isnan(x):
        raise ValueError("NaN in the output")
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def compute_outputs(case):
    """Returns the case with its outputs recomputed from its inputs (which are kept)."""
    check_inputs(case)
    B, blank, zero_inf = case["B"], case["blank"], bool(case["zeroInfinity"])
    logits = torch.tensor(case["logits"], dtype=torch.float64).requires_grad_(True)
    # Padding past each target length is never read; use the blank so no -1 reaches torch.
    targets = torch.tensor(
        [[blank if i >= n else t for i, t in enumerate(row)]
         for row, n in zip(case["targets"], case["targetLengths"])],
        dtype=torch.long,
    ).reshape(B, -1)
    input_lengths = torch.tensor(case["inputLengths"], dtype=torch.long)
    target_lengths = torch.tensor(case["targetLengths"], dtype=torch.long)

    def ctc(log_probs, reduction):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths,
                          blank=blank, reduction=reduction, zero_infinity=zero_inf)

    log_probs = F.log_softmax(logits, dim=-1)
    losses = ctc(log_probs, "none")
    loss_sum = losses.sum()
    (grad_sum,) = torch.autograd.grad(loss_sum, logits)

    log_probs = F.log_softmax(logits, dim=-1)
    loss_mean = ctc(log_probs, "mean")
    (grad_mean,) = torch.autograd.grad(loss_mean, logits)

    # A sample with infinite loss (zeroInfinity false) has a NaN gradient: store 0.
    infinite = torch.isinf(losses.detach())
    grad_sum[:, infinite, :] = 0.0
    grad_mean[:, infinite, :] = 0.0
    for name, g in (("gradSumLogits", grad_sum), ("gradMeanLogits", grad_mean)):
        if not torch.isfinite(g).all():
            raise ValueError("case %r: non-finite entries left in %s" % (case["name"], name))

    float32_error = {}
    for name, reduction, reference in (("gradMeanLogits", "mean", grad_mean),
                                       ("gradSumLogits", "sum", grad_sum)):
        logits32 = logits.detach().float().requires_grad_(True)
        loss32 = ctc(F.log_softmax(logits32, dim=-1), reduction)
        (grad32,) = torch.autograd.grad(loss32, logits32)
        error = (grad32.double() - reference)[:, ~infinite, :].abs()
        float32_error[name] = error.max().item() if error.numel() else 0.0

    out = {k: case[k] for k in INPUT_KEYS}
    out["logProbs"] = F.log_softmax(logits.detach(), dim=-1).tolist()
    out["losses"] = [encode(x) for x in losses.detach().tolist()]
    out["lossSum"] = encode(loss_sum.item())
    out["lossMean"] = encode(loss_mean.item())
    out["gradMeanLogits"] = grad_mean.tolist()
    out["gradSumLogits"] = grad_sum.tolist()
    out["float32GradError"] = float32_error
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Generate golden CTC loss values and gradients with PyTorch (float64).")
    parser.add_argument("--from", dest="source", metavar="FILE",
                        help="recompute the outputs from the inputs stored in FILE "
                             "instead of generating the cases from scratch")
    parser.add_argument("--out", metavar="FILE", default=DEFAULT_OUT,
                        help="where to write the JSON ('-' for stdout; default: %s)"
                             % os.path.relpath(DEFAULT_OUT, REPO_ROOT))
    parser.add_argument("--seed-offset", type=int, default=0,
                        help="added to every case's fixed seed when generating from "
                             "scratch (default 0 reproduces the committed inputs)")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)  # keep the summation order, and so the last bits, stable
    if args.source:
        with open(args.source, "r", encoding="utf-8") as f:
            cases_in = json.load(f)["cases"]
    else:
        cases_in = [build_inputs(spec, args.seed_offset) for spec in CASE_SPECS]

    data = {
        "source": "torch.nn.functional.ctc_loss, torch %s, float64" % torch.__version__,
        "cases": [compute_outputs(c) for c in cases_in],
    }
    text = json.dumps(data, allow_nan=False)
    if args.out == "-":
        sys.stdout.write(text + "\n")
    else:
        out_dir = os.path.dirname(os.path.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.out)
        sys.stderr.write("wrote %d cases to %s\n" % (len(data["cases"]), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
