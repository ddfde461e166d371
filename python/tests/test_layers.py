"""The layers that compute what tfjs computes where PyTorch's layers differ.

Expected values marked "tfjs" were computed with TensorFlow.js 4.22 (CPU backend).
"""

from __future__ import annotations

import math
import unittest

import _support  # noqa: F401  (sys.path, threads)
import torch
import torch.nn.functional as F
from torch import nn

from slr_torch.i3d import MaxPool3dSamePadding, Unit3D
from slr_torch.layers import (
    CrossAttention,
    KerasBatchNorm1d,
    KerasBatchNorm3d,
    KerasLSTM,
    hard_sigmoid,
    pad_same,
    same_avg_pool1d,
    tf_same_padding,
)


class TfSamePaddingTest(unittest.TestCase):
    def test_splits_the_padding_with_the_odd_pixel_at_the_end(self) -> None:
        self.assertEqual(tf_same_padding(32, 7, 2), (2, 3))
        self.assertEqual(tf_same_padding(4, 3, 2), (0, 1))
        self.assertEqual(tf_same_padding(5, 3, 2), (1, 1))
        self.assertEqual(tf_same_padding(8, 1, 1), (0, 0))
        self.assertEqual(tf_same_padding(3, 2, 2), (0, 1))
        self.assertEqual(tf_same_padding(6, 4, 4), (1, 1))

    def test_gives_ceil_size_over_stride_outputs(self) -> None:
        for size in range(1, 40):
            for kernel in (1, 2, 3, 7):
                for stride in (1, 2, 3):
                    before, after = tf_same_padding(size, kernel, stride)
                    out = (size + before + after - kernel) // stride + 1
                    self.assertEqual(out, math.ceil(size / stride), (size, kernel, stride))

    def test_convolution_pads_as_tfjs(self) -> None:
        # tfjs: conv3d([1, 10, 100, 1000] along T, kernel [1, 2, 3], stride 2, 'same') = [321, 2100]
        unit = Unit3D(1, 1, (3, 1, 1), (2, 1, 1), normalization=None, activation=False)
        with torch.no_grad():
            unit.conv3d.weight.copy_(torch.tensor([1.0, 2, 3]).view(1, 1, 3, 1, 1))
        x = torch.tensor([1.0, 10, 100, 1000]).view(1, 1, 4, 1, 1)
        self.assertEqual(unit(x).flatten().tolist(), [321.0, 2100.0])

    def test_max_pooling_never_lets_the_padding_win(self) -> None:
        # tfjs: maxPool3d([-1, -2, -3, -4, -5] along T, [3, 1, 1], stride 2, 'same') = [-1, -2, -4]
        pool = MaxPool3dSamePadding(kernel_size=(3, 1, 1), stride=(2, 1, 1))
        x = -torch.arange(1.0, 6.0).view(1, 1, 5, 1, 1)
        self.assertEqual(pool(x).flatten().tolist(), [-1.0, -2.0, -4.0])
        self.assertEqual(pad_same(x, (3, 1, 1), (2, 1, 1), -math.inf)[0, 0, 0, 0, 0], -math.inf)


class SameAvgPoolTest(unittest.TestCase):
    def test_averages_only_the_frames_inside_the_clip_as_tfjs(self) -> None:
        x = torch.tensor([[[1.0, 2, 4, 8, 16, 32, 64]]])
        # tfjs averagePooling1d({poolSize: 4, strides: 4, padding: 'same'}):
        # T = 6 → [7/3, 56/3] (one padded frame each side); T = 7 → [15/4, 112/3].
        six = same_avg_pool1d(x[..., :6], 4, 4)
        torch.testing.assert_close(six, torch.tensor([[[7 / 3, 56 / 3]]]))
        torch.testing.assert_close(same_avg_pool1d(x, 4, 4), torch.tensor([[[3.75, 112 / 3]]]))
        torch.testing.assert_close(same_avg_pool1d(x[..., :4], 4, 4), torch.tensor([[[3.75]]]))
        for frames in range(1, 20):
            for stride in (4, 8):
                pooled = same_avg_pool1d(torch.ones(2, 3, frames), stride, stride)
                self.assertEqual(pooled.shape, (2, 3, math.ceil(frames / stride)))
                torch.testing.assert_close(pooled, torch.ones_like(pooled))


