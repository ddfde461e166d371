"""The I3D backbone and teacher twins of ``@slr/models-i3d``.

Parameter counts are the JS models' exact counts: the backbone's from its tests and README,
the teacher's from building the JS teacher with the same options (``model.trainableWeights``
and ``countParams()``, tfjs 4.22); ``python-twins.test.ts`` recomputes them from the JS side.
"""

from __future__ import annotations

import math
import unittest
from typing import Any, Dict

from _support import parameter_counts
import torch
import torch.nn.functional as F
from torch import nn

from slr_torch import ArgumentError, build_i3d_backbone, build_i3d_teacher, i3d_output_lengths
from slr_torch.i3d import I3D_INCEPTION_BLOCKS, InceptionI3d, I3DTeacher
from slr_torch.layers import KerasBatchNorm3d

#: buildI3DTeacher's TINY options of i3d-teacher.test.ts, in snake_case.
TINY: Dict[str, Any] = dict(
    num_classes=7,
    input_shape=[None, 32, 32, 3],
    width_multiplier=1 / 8,
    lstm_units=12,
    attention_heads=2,
    attention_key_dim=8,
)
POSE = dict(keypoints=5, units=12)


def video(batch: int, frames: int, seed: int, size: int = 32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, frames, size, size, 3, generator=generator)


def pose(batch: int, frames: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, frames, POSE["keypoints"], 2, generator=generator)


def teacher(**options: Any) -> I3DTeacher:
    torch.manual_seed(0)
    return build_i3d_teacher(**{**TINY, **options})


class BackboneTest(unittest.TestCase):
    def test_has_the_reference_parameter_counts(self) -> None:
        # i3d-backbone.test.ts / README: 12,287,264 (+ 14,560 moving statistics);
        # 12,697,264 with 400 logits; width 1/8: 202,064 (+ 1,832).
        shape = [None, 224, 224, 3]
        self.assertEqual(parameter_counts(build_i3d_backbone(shape)), (12_287_264, 14_560))
        with_logits = build_i3d_backbone(shape, logits_classes=400)
        self.assertEqual(parameter_counts(with_logits), (12_697_264, 14_560))
        tiny = build_i3d_backbone(shape, width_multiplier=1 / 8)
        self.assertEqual(parameter_counts(tiny), (202_064, 1_832))

    def test_names_its_weights_as_pytorch_i3d(self) -> None:
        units = ["Conv3d_1a_7x7", "Conv3d_2b_1x1", "Conv3d_2c_3x3"] + [
            f"{block.name}.{branch}"
            for block in I3D_INCEPTION_BLOCKS
            for branch in ("b0", "b1a", "b1b", "b2a", "b2b", "b3b")
        ]
        self.assertEqual(len(units), 57)
        statistics = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
        expected = {f"{unit}.conv3d.weight" for unit in units}
        expected |= {f"{unit}.bn.{name}" for unit in units for name in statistics}
        expected |= {"logits.conv3d.weight", "logits.conv3d.bias"}
        model = build_i3d_backbone([None, 224, 224, 3], logits_classes=400)
        self.assertEqual(set(model.state_dict()), expected)
        self.assertEqual(tuple(model.Mixed_5c.b1b.conv3d.weight.shape), (384, 192, 3, 3, 3))
        self.assertEqual(tuple(model.Conv3d_1a_7x7.conv3d.weight.shape), (64, 3, 7, 7, 7))
        self.assertEqual(tuple(model.logits.conv3d.weight.shape), (400, 1024, 1, 1, 1))
        norms = [m for m in model.modules() if isinstance(m, KerasBatchNorm3d)]
        self.assertEqual(len(norms), 57)
        self.assertTrue(all(m.eps == 1e-3 and abs(m.momentum - 0.01) < 1e-12 for m in norms))

    def test_downsamples_as_tensorflow_same_padding(self) -> None:
        model = build_i3d_backbone([None, None, None, 3], width_multiplier=1 / 16).eval()
        with torch.no_grad():
            # T 16 → 8 → 4 → 2 (stride 8); 32 → 16 → 8 → 4 → 2 → 1 in space.
            self.assertEqual(model(torch.rand(1, 3, 16, 32, 32)).shape, (1, 64, 2, 1, 1))
            # Odd sizes: ceil at every strided layer (9 → 5 → 3 → 2; 33 → 17 → 9 → 5 → 3 → 2).
            self.assertEqual(model(torch.rand(2, 3, 9, 33, 33)).shape, (2, 64, 2, 2, 2))
        logits = build_i3d_backbone([None, 32, 32, 3], width_multiplier=1 / 16, logits_classes=5)
        with torch.no_grad():
            self.assertEqual(logits.eval()(torch.rand(2, 3, 16, 32, 32)).shape, (2, 5, 2))

    def test_output_lengths(self) -> None:
        self.assertEqual(i3d_output_lengths([32, 27, 9, 1, 0], 4), [8, 7, 3, 1, 0])
        self.assertEqual(i3d_output_lengths(torch.tensor([32, 27]), 4), [8, 7])
        self.assertEqual(i3d_output_lengths([64, 63, 1]), [8, 8, 1])
        with self.assertRaises(ArgumentError) as caught:
            i3d_output_lengths([2.5])
        self.assertEqual(
            str(caught.exception),
            "Argument 'input_lengths[0]' passed to 'i3d_output_lengths' must be an integer >= 0, "
            "but got 2.5.",
        )


