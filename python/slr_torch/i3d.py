"""The I3D backbone and the I3D teacher of ``@slr/models-i3d``, in PyTorch.

:class:`InceptionI3d` is laid out and named as piergiaj's pytorch-i3d (``Conv3d_1a_7x7.conv3d
.weight``, ``Mixed_3b.b1a.bn.running_var``, ``logits.conv3d.bias`` …), with TensorFlow's
``'same'`` padding computed from each input's size, and takes the options of
``buildI3DBackbone`` (width multiplier, normalisation, temporal stride…). :class:`I3DTeacher`
(built by :func:`build_i3d_teacher`) is ``buildI3DTeacher``'s model: video (and pose) in,
time-major ``[T', B, V]`` log-probabilities out, with ``output_lengths``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import (
    ArgumentError,
    check_integer,
    check_number,
    check_one_of,
    is_integer,
    lengths_list,
)
from .layers import (
    CrossAttention,
    KerasBatchNorm3d,
    KerasLSTM,
    glorot_uniform_,
    keras_to_torch_momentum,
    pad_same,
    same_avg_pool1d,
)

__all__ = [
    "I3DInceptionBlock",
    "I3D_INCEPTION_BLOCKS",
    "scale_channels",
    "i3d_temporal_strides",
    "i3d_output_lengths",
    "Unit3D",
    "MaxPool3dSamePadding",
    "InceptionModule",
    "InceptionI3d",
    "build_i3d_backbone",
    "I3DPoseOptions",
    "PoseStream",
    "I3DTeacher",
    "build_i3d_teacher",
]

InputShape = Sequence[Optional[int]]
Triple = Tuple[int, int, int]


class I3DInceptionBlock(NamedTuple):
    """Widths of one Inception (Mixed) block at width 1 (``I3D_INCEPTION_BLOCKS`` of the JS)."""

    name: str
    b0: int
    b1a: int
    b1b: int
    b2a: int
    b2b: int
    b3: int


#: The nine Inception blocks of I3D, in order (output channels 256, 480, 512, 512, 512, 528,
#: 832, 832, 1024).
I3D_INCEPTION_BLOCKS: Tuple[I3DInceptionBlock, ...] = (
    I3DInceptionBlock("Mixed_3b", 64, 96, 128, 16, 32, 32),
    I3DInceptionBlock("Mixed_3c", 128, 128, 192, 32, 96, 64),
    I3DInceptionBlock("Mixed_4b", 192, 96, 208, 16, 48, 64),
    I3DInceptionBlock("Mixed_4c", 160, 112, 224, 24, 64, 64),
    I3DInceptionBlock("Mixed_4d", 128, 128, 256, 24, 64, 64),
    I3DInceptionBlock("Mixed_4e", 112, 144, 288, 32, 64, 64),
    I3DInceptionBlock("Mixed_4f", 256, 160, 320, 32, 128, 128),
    I3DInceptionBlock("Mixed_5b", 256, 160, 320, 32, 128, 128),
    I3DInceptionBlock("Mixed_5c", 384, 192, 384, 48, 128, 128),
)


def scale_channels(channels: int, width_multiplier: float = 1.0, min_channels: int = 4) -> int:
    """``max(min_channels, round(channels · width_multiplier))``, halves rounded up as JS's
    ``Math.round`` rounds them.

    >>> scale_channels(64, 1 / 8), scale_channels(16, 1 / 8)
    (8, 4)
    """
    fn = "scale_channels"
    check_integer(fn, "channels", channels, 1)
    check_number(fn, "width_multiplier", width_multiplier, 0, minimum_exclusive=True)
    check_integer(fn, "min_channels", min_channels, 1)
    return max(min_channels, math.floor(channels * width_multiplier + 0.5))


def _strides_of(temporal_stride: int) -> List[int]:
    return [2, 2, 2] if temporal_stride == 8 else [2, 2, 1]


def i3d_temporal_strides(temporal_stride: int = 8) -> List[int]:
    """Temporal strides of ``Conv3d_1a_7x7``, ``MaxPool3d_4a_3x3``, ``MaxPool3d_5a_2x2``.

    >>> i3d_temporal_strides(4)
    [2, 2, 1]
    """
    check_one_of("i3d_temporal_strides", "temporal_stride", temporal_stride, (4, 8))
    return _strides_of(temporal_stride)


def _output_lengths(fn: str, input_lengths: Any, temporal_stride: int) -> List[int]:
    strides = _strides_of(check_one_of(fn, "temporal_stride", temporal_stride, (4, 8)))
    out = []
    for length in lengths_list(fn, input_lengths):
        for stride in strides:
            length = -(-length // stride)
        out.append(length)
    return out


def i3d_output_lengths(input_lengths: Any, temporal_stride: int = 8) -> List[int]:
    """Frames after the backbone: ``ceil(L / temporal_stride)`` (``'same'`` padding).

    Takes a sequence of integers or an integer 1-D tensor.

    >>> i3d_output_lengths([32, 27, 9, 1, 0], 4)
    [8, 7, 3, 1, 0]
    """
    return _output_lengths("i3d_output_lengths", input_lengths, temporal_stride)


def _group_count(channels: int, max_groups: int) -> int:
    """Largest divisor of ``channels`` that is at most ``max_groups``."""
    for groups in range(min(channels, max_groups), 1, -1):
        if channels % groups == 0:
            return groups
    return 1


class Unit3D(nn.Module):
    """Convolution (TensorFlow ``'same'`` padding) → normalisation → ReLU, as pytorch-i3d's.

    Submodules: ``conv3d`` (``nn.Conv3d``, no bias unless ``use_bias``), then ``bn``
    (:class:`~slr_torch.layers.KerasBatchNorm3d`) with ``normalization='batch'`` or ``gn``
    (``nn.GroupNorm`` of the largest divisor of the channels ≤ ``groups``) with ``'group'``, or
    none with ``None``. The padding is computed from the input's size at every call, as
    pytorch-i3d's ``compute_pad`` and tfjs's ``'same'`` do (the odd pixel at the end).
    Kernels Glorot-uniform (tfjs's default), biases zero.
    """

    def __init__(
        self,
        in_channels: int,
        output_channels: int,
        kernel_shape: Triple = (1, 1, 1),
        stride: Triple = (1, 1, 1),
        normalization: Optional[str] = "batch",
        activation: bool = True,
        use_bias: bool = False,
        groups: int = 32,
        momentum: float = 0.01,
        eps: float = 1e-3,
    ) -> None:
        super().__init__()
        self.kernel_shape = tuple(kernel_shape)
        self.stride = tuple(stride)
        self.activation = activation
        self.conv3d = nn.Conv3d(
            in_channels, output_channels, self.kernel_shape, self.stride, padding=0, bias=use_bias
        )
        glorot_uniform_(self.conv3d.weight)
        if self.conv3d.bias is not None:
            nn.init.zeros_(self.conv3d.bias)
        self.bn: Optional[nn.Module] = None
        self.gn: Optional[nn.Module] = None
        if normalization == "batch":
            self.bn = KerasBatchNorm3d(output_channels, eps=eps, momentum=momentum)
        elif normalization == "group":
            self.gn = nn.GroupNorm(_group_count(output_channels, groups), output_channels, eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv3d(pad_same(x, self.kernel_shape, self.stride))
        if self.bn is not None:
            x = self.bn(x)
        if self.gn is not None:
            x = self.gn(x)
        return F.relu(x) if self.activation else x


class MaxPool3dSamePadding(nn.MaxPool3d):
    """3-D max pooling with TensorFlow ``'same'`` padding; padded positions never win.

    pytorch-i3d pads with zeros, which gives the same result on its (post-ReLU, ≥ 0) inputs;
    this pads with ``-inf``, TensorFlow's rule for any input.
    """

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        kernel = _triple(self.kernel_size)
        stride = _triple(self.stride)
        return F.max_pool3d(pad_same(x, kernel, stride, value=-math.inf), kernel, stride)


def _triple(value: Union[int, Sequence[int]]) -> Triple:
    if isinstance(value, int):
        return (value, value, value)
    a, b, c = value
    return (int(a), int(b), int(c))


class InceptionModule(nn.Module):
    """A Mixed block: four branches concatenated on channels (``b0``; ``b1a`` → ``b1b``;
    ``b2a`` → ``b2b``; ``b3a`` max-pool 3×3×3 → ``b3b``), pytorch-i3d's names."""

    def __init__(self, in_channels: int, widths: Sequence[int], **unit: Any) -> None:
        super().__init__()
        b0, b1a, b1b, b2a, b2b, b3 = widths
        self.b0 = Unit3D(in_channels, b0, (1, 1, 1), **unit)
        self.b1a = Unit3D(in_channels, b1a, (1, 1, 1), **unit)
        self.b1b = Unit3D(b1a, b1b, (3, 3, 3), **unit)
        self.b2a = Unit3D(in_channels, b2a, (1, 1, 1), **unit)
        self.b2b = Unit3D(b2a, b2b, (3, 3, 3), **unit)
        self.b3a = MaxPool3dSamePadding(kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=0)
        self.b3b = Unit3D(in_channels, b3, (1, 1, 1), **unit)
        self.out_channels = b0 + b1b + b2b + b3

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat(
            [self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)), self.b3b(self.b3a(x))], 1
        )


