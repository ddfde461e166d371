"""piergiaj/pytorch-i3d's ``InceptionI3d`` (``pytorch_i3d.py``), for the parity tests of @slr/interop.

pytorch-i3d is not a package that can be installed, so this file rebuilds its network with the
same modules, the same state-dict names and the same computation:

- ``Unit3D``: ``conv3d`` (``nn.Conv3d`` without padding, bias only for the logits), then ``bn``
  (``nn.BatchNorm3d(eps=0.001, momentum=0.01)``) and ReLU; the input is padded in ``forward``
  as TensorFlow's ``'same'`` pads it (``compute_pad``: ``max(k - s, 0)`` when the size divides
  by the stride, else ``max(k - size % s, 0)``; the smaller half first);
- ``MaxPool3dSamePadding``: the same padding (with zeros, as ``F.pad``), then ``nn.MaxPool3d``;
- ``InceptionModule``: branches ``b0``; ``b1a`` → ``b1b``; ``b2a`` → ``b2b``; ``b3a`` (3×3×3
  max-pool) → ``b3b``, concatenated;
- ``InceptionI3d``: the end points ``Conv3d_1a_7x7`` … ``Mixed_5c`` as attributes of those
  names, then ``avg_pool`` (``nn.AvgPool3d([2, 7, 7], (1, 1, 1))``), ``dropout``
  (``nn.Dropout(dropout_keep_prob)``, 0.5) and ``logits`` (a 1×1×1 ``Unit3D`` with bias, no
  BatchNorm, no activation), and ``spatial_squeeze`` (``x.squeeze(3).squeeze(3)``).

One addition, for tests only: ``width`` scales every channel count as ``@slr/models-i3d``'s
``widthMultiplier`` does (``max(min_channels, round(c * width))``) so that a test can run the
network at 224×224 quickly. ``width=1`` (the default) is pytorch-i3d's network.
"""

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

ENDPOINTS = (
    "Conv3d_1a_7x7",
    "MaxPool3d_2a_3x3",
    "Conv3d_2b_1x1",
    "Conv3d_2c_3x3",
    "MaxPool3d_3a_3x3",
    "Mixed_3b",
    "Mixed_3c",
    "MaxPool3d_4a_3x3",
    "Mixed_4b",
    "Mixed_4c",
    "Mixed_4d",
    "Mixed_4e",
    "Mixed_4f",
    "MaxPool3d_5a_2x2",
    "Mixed_5b",
    "Mixed_5c",
)

# Inception widths: b0, b1a, b1b, b2a, b2b, b3b.
MIXED = {
    "Mixed_3b": (64, 96, 128, 16, 32, 32),
    "Mixed_3c": (128, 128, 192, 32, 96, 64),
    "Mixed_4b": (192, 96, 208, 16, 48, 64),
    "Mixed_4c": (160, 112, 224, 24, 64, 64),
    "Mixed_4d": (128, 128, 256, 24, 64, 64),
    "Mixed_4e": (112, 144, 288, 32, 64, 64),
    "Mixed_4f": (256, 160, 320, 32, 128, 128),
    "Mixed_5b": (256, 160, 320, 32, 128, 128),
    "Mixed_5c": (384, 192, 384, 48, 128, 128),
}


def _same_pad(size: int, kernel: int, stride: int) -> Tuple[int, int]:
    """TensorFlow's 'same' padding of one axis, as pytorch-i3d's ``compute_pad``."""
    total = max(kernel - stride, 0) if size % stride == 0 else max(kernel - size % stride, 0)
    return total // 2, total - total // 2


def _pad(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int]) -> torch.Tensor:
    t, h, w = x.shape[2:]
    pads: List[int] = []
    for size, k, s in ((w, kernel[2], stride[2]), (h, kernel[1], stride[1]), (t, kernel[0], stride[0])):
        pads.extend(_same_pad(size, k, s))
    return F.pad(x, pads)


class MaxPool3dSamePadding(nn.MaxPool3d):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(_pad(x, self.kernel_size, self.stride))


