"""The MobileNetV3 student of ``@slr/models-mobilenetv3``, in PyTorch.

:class:`MobileNetV3Student` (built by :func:`build_mobilenet_v3_student`) runs torchvision's
``mobilenet_v3_large`` / ``mobilenet_v3_small`` ``features`` on every frame (state-dict names
``features.0.0.weight`` …, torchvision's), then the temporal head, the bidirectional LSTM, the
classifier and log-softmax of ``buildMobileNetV3Student``: time-major ``[T', B, V]``
log-probabilities, with ``output_lengths``.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models import mobilenet_v3_large, mobilenet_v3_small

from ._checks import (
    ArgumentError,
    check_integer,
    check_number,
    check_one_of,
    is_integer,
    lengths_list,
)
from .layers import (
    KerasBatchNorm1d,
    KerasBatchNorm2d,
    KerasLSTM,
    glorot_uniform_,
    keras_to_torch_momentum,
    tf_same_padding,
)

__all__ = [
    "TemporalOp",
    "TemporalHeadSpec",
    "parse_temporal_head",
    "temporal_output_length",
    "mobilenet_v3_features",
    "TemporalConv",
    "MobileNetV3Student",
    "build_mobilenet_v3_student",
]

#: One op of a temporal head, as the JS ``TemporalOp`` in snake_case:
#: ``{"type": "conv", "kernel_size": k, "padding": "valid" | "same"}`` or
#: ``{"type": "pool", "size": p, "stride": s}``.
TemporalOp = Dict[str, Any]
#: ``'K5-P2-K5-P2'``-style string, ``'none'`` / ``''``, or a sequence of :data:`TemporalOp`.
TemporalHeadSpec = Union[str, Sequence[Mapping[str, Any]]]


def _parse(fn: str, argument: str, spec: Any) -> List[TemporalOp]:
    """``parseTemporalHeadFor`` of the JS: the head's ops, checked; errors name ``fn``."""
    if isinstance(spec, str):
        text = spec.strip()
        if text == "" or text.lower() == "none":
            return []
        raw: List[Any] = []
        for i, token in enumerate(text.split("-")):
            match = re.fullmatch(r"([KkPp])(\d+)", token.strip())
            if match is None:
                rule = (
                    "be made of K<kernel> and P<pool> tokens joined by '-' (e.g. 'K5-P2-K5-P2')"
                )
                actual = f"'{spec}' (token {i + 1}, '{token}', is neither)"
                raise ArgumentError(fn, argument, rule, spec, actual)
            n = int(match.group(2))
            raw.append(
                {"type": "conv", "kernel_size": n}
                if match.group(1).upper() == "K"
                else {"type": "pool", "size": n}
            )
    elif isinstance(spec, (list, tuple)):
        raw = list(spec)
    else:
        rule = "be a string such as 'K5-P2-K5-P2' or a list of operations"
        raise ArgumentError(fn, argument, rule, spec)
    ops: List[TemporalOp] = []
    for i, op in enumerate(raw):
        at = f"{argument}[{i}]"
        kind = op.get("type") if isinstance(op, Mapping) else None
        if kind == "conv":
            kernel = check_integer(fn, f"{at}.kernel_size", op.get("kernel_size"), 1)
            padding = check_one_of(
                fn, f"{at}.padding", op.get("padding", "valid"), ("valid", "same")
            )
            ops.append({"type": "conv", "kernel_size": kernel, "padding": padding})
        elif kind == "pool":
            size = check_integer(fn, f"{at}.size", op.get("size"), 1)
            stride = check_integer(fn, f"{at}.stride", op.get("stride", size), 1)
            ops.append({"type": "pool", "size": size, "stride": stride})
        else:
            raise ArgumentError(fn, at, "be an operation of type 'conv' or 'pool'", op)
    return ops


def parse_temporal_head(spec: TemporalHeadSpec) -> List[TemporalOp]:
    """The ops of a temporal head (``parseTemporalHead`` of the JS).

    >>> for op in parse_temporal_head("K5-P2"):
    ...     print(op)
    {'type': 'conv', 'kernel_size': 5, 'padding': 'valid'}
    {'type': 'pool', 'size': 2, 'stride': 2}
    """
    return _parse("parse_temporal_head", "spec", spec)


def _length_after(length: int, ops: Sequence[TemporalOp]) -> int:
    t = length
    for op in ops:
        if op["type"] == "conv":
            if op["padding"] != "same":
                t = t - op["kernel_size"] + 1 if t >= op["kernel_size"] else 0
        else:
            t = (t - op["size"]) // op["stride"] + 1 if t >= op["size"] else 0
    return t


def temporal_output_length(length: int, spec: TemporalHeadSpec) -> int:
    """Frames left after a temporal head (``temporalOutputLength`` of the JS): a valid
    convolution of kernel k gives ``T - k + 1``, a same one ``T``, a max pooling
    ``floor((T - p) / s) + 1``; 0 once too few frames are left.

    >>> temporal_output_length(32, "K5-P2-K5-P2"), temporal_output_length(17, "K5-P2-K5-P2")
    (5, 1)
    """
    fn = "temporal_output_length"
    return _length_after(check_integer(fn, "length", length, 0), _parse(fn, "spec", spec))


