"""The MobileNetV3 student twin of ``@slr/models-mobilenetv3``.

Feature-extractor counts are the JS tests' (classifier.test.ts); the student's come from
building the JS student with the same options (``model.trainableWeights`` and
``countParams()``, tfjs 4.22); ``python-twins.test.ts`` recomputes them from the JS side.
"""

from __future__ import annotations

import math
import unittest
from typing import Any, Dict

from _support import parameter_counts
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import mobilenet_v3_large, mobilenet_v3_small

from slr_torch import (
    ArgumentError,
    MobileNetV3Student,
    build_mobilenet_v3_student,
    mobilenet_v3_features,
    parse_temporal_head,
    temporal_output_length,
)
from slr_torch.layers import KerasBatchNorm1d, KerasBatchNorm2d
from slr_torch.mobilenetv3 import TemporalConv

#: The TINY options of student.test.ts, in snake_case.
TINY: Dict[str, Any] = dict(
    variant="small",
    width_multiplier=0.25,
    num_classes=6,
    input_shape=[None, 32, 32, 3],
    temporal_head="K3-P2",
    temporal_channels=16,
    lstm_units=16,
    dropout=0,
    seed=11,
)


def student(**options: Any) -> MobileNetV3Student:
    return build_mobilenet_v3_student(**{**TINY, **options})


def videos(batch: int, frames: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, frames, 32, 32, 3, generator=generator) * 2 - 1


class FeaturesTest(unittest.TestCase):
    def test_are_torchvisions_features_with_keras_batch_norm(self) -> None:
        for variant, build, trainable in [
            ("large", mobilenet_v3_large, 2_971_952),
            ("small", mobilenet_v3_small, 927_008),
        ]:
            features = mobilenet_v3_features(variant)
            self.assertEqual(parameter_counts(features)[0], trainable)
            self.assertEqual(list(features.state_dict()), list(build().features.state_dict()))
            norms = [m for m in features.modules() if isinstance(m, nn.BatchNorm2d)]
            self.assertTrue(all(isinstance(m, KerasBatchNorm2d) for m in norms))
            self.assertTrue(all(m.eps == 1e-3 and abs(m.momentum - 0.01) < 1e-12 for m in norms))
        self.assertEqual(mobilenet_v3_features("small", 0.25)[-1].out_channels, 144)
        momentum = mobilenet_v3_features("small", batch_norm_momentum=0.9)[0][1].momentum
        self.assertAlmostEqual(momentum, 0.1)


