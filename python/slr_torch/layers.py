"""Layers that compute what the tfjs layers of ``@slr`` compute, where PyTorch's differ.

- :func:`tf_same_padding` / :func:`pad_same`: TensorFlow's ``'same'`` padding, which puts the
  odd pixel at the end (PyTorch's ``padding=k // 2`` is symmetric).
- :class:`KerasBatchNorm1d` / ``2d`` / ``3d``: batch norm whose moving variance is updated with
  the biased batch variance, as Keras and tfjs-layers do (PyTorch's uses the unbiased one).
- :func:`hard_sigmoid`: tfjs's ``'hardSigmoid'``, ``clip(0.2 x + 0.5, 0, 1)`` (PyTorch's
  ``F.hardsigmoid`` is ``relu6(x + 3) / 6``, another slope).
- :class:`KerasLSTM`: a stacked bidirectional LSTM computed as ``tf.layers.bidirectional`` of
  ``tf.layers.lstm``: one bias per direction, hard-sigmoid gates (``nn.LSTM`` has two biases
  and sigmoid gates, and cannot be configured otherwise).
- :class:`CrossAttention`: ``CrossAttention`` of ``@slr/layers``.
- :func:`same_avg_pool1d`: tfjs ``averagePooling1d`` with ``'same'`` padding, which averages
  over the frames inside the clip only.
"""

from __future__ import annotations

import math
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "tf_same_padding",
    "pad_same",
    "KerasBatchNorm1d",
    "KerasBatchNorm2d",
    "KerasBatchNorm3d",
    "keras_to_torch_momentum",
    "hard_sigmoid",
    "KerasLSTM",
    "CrossAttention",
    "same_avg_pool1d",
    "glorot_uniform_",
]


def tf_same_padding(size: int, kernel: int, stride: int) -> Tuple[int, int]:
    """Padding ``(before, after)`` of TensorFlow's ``'same'`` along one axis.

    The output has ``ceil(size / stride)`` positions; the total padding
    ``max((out - 1) * stride + kernel - size, 0)`` is split with the smaller half first, as
    TensorFlow, tfjs and piergiaj's pytorch-i3d (``compute_pad``) split it.

    >>> tf_same_padding(32, 7, 2)
    (2, 3)
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_same(
    x: Tensor, kernel: Sequence[int], stride: Sequence[int], value: float = 0.0
) -> Tensor:
    """Pads the last ``len(kernel)`` axes of ``x`` for a TensorFlow ``'same'`` window.

    ``value`` fills the padding: 0 before a convolution, ``-inf`` before a max pooling (which
    TensorFlow never lets a padded position win).

    >>> pad_same(torch.zeros(1, 1, 4), [3], [2]).shape
    torch.Size([1, 1, 5])
    """
    sizes = x.shape[-len(kernel) :]
    pads: List[int] = []
    for size, k, s in reversed(list(zip(sizes, kernel, stride))):
        pads.extend(tf_same_padding(int(size), k, s))
    if not any(pads):
        return x
    return F.pad(x, pads, value=value)


def keras_to_torch_momentum(momentum: float) -> float:
    """PyTorch's ``momentum`` for a Keras one: ``1 - momentum`` (0.99 → 0.01)."""
    return 1.0 - momentum