@dataclass(frozen=True)
class _BackboneOptions:
    width: float
    min_channels: int
    normalization: str
    groups: int
    momentum: float
    epsilon: float
    temporal_stride: int


def _check_input_shape(fn: str, input_shape: Any) -> Tuple[Optional[int], ...]:
    rule = "be [T, H, W, C]: positive integers, with None for a free T, H or W"
    ok = (
        isinstance(input_shape, (list, tuple))
        and len(input_shape) == 4
        and all(size is None or (is_integer(size) and size >= 1) for size in input_shape)
    )
    if not ok:
        raise ArgumentError(fn, "input_shape", rule, input_shape)
    if input_shape[3] is None:
        raise ArgumentError(fn, "input_shape", "have a known channel count C", input_shape)
    return tuple(None if size is None else int(size) for size in input_shape)


def _resolve_backbone(
    fn: str,
    width_multiplier: float,
    min_channels: int,
    normalization: str,
    groups: int,
    batch_norm_momentum: float,
    norm_epsilon: float,
    temporal_stride: int,
) -> _BackboneOptions:
    return _BackboneOptions(
        width=check_number(fn, "width_multiplier", width_multiplier, 0, minimum_exclusive=True),
        min_channels=check_integer(fn, "min_channels", min_channels, 1),
        normalization=check_one_of(fn, "normalization", normalization, ("batch", "group")),
        groups=check_integer(fn, "groups", groups, 1),
        momentum=check_number(fn, "batch_norm_momentum", batch_norm_momentum, 0, 1),
        epsilon=check_number(fn, "norm_epsilon", norm_epsilon, 0, minimum_exclusive=True),
        temporal_stride=check_one_of(fn, "temporal_stride", temporal_stride, (4, 8)),
    )