class StudentTest(unittest.TestCase):
    def test_returns_time_major_log_probabilities(self) -> None:
        model = student().eval()
        with torch.no_grad():
            output = model(videos(2, 8, 21))
        self.assertEqual(output.shape, (3, 2, 6))  # 8 → K3 → 6 → P2 → 3
        self.assertEqual(model.output_lengths([8]), [3])

    def test_state_dict_names(self) -> None:
        model = student(temporal_head="K3-P2-K2")
        names = list(model.state_dict())
        torchvision_features = mobilenet_v3_small(width_mult=0.25).features
        reference = ["features." + name for name in torchvision_features.state_dict()]
        self.assertEqual(names[: len(reference)], reference)
        statistics = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
        self.assertEqual(
            names[len(reference) :],
            ["temporal.0.conv.weight"]
            + [f"temporal.0.bn.{name}" for name in statistics]
            + ["temporal.2.conv.weight"]
            + [f"temporal.2.bn.{name}" for name in statistics]
            + [
                f"lstm.{kind}_l0{suffix}"
                for suffix in ("", "_reverse")
                for kind in ("weight_ih", "weight_hh", "bias")
            ]
            + ["classifier.weight", "classifier.bias"],
        )
        self.assertIsInstance(model.temporal[1], nn.MaxPool1d)
        bn = model.temporal[0].bn
        self.assertIsInstance(bn, KerasBatchNorm1d)
        self.assertEqual((bn.eps, bn.momentum), (1e-5, 0.1))

    def test_emits_log_probabilities_in_training_and_evaluation(self) -> None:
        model = student()
        for training in (False, True):
            model.train(training)
            with torch.no_grad():
                log_probs = model(videos(2, 8, 21) * 20)
            self.assertLessEqual(float(log_probs.max()), 0)
            lse = torch.logsumexp(log_probs, dim=2)
            torch.testing.assert_close(lse, torch.zeros_like(lse), atol=1e-5, rtol=0)

    def test_output_lengths_equal_the_real_output_frames(self) -> None:
        # The cases of student.test.ts.
        cases = [
            ("K3-P2", [4, 5, 9, 10]),
            ("K5-P2-K5-P2", [16, 17, 19, 22]),
            ("none", [1, 3]),
            (
                [
                    {"type": "conv", "kernel_size": 3, "padding": "same"},
                    {"type": "pool", "size": 3, "stride": 2},
                ],
                [3, 6],
            ),
        ]
        for head, lengths in cases:
            model = student(temporal_head=head, lstm_units=8).eval()
            with torch.no_grad():
                actual = [model(videos(1, t, t)).shape[0] for t in lengths]
            self.assertEqual(model.output_lengths(lengths), actual, head)
            self.assertTrue(all(t >= 1 for t in actual))
        self.assertEqual(student().output_lengths([8, 7, 3, 2, 0]), [3, 2, 0, 0, 0])
        self.assertEqual(student().output_lengths(torch.tensor([8, 9])), [3, 3])

    def test_has_the_js_students_parameter_counts(self) -> None:
        # (trainable, moving statistics) of the JS student built with the same options.
        cases = [
            ({}, (91_518, 3_232)),
            ({"lstm_units": 0, "temporal_head": "none"}, (81_022, 3_200)),
            ({"variant": "large", "temporal_head": "K5-P2-K5-P2"}, (243_846, 6_368)),
        ]
        for options, expected in cases:
            self.assertEqual(parameter_counts(student(**options)), expected, options)
        small = build_mobilenet_v3_student(1296, [None, 112, 112, 3], "small")
        self.assertEqual(parameter_counts(small), (5_954_096, 14_160))
        large = build_mobilenet_v3_student(1296, [None, 112, 112, 3], "large")
        self.assertEqual(parameter_counts(large), (8_982_080, 26_448))

    def test_training_uses_batch_statistics_and_dropout_evaluation_is_deterministic(self) -> None:
        model = student(dropout=0.5)
        clips = videos(2, 8, 3)
        bn = model.features[0][1]
        model.eval()
        with torch.no_grad():
            first, second = model(clips), model(clips)
        torch.testing.assert_close(first, second, atol=0, rtol=0)
        self.assertEqual(int(bn.num_batches_tracked), 0)
        model.train()
        with torch.no_grad():
            a, b = model(clips), model(clips)
        self.assertFalse(torch.allclose(a, b))
        self.assertEqual(int(bn.num_batches_tracked), 2)
        self.assertGreater(float(model.temporal[0].bn.running_mean.abs().max()), 0)

    def test_each_sample_is_independent_of_the_batch_in_evaluation(self) -> None:
        model = student().eval()
        clips = videos(3, 8, 4)
        with torch.no_grad():
            torch.testing.assert_close(model(clips)[:, 2:], model(clips[2:]), atol=1e-5, rtol=1e-5)

    def test_seeds_initialise_reproducibly_with_distinct_lstm_directions(self) -> None:
        a, b = student(), student()
        for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
            torch.testing.assert_close(x, y, atol=0, rtol=0, msg=name)
        self.assertFalse(torch.equal(a.lstm.weight_ih_l0, a.lstm.weight_ih_l0_reverse))
        self.assertFalse(torch.equal(a.classifier.weight, student(seed=12).classifier.weight))
        no_lstm = student(lstm_units=0, temporal_head="none")
        self.assertIsNone(no_lstm.lstm)
        self.assertEqual(no_lstm.classifier.in_features, 144)

    def test_every_parameter_gets_a_ctc_gradient(self) -> None:
        model = student(dropout=0.1).train()
        log_probs = model(videos(2, 8, 21))
        targets = torch.tensor([[1, 2], [3, 0]])
        lengths = torch.tensor(model.output_lengths([8, 8]))
        loss = F.ctc_loss(log_probs, targets, lengths, torch.tensor([2, 1]), blank=0)
        loss.backward()
        self.assertTrue(math.isfinite(float(loss)))
        silent = [
            name
            for name, p in model.named_parameters()
            if p.grad is None
            or not bool(torch.isfinite(p.grad).all())
            or float(p.grad.abs().max()) == 0
        ]
        self.assertEqual(silent, [])

    def test_same_temporal_convolutions_pad_the_odd_frame_at_the_end(self) -> None:
        conv = TemporalConv(1, 1, 2, "same").eval()
        with torch.no_grad():
            conv.conv.weight.copy_(torch.tensor([[[1.0, 10.0]]]))
            conv.bn.running_var.fill_(1 - 1e-5)
        x = torch.tensor([[[1.0, 2.0, 3.0]]])
        # tfjs 'same' with kernel 2: no frame before, one after: [1 + 20, 2 + 30, 3 + 0].
        torch.testing.assert_close(conv(x), torch.tensor([[[21.0, 32.0, 3.0]]]))

    def test_rejects_what_the_head_cannot_take_and_invalid_options(self) -> None:
        with self.assertRaises(ArgumentError) as caught:
            student(input_shape=[12, 32, 32, 3], temporal_head="K5-P2-K5-P2")
        self.assertEqual(
            str(caught.exception),
            "Argument 'input_shape' passed to 'build_mobilenet_v3_student' must have T ≥ 16: the "
            "temporal head leaves no frame of fewer, but got T = 12.",
        )
        fixed = student(input_shape=[20, 32, 32, 3], temporal_head="K5-P2-K5-P2")
        free = student(temporal_head="K5-P2-K5-P2")
        self.assertEqual(parameter_counts(fixed), parameter_counts(free))
        with self.assertRaises(ArgumentError) as caught:
            student()(torch.zeros(1, 2, 32, 32, 3))
        self.assertEqual(
            str(caught.exception),
            "Argument 'videos' passed to 'MobileNetV3Student.forward' must have T ≥ 4 frames (the "
            "temporal head leaves none of fewer), but got T = 2.",
        )
        with self.assertRaises(ArgumentError) as caught:
            student()(torch.zeros(1, 32, 32, 3))
        self.assertEqual(
            str(caught.exception),
            "Argument 'videos' passed to 'MobileNetV3Student.forward' must be a tensor "
            "[B, T, H, W, C], but got a float32 tensor of shape [1, 32, 32, 3].",
        )
        with self.assertRaises(ArgumentError) as caught:
            student(num_classes=1)
        self.assertEqual(
            str(caught.exception),
            "Argument 'num_classes' passed to 'build_mobilenet_v3_student' must be an integer "
            ">= 2, but got 1.",
        )
        with self.assertRaises(ArgumentError) as caught:
            student(temporal_head="K5-X2")
        self.assertEqual(
            str(caught.exception),
            "Argument 'temporal_head' passed to 'build_mobilenet_v3_student' must be made of "
            "K<kernel> and P<pool> tokens joined by '-' (e.g. 'K5-P2-K5-P2'), but got 'K5-X2' "
            "(token 2, 'X2', is neither).",
        )


