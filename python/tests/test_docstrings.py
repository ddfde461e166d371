"""The ``>>>`` examples in the package's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import unittest

import _support  # noqa: F401  (sys.path, threads)
import torch

import slr_torch.i3d
import slr_torch.layers
import slr_torch.mobilenetv3
import slr_torch.phoenix
import slr_torch.safetensors_io
import slr_torch.train_ddp


def load_tests(
    loader: unittest.TestLoader, tests: unittest.TestSuite, pattern: object
) -> unittest.TestSuite:
    modules = (
        slr_torch.layers,
        slr_torch.i3d,
        slr_torch.mobilenetv3,
        slr_torch.phoenix,
        slr_torch.safetensors_io,
        slr_torch.train_ddp,
    )
    for module in modules:
        tests.addTests(doctest.DocTestSuite(module, extraglobs={"torch": torch}))
    return tests