class InceptionI3d(nn.Module):
    """The I3D backbone (Inception-v1 inflated to 3-D) of ``buildI3DBackbone``.

    Channels-first like pytorch-i3d: ``[B, C, T, H, W]`` → ``Mixed_5c``'s features
    ``[B, 1024·width, T', H', W']``, or with ``logits_classes`` per-frame logits
    ``[B, logits_classes, T']`` (a 1×1×1 convolution with bias, then the mean over space per
    frame: the JS model's head; pytorch-i3d's averages over a 2×7×7 window first). Submodules in
    pytorch-i3d's order and names: ``Conv3d_1a_7x7`` (stride ``[s, 2, 2]``),
    ``MaxPool3d_2a_3x3``, ``Conv3d_2b_1x1``, ``Conv3d_2c_3x3``, ``MaxPool3d_3a_3x3``,
    ``Mixed_3b``, ``Mixed_3c``, ``MaxPool3d_4a_3x3`` (stride ``[s, 2, 2]``), ``Mixed_4b``…
    ``Mixed_4f``, ``MaxPool3d_5a_2x2`` (stride ``[s, 2, 2]``), ``Mixed_5b``, ``Mixed_5c``, and
    ``logits``. The temporal strides ``s`` are :func:`i3d_temporal_strides`.

    Options as ``buildI3DBackbone``'s, snake_case: every width
    ``max(min_channels, round(c · width_multiplier))``; ``normalization`` ``'batch'``
    (:class:`~slr_torch.layers.KerasBatchNorm3d`, Keras ``batch_norm_momentum`` 0.99 =
    PyTorch's 0.01) or ``'group'`` (at most ``groups`` groups); ``norm_epsilon`` 1e-3.
    At width 1: 12,287,264 parameters (12,697,264 with ``logits_classes=400``).
    """

    def __init__(
        self,
        in_channels: int = 3,
        *,
        width_multiplier: float = 1.0,
        min_channels: int = 4,
        normalization: str = "batch",
        groups: int = 32,
        batch_norm_momentum: float = 0.99,
        norm_epsilon: float = 1e-3,
        temporal_stride: int = 8,
        logits_classes: Optional[int] = None,
        name: str = "i3d_backbone",
        _caller: str = "InceptionI3d",
    ) -> None:
        super().__init__()
        fn = _caller
        check_integer(fn, "in_channels", in_channels, 1)
        o = _resolve_backbone(
            fn,
            width_multiplier,
            min_channels,
            normalization,
            groups,
            batch_norm_momentum,
            norm_epsilon,
            temporal_stride,
        )
        if logits_classes is not None:
            check_integer(fn, "logits_classes", logits_classes, 1)
        self.name = name
        self.temporal_stride = o.temporal_stride
        self.temporal_strides = _strides_of(o.temporal_stride)
        unit = dict(
            normalization=o.normalization,
            groups=o.groups,
            momentum=keras_to_torch_momentum(o.momentum),
            eps=o.epsilon,
        )

        def ch(channels: int) -> int:
            return scale_channels(channels, o.width, o.min_channels)

        s = self.temporal_strides
        self.Conv3d_1a_7x7 = Unit3D(in_channels, ch(64), (7, 7, 7), (s[0], 2, 2), **unit)
        self.MaxPool3d_2a_3x3 = MaxPool3dSamePadding(kernel_size=(1, 3, 3), stride=(1, 2, 2))
        self.Conv3d_2b_1x1 = Unit3D(ch(64), ch(64), (1, 1, 1), **unit)
        self.Conv3d_2c_3x3 = Unit3D(ch(64), ch(192), (3, 3, 3), **unit)
        self.MaxPool3d_3a_3x3 = MaxPool3dSamePadding(kernel_size=(1, 3, 3), stride=(1, 2, 2))
        channels = ch(192)
        for index, block in enumerate(I3D_INCEPTION_BLOCKS):
            if index == 2:
                pool = MaxPool3dSamePadding(kernel_size=(3, 3, 3), stride=(s[1], 2, 2))
                self.MaxPool3d_4a_3x3 = pool
            elif index == 7:
                pool = MaxPool3dSamePadding(kernel_size=(2, 2, 2), stride=(s[2], 2, 2))
                self.MaxPool3d_5a_2x2 = pool
            widths = [ch(width) for width in block[1:]]
            module = InceptionModule(channels, widths, **unit)
            self.add_module(block.name, module)
            channels = module.out_channels
        #: Channels of ``Mixed_5c``'s output.
        self.out_channels = channels
        self.logits: Optional[Unit3D] = None
        if logits_classes is not None:
            self.logits = Unit3D(
                channels,
                logits_classes,
                (1, 1, 1),
                normalization=None,
                activation=False,
                use_bias=True,
            )

    def forward(self, x: Tensor) -> Tensor:
        """``[B, C, T, H, W]`` → ``[B, C', T', H', W']`` (or ``[B, classes, T']``)."""
        for name, module in self.named_children():
            if name != "logits":
                x = module(x)
        if self.logits is not None:
            x = self.logits(x).mean(dim=(3, 4))
        return x