class TemporalHeadTest(unittest.TestCase):
    def test_parses_heads_as_the_js(self) -> None:
        self.assertEqual(
            parse_temporal_head("K5-P2-K5-P2"),
            [
                {"type": "conv", "kernel_size": 5, "padding": "valid"},
                {"type": "pool", "size": 2, "stride": 2},
                {"type": "conv", "kernel_size": 5, "padding": "valid"},
                {"type": "pool", "size": 2, "stride": 2},
            ],
        )
        self.assertEqual(
            parse_temporal_head("k3"), [{"type": "conv", "kernel_size": 3, "padding": "valid"}]
        )
        self.assertEqual(parse_temporal_head("none"), [])
        self.assertEqual(parse_temporal_head(""), [])
        self.assertEqual(
            parse_temporal_head([{"type": "pool", "size": 3, "stride": 1}]),
            [{"type": "pool", "size": 3, "stride": 1}],
        )

    def test_output_length(self) -> None:
        self.assertEqual(temporal_output_length(32, "K5-P2-K5-P2"), 5)
        self.assertEqual(temporal_output_length(17, "K5-P2-K5-P2"), 1)
        self.assertEqual(temporal_output_length(15, "K5-P2-K5-P2"), 0)
        for frames in range(0, 70):
            expected = (((frames - 4) // 2) - 4) // 2 if frames >= 16 else 0
            self.assertEqual(temporal_output_length(frames, "K5-P2-K5-P2"), expected, frames)


if __name__ == "__main__":
    unittest.main()