class Unit3D(nn.Module):
    def __init__(
        self,
        in_channels: int,
        output_channels: int,
        kernel_shape: Sequence[int] = (1, 1, 1),
        stride: Sequence[int] = (1, 1, 1),
        activation_fn=F.relu,
        use_batch_norm: bool = True,
        use_bias: bool = False,
    ) -> None:
        super().__init__()
        self._kernel_shape = tuple(kernel_shape)
        self._stride = tuple(stride)
        self._activation_fn = activation_fn
        self._use_batch_norm = use_batch_norm
        self.conv3d = nn.Conv3d(
            in_channels, output_channels, self._kernel_shape, self._stride, padding=0, bias=use_bias
        )
        if use_batch_norm:
            self.bn = nn.BatchNorm3d(output_channels, eps=0.001, momentum=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3d(_pad(x, self._kernel_shape, self._stride))
        if self._use_batch_norm:
            x = self.bn(x)
        if self._activation_fn is not None:
            x = self._activation_fn(x)
        return x


class InceptionModule(nn.Module):
    def __init__(self, in_channels: int, widths: Sequence[int]) -> None:
        super().__init__()
        b0, b1a, b1b, b2a, b2b, b3b = widths
        self.b0 = Unit3D(in_channels, b0)
        self.b1a = Unit3D(in_channels, b1a)
        self.b1b = Unit3D(b1a, b1b, (3, 3, 3))
        self.b2a = Unit3D(in_channels, b2a)
        self.b2b = Unit3D(b2a, b2b, (3, 3, 3))
        self.b3a = MaxPool3dSamePadding(kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=0)
        self.b3b = Unit3D(in_channels, b3b)
        self.out_channels = b0 + b1b + b2b + b3b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], dim=1
        )


class InceptionI3d(nn.Module):
    """Inception-v1 I3D (Carreira & Zisserman 2017) as pytorch-i3d builds it, up to its logits."""

    def __init__(
        self,
        num_classes: int = 400,
        spatial_squeeze: bool = True,
        in_channels: int = 3,
        dropout_keep_prob: float = 0.5,
        width: float = 1.0,
        min_channels: int = 4,
    ) -> None:
        super().__init__()
        self._spatial_squeeze = spatial_squeeze

        def ch(channels: int) -> int:
            return channels if width == 1 else max(min_channels, int(channels * width + 0.5))

        pool = MaxPool3dSamePadding
        self.Conv3d_1a_7x7 = Unit3D(in_channels, ch(64), (7, 7, 7), (2, 2, 2))
        self.MaxPool3d_2a_3x3 = pool(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=0)
        self.Conv3d_2b_1x1 = Unit3D(ch(64), ch(64))
        self.Conv3d_2c_3x3 = Unit3D(ch(64), ch(192), (3, 3, 3))
        self.MaxPool3d_3a_3x3 = pool(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=0)
        channels = ch(192)
        for name in ENDPOINTS[5:]:
            if name == "MaxPool3d_4a_3x3":
                module: nn.Module = pool(kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=0)
            elif name == "MaxPool3d_5a_2x2":
                module = pool(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=0)
            else:
                module = InceptionModule(channels, [ch(c) for c in MIXED[name]])
                channels = module.out_channels
            self.add_module(name, module)
        self.avg_pool = nn.AvgPool3d(kernel_size=(2, 7, 7), stride=(1, 1, 1))
        self.dropout = nn.Dropout(dropout_keep_prob)
        self.logits = Unit3D(
            channels, num_classes, activation_fn=None, use_batch_norm=False, use_bias=True
        )

    def extract_mixed_5c(self, x: torch.Tensor) -> torch.Tensor:
        """The end points in order: ``Mixed_5c``'s output ``[B, C, T', H', W']``."""
        for name in ENDPOINTS:
            x = self._modules[name](x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.logits(self.dropout(self.avg_pool(self.extract_mixed_5c(x))))
        if self._spatial_squeeze:
            return x.squeeze(3).squeeze(3)
        return x
