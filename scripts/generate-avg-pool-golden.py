#!/usr/bin/env python3
"""Generate the average-pooling gradients that @slr/layers' tests compare tfjs against.

Writes packages/layers/test-fixtures/avg-pool-grad.json (``--out -`` writes to stdout)::

    pnpm fixtures:avg-pool   (/usr/bin/python3 scripts/generate-avg-pool-golden.py)

Average pooling here is TensorFlow's, and tfjs's forward pass: each output is the mean of the
input elements its window covers, padding left out of the count (PyTorch's
``count_include_pad=False``). Output sizes and the padding before the first element follow
tfjs (``backend_util.computePool2DInfo`` / ``computePool3DInfo``): 'same' gives ceil(in / s)
outputs and puts the odd padding element at the end; 'valid' gives ceil((in - f + 1) / s); a
number p pads p on both sides and gives round((in - f + 2p) / s + 1) outputs, rounded by
``dimRoundingMode`` (truncated when there is none).

Each case's reference is the mean of every window written out one window at a time, in
float64, and its gradient is PyTorch's autograd of sum(y * dy). PyTorch's own pooling must
agree, values and gradients: ``avg_pool2d``/``avg_pool3d`` with ``count_include_pad=False``
where the padding is symmetric and at most half the window, else the window sums of the
zero-padded input over the window sums of the padded ones (``divisor_override=1``).

Each case: name, op ('averagePooling1d' is tf.layers.averagePooling1d on [B, T, C]; 'avgPool'
is tf.avgPool on NHWC; 'avgPool3d' is tf.avgPool3d on NDHWC), xShape, filterSize, strides, pad,
dimRoundingMode (or null), x and dy (inputs, flattened row-major), yShape, y = the pooled x and
dx = d sum(y * dy) / dx (flattened).
"""

import argparse
import itertools
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
        "Install it with 'apt-get install python3-torch' (then run /usr/bin/python3) or "
        "'pip install torch'.\n" % sys.executable
    )
    sys.exit(1)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "packages", "layers", "test-fixtures", "avg-pool-grad.json")

# xShape is channels-last: [B, T, C] for averagePooling1d, NHWC, NDHWC.
CASES = [
    # The I3D teacher's pose stream: poolSize = strides = temporal stride, 'same'.
    dict(name="1d-T13-stride4", op="averagePooling1d", xShape=[2, 13, 3], filterSize=[4],
         strides=[4], pad="same"),
    dict(name="1d-T16-stride4", op="averagePooling1d", xShape=[1, 16, 2], filterSize=[4],
         strides=[4], pad="same"),
    dict(name="1d-T9-stride2", op="averagePooling1d", xShape=[1, 9, 2], filterSize=[2],
         strides=[2], pad="same"),
    dict(name="1d-T7-window2-stride3", op="averagePooling1d", xShape=[1, 7, 1], filterSize=[2],
         strides=[3], pad="same"),
    dict(name="2d-same-3x3-stride1", op="avgPool", xShape=[1, 5, 6, 2], filterSize=[3, 3],
         strides=[1, 1], pad="same"),
    dict(name="2d-same-3x2-stride2", op="avgPool", xShape=[2, 5, 7, 2], filterSize=[3, 2],
         strides=[2, 2], pad="same"),
    dict(name="2d-same-2x3-stride3", op="avgPool", xShape=[1, 7, 8, 1], filterSize=[2, 3],
         strides=[3, 3], pad="same"),
    dict(name="2d-valid-3x3-stride2", op="avgPool", xShape=[1, 8, 7, 1], filterSize=[3, 3],
         strides=[2, 2], pad="valid"),
    dict(name="2d-pad1-3x3-stride1", op="avgPool", xShape=[1, 5, 5, 2], filterSize=[3, 3],
         strides=[1, 1], pad=1),
    dict(name="2d-pad1-3x3-stride2-ceil", op="avgPool", xShape=[1, 6, 6, 1],
         filterSize=[3, 3], strides=[2, 2], pad=1, dimRoundingMode="ceil"),
    dict(name="3d-same-3x2x2-stride2x2x1", op="avgPool3d", xShape=[1, 5, 4, 3, 2],
         filterSize=[3, 2, 2], strides=[2, 2, 1], pad="same"),
    dict(name="3d-same-3x3x3-stride3x1x2", op="avgPool3d", xShape=[1, 7, 5, 4, 1],
         filterSize=[3, 3, 3], strides=[3, 1, 2], pad="same"),
    dict(name="3d-pad1-3x3x3-stride2", op="avgPool3d", xShape=[1, 4, 5, 4, 1],
         filterSize=[3, 3, 3], strides=[2, 2, 2], pad=1),
]


def rounded(value, mode):
    if mode is None:
        return math.trunc(value)
    return {"round": round, "ceil": math.ceil, "floor": math.floor}[mode](value)


