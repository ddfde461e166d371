"""The ``>>>`` examples in the package's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import unittest

import _support  # noqa: F401  (sys.path, threads)
import torch

import slr_torch.i3d
import slr_torch.layers
import slr_torch.mobilenetv3


def load_tests(
    loader: unittest.TestLoader, tests: unittest.TestSuite, pattern: object
) -> unittest.TestSuite:
    for module in (slr_torch.layers, slr_torch.i3d, slr_torch.mobilenetv3):
        tests.addTests(doctest.DocTestSuite(module, extraglobs={"torch": torch}))
    return tests