def _minimum_frames(ops: Sequence[TemporalOp]) -> int:
    t = 1
    while _length_after(t, ops) < 1:
        t += 1
    return t


def mobilenet_v3_features(
    variant: str, width_multiplier: float = 1.0, batch_norm_momentum: float = 0.99
) -> nn.Sequential:
    """torchvision's MobileNetV3 ``features`` with the JS model's batch norm.

    ``torchvision.models.mobilenet_v3_{variant}(width_mult=width_multiplier, norm_layer=...)``
    ``.features``: the state-dict names and widths are torchvision's (2,971,952 parameters for
    Large, 927,008 for Small at width 1); its ``nn.BatchNorm2d(eps=0.001, momentum=0.01)``
    becomes :class:`~slr_torch.layers.KerasBatchNorm2d` with the same epsilon and
    ``momentum = 1 - batch_norm_momentum`` (Keras convention, as the JS option).
    """
    fn = "mobilenet_v3_features"
    check_one_of(fn, "variant", variant, ("large", "small"))
    check_number(fn, "width_multiplier", width_multiplier, 0, minimum_exclusive=True)
    check_number(fn, "batch_norm_momentum", batch_norm_momentum, 0, 1)
    return _features(variant, width_multiplier, batch_norm_momentum)


def _features(variant: str, width: float, momentum: float) -> nn.Sequential:
    norm = partial(KerasBatchNorm2d, eps=1e-3, momentum=keras_to_torch_momentum(momentum))
    build = mobilenet_v3_large if variant == "large" else mobilenet_v3_small
    return build(width_mult=width, norm_layer=norm).features