def geometry(size, f, s, pad, mode):
    """(outputs, padding before the first element) along one axis, as tfjs computes them."""
    if pad == "same":
        out = -(-size // s)
        return out, max(0, (out - 1) * s + f - size) // 2
    if pad == "valid":
        return -(-(size - f + 1) // s), 0
    return rounded((size - f + 2 * pad) / s + 1, mode), pad


def reference(x, geom, filters, strides):
    """Mean of each window's valid elements, one window at a time. x: [B, *spatial, C]."""
    spatial = x.shape[1:-1]
    outs = [out for out, _ in geom]
    y = torch.zeros((x.shape[0], *outs, x.shape[-1]), dtype=x.dtype)
    for index in itertools.product(*[range(out) for out in outs]):
        window = []
        for axis, o in enumerate(index):
            start = o * strides[axis] - geom[axis][1]
            lo, hi = max(0, start), min(spatial[axis], start + filters[axis])
            assert hi > lo, "a window wholly in the padding"
            window.append(slice(lo, hi))
        cells = x[(slice(None), *window, slice(None))]
        y[(slice(None), *index, slice(None))] = cells.mean(dim=tuple(range(1, len(index) + 1)))
    return y


def torch_pool(x, geom, spec):
    """PyTorch's own pooling of x, or None where it cannot express the case.

    Symmetric padding of at most half the window: ``avg_pool2d``/``avg_pool3d`` with
    ``count_include_pad=False``. Otherwise: the window sums of the zero-padded input over the
    window sums of the padded ones (``divisor_override=1``), which is the same definition.
    """
    filters, strides = list(spec["filterSize"]), list(spec["strides"])
    spatial = x.shape[1:-1]
    before = [b for _, b in geom]
    after = [max(0, (out - 1) * s + f - size - b)
             for (out, b), f, s, size in zip(geom, filters, strides, spatial)]
    channels_first = x.movedim(-1, 1)
    if len(filters) == 1:
        channels_first = channels_first.unsqueeze(-1)
        filters, strides, before, after = filters + [1], strides + [1], before + [0], after + [0]
    pool = F.avg_pool2d if len(filters) == 2 else F.avg_pool3d
    symmetric = before == after and all(b <= f // 2 for b, f in zip(before, filters))
    if symmetric:
        y = pool(channels_first, filters, strides, before, count_include_pad=False)
    else:
        widths = [w for b, a in reversed(list(zip(before, after))) for w in (b, a)]
        padded = F.pad(channels_first, widths)
        ones = F.pad(torch.ones_like(channels_first), widths)
        y = (pool(padded, filters, strides, divisor_override=1)
             / pool(ones, filters, strides, divisor_override=1))
    if len(spec["filterSize"]) == 1:
        y = y.squeeze(-1)
    y = y.movedim(1, -1)
    return y if list(y.shape[1:-1]) == [out for out, _ in geom] else None


def flat(tensor):
    return [float("%.10g" % v) for v in tensor.reshape(-1).tolist()]


def build(spec):
    shape = spec["xShape"]
    filters, strides = spec["filterSize"], spec["strides"]
    geom = [geometry(size, f, s, spec["pad"], spec.get("dimRoundingMode"))
            for size, f, s in zip(shape[1:-1], filters, strides)]
    n = math.prod(shape)
    x = torch.sin(0.37 * torch.arange(n, dtype=torch.float64) + 0.1).reshape(shape)
    x.requires_grad_(True)
    y = reference(x, geom, filters, strides)
    m = y.numel()
    dy = (torch.cos(0.61 * torch.arange(m, dtype=torch.float64) + 0.3) + 0.5).reshape(y.shape)
    (dx,) = torch.autograd.grad((y * dy).sum(), x)

    native_x = x.detach().clone().requires_grad_(True)
    native = torch_pool(native_x, geom, spec)
    assert native is not None, "%s: PyTorch's pooling gives other output sizes" % spec["name"]
    (native_dx,) = torch.autograd.grad((native * dy).sum(), native_x)
    assert torch.allclose(native, y, atol=1e-12), spec["name"]
    assert torch.allclose(native_dx, dx, atol=1e-12), spec["name"]

    return {
        "name": spec["name"], "op": spec["op"], "xShape": shape, "filterSize": filters,
        "strides": strides, "pad": spec["pad"], "dimRoundingMode": spec.get("dimRoundingMode"),
        "x": flat(x.detach()), "dy": flat(dy), "yShape": list(y.shape), "y": flat(y.detach()),
        "dx": flat(dx),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output file, or - for stdout")
    args = parser.parse_args()
    data = {
        "source": "PyTorch %s, float64, scripts/generate-avg-pool-golden.py" % torch.__version__,
        "cases": [build(spec) for spec in CASES],
    }
    text = json.dumps(data, separators=(",", ":")) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as handle:
            handle.write(text)
    sys.stderr.write("%d cases, each checked against PyTorch's pooling\n" % len(data["cases"]))


if __name__ == "__main__":
    main()