class KerasBatchNormTest(unittest.TestCase):
    def test_updates_the_moving_variance_with_the_biased_variance(self) -> None:
        torch.manual_seed(0)
        x = torch.randn(2, 3, 4, 5, 5) * 3 + 1
        keras = KerasBatchNorm3d(3, eps=1e-3, momentum=0.01)
        torch_bn = nn.BatchNorm3d(3, eps=1e-3, momentum=0.01)
        torch.testing.assert_close(keras(x), torch_bn(x))  # same normalisation in training
        dims = [0, 2, 3, 4]
        biased = x.var(dims, unbiased=False)
        # Keras: moving = moving − (moving − batch)·(1 − 0.99), from moving = 1.
        torch.testing.assert_close(keras.running_var, 1 - (1 - biased) * 0.01)
        torch.testing.assert_close(keras.running_mean, x.mean(dims) * 0.01)
        self.assertFalse(torch.allclose(keras.running_var, torch_bn.running_var))
        self.assertEqual(int(keras.num_batches_tracked), 1)
        self.assertEqual(list(keras.state_dict()), list(torch_bn.state_dict()))

    def test_evaluates_with_the_moving_statistics(self) -> None:
        bn = KerasBatchNorm1d(2, eps=1e-5, momentum=0.1).eval()
        with torch.no_grad():
            bn.running_mean.copy_(torch.tensor([1.0, -1.0]))
            bn.running_var.copy_(torch.tensor([4.0, 0.25]))
            bn.weight.copy_(torch.tensor([2.0, 1.0]))
            bn.bias.copy_(torch.tensor([0.5, 0.0]))
        x = torch.tensor([[[3.0], [0.0]]])
        first = 2 * 2 / math.sqrt(4 + 1e-5) + 0.5
        expected = torch.tensor([[[first], [1 / math.sqrt(0.25 + 1e-5)]]])
        torch.testing.assert_close(bn(x), expected)
        self.assertEqual(int(bn.num_batches_tracked), 0)

    def test_normalises_one_value_per_channel_to_the_offset_as_tfjs(self) -> None:
        bn = KerasBatchNorm3d(2)
        with torch.no_grad():
            bn.bias.copy_(torch.tensor([0.25, -0.5]))
        with self.assertRaises(ValueError):  # what nn.BatchNorm3d does
            nn.BatchNorm3d(2)(torch.randn(1, 2, 1, 1, 1))
        out = bn(torch.randn(1, 2, 1, 1, 1))
        # PyTorch's fused kernel leaves a rounding error in x − mean, magnified by 1/√eps ≈ 32.
        torch.testing.assert_close(out.flatten(), torch.tensor([0.25, -0.5]), atol=1e-4, rtol=0)


class HardSigmoidTest(unittest.TestCase):
    def test_is_tfjs_hard_sigmoid_not_pytorch_hardsigmoid(self) -> None:
        x = torch.tensor([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0])
        torch.testing.assert_close(hard_sigmoid(x), torch.tensor([0, 0, 0.3, 0.5, 0.7, 1, 1]))
        self.assertFalse(torch.allclose(hard_sigmoid(x), F.hardsigmoid(x)))