class TemporalConv(nn.Module):
    """A ``K<k>`` op: ``conv`` (``nn.Conv1d`` without bias; ``'same'`` pads as TensorFlow
    does, the odd frame at the end) → ``bn`` (:class:`~slr_torch.layers.KerasBatchNorm1d`,
    epsilon 1e-5, PyTorch momentum 0.1 = the JS's Keras 0.9) → ReLU, on ``[B, C, T]``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: str) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.padding = padding
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, bias=False)
        nn.init.kaiming_normal_(self.conv.weight, mode="fan_out", nonlinearity="relu")
        self.bn = KerasBatchNorm1d(out_channels, eps=1e-5, momentum=0.1)

    def forward(self, x: Tensor) -> Tensor:
        if self.padding == "same":
            x = F.pad(x, tf_same_padding(int(x.shape[-1]), self.kernel_size, 1))
        return F.relu(self.bn(self.conv(x)))


class MobileNetV3Student(nn.Module):
    """The MobileNetV3 student of ``buildMobileNetV3Student``: ``[T', B, V]`` log-probabilities.

    ``student(videos)`` takes the JS model's tensor, channels-last ``[B, T, H, W, C]``. Inside:
    frames folded into the batch, ``features`` (:func:`mobilenet_v3_features`; batch norm over
    all B·T frames) → mean over space → ``[B, T, C]`` → ``temporal.{i}`` for op i of the head
    (:class:`TemporalConv` or ``nn.MaxPool1d``) → ``lstm`` (:class:`~slr_torch.layers.KerasLSTM`,
    one bidirectional layer; left out with ``lstm_units=0``) → dropout (training) →
    ``classifier`` (``nn.Linear``) → log-softmax, transposed to time-major.

    Options are ``buildMobileNetV3Student``'s in snake_case with the same defaults
    (``temporal_head`` ``'K5-P2-K5-P2'``, ``temporal_channels`` 512, ``lstm_units`` 256,
    ``dropout`` 0.1, ``batch_norm_momentum`` 0.99). ``seed`` makes the initialisation
    repeatable (PyTorch's generator: not the JS model's numbers).
    """

    def __init__(
        self,
        num_classes: int,
        input_shape: Sequence[Optional[int]],
        variant: str,
        *,
        width_multiplier: float = 1.0,
        temporal_head: TemporalHeadSpec = "K5-P2-K5-P2",
        temporal_channels: int = 512,
        lstm_units: int = 256,
        dropout: float = 0.1,
        seed: Optional[int] = None,
        batch_norm_momentum: float = 0.99,
        name: Optional[str] = None,
        _caller: str = "MobileNetV3Student",
    ) -> None:
        super().__init__()
        fn = _caller
        self.num_classes = check_integer(fn, "num_classes", num_classes, 2)
        self.variant = check_one_of(fn, "variant", variant, ("large", "small"))
        width = check_number(fn, "width_multiplier", width_multiplier, 0, minimum_exclusive=True)
        momentum = check_number(fn, "batch_norm_momentum", batch_norm_momentum, 0, 1)
        rule = (
            "be [T, H, W, C] of positive integers (T may be None for any length; H and W are known)"
        )
        shape_ok = (
            isinstance(input_shape, (list, tuple))
            and len(input_shape) == 4
            and all(is_integer(d) and d >= 1 for d in input_shape[1:])
            and (input_shape[0] is None or (is_integer(input_shape[0]) and input_shape[0] >= 1))
        )
        if not shape_ok:
            raise ArgumentError(fn, "input_shape", rule, input_shape)
        self.input_shape = tuple(None if d is None else int(d) for d in input_shape)
        self.ops = _parse(fn, "temporal_head", temporal_head)
        self.min_frames = _minimum_frames(self.ops)
        frames = self.input_shape[0]
        if frames is not None and _length_after(frames, self.ops) < 1:
            rule = f"have T ≥ {self.min_frames}: the temporal head leaves no frame of fewer"
            raise ArgumentError(fn, "input_shape", rule, input_shape, f"T = {frames}")
        temporal_channels = check_integer(fn, "temporal_channels", temporal_channels, 1)
        self.lstm_units = check_integer(fn, "lstm_units", lstm_units, 0)
        self.dropout = check_number(fn, "dropout", dropout, 0, 1, maximum_exclusive=True)
        if seed is not None:
            check_integer(fn, "seed", seed)
        self.name = name if name is not None else f"mobilenet_v3_{variant}_student"

        with torch.random.fork_rng(devices=[], enabled=seed is not None):
            if seed is not None:
                torch.manual_seed(seed)
            self.features = _features(self.variant, width, momentum)
            channels = _last_channels(self.features)
            self.temporal = nn.ModuleList()
            for op in self.ops:
                if op["type"] == "conv":
                    self.temporal.append(
                        TemporalConv(channels, temporal_channels, op["kernel_size"], op["padding"])
                    )
                    channels = temporal_channels
                else:
                    self.temporal.append(nn.MaxPool1d(op["size"], op["stride"]))
            self.lstm: Optional[KerasLSTM] = None
            if self.lstm_units > 0:
                self.lstm = KerasLSTM(channels, self.lstm_units)
                channels = 2 * self.lstm_units
            self.classifier = nn.Linear(channels, self.num_classes)
            glorot_uniform_(self.classifier.weight)
            nn.init.zeros_(self.classifier.bias)

    def forward(self, videos: Tensor) -> Tensor:
        """``[B, T, H, W, C]`` → ``[T', B, V]`` log-probabilities."""
        fn = "MobileNetV3Student.forward"
        if not isinstance(videos, Tensor) or videos.dim() != 5:
            raise ArgumentError(fn, "videos", "be a tensor [B, T, H, W, C]", videos)
        for axis, expected in zip(range(1, 5), self.input_shape):
            if expected is not None and videos.shape[axis] != expected:
                rule = f"match input_shape {list(self.input_shape)} (as [B, T, H, W, C])"
                raise ArgumentError(fn, "videos", rule, videos)
        batch, frames, height, width, channels = videos.shape
        if frames < self.min_frames:
            rule = f"have T ≥ {self.min_frames} frames (the temporal head leaves none of fewer)"
            raise ArgumentError(fn, "videos", rule, videos, f"T = {frames}")
        x = videos.reshape(batch * frames, height, width, channels).permute(0, 3, 1, 2)
        x = self.features(x).mean(dim=(2, 3))  # [B·T, C]
        x = x.reshape(batch, frames, -1).transpose(1, 2)  # [B, C, T]
        for op in self.temporal:
            x = op(x)
        x = x.transpose(1, 2)  # [B, T', C]
        if self.lstm is not None:
            x = self.lstm(x)
        if self.training and self.dropout > 0:
            x = F.dropout(x, self.dropout, training=True)
        return F.log_softmax(self.classifier(x), dim=-1).transpose(0, 1)

    def output_lengths(self, input_lengths: Any) -> List[int]:
        """Valid frames after the temporal head, per clip (exactly what ``forward`` gives)."""
        lengths = lengths_list("MobileNetV3Student.output_lengths", input_lengths)
        return [_length_after(length, self.ops) for length in lengths]


def _last_channels(features: nn.Sequential) -> int:
    convs = [m for m in features.modules() if isinstance(m, nn.Conv2d)]
    return int(convs[-1].out_channels)


def build_mobilenet_v3_student(
    num_classes: int, input_shape: Sequence[Optional[int]], variant: str, **options: Any
) -> MobileNetV3Student:
    """``buildMobileNetV3Student`` in PyTorch: ``MobileNetV3Student(num_classes, input_shape,
    variant, **options)``.

    >>> student = build_mobilenet_v3_student(6, [None, 32, 32, 3], "small",
    ...     width_multiplier=0.25, temporal_head="K3-P2", temporal_channels=16, lstm_units=16)
    >>> student.eval()(torch.rand(2, 8, 32, 32, 3)).shape
    torch.Size([3, 2, 6])
    """
    return MobileNetV3Student(
        num_classes, input_shape, variant, **options, _caller="build_mobilenet_v3_student"
    )