def build_i3d_backbone(
    input_shape: InputShape,
    *,
    width_multiplier: float = 1.0,
    min_channels: int = 4,
    normalization: str = "batch",
    groups: int = 32,
    batch_norm_momentum: float = 0.99,
    norm_epsilon: float = 1e-3,
    temporal_stride: int = 8,
    logits_classes: Optional[int] = None,
    name: str = "i3d_backbone",
) -> InceptionI3d:
    """``buildI3DBackbone``'s options → :class:`InceptionI3d` (``input_shape`` ``[T, H, W, C]``
    gives its input channels; the module itself takes ``[B, C, T, H, W]``)."""
    fn = "build_i3d_backbone"
    shape = _check_input_shape(fn, input_shape)
    return InceptionI3d(
        shape[3],  # type: ignore[arg-type]
        width_multiplier=width_multiplier,
        min_channels=min_channels,
        normalization=normalization,
        groups=groups,
        batch_norm_momentum=batch_norm_momentum,
        norm_epsilon=norm_epsilon,
        temporal_stride=temporal_stride,
        logits_classes=logits_classes,
        name=name,
        _caller=fn,
    )


@dataclass(frozen=True)
class I3DPoseOptions:
    """The teacher's pose stream (``I3DPoseOptions`` of the JS): ``keypoints`` per frame,
    ``channels`` values each (2: x, y), ``layers`` dense ReLU layers of ``units``."""

    keypoints: int
    channels: int = 2
    units: int = 256
    layers: int = 2