class KerasLSTMTest(unittest.TestCase):
    def test_with_sigmoid_gates_it_is_nn_lstm_with_one_bias(self) -> None:
        torch.manual_seed(1)
        ours = KerasLSTM(5, 4, num_layers=2, recurrent_activation=torch.sigmoid)
        with torch.no_grad():
            for parameter in ours.parameters():
                parameter.uniform_(-0.5, 0.5)
        reference = nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
        with torch.no_grad():
            for layer in range(2):
                for suffix in ("", "_reverse"):
                    for kind in ("ih", "hh"):
                        name = f"weight_{kind}_l{layer}{suffix}"
                        getattr(reference, name).copy_(getattr(ours, name))
                    getattr(reference, f"bias_ih_l{layer}{suffix}").copy_(
                        getattr(ours, f"bias_l{layer}{suffix}")
                    )
                    getattr(reference, f"bias_hh_l{layer}{suffix}").zero_()
        x = torch.randn(3, 7, 5)
        expected, _ = reference(x)
        torch.testing.assert_close(ours(x), expected)
        # The default gates are tfjs's hard sigmoid: another function.
        ours.recurrent_activation = hard_sigmoid
        self.assertFalse(torch.allclose(ours(x), expected, atol=1e-3))

    def test_has_one_bias_per_direction_and_layer(self) -> None:
        lstm = KerasLSTM(5, 3, num_layers=2)
        names = [name for name, _ in lstm.named_parameters()]
        self.assertEqual(
            names,
            [
                "weight_ih_l0", "weight_hh_l0", "bias_l0",
                "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_l0_reverse",
                "weight_ih_l1", "weight_hh_l1", "bias_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_l1_reverse",
            ],
        )
        # tfjs: per direction kernel [D, 4H] + recurrent kernel [H, 4H] + bias [4H]; D = 5,
        # then 2H = 6 for the second layer.
        expected = 2 * (4 * 3 * (5 + 3) + 12) + 2 * (4 * 3 * (6 + 3) + 12)
        self.assertEqual(sum(p.numel() for p in lstm.parameters()), expected)
        self.assertEqual(lstm(torch.randn(2, 7, 5)).shape, (2, 7, 6))
        limit = 1 / math.sqrt(3)
        self.assertTrue(all(lstm.weight_hh_l1.abs().flatten() <= limit))
        self.assertTrue(all(lstm.bias_l0 == 0))


class CrossAttentionTest(unittest.TestCase):
    def test_is_multi_head_attention_with_separate_projections(self) -> None:
        torch.manual_seed(2)
        heads, key_dim, query_dim, kv_dim = 2, 3, 6, 5
        ours = CrossAttention(query_dim, kv_dim, heads, key_dim, residual=False)
        with torch.no_grad():
            for linear in (ours.query, ours.key, ours.value, ours.output):
                linear.bias.uniform_(-0.5, 0.5)
        reference = nn.MultiheadAttention(
            heads * key_dim, heads, kdim=kv_dim, vdim=kv_dim, batch_first=True
        )
        with torch.no_grad():
            reference.q_proj_weight.copy_(ours.query.weight)
            reference.k_proj_weight.copy_(ours.key.weight)
            reference.v_proj_weight.copy_(ours.value.weight)
            biases = [ours.query.bias, ours.key.bias, ours.value.bias]
            reference.in_proj_bias.copy_(torch.cat(biases))
            reference.out_proj.weight.copy_(ours.output.weight)
            reference.out_proj.bias.copy_(ours.output.bias)
        query, key_value = torch.randn(2, 4, query_dim), torch.randn(2, 7, kv_dim)
        expected, _ = reference(query, key_value, key_value, need_weights=False)
        torch.testing.assert_close(ours(query, key_value), expected)

    def test_adds_the_query_and_ignores_masked_keys(self) -> None:
        torch.manual_seed(3)
        attention = CrossAttention(4, 5, 2, 3).eval()
        query, key_value = torch.randn(2, 3, 4), torch.randn(2, 6, 5)
        plain = CrossAttention(4, 5, 2, 3, residual=False).eval()
        plain.load_state_dict(attention.state_dict())
        torch.testing.assert_close(attention(query, key_value), query + plain(query, key_value))
        mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]])
        changed = key_value.clone()
        changed[0, 4:] += 10
        torch.testing.assert_close(
            attention(query, key_value, mask)[0], attention(query, changed, mask)[0]
        )
        self.assertEqual(
            [name for name, _ in attention.named_parameters()],
            [f"{m}.{p}" for m in ("query", "key", "value", "output") for p in ("weight", "bias")],
        )


if __name__ == "__main__":
    unittest.main()
