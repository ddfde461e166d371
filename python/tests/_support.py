"""Shared set-up of the tests: ``slr_torch`` importable, one thread, helpers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Tuple

import torch
from torch import nn

PYTHON_ROOT = Path(__file__).resolve().parents[1]
if str(PYTHON_ROOT) not in sys.path:
    sys.path.insert(0, str(PYTHON_ROOT))

# Small inputs, busy machines: one thread is faster than contention.
torch.set_num_threads(1)


def parameter_counts(module: nn.Module) -> Tuple[int, int]:
    """(trainable parameters, moving statistics): the JS models' trainable and non-trainable
    weight counts (``num_batches_tracked`` has no tfjs counterpart and is left out)."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    statistics = sum(
        b.numel()
        for name, b in module.named_buffers()
        if name.endswith(("running_mean", "running_var"))
    )
    return trainable, statistics