def _pose_options(
    fn: str, pose: Union[None, I3DPoseOptions, Mapping[str, Any]]
) -> Optional[I3DPoseOptions]:
    if pose is None:
        return None
    if isinstance(pose, I3DPoseOptions):
        values: Dict[str, Any] = {f.name: getattr(pose, f.name) for f in fields(pose)}
    elif isinstance(pose, Mapping):
        known = {f.name for f in fields(I3DPoseOptions)}
        unknown = [key for key in pose if key not in known]
        if unknown or "keypoints" not in pose:
            rule = "have keypoints and optionally channels, units and layers"
            raise ArgumentError(fn, "pose", rule, dict(pose))
        values = dict(pose)
    else:
        raise ArgumentError(fn, "pose", "be None, a dict or an I3DPoseOptions", pose)
    return I3DPoseOptions(
        keypoints=check_integer(fn, "pose.keypoints", values["keypoints"], 1),
        channels=check_integer(fn, "pose.channels", values.get("channels", 2), 1),
        units=check_integer(fn, "pose.units", values.get("units", 256), 1),
        layers=check_integer(fn, "pose.layers", values.get("layers", 2), 1),
    )


class PoseStream(nn.Module):
    """The teacher's pose stream: ``[B, T, K, channels]`` → ``[B, ceil(T / stride), units]``.

    Flattened per frame to ``K · channels``, ``dense.0`` … ``dense.{layers-1}`` (``nn.Linear``
    + ReLU; tfjs ``pose_dense_{i+1}``, weight = kernel transposed), then the mean over windows
    of ``temporal_stride`` frames placed as tfjs's ``'same'`` ``averagePooling1d`` places them
    (:func:`~slr_torch.layers.same_avg_pool1d`).
    """

    def __init__(self, options: I3DPoseOptions, temporal_stride: int) -> None:
        super().__init__()
        self.options = options
        self.temporal_stride = temporal_stride
        sizes = [options.keypoints * options.channels] + [options.units] * options.layers
        self.dense = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        for linear in self.dense:
            glorot_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)

    def forward(self, pose: Tensor) -> Tensor:
        batch, frames = pose.shape[:2]
        x = pose.reshape(batch, frames, -1)
        for linear in self.dense:
            x = F.relu(linear(x))
        stride = self.temporal_stride
        return same_avg_pool1d(x.transpose(1, 2), stride, stride).transpose(1, 2)