class TeacherTest(unittest.TestCase):
    def test_returns_time_major_log_probabilities_for_several_batches_and_lengths(self) -> None:
        model = teacher().eval()
        self.assertEqual(model.temporal_stride, 4)
        self.assertEqual(model.num_classes, 7)
        self.assertFalse(model.uses_pose)
        with torch.no_grad():
            for batch, frames in [(1, 8), (2, 13), (3, 16)]:
                output = model(video(batch, frames, frames))
                self.assertEqual(output.shape, (math.ceil(frames / 4), batch, 7))

    def test_output_lengths_equal_the_real_output_frames_for_t_8_to_33(self) -> None:
        for stride in (4, 8):
            model = teacher(
                input_shape=[None, 16, 16, 3],
                width_multiplier=1 / 16,
                lstm_units=4,
                temporal_stride=stride,
            ).eval()
            lengths = list(range(8, 34))
            with torch.no_grad():
                actual = [model(video(1, t, t, 16)).shape[0] for t in lengths]
            self.assertEqual(model.output_lengths(lengths), actual)
            self.assertEqual(actual, [math.ceil(t / stride) for t in lengths])
            self.assertEqual(model.output_lengths(torch.tensor(lengths)), actual)

    def test_emits_log_probabilities_in_training_and_evaluation(self) -> None:
        model = teacher()
        clip = video(2, 12, 1) * 50
        for training in (False, True):
            model.train(training)
            with torch.no_grad():
                log_probs = model(clip)
            self.assertLessEqual(float(log_probs.max()), 1e-6)
            lse = torch.logsumexp(log_probs, dim=2)
            torch.testing.assert_close(lse, torch.zeros_like(lse), atol=1e-5, rtol=0)

    def test_has_the_js_teachers_parameter_counts(self) -> None:
        # (trainable, moving statistics) of the JS teacher built with the same options.
        cases = [
            ({}, (215_775, 1_832)),
            ({"pose": POSE}, (220_719, 1_832)),
            ({"pose": POSE, "lstm_layers": 2}, (224_271, 1_832)),
            ({"normalization": "group", "groups": 4}, (215_775, 0)),
        ]
        for options, expected in cases:
            self.assertEqual(parameter_counts(teacher(**options)), expected, options)
        full = build_i3d_teacher(1296, [None, 112, 112, 3])
        self.assertEqual(parameter_counts(full), (15_575_600, 14_560))
        with_pose = build_i3d_teacher(1296, [None, 112, 112, 3], pose={"keypoints": 27})
        self.assertEqual(parameter_counts(with_pose), (16_968_752, 14_560))

    def test_names_its_parts_regularly(self) -> None:
        model = teacher(pose=POSE, lstm_layers=2)
        names = [name for name, _ in model.named_parameters()]
        self.assertEqual(names[0], "backbone.Conv3d_1a_7x7.conv3d.weight")
        head = [name for name in names if not name.startswith("backbone.")]
        self.assertEqual(
            head,
            ["pose.dense.0.weight", "pose.dense.0.bias", "pose.dense.1.weight", "pose.dense.1.bias"]
            + [
                f"attention.{m}.{p}"
                for m in ("query", "key", "value", "output")
                for p in ("weight", "bias")
            ]
            + [
                f"lstm.{kind}_l{layer}{suffix}"
                for layer in (0, 1)
                for suffix in ("", "_reverse")
                for kind in ("weight_ih", "weight_hh", "bias")
            ]
            + ["classifier.weight", "classifier.bias"],
        )

    def test_training_uses_batch_statistics_and_dropout_evaluation_is_deterministic(self) -> None:
        model = teacher()
        clip = video(2, 8, 3)
        bn = model.backbone.Conv3d_1a_7x7.bn
        assert isinstance(bn, KerasBatchNorm3d)
        model.eval()
        with torch.no_grad():
            first, second = model(clip), model(clip)
        torch.testing.assert_close(first, second, atol=0, rtol=0)
        self.assertEqual(int(bn.num_batches_tracked), 0)
        self.assertTrue(bool((bn.running_mean == 0).all()))
        model.train()
        with torch.no_grad():
            a, b = model(clip), model(clip)
        self.assertFalse(torch.allclose(a, b))  # dropout 0.3
        self.assertFalse(torch.allclose(a, first, atol=1e-3))  # batch statistics
        self.assertEqual(int(bn.num_batches_tracked), 2)
        self.assertGreater(float(bn.running_mean.abs().max()), 0)
        without_dropout = teacher(dropout=0).train()
        with torch.no_grad():
            torch.testing.assert_close(without_dropout(clip), without_dropout(clip))

    def test_each_sample_is_independent_of_the_batch_in_evaluation(self) -> None:
        model = teacher(pose=POSE).eval()
        clips, keypoints = video(3, 9, 4), pose(3, 9, 5)
        with torch.no_grad():
            both = model(clips, keypoints)
            alone = model(clips[1:2], keypoints[1:2])
        torch.testing.assert_close(both[:, 1:2], alone, atol=1e-5, rtol=1e-5)

    def test_group_normalisation_is_batch_independent_in_training_too(self) -> None:
        model = teacher(normalization="group", groups=4, dropout=0).train()
        norms = [m for m in model.modules() if isinstance(m, nn.GroupNorm)]
        self.assertEqual(len(norms), 57)
        batch_norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        self.assertEqual(batch_norms, [])
        for norm in norms:  # the largest divisor of the channels that is at most 4
            divisors = [g for g in range(1, 5) if norm.num_channels % g == 0]
            self.assertEqual(norm.num_groups, max(divisors))
            self.assertEqual(norm.eps, 1e-3)
        self.assertIn("backbone.Mixed_3b.b0.gn.weight", model.state_dict())
        clips = video(2, 8, 6)
        with torch.no_grad():
            both, first = model(clips), model(clips[:1])
        torch.testing.assert_close(both[:, :1], first, atol=1e-5, rtol=1e-5)

    def test_trains_with_one_value_per_channel_as_the_js_batch_norm_does(self) -> None:
        # B 1, T 4 at stride 4, 32×32: Mixed_5 sees one value per channel (nn.BatchNorm3d raises).
        model = teacher().train()
        output = model(video(1, 4, 7))
        self.assertEqual(output.shape, (1, 1, 7))
        self.assertTrue(bool(torch.isfinite(output).all()))

    def test_every_parameter_gets_a_ctc_gradient_with_the_pose_stream(self) -> None:
        model = teacher(pose=POSE).train()
        log_probs = model(video(2, 8, 2), pose(2, 8, 3))
        targets = torch.tensor([[1, 2], [3, 0]])
        lengths = torch.tensor(model.output_lengths([8, 7]))
        loss = F.ctc_loss(log_probs, targets, lengths, torch.tensor([2, 1]), blank=0)
        loss.backward()
        self.assertTrue(math.isfinite(float(loss)))
        # The key projection's bias shifts every score of a query by the same q·b, which the
        # softmax cancels: its gradient is 0 up to rounding (as in the JS model), so it is only
        # required to be finite.
        silent = [
            name
            for name, p in model.named_parameters()
            if p.grad is None
            or not bool(torch.isfinite(p.grad).all())
            or (name != "attention.key.bias" and float(p.grad.abs().max()) == 0)
        ]
        self.assertEqual(silent, [])
        self.assertLess(float(model.attention.key.bias.grad.abs().max()), 1e-6)

    def test_fuses_the_pose_stream_and_checks_its_inputs(self) -> None:
        model = teacher(pose=POSE, temporal_stride=8).eval()
        self.assertTrue(model.uses_pose)
        clip = video(2, 16, 6)
        with torch.no_grad():
            a = model(clip, pose(2, 16, 7))
            b = model(clip, pose(2, 16, 8))
        self.assertEqual(a.shape, (2, 2, 7))
        self.assertEqual(model.output_lengths([16, 9]), [2, 2])
        self.assertGreater(float((a - b).abs().max()), 1e-6)
        with self.assertRaises(ArgumentError) as caught:
            model(clip)
        self.assertEqual(
            str(caught.exception),
            "Argument 'pose' passed to 'I3DTeacher.forward' must be given: the teacher has a pose "
            "stream, but got None.",
        )
        with self.assertRaisesRegex(ArgumentError, "must be None: the teacher has no pose stream"):
            teacher()(clip, pose(2, 16, 7))
        with self.assertRaisesRegex(ArgumentError, r"'pose' passed to 'I3DTeacher.forward'"):
            model(clip, torch.rand(2, 16, 4, 2))
        with self.assertRaisesRegex(ArgumentError, r"'video' passed to 'I3DTeacher.forward'"):
            model(torch.rand(2, 16, 32, 32), pose(2, 16, 7))

    def test_rejects_invalid_options_naming_the_builder(self) -> None:
        cases = [
            (
                {"num_classes": 1},
                "Argument 'num_classes' passed to 'build_i3d_teacher' must be an integer >= 2, "
                "but got 1.",
            ),
            (
                {"dropout": 1},
                "Argument 'dropout' passed to 'build_i3d_teacher' must be a finite number in "
                "[0, 1), but got 1.",
            ),
            (
                {"pose": {"keypoints": 0}},
                "Argument 'pose.keypoints' passed to 'build_i3d_teacher' must be an integer >= 1, "
                "but got 0.",
            ),
            (
                {"width_multiplier": -1},
                "Argument 'width_multiplier' passed to 'build_i3d_teacher' must be a finite number "
                "> 0, but got -1.",
            ),
            (
                {"temporal_stride": 2},
                "Argument 'temporal_stride' passed to 'build_i3d_teacher' must be one of 4, 8, but "
                "got 2.",
            ),
            (
                {"input_shape": [None, 32, 32, None]},
                "Argument 'input_shape' passed to 'build_i3d_teacher' must have a known channel "
                "count C, but got [None, 32, 32, None].",
            ),
        ]
        for options, message in cases:
            with self.assertRaises(ArgumentError) as caught:
                build_i3d_teacher(**{**TINY, **options})
            self.assertEqual(str(caught.exception), message)
        with self.assertRaisesRegex(ArgumentError, "'normalization' passed to 'InceptionI3d'"):
            InceptionI3d(normalization="layer")


if __name__ == "__main__":
    unittest.main()
