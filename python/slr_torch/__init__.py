"""PyTorch twins of the ``@slr`` TensorFlow.js models.

- :mod:`slr_torch.i3d`: ``InceptionI3d`` (pytorch-i3d's names) and ``I3DTeacher`` /
  ``build_i3d_teacher`` (``buildI3DTeacher`` of ``@slr/models-i3d``).
- :mod:`slr_torch.mobilenetv3`: ``MobileNetV3Student`` / ``build_mobilenet_v3_student``
  (``buildMobileNetV3Student`` of ``@slr/models-mobilenetv3``) on torchvision's MobileNetV3.
- :mod:`slr_torch.layers`: the layers that compute what tfjs computes where PyTorch's differ.
- :mod:`slr_torch.phoenix`: PHOENIX-2014 layout corpora, read as ``readPhoenixSplit`` of
  ``@slr/data`` reads them.
- :mod:`slr_torch.safetensors_io`: safetensors files, laid out as ``@slr/interop`` writes them.
- :mod:`slr_torch.train_ddp`: DDP training of the twins (``torchrun … train_ddp.py``), with
  checkpoints, resuming and greedy decoding.

Both models take the JS models' tensors (channels-last videos) and return time-major
``[T', B, V]`` log-probabilities; ``output_lengths`` gives each clip's valid output frames.
"""

from ._checks import ArgumentError
from .i3d import (
    I3D_INCEPTION_BLOCKS,
    I3DPoseOptions,
    I3DTeacher,
    InceptionI3d,
    build_i3d_backbone,
    build_i3d_teacher,
    i3d_output_lengths,
    i3d_temporal_strides,
    scale_channels,
)
from .mobilenetv3 import (
    MobileNetV3Student,
    build_mobilenet_v3_student,
    mobilenet_v3_features,
    parse_temporal_head,
    temporal_output_length,
)

__all__ = [
    "ArgumentError",
    "I3D_INCEPTION_BLOCKS",
    "I3DPoseOptions",
    "I3DTeacher",
    "InceptionI3d",
    "build_i3d_backbone",
    "build_i3d_teacher",
    "i3d_output_lengths",
    "i3d_temporal_strides",
    "scale_channels",
    "MobileNetV3Student",
    "build_mobilenet_v3_student",
    "mobilenet_v3_features",
    "parse_temporal_head",
    "temporal_output_length",
]
