"""The PHOENIX-2014 layout reader (``slr_torch.phoenix``): what ``readPhoenixSplit`` of
``@slr/data`` reads and refuses. ``python-phoenix.test.ts`` checks, from the JS side, that both
readers give the same samples from a corpus the JS writer wrote."""

from __future__ import annotations

import json
import shutil
import tempfile
import unittest
from pathlib import Path
from typing import List, Optional, Sequence

import _support  # noqa: F401  (sys.path, threads)
import numpy as np
import torch
from PIL import Image

from slr_torch import ArgumentError
from slr_torch.phoenix import (
    GlossVocabulary,
    PhoenixDataError,
    PhoenixSplit,
    collate_samples,
    load_or_build_vocabulary,
    phoenix_paths,
    read_phoenix_annotations,
    read_phoenix_split,
)

HEADER = "id|folder|signer|annotation"


class Corpus:
    """A small corpus written by hand in the layout (for the error paths)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="slr-phoenix-py-"))
        self.paths = phoenix_paths(self.root)

    def csv(self, split: str, lines: Sequence[str], header: str = HEADER) -> None:
        path = self.paths.corpus_csv(split)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")

    def frames(
        self, split: str, id: str, count: int, size=(6, 5), names: Optional[List[str]] = None
    ) -> np.ndarray:
        folder = self.paths.frames_root(split) / id / "1"
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(len(id) + count)
        pixels = rng.integers(0, 256, size=(count, size[0], size[1], 3), dtype=np.uint8)
        for t in range(count):
            name = names[t] if names else f"images{t + 1:04d}.png"
            Image.fromarray(pixels[t]).save(folder / name)
        return pixels

    def keypoints(self, split: str, sample: str, frames: int, k: int = 2, **override) -> np.ndarray:
        points = np.arange(frames * k * 2, dtype=np.float32) / 100
        value = {"format": "slr-phoenix-keypoints", "version": 1, "id": sample, "frames": frames,
                 "keypoints": k, "points": points.tolist(), **override}  # fmt: skip
        path = self.paths.keypoints(split, sample)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
        return points.reshape(frames, k, 2)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class PhoenixReaderTest(unittest.TestCase):
    def setUp(self) -> None:
        self.corpus = Corpus()
        self.addCleanup(self.corpus.remove)

    def test_reads_frames_glosses_and_keypoints(self) -> None:
        c = self.corpus
        lines = ["a|a/1/*.png|Signer01|REGEN MORGEN", "", "b|b/1/*.png|Signer02|  NORD\tREGEN "]
        c.csv("train", lines)
        pixels = c.frames("train", "a", 5)
        c.frames("train", "b", 3)
        points = c.keypoints("train", "a", 5)
        # No vocabulary.json: every train gloss, sorted by code unit, blank 0.
        vocabulary = load_or_build_vocabulary(c.root)
        self.assertEqual(vocabulary.glosses, ("MORGEN", "NORD", "REGEN"))
        samples = list(read_phoenix_split(c.root, "train"))
        self.assertEqual([s.id for s in samples], ["a", "b"])
        a, b = samples
        self.assertEqual(a.gloss_ids, [3, 1])
        self.assertEqual(b.glosses, ("NORD", "REGEN"))
        self.assertEqual(a.signer, "Signer01")
        self.assertEqual(a.frames.shape, (5, 6, 5, 3))
        self.assertTrue(torch.equal(a.frames, torch.from_numpy(pixels).float() / 255))
        self.assertTrue(torch.equal(a.keypoints, torch.from_numpy(points)))
        self.assertIsNone(b.keypoints)
        # Every other frame, then at most 2 evenly spread: frames 0, 2, 4 → 0, 2.
        (stepped,) = read_phoenix_split(c.root, "train", frame_step=2, max_frames=2, limit=1)
        self.assertTrue(torch.equal(stepped.frames, a.frames[[0, 2]]))
        self.assertTrue(torch.equal(stepped.keypoints, a.keypoints[[0, 2]]))
        # Resized (Lanczos), still on the 256-level grid.
        (resized,) = read_phoenix_split(c.root, "train", size=[4, 3], limit=1, keypoints=False)
        self.assertEqual(resized.frames.shape, (5, 4, 3, 3))
        self.assertTrue(torch.equal(resized.frames * 255, (resized.frames * 255).round()))
        self.assertIsNone(resized.keypoints)

    def test_uses_vocabulary_json_and_sorts_frames_naturally(self) -> None:
        c = self.corpus
        c.paths.vocabulary.parent.mkdir(parents=True)
        given = GlossVocabulary(["ZZZ", "REGEN"], "<b>")
        c.paths.vocabulary.write_text(json.dumps(given.to_json()))
        c.csv("dev", ["x|x/1/*.png|S|REGEN ZZZ"])
        pixels = c.frames("dev", "x", 3, names=["images10.png", "images9.png", "Images11.png"])
        (sample,) = read_phoenix_split(c.root, "dev")
        self.assertEqual(sample.gloss_ids, [2, 1])
        # images9, images10, Images11: numbers by value, letters without case first.
        expected = torch.from_numpy(pixels[[1, 0, 2]]).float() / 255
        self.assertTrue(torch.equal(sample.frames, expected))

    def test_derived_vocabulary_sorts_by_utf16_code_unit_as_javascript(self) -> None:
        c = self.corpus
        # U+1F600 (UTF-16 D83D DE00) sorts before U+FF21 by code unit, as JavaScript's
        # `a < b` sorts them; by code point (Python's `sorted`) it sorts after.
        c.csv("train", ["a|a/1/*.png|S|\uFF21 \U0001F600 B"])
        self.assertEqual(load_or_build_vocabulary(c.root).glosses, ("B", "\U0001F600", "\uFF21"))

    def test_names_the_file_and_line_of_every_problem(self) -> None:
        c = self.corpus

        def error(split: str = "train", **options) -> str:
            with self.assertRaises(PhoenixDataError) as caught:
                list(read_phoenix_split(c.root, split, **options))
            return str(caught.exception)

        csv = str(c.paths.corpus_csv("train"))
        self.assertRegex(error(), f"^{csv}: cannot read the train annotations")
        c.csv("train", [], header="id|folder|annotation")
        expected = f"{csv}:1: expected the header '{HEADER}' but found 'id|folder|annotation'."
        self.assertEqual(error(), expected)
        c.csv("train", ["a|a/1/*.png|S"])
        self.assertIn(f"{csv}:2: expected 4 '|'-separated columns", error())
        c.csv("train", ["a|a/1/*.png|S|X", "a|a/1/*.png|S|X"])
        self.assertEqual(error(), f"{csv}:3: the id 'a' appears twice.")
        c.csv("train", ["a|../a/*.png|S|X"])
        self.assertIn("must be a relative path", error())
        c.csv("train", ["a|a/1/*.png|S| "])
        self.assertEqual(error(), f"{csv}:2: the annotation of 'a' is empty.")
        c.csv("train", ["a|a/1/*.png|S|X"])
        self.assertIn(f"{csv}:2: the frame folder", error())
        self.assertIn("does not exist", error())
        c.frames("train", "a", 2)
        c.keypoints("train", "a", 3)
        self.assertIn("the file has 3 frames but the sample has 2.", error())
        c.keypoints("train", "a", 2, id="b")
        self.assertIn("the file is for sample 'b', not 'a'.", error())
        c.keypoints("train", "a", 2, points=[0.0] * 7)
        self.assertIn("points must hold frames × keypoints × 2 = 8 numbers.", error())
        c.paths.keypoints("train", "a").unlink()
        (c.paths.frames_root("train") / "a" / "1" / "images0002.png").write_bytes(b"not a png")
        self.assertIn("cannot decode the frame", error())
        c.frames("train", "a", 2)
        c.csv("dev", ["d|d/1/*.png|S|X UNSEEN"])
        self.assertEqual(
            error("dev"),
            f"{c.paths.corpus_csv('dev')}:2: unknown gloss 'UNSEEN' in the annotation of 'd': "
            "it is not in the vocabulary of 1 glosses.",
        )
        c.paths.vocabulary.write_text('{"format": "other"}')
        self.assertIn(f"{c.paths.vocabulary}: not a valid vocabulary", error("dev"))

    def test_refuses_bad_arguments(self) -> None:
        with self.assertRaises(ArgumentError) as caught:
            PhoenixSplit(self.corpus.root, "val")
        self.assertEqual(
            str(caught.exception),
            "Argument 'split' passed to 'PhoenixSplit' must be one of 'train', 'dev', 'test', "
            "but got 'val'.",
        )
        with self.assertRaises(ArgumentError):
            list(read_phoenix_split(self.corpus.root, "dev", size=[0, 4]))
        with self.assertRaises(ArgumentError):
            list(read_phoenix_annotations("", "dev"))

    def test_collates_padded_batches(self) -> None:
        c = self.corpus
        c.csv("train", ["a|a/1/*.png|S|X Y", "b|b/1/*.png|S|Y"])
        c.frames("train", "a", 4)
        c.frames("train", "b", 2)
        c.keypoints("train", "a", 4)
        c.keypoints("train", "b", 2)
        dataset = PhoenixSplit(c.root, "train")
        batch = collate_samples([dataset[0], dataset[1]])
        self.assertEqual(batch.videos.shape, (2, 4, 6, 5, 3))
        self.assertEqual(batch.input_lengths, [4, 2])
        self.assertTrue(torch.equal(batch.targets, torch.tensor([[1, 2], [2, 0]])))
        self.assertEqual(batch.target_lengths, [2, 1])
        self.assertTrue(torch.equal(batch.videos[1, 2:], torch.zeros(2, 6, 5, 3)))
        self.assertEqual(batch.keypoints.shape, (2, 4, 2, 2))
        self.assertTrue(torch.equal(batch.keypoints[1, 2:], torch.zeros(2, 2, 2)))


if __name__ == "__main__":
    unittest.main()