class _KerasBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm that updates its moving variance with the *biased* batch variance.

    Normalisation is PyTorch's (the batch's mean and biased variance in training, the running
    statistics in evaluation), and so is the moving-average rule
    ``running = running + momentum * (batch - running)`` with PyTorch's ``momentum``
    (``1 - `` the Keras momentum). What differs from ``nn.BatchNorm*`` is the variance it
    averages: Keras and tfjs-layers average the biased variance they normalised with, PyTorch
    the unbiased one. A batch of one value per channel normalises to ``bias`` (variance 0), as
    in tfjs, where ``nn.BatchNorm*`` raises. State-dict names are ``nn.BatchNorm*``'s.
    """

    def forward(self, x: Tensor) -> Tensor:
        self._check_input_dim(x)
        running_mean, running_var = self.running_mean, self.running_var
        if not self.training and running_mean is not None and running_var is not None:
            return F.batch_norm(
                x, running_mean, running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        # torch.batch_norm (not F.batch_norm): no "more than 1 value per channel" check.
        cudnn = torch.backends.cudnn.enabled
        output = torch.batch_norm(x, self.weight, self.bias, None, None, True, 0.0, self.eps, cudnn)
        if self.training and running_mean is not None and running_var is not None:
            with torch.no_grad():
                dims = [0, *range(2, x.dim())]
                variance, mean = torch.var_mean(x, dim=dims, unbiased=False)
                momentum = self.momentum
                if self.num_batches_tracked is not None:
                    self.num_batches_tracked.add_(1)
                    if momentum is None:  # a cumulative average, as nn.BatchNorm* does
                        momentum = 1.0 / float(self.num_batches_tracked)
                momentum = 0.1 if momentum is None else momentum
                running_mean.lerp_(mean.to(running_mean.dtype), momentum)
                running_var.lerp_(variance.to(running_var.dtype), momentum)
        return output


class KerasBatchNorm1d(_KerasBatchNorm, nn.BatchNorm1d):
    """``nn.BatchNorm1d`` with Keras's moving variance (see the module's notes)."""


class KerasBatchNorm2d(_KerasBatchNorm, nn.BatchNorm2d):
    """``nn.BatchNorm2d`` with Keras's moving variance (see the module's notes)."""


class KerasBatchNorm3d(_KerasBatchNorm, nn.BatchNorm3d):
    """``nn.BatchNorm3d`` with Keras's moving variance (see the module's notes)."""


def hard_sigmoid(x: Tensor) -> Tensor:
    """tfjs's (and Keras 2's) ``'hardSigmoid'``: ``clip(0.2 x + 0.5, 0, 1)``.

    The default recurrent activation of ``tf.layers.lstm``. Not ``F.hardsigmoid``
    (``relu6(x + 3) / 6``, MobileNetV3's), whose slope is 1/6.

    >>> hard_sigmoid(torch.tensor([-3.0, 0.0, 1.0, 3.0])).tolist()
    [0.0, 0.5, 0.699999988079071, 1.0]
    """
    return torch.clamp(x * 0.2 + 0.5, 0.0, 1.0)


def glorot_uniform_(weight: Tensor) -> Tensor:
    """Glorot-uniform, tfjs's default kernel initialiser (``nn.init.xavier_uniform_``)."""
    return nn.init.xavier_uniform_(weight)


class KerasLSTM(nn.Module):
    """Stacked bidirectional LSTM computed as tfjs's ``bidirectional(lstm(...))`` layers.

    ``[B, T, input_size]`` → ``[B, T, 2 · hidden_size]`` (forward and backward outputs
    concatenated, per layer; the initial states are zeros). Per direction and time step,
    exactly as tfjs's ``LSTMCell``::

        z = x_t W_ihᵀ + h W_hhᵀ + b          # gates in the order i, f, g (tfjs's c), o
        c = σ(f) · c + σ(i) · tanh(g);  h = σ(o) · tanh(c)

    with ``σ`` = :func:`hard_sigmoid` (tfjs's default ``recurrentActivation``). Parameters are
    named as ``nn.LSTM``'s, with a single bias per direction: ``weight_ih_l{k}`` ``[4H, D]``
    (tfjs's ``kernel`` transposed), ``weight_hh_l{k}`` ``[4H, H]`` (``recurrent_kernel``
    transposed), ``bias_l{k}`` ``[4H]`` (``bias``), and the same with ``_reverse`` for the
    backward direction.

    ``recurrent_activation`` swaps the gate function (``torch.sigmoid`` makes it
    ``nn.LSTM`` with ``bias_hh`` = 0, which the tests use as a reference).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        recurrent_activation: Callable[[Tensor], Tensor] = hard_sigmoid,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.recurrent_activation = recurrent_activation
        gates = 4 * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else 2 * hidden_size
            for suffix in ("", "_reverse"):
                self.register_parameter(
                    f"weight_ih_l{layer}{suffix}", nn.Parameter(torch.empty(gates, layer_input))
                )
                self.register_parameter(
                    f"weight_hh_l{layer}{suffix}", nn.Parameter(torch.empty(gates, hidden_size))
                )
                self.register_parameter(f"bias_l{layer}{suffix}", nn.Parameter(torch.empty(gates)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kernels U(±1/√hidden_size) (``lstmInitializers`` of ``@slr/layers``), biases 0."""
        limit = 1.0 / math.sqrt(self.hidden_size)
        for name, parameter in self.named_parameters():
            if name.startswith("bias"):
                nn.init.zeros_(parameter)
            else:
                nn.init.uniform_(parameter, -limit, limit)

    def _direction(self, x: Tensor, layer: int, suffix: str) -> Tensor:
        w_ih: Tensor = getattr(self, f"weight_ih_l{layer}{suffix}")
        w_hh: Tensor = getattr(self, f"weight_hh_l{layer}{suffix}")
        bias: Tensor = getattr(self, f"bias_l{layer}{suffix}")
        batch, frames, _ = x.shape
        projected = torch.matmul(x, w_ih.t())  # [B, T, 4H]: x W_ih for every step at once
        h = x.new_zeros(batch, self.hidden_size)
        c = x.new_zeros(batch, self.hidden_size)
        outputs: List[Optional[Tensor]] = [None] * frames
        steps = range(frames - 1, -1, -1) if suffix else range(frames)
        act = self.recurrent_activation
        for t in steps:
            z = projected[:, t] + torch.matmul(h, w_hh.t()) + bias
            i, f, g, o = z.chunk(4, dim=1)
            c = act(f) * c + act(i) * torch.tanh(g)
            h = act(o) * torch.tanh(c)
            outputs[t] = h
        return torch.stack(outputs, dim=1)  # type: ignore[arg-type]

    def forward(self, x: Tensor) -> Tensor:
        """``[B, T, D]`` → ``[B, T, 2H]``."""
        for layer in range(self.num_layers):
            forward, backward = self._direction(x, layer, ""), self._direction(x, layer, "_reverse")
            x = torch.cat([forward, backward], dim=-1)
        return x

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"


class CrossAttention(nn.Module):
    """Multi-head cross-attention as ``CrossAttention`` of ``@slr/layers`` computes it.

    Queries from ``query`` ``[B, T, Dq]``, keys and values from ``key_value`` ``[B, Tk, Dk]``:
    per head ``softmax(Q Kᵀ / √key_dim) V`` (dropout on the weights in training), heads
    concatenated, projected to ``output_dim`` (default ``Dq``); with ``residual`` the query is
    added. ``key_mask`` ``[B, Tk]`` (1 attend, 0 padding) adds ``-1e9`` to masked scores.

    Submodules ``query``, ``key``, ``value``, ``output`` are ``nn.Linear``: their ``weight`` is
    the tfjs ``*_kernel`` transposed (``[H·key_dim, Dq]`` …), their ``bias`` the ``*_bias``.
    Kernels Glorot-uniform and biases zero, as in tfjs.
    """

    def __init__(
        self,
        query_dim: int,
        key_value_dim: int,
        num_heads: int,
        key_dim: int,
        value_dim: Optional[int] = None,
        output_dim: Optional[int] = None,
        use_bias: bool = True,
        dropout: float = 0.0,
        residual: bool = True,
    ) -> None:
        super().__init__()
        value_dim = key_dim if value_dim is None else value_dim
        output_dim = query_dim if output_dim is None else output_dim
        if residual and output_dim != query_dim:
            raise ValueError(
                f"Argument 'output_dim' passed to 'CrossAttention' must equal the query size "
                f"({query_dim}) when residual is true, but got {output_dim}."
            )
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim
        self.dropout = dropout
        self.residual = residual
        self.query = nn.Linear(query_dim, num_heads * key_dim, bias=use_bias)
        self.key = nn.Linear(key_value_dim, num_heads * key_dim, bias=use_bias)
        self.value = nn.Linear(key_value_dim, num_heads * value_dim, bias=use_bias)
        self.output = nn.Linear(num_heads * value_dim, output_dim, bias=use_bias)
        for linear in (self.query, self.key, self.value, self.output):
            glorot_uniform_(linear.weight)
            if linear.bias is not None:
                nn.init.zeros_(linear.bias)

    def _heads(self, x: Tensor, linear: nn.Linear, head_dim: int) -> Tensor:
        batch, length, _ = x.shape
        return linear(x).view(batch, length, self.num_heads, head_dim).transpose(1, 2)

    def forward(
        self, query: Tensor, key_value: Tensor, key_mask: Optional[Tensor] = None
    ) -> Tensor:
        """``[B, T, Dq]``, ``[B, Tk, Dk]`` (, ``[B, Tk]``) → ``[B, T, output_dim]``."""
        batch, length, _ = query.shape
        q = self._heads(query, self.query, self.key_dim)  # [B, H, T, dk]
        k = self._heads(key_value, self.key, self.key_dim)  # [B, H, Tk, dk]
        v = self._heads(key_value, self.value, self.value_dim)  # [B, H, Tk, dv]
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.key_dim))
        if key_mask is not None:
            blocked = (1.0 - key_mask.to(scores.dtype)) * -1e9
            scores = scores + blocked.view(batch, 1, 1, -1)
        weights = torch.softmax(scores, dim=-1)
        if self.training and self.dropout > 0:
            weights = F.dropout(weights, self.dropout, training=True)
        context = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, -1)
        out = self.output(context)
        return query + out if self.residual else out


def same_avg_pool1d(x: Tensor, size: int, stride: int) -> Tensor:
    """tfjs ``averagePooling1d`` with ``'same'`` padding on ``[B, C, T]``.

    ``ceil(T / stride)`` outputs; windows placed as TensorFlow's ``'same'`` places them (see
    :func:`tf_same_padding`), each the mean of the frames it holds inside the clip: padding is
    not counted (``F.avg_pool1d(..., count_include_pad=False)`` cannot place the windows so).
    ``size`` must be at least ``stride`` (no window falls wholly into the padding).

    >>> same_avg_pool1d(torch.tensor([[[1.0, 2, 4, 8, 16, 32]]]), 4, 4).tolist()
    [[[2.3333332538604736, 18.66666603088379]]]
    """
    before, after = tf_same_padding(int(x.shape[-1]), size, stride)
    sums = F.pad(x, (before, after)).unfold(-1, size, stride).sum(-1)
    ones = x.new_ones(1, 1, int(x.shape[-1]))
    counts = F.pad(ones, (before, after)).unfold(-1, size, stride).sum(-1)
    return sums / counts