class I3DTeacher(nn.Module):
    """The I3D teacher of ``buildI3DTeacher``: gloss log-probabilities ``[T', B, V]`` per frame.

    ``teacher(video)`` (or ``teacher(video, pose)`` with the pose stream) takes the JS model's
    tensors, channels-last: ``video`` ``[B, T, H, W, C]``, ``pose`` ``[B, T, K, channels]``.
    Inside: ``backbone`` (:class:`InceptionI3d`, its frames kept: ``T' = ceil(T / stride)``) →
    mean over space per frame ``[B, T', C']`` → with ``pose``: :class:`PoseStream` ``pose``
    fused by :class:`~slr_torch.layers.CrossAttention` ``attention`` (video queries, pose keys
    and values, residual) → ``lstm`` (:class:`~slr_torch.layers.KerasLSTM`, ``lstm_layers``
    bidirectional layers of ``lstm_units``) → dropout (training) → ``classifier``
    (``nn.Linear``) → log-softmax, transposed to time-major.

    Options are ``buildI3DTeacher``'s in snake_case with the same defaults (``temporal_stride``
    4, ``lstm_units`` 256, ``dropout`` 0.3, ``attention_heads`` 8, ``attention_key_dim`` 64…).
    Train/eval with ``.train()`` / ``.eval()`` (the JS ``training`` flag).
    """

    def __init__(
        self,
        num_classes: int,
        input_shape: InputShape,
        *,
        width_multiplier: float = 1.0,
        min_channels: int = 4,
        normalization: str = "batch",
        groups: int = 32,
        batch_norm_momentum: float = 0.99,
        norm_epsilon: float = 1e-3,
        temporal_stride: int = 4,
        pose: Union[None, I3DPoseOptions, Mapping[str, Any]] = None,
        attention_heads: int = 8,
        attention_key_dim: int = 64,
        attention_dropout: float = 0.0,
        lstm_units: int = 256,
        lstm_layers: int = 1,
        dropout: float = 0.3,
        name: str = "i3d_teacher",
        _caller: str = "I3DTeacher",
    ) -> None:
        super().__init__()
        fn = _caller
        self.input_shape = _check_input_shape(fn, input_shape)
        self.num_classes = check_integer(fn, "num_classes", num_classes, 2)
        self.dropout = check_number(fn, "dropout", dropout, 0, 1, maximum_exclusive=True)
        attention_dropout = check_number(
            fn, "attention_dropout", attention_dropout, 0, 1, maximum_exclusive=True
        )
        lstm_units = check_integer(fn, "lstm_units", lstm_units, 1)
        lstm_layers = check_integer(fn, "lstm_layers", lstm_layers, 1)
        pose_options = _pose_options(fn, pose)
        self.name = name
        self.backbone = InceptionI3d(
            self.input_shape[3],  # type: ignore[arg-type]
            width_multiplier=width_multiplier,
            min_channels=min_channels,
            normalization=normalization,
            groups=groups,
            batch_norm_momentum=batch_norm_momentum,
            norm_epsilon=norm_epsilon,
            temporal_stride=temporal_stride,
            _caller=fn,
        )
        self.temporal_stride: int = self.backbone.temporal_stride
        features = self.backbone.out_channels
        self.pose: Optional[PoseStream] = None
        self.attention: Optional[CrossAttention] = None
        if pose_options is not None:
            heads = check_integer(fn, "attention_heads", attention_heads, 1)
            key_dim = check_integer(fn, "attention_key_dim", attention_key_dim, 1)
            self.pose = PoseStream(pose_options, self.temporal_stride)
            self.attention = CrossAttention(
                features, pose_options.units, heads, key_dim, dropout=attention_dropout
            )
        self.lstm = KerasLSTM(features, lstm_units, lstm_layers)
        self.classifier = nn.Linear(2 * lstm_units, self.num_classes)
        glorot_uniform_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)

    @property
    def uses_pose(self) -> bool:
        """Whether ``forward`` takes ``(video, pose)`` (the JS ``usesPose``)."""
        return self.pose is not None

    def _check_video(self, video: Any) -> None:
        fn = "I3DTeacher.forward"
        if not isinstance(video, Tensor) or video.dim() != 5:
            raise ArgumentError(fn, "video", "be a tensor [B, T, H, W, C]", video)
        for axis, expected in zip(range(1, 5), self.input_shape):
            if expected is not None and video.shape[axis] != expected:
                rule = f"match input_shape {list(self.input_shape)} (as [B, T, H, W, C])"
                raise ArgumentError(fn, "video", rule, video)

    def _check_pose(self, pose: Any, video: Tensor) -> None:
        assert self.pose is not None
        options = self.pose.options
        shape = [video.shape[0], None, options.keypoints, options.channels]
        if (
            not isinstance(pose, Tensor)
            or pose.dim() != 4
            or pose.shape[0] != video.shape[0]
            or list(pose.shape[2:]) != shape[2:]
        ):
            rule = f"be a tensor [B, T, K, channels] = {shape} (None: any)"
            raise ArgumentError("I3DTeacher.forward", "pose", rule, pose)

    def forward(self, video: Tensor, pose: Optional[Tensor] = None) -> Tensor:
        """``[B, T, H, W, C]`` (, ``[B, T, K, channels]``) → ``[T', B, V]`` log-probabilities."""
        fn = "I3DTeacher.forward"
        if self.uses_pose and pose is None:
            rule = "be given: the teacher has a pose stream"
            raise ArgumentError(fn, "pose", rule, pose)
        if not self.uses_pose and pose is not None:
            rule = "be None: the teacher has no pose stream"
            raise ArgumentError(fn, "pose", rule, pose)
        self._check_video(video)
        if self.pose is not None:
            self._check_pose(pose, video)
        features = self.backbone(video.permute(0, 4, 1, 2, 3))  # [B, C', T', H', W']
        sequence = features.mean(dim=(3, 4)).transpose(1, 2)  # [B, T', C']
        if self.pose is not None and self.attention is not None and pose is not None:
            sequence = self.attention(sequence, self.pose(pose))
        sequence = self.lstm(sequence)
        if self.training and self.dropout > 0:
            sequence = F.dropout(sequence, self.dropout, training=True)
        log_probs = F.log_softmax(self.classifier(sequence), dim=-1)
        return log_probs.transpose(0, 1)

    def output_lengths(self, input_lengths: Any) -> List[int]:
        """Valid frames after the backbone: ``ceil(L / temporal_stride)`` per clip."""
        return _output_lengths("I3DTeacher.output_lengths", input_lengths, self.temporal_stride)


def build_i3d_teacher(num_classes: int, input_shape: InputShape, **options: Any) -> I3DTeacher:
    """``buildI3DTeacher`` in PyTorch: ``I3DTeacher(num_classes, input_shape, **options)``.

    >>> teacher = build_i3d_teacher(7, [None, 32, 32, 3], width_multiplier=1 / 8, lstm_units=12)
    >>> teacher.eval()(torch.rand(2, 12, 32, 32, 3)).shape
    torch.Size([3, 2, 7])
    """
    return I3DTeacher(num_classes, input_shape, **options, _caller="build_i3d_teacher")
