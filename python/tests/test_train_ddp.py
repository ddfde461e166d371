"""DDP training of the twins (``slr_torch/train_ddp.py``) on a corpus that ``@slr/data`` writes.

The corpus is written by the JS writer itself (``packages/data/bin/slr-data-synth.js``, as
``pnpm data:synth`` runs it), so the layout is exactly @slr's; that needs Node.js and a built
``@slr/data`` (``pnpm build``), which ``pnpm test`` has. Without them the suite is skipped, saying
so; under ``CI=true`` it fails. Training runs through torchrun, two processes on the CPU (gloo).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any, Dict, List, Sequence

from _support import PYTHON_ROOT
import torch
from torch import nn

from slr_torch import ArgumentError
from slr_torch.phoenix import PhoenixSplit, collate_samples, load_or_build_vocabulary
from slr_torch.safetensors_io import load_safetensors
from slr_torch.train_ddp import (
    check_resume,
    clip_by_global_norm,
    create_optimizer,
    create_schedule,
    find_latest_checkpoint,
    greedy_decode,
    load_checkpoint_model,
    save_checkpoint,
    state_digest,
)

REPOSITORY = PYTHON_ROOT.parent
SYNTH = REPOSITORY / "packages" / "data" / "bin" / "slr-data-synth.js"
SCRIPT = PYTHON_ROOT / "slr_torch" / "train_ddp.py"
NODE = shutil.which("node")
MISSING = (
    "Node.js is not on PATH"
    if NODE is None
    else "@slr/data is not built (run pnpm build)"
    if not (REPOSITORY / "packages" / "data" / "dist" / "node.js").exists()
    else None
)

#: The tiny student of test_mobilenetv3.py (dropout on, to check that resuming restores the
#: random state of every process); the vocabulary gives num_classes.
STUDENT = {
    "variant": "small",
    "widthMultiplier": 0.25,
    "temporalHead": "K3-P2",
    "temporalChannels": 16,
    "lstmUnits": 16,
    "dropout": 0.2,
    "seed": 11,
}
#: The tiny teacher of test_i3d.py, with a pose stream on the corpus's 20 keypoints.
TEACHER = {
    "widthMultiplier": 0.125,
    "lstmUnits": 12,
    "attentionHeads": 2,
    "attentionKeyDim": 8,
    "pose": {"keypoints": 20, "units": 12},
}
TRAIN = ["--batch-size", "2", "--lr", "3e-3", "--clip-norm", "1", "--seed", "5"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: Sequence[str], processes: int = 2) -> subprocess.CompletedProcess:
    """``train_ddp.py args`` under torchrun with ``processes`` CPU processes (or alone with 0)."""
    launcher: List[str] = []
    if processes > 0:
        # --redirects/--tee: PyTorch 1.13's torchrun fails on Python 3.11 with its default "0"
        # (Std.from_str finds no member for 0); redirecting stderr avoids that parse.
        launcher = [
            "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
            "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
            "--monitor_interval", "0.2", "--redirects", "2", "--tee", "2",
        ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *launcher, str(SCRIPT), *args],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def digests(folder: Path) -> List[Dict[str, Any]]:
    return [json.loads((folder / f"rank-{r}.json").read_text()) for r in (0, 1)]


@unittest.skipIf(MISSING is not None and os.environ.get("CI") != "true", f"needs {MISSING}")
class TrainDdpTest(unittest.TestCase):
    work: Path
    corpus: Path

    @classmethod
    def setUpClass(cls) -> None:
        if MISSING is not None:  # CI=true: fail rather than skip
            raise RuntimeError(f"the DDP tests need Node.js and a built @slr/data: {MISSING}")
        cls.work = Path(tempfile.mkdtemp(prefix="slr-ddp-"))
        cls.corpus = cls.work / "corpus"
        # 8 train clips of 11–57 frames, 5 glosses, 20 keypoints; 4 dev clips.
        subprocess.run(
            [str(NODE), str(SYNTH), "--out", str(cls.corpus), "--glosses", "5", "--train", "8",
             "--dev", "4", "--test", "1", "--size", "32x32", "--fps", "8", "--keypoints",
             "--seed", "3", "--quiet"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.work, ignore_errors=True)

    def train(
        self, name: str, model: str, options: Dict[str, Any], epochs: int, *extra: str
    ) -> subprocess.CompletedProcess:
        out = self.work / name
        result = run(
            ["--corpus", str(self.corpus), "--model", model, "--model-options",
             json.dumps(options), "--epochs", str(epochs), *TRAIN, "--checkpoint-dir",
             str(out / "checkpoints"), "--digest-dir", str(out / f"digest-{epochs}"), *extra]
        )  # fmt: skip
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        return result

    def test_two_processes_train_the_student_identically_and_resume_exactly(self) -> None:
        first = self.train("student", "student", STUDENT, 2)
        rank0, rank1 = digests(self.work / "student" / "digest-2")
        # Both processes end with the same weights (batch-norm statistics included).
        self.assertEqual(rank0["parameters_sha256"], rank1["parameters_sha256"])
        self.assertEqual(rank0["state_sha256"], rank1["state_sha256"])
        history = rank0["history"]
        self.assertEqual([r["step"] for r in history], [2, 4])  # 8 clips / (2 × 2) a step
        self.assertLess(history[1]["loss"], history[0]["loss"])
        self.assertEqual(history[-1]["skipped_steps"], 0)
        self.assertIn("epoch 2/2  loss", first.stdout)
        self.assertIn("2 processes (gloo on cpu)", first.stdout)

        # The checkpoint holds rank 0's state under the twin's names, loads, and says what it is.
        checkpoints = self.work / "student" / "checkpoints"
        self.assertEqual(
            sorted(p.name for p in checkpoints.iterdir()),
            [f"epoch-000{e}.{s}" for e in (1, 2) for s in ("json", "safetensors", "state.pt")],
        )
        model, info = load_checkpoint_model(checkpoints / "epoch-0002.safetensors")
        self.assertEqual(state_digest(model)["state_sha256"], rank0["state_sha256"])
        self.assertEqual((info["model"], info["epoch"], info["step"]), ("student", 2, 4))
        self.assertEqual(info["options"]["num_classes"], 6)
        self.assertEqual(info["vocabulary"], load_or_build_vocabulary(self.corpus).to_json())

        # Resuming with more epochs continues from epoch 2 and ends where an uninterrupted run
        # ends, bit for bit (batch order, optimizer state, dropout's random state).
        resumed = self.train("student", "student", STUDENT, 3)
        where = f"resuming from {checkpoints / 'epoch-0002.json'} (epoch 2, step 4)"
        self.assertIn(where, resumed.stdout)
        self.assertIn("with changes: epochs: 2 → 3", resumed.stderr)
        self.assertNotIn("epoch 2/3", resumed.stdout)
        after = digests(self.work / "student" / "digest-3")
        self.assertEqual(after[0]["state_sha256"], after[1]["state_sha256"])
        self.assertEqual(after[0]["history"][:2], history)
        self.train("uninterrupted", "student", STUDENT, 3)
        straight = digests(self.work / "uninterrupted" / "digest-3")
        self.assertEqual(straight[0]["state_sha256"], after[0]["state_sha256"])
        self.assertEqual(
            [r["loss"] for r in straight[0]["history"]], [r["loss"] for r in after[0]["history"]]
        )

        # Another batch size (and one process instead of two) cannot resume that run.
        refused = run(
            ["--corpus", str(self.corpus), "--model", "student", "--model-options",
             json.dumps(STUDENT), "--epochs", "4", *TRAIN[2:], "--batch-size", "4",
             "--checkpoint-dir", str(checkpoints)],
            processes=0,
        )  # fmt: skip
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("saved by a different run: 'world_size' was 2, this run has 1; "
                      "'batch_size' was 2, this run has 4", refused.stderr)  # fmt: skip

        # Greedy decoding of the dev split: one clip at a time, ids in the vocabulary, in CSV
        # order, equal to the checkpoint's model run here; the log-probs beside.
        decoded = self.work / "dev.json"
        log_probs = self.work / "dev.log-probs.safetensors"
        result = run(
            ["--corpus", str(self.corpus), "--decode-split", "dev", "--checkpoint",
             str(checkpoints / "epoch-0003.safetensors"), "--decode-out", str(decoded),
             "--log-probs", str(log_probs)],
            processes=0,
        )  # fmt: skip
        self.assertEqual(result.returncode, 0, result.stderr)
        hypotheses = json.loads(decoded.read_text())
        dev = PhoenixSplit(self.corpus, "dev")
        self.assertEqual(list(hypotheses), [entry.id for entry in dev.entries])
        model, _ = load_checkpoint_model(checkpoints / "epoch-0003.safetensors")
        model.eval()
        saved, _ = load_safetensors(log_probs)
        with torch.no_grad():
            for index, entry in enumerate(dev.entries):
                batch = collate_samples([dev[index]])
                output = model(batch.videos)
                lengths = model.output_lengths(batch.input_lengths)
                self.assertEqual(hypotheses[entry.id], greedy_decode(output, lengths)[0])
                self.assertTrue(torch.equal(saved[entry.id], output[: lengths[0], 0]))
                self.assertTrue(all(1 <= id <= 5 for id in hypotheses[entry.id]))

    def test_two_processes_train_the_teacher_with_its_pose_stream(self) -> None:
        result = self.train("teacher", "teacher", TEACHER, 2, "--optimizer", "adamw",
                            "--weight-decay", "0.01", "--schedule", "cosine", "--warmup-steps", "1",
                            "--eval-split", "dev")  # fmt: skip
        rank0, rank1 = digests(self.work / "teacher" / "digest-2")
        self.assertEqual(rank0["state_sha256"], rank1["state_sha256"])
        history = rank0["history"]
        self.assertLess(history[1]["loss"], history[0]["loss"])
        self.assertTrue(all(0 <= r["wer"] and math.isfinite(r["wer"]) for r in history))
        # Warmup from 0 over 1 step, then cosine over the 3 others: 0, 1, 0.75, 0.25 (× lr).
        self.assertAlmostEqual(history[0]["lr"], 3e-3)
        self.assertAlmostEqual(history[1]["lr"], 0.75e-3)
        self.assertIn("pose.dense.0.weight", rank0["norms"])
        self.assertIn("WER", result.stdout)


class TrainingPartsTest(unittest.TestCase):
    def test_schedules_are_those_of_slr_train(self) -> None:
        # createSchedule of @slr/train (Node 20) for the same configurations.
        cases = [
            (dict(base="cosine", learning_rate=3e-3, total_steps=7, warmup_steps=2,
                  warmup_start_factor=0.1, min_learning_rate=1e-4),
             [0.00030000000000000003, 0.0016500000000000002, 0.003, 0.002723074641843674,
              0.001998074641843674, 0.0011019253581563266, 0.0003769253581563264]),
            (dict(base="step", learning_rate=1e-2, total_steps=9, warmup_steps=1, gamma=0.5,
                  step_size=3),
             [0, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025]),
            (dict(base="cyclic", learning_rate=1e-3, total_steps=9, max_learning_rate=4e-3,
                  step_size=2),
             [0.001, 0.0025, 0.004, 0.0025, 0.001, 0.0025, 0.004, 0.0025, 0.001]),
            (dict(base="constant", learning_rate=2e-3, total_steps=5, warmup_steps=3),
             [0, 0.0006666666666666666, 0.0013333333333333333, 0.002, 0.002]),
        ]  # fmt: skip
        for config, expected in cases:
            schedule = create_schedule(**config)
            actual = [schedule(step) for step in range(config["total_steps"])]
            for a, e in zip(actual, expected):
                self.assertTrue(math.isclose(a, e, rel_tol=1e-12, abs_tol=1e-18), (config, a, e))
        with self.assertRaises(ArgumentError) as caught:
            create_schedule("cosine", 1e-3, total_steps=4, warmup_steps=5)
        self.assertIn("'warmup_steps' passed to 'create_schedule' must be an integer in [0, "
                      "total_steps (4)], but got 5.", str(caught.exception))  # fmt: skip

    def test_optimizers_have_slr_trains_defaults_and_checks(self) -> None:
        parameters = [nn.Parameter(torch.zeros(2))]
        adam = create_optimizer(parameters, "adam", 1e-3)
        self.assertIsInstance(adam, torch.optim.Adam)
        self.assertEqual(adam.defaults["betas"], (0.9, 0.999))
        self.assertEqual((adam.defaults["eps"], adam.defaults["weight_decay"]), (1e-8, 0))
        adamw = create_optimizer(parameters, "adamw", 1e-3, weight_decay=0.01)
        self.assertIsInstance(adamw, torch.optim.AdamW)
        sgd = create_optimizer(parameters, "sgd", 0.1, momentum=0.9, nesterov=True)
        self.assertEqual((sgd.defaults["dampening"], sgd.defaults["nesterov"]), (0, True))
        with self.assertRaises(ArgumentError) as caught:
            create_optimizer(parameters, "adam", 1e-3, weight_decay=0.01)
        self.assertIn("must be 0 for 'adam' (use 'adamw'", str(caught.exception))
        with self.assertRaises(ArgumentError):
            create_optimizer(parameters, "sgd", 0.1, nesterov=True)

    def test_clips_as_clip_by_global_norm(self) -> None:
        a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(1))
        a.grad, b.grad = torch.tensor([3.0, 0.0]), torch.tensor([4.0])
        self.assertEqual(clip_by_global_norm([a, b], 2.0), 5.0)
        scale = 2.0 / (5.0 + 1e-6)
        self.assertTrue(torch.allclose(a.grad, torch.tensor([3.0 * scale, 0.0]), rtol=0, atol=1e-7))
        # At or below max_norm nothing is scaled (clip_grad_norm_ scales by 1 - 1e-6 here).
        a.grad = torch.tensor([2.0, 0.0])
        self.assertEqual(clip_by_global_norm([a], 2.0), 2.0)
        self.assertTrue(torch.equal(a.grad, torch.tensor([2.0, 0.0])))
        a.grad = torch.tensor([math.inf, 0.0])
        self.assertEqual(clip_by_global_norm([a], 2.0), math.inf)

    def test_greedy_decoding_as_ctc_greedy_decode(self) -> None:
        # [T = 5, B = 2, V = 3]: ties go to the first class, NaN never wins, past the length
        # nothing counts.
        nan = math.nan
        log_probs = torch.tensor(
            [[[0.0, -1, -1], [-1, 0, -1]], [[-1, 0, 0], [nan, -1, -2]], [[-1, 0, -2], [-1, 0, -2]],
             [[0, -1, -1], [-2, -1, 0]], [[-1, -2, 0], [-1, 0, -2]]]
        )  # fmt: skip
        self.assertEqual(greedy_decode(log_probs, [5, 3]), [[1, 2], [1]])

    def test_refuses_to_resume_another_run(self) -> None:
        saved = {"model": "student", "batch_size": 2, "world_size": 2, "epochs": 2,
                 "optimizer": {"name": "adam", "learning_rate": 1e-3}}  # fmt: skip
        current = {**saved, "epochs": 3, "optimizer": {"name": "adam", "learning_rate": 1e-4}}
        self.assertEqual(
            check_resume(Path("c/epoch-0002.json"), saved, current),
            ['epochs: 2 → 3',
             'optimizer: {"learning_rate": 0.001, "name": "adam"} → '
             '{"learning_rate": 0.0001, "name": "adam"}'],
        )  # fmt: skip
        with self.assertRaises(ArgumentError) as caught:
            check_resume(Path("c/epoch-0002.json"), saved,
                         {**current, "batch_size": 4, "optimizer": {"name": "sgd"}})  # fmt: skip
        self.assertIn("c/epoch-0002.json, saved by a different run: 'batch_size' was 2, this run "
                      "has 4; 'optimizer.name' was 'adam', this run has 'sgd'.",
                      str(caught.exception))  # fmt: skip


class CheckpointFilesTest(unittest.TestCase):
    def test_keeps_the_newest_falls_back_over_broken_ones_and_replaces_another_runs(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="slr-ddp-checkpoints-"))
        self.addCleanup(shutil.rmtree, folder, True)
        model = nn.Linear(3, 2)
        optimizer = torch.optim.Adam(model.parameters())
        run = {"model": "student", "model_options": {}, "vocabulary": {}, "size": [4, 4],
               "frame_step": 1, "max_frames": None}  # fmt: skip

        def save(epoch: int) -> None:
            record = {"step": epoch, "skipped_steps": 0, "history": [], "run": run}
            save_checkpoint(folder, epoch, model, optimizer, [{}], record, 2)

        for epoch in (1, 2, 3):
            save(epoch)
        self.assertEqual(
            sorted(p.name for p in folder.iterdir()),
            [f"epoch-000{e}.{s}" for e in (2, 3) for s in ("json", "safetensors", "state.pt")],
        )
        (found, document), skipped = find_latest_checkpoint(folder)
        self.assertEqual((found.name, document["epoch"], skipped), ("epoch-0003.json", 3, []))
        # A checkpoint whose weights changed after it was written is passed over, saying why.
        with open(folder / "epoch-0003.safetensors", "r+b") as handle:
            handle.seek(-1, 2)
            handle.write(b"\x7f")
        (found, document), skipped = find_latest_checkpoint(folder)
        self.assertEqual(found.name, "epoch-0002.json")
        self.assertEqual(
            skipped,
            [f"checkpoint {folder / 'epoch-0003.json'} is unusable, falling back: "
             "epoch-0003.safetensors does not match the SHA-256 the checkpoint recorded"],
        )  # fmt: skip
        # A run that does not resume replaces the folder's checkpoints with its own.
        save(1)
        self.assertEqual([p.name for p in folder.glob("*.json")], ["epoch-0001.json"])


class SafetensorsLayoutTest(unittest.TestCase):
    def test_writes_the_reference_layout(self) -> None:
        from slr_torch.safetensors_io import read_safetensors_bytes, safetensors_bytes

        tensors = {
            "b.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3),
            "a.num_batches_tracked": torch.tensor(7),
            "a.bias": torch.ones(1),
        }
        raw = safetensors_bytes(tensors, {"z": "1", "format": "pt"})
        (length,) = struct.unpack("<Q", raw[:8])
        self.assertEqual(length % 8, 0)
        header = raw[8 : 8 + length].decode()
        self.assertEqual(
            header.rstrip(" "),
            '{"__metadata__":{"format":"pt","z":"1"},'
            '"a.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},'
            '"a.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},'
            '"b.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[12,36]}}',
        )
        back, metadata = read_safetensors_bytes(raw)
        self.assertEqual(metadata, {"format": "pt", "z": "1"})
        for name, tensor in tensors.items():
            self.assertTrue(torch.equal(back[name], tensor))


if __name__ == "__main__":
    unittest.main()
