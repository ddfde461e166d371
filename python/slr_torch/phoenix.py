"""PHOENIX-2014 layout corpora, read as ``readPhoenixSplit`` of ``@slr/data`` reads them.

The layout (``packages/data/src/node/phoenix/layout.ts``), written by ``writePhoenixCorpus`` /
``pnpm data:synth`` and used by the real PHOENIX-2014 download::

    DIR/
      annotations/
        manual/{train,dev,test}.corpus.csv            id|folder|signer|annotation
        vocabulary.json                               {"format": "slr-gloss-vocabulary", ...}
      features/
        fullFrame-210x260px/{split}/{folder}          the frames: <id>/1/images0001.png …
        keypoints/{split}/{id}.json                   {"format": "slr-phoenix-keypoints", ...}

What the JS reader does, this does: the CSV header and lines checked the same way (4 columns,
non-empty id, folder and annotation, unique ids, blank lines skipped, a byte-order mark allowed);
glosses split at whitespace; the ids of ``annotations/vocabulary.json`` (blank 0, the gloss at
index ``i`` has id ``i + 1``) or, without it, of every distinct train gloss sorted as JavaScript
sorts strings (by UTF-16 code unit), blank ``'<blank>'``, built in memory (nothing is written);
the frames matched by the folder column's ``*`` / ``?`` pattern in natural order
(``images2.png`` before ``images10.png``); ``frame_step`` then ``max_frames`` subsampling; 8-bit
PNGs decoded to RGB (grey replicated, alpha dropped) and scaled to [0, 1] as ``byte / 255``,
with no other normalisation: the models take these values. Keypoints ``[T, K, 2]`` in [0, 1]
image coordinates, checked against the sample's id and frame count. Every problem is a
:class:`PhoenixDataError` naming ``file:line``.

One difference: resizing. The JS reader resizes with sharp (libvips, Lanczos-3, ``fit:
'fill'``); this one with Pillow's Lanczos filter, then rounds to bytes as sharp does. Shrinking
PHOENIX's 210×260 frames to 112×112 the two differ by 0.23/255 on average (at most 3/255);
enlarging differs more. Frames already of the model's size (``pnpm data:synth --size``) are
read identically.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torchvision.io import ImageReadMode, read_image

from ._checks import ArgumentError, check_integer, check_one_of

__all__ = [
    "PHOENIX_CSV_HEADER",
    "PHOENIX_FRAME_FOLDER",
    "PHOENIX_SPLITS",
    "PhoenixDataError",
    "GlossVocabulary",
    "PhoenixPaths",
    "phoenix_paths",
    "phoenix_frame_name",
    "PhoenixCsvEntry",
    "read_phoenix_annotations",
    "load_or_build_vocabulary",
    "PhoenixKeypoints",
    "read_keypoints_file",
    "PhoenixSample",
    "PhoenixSplit",
    "read_phoenix_split",
    "PhoenixBatch",
    "collate_samples",
]

#: The CSV header line of ``annotations/manual/{split}.corpus.csv``.
PHOENIX_CSV_HEADER = "id|folder|signer|annotation"
#: The frame folder of PHOENIX-2014 under ``features/``.
PHOENIX_FRAME_FOLDER = "fullFrame-210x260px"
#: The three splits, in the order they are written.
PHOENIX_SPLITS: Tuple[str, ...] = ("train", "dev", "test")

# JavaScript's whitespace (what ``/\s/`` and ``String.prototype.trim`` match), which is not
# Python's: U+FEFF is in it, U+001C–U+001F and U+0085 are not.
_JS_SPACE = "\t\n\u000b\u000c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_TRIM = re.compile(f"^[{_JS_SPACE}]+|[{_JS_SPACE}]+$")
_JS_SPACES = re.compile(f"[{_JS_SPACE}]+")
_JS_HAS_SPACE = re.compile(f"[{_JS_SPACE}]")


def _js_trim(text: str) -> str:
    return _JS_TRIM.sub("", text)


def _js_sorted(values: Iterable[str]) -> List[str]:
    """Sorted as JavaScript's ``a < b`` sorts strings: by UTF-16 code unit."""
    return sorted(values, key=lambda value: value.encode("utf-16-be", "surrogatepass"))


class PhoenixDataError(ValueError):
    """A problem in the files of a corpus (``PhoenixDataError`` of ``@slr/data``): the message
    starts with ``file:line:`` (or ``file:``), and ``file`` and ``line`` are attributes."""

    def __init__(self, file: Union[str, os.PathLike], line: Optional[int], message: str) -> None:
        self.file = str(file)
        self.line = line
        where = self.file if line is None else f"{self.file}:{line}"
        super().__init__(f"{where}: {message}")


def _gloss_problem(gloss: Any, blank: str) -> Optional[str]:
    if not isinstance(gloss, str) or gloss == "" or _JS_HAS_SPACE.search(gloss):
        return "be a non-empty word without spaces"
    if gloss == blank:
        return "differ from the blank's name"
    return None


class GlossVocabulary:
    """Gloss ↔ id with the CTC blank at id 0 (``GlossVocabulary`` of ``@slr/data``).

    >>> vocabulary = GlossVocabulary.from_glosses(["REGEN", "MORGEN", "REGEN"])
    >>> vocabulary.glosses, vocabulary.size, vocabulary.id_of("REGEN")
    (('MORGEN', 'REGEN'), 3, 2)
    >>> vocabulary.decode([2, 0, 1])
    ['REGEN', 'MORGEN']
    """

    def __init__(
        self, glosses: Sequence[str], blank: str = "<blank>", *, fn: str = "GlossVocabulary"
    ) -> None:
        if not isinstance(blank, str) or blank == "" or _JS_HAS_SPACE.search(blank):
            raise ArgumentError(fn, "blank", "be a non-empty word without spaces", blank)
        ids: Dict[str, int] = {}
        for index, gloss in enumerate(glosses):
            problem = _gloss_problem(gloss, blank)
            if problem is not None:
                raise ArgumentError(fn, f"glosses[{index}]", problem, gloss)
            if gloss in ids:
                rule = "differ from every gloss before it"
                raise ArgumentError(fn, f"glosses[{index}]", rule, gloss)
            ids[gloss] = index + 1
        self.glosses: Tuple[str, ...] = tuple(glosses)
        self.blank = blank
        self._ids = ids

    @classmethod
    def from_glosses(cls, glosses: Iterable[str], blank: str = "<blank>") -> "GlossVocabulary":
        """Every distinct gloss, sorted as the JS sorts them (by UTF-16 code unit)."""
        return cls(_js_sorted(set(glosses)), blank, fn="GlossVocabulary.from_glosses")

    @classmethod
    def from_json(cls, value: Any, source: Optional[str] = None) -> "GlossVocabulary":
        """Reads ``vocabulary.json``'s object (``GlossVocabulary.fromJSON``)."""
        ok = (
            isinstance(value, dict)
            and value.get("format") == "slr-gloss-vocabulary"
            and value.get("version") == 1
            and isinstance(value.get("glosses"), list)
        )
        if not ok:
            rule = (
                "be a gloss vocabulary, {\"format\": \"slr-gloss-vocabulary\", \"version\": 1, "
                "\"glosses\": [...]}"
            )
            raise ArgumentError("GlossVocabulary.from_json", "json", rule, value)
        return cls(value["glosses"], value.get("blank", "<blank>"), fn="GlossVocabulary.from_json")

    def to_json(self) -> Dict[str, Any]:
        """The JSON form, as ``vocabulary.json`` holds it."""
        return {
            "format": "slr-gloss-vocabulary",
            "version": 1,
            "blank": self.blank,
            "glosses": list(self.glosses),
        }

    @property
    def size(self) -> int:
        """Classes, blank included (the models' ``num_classes``)."""
        return len(self.glosses) + 1

    def has(self, gloss: str) -> bool:
        return gloss in self._ids

    def id_of(self, gloss: str) -> int:
        if gloss not in self._ids:
            rule = f"be a gloss of the vocabulary ({len(self.glosses)} glosses)"
            raise ArgumentError("GlossVocabulary.id_of", "gloss", rule, gloss)
        return self._ids[gloss]

    def gloss_of(self, id: int) -> str:
        if id == 0:
            return self.blank
        if not isinstance(id, int) or not 0 < id <= len(self.glosses):
            rule = f"be a gloss id of the vocabulary, an integer in [0, {len(self.glosses)}]"
            raise ArgumentError("GlossVocabulary.gloss_of", "id", rule, id)
        return self.glosses[id - 1]

    def decode(self, ids: Iterable[int]) -> List[str]:
        """Glosses of an id sequence, blanks dropped."""
        return [self.gloss_of(id) for id in ids if id != 0]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, GlossVocabulary)
            and other.glosses == self.glosses
            and other.blank == self.blank
        )

    def __repr__(self) -> str:
        return f"GlossVocabulary({len(self.glosses)} glosses, blank {self.blank!r})"


_SAFE_NAME = re.compile(r"[\\/|\0]")


def _is_safe_name(name: str) -> bool:
    bad = _SAFE_NAME.search(name) or _JS_HAS_SPACE.search(name)
    return name not in ("", ".", "..") and not bad


@dataclass(frozen=True)
class PhoenixPaths:
    """The paths of a corpus rooted at ``root`` (``phoenixPaths`` of the JS)."""

    root: Path
    frame_folder: str = PHOENIX_FRAME_FOLDER

    def corpus_csv(self, split: str) -> Path:
        """``annotations/manual/{split}.corpus.csv``."""
        return self.root / "annotations" / "manual" / f"{split}.corpus.csv"

    @property
    def vocabulary(self) -> Path:
        """``annotations/vocabulary.json``."""
        return self.root / "annotations" / "vocabulary.json"

    def frames_root(self, split: str) -> Path:
        """``features/{frame_folder}/{split}``: the CSV's folder column is relative to it."""
        return self.root / "features" / self.frame_folder / split

    def frame_file(self, split: str, id: str, index: int) -> Path:
        """``…/{id}/1/images0001.png`` for frame index 0."""
        return self.frames_root(split) / id / "1" / phoenix_frame_name(index)

    def keypoints(self, split: str, id: str) -> Path:
        """``features/keypoints/{split}/{id}.json``."""
        return self.root / "features" / "keypoints" / split / f"{id}.json"


def phoenix_paths(
    dir: Union[str, os.PathLike], frame_folder: str = PHOENIX_FRAME_FOLDER
) -> PhoenixPaths:
    """The paths of the corpus in ``dir``.

    >>> str(phoenix_paths("corpus").corpus_csv("dev"))
    'corpus/annotations/manual/dev.corpus.csv'
    """
    fn = "phoenix_paths"
    _check_dir(fn, dir)
    _check_frame_folder(fn, frame_folder)
    return PhoenixPaths(Path(dir), frame_folder)


def phoenix_frame_name(index: int) -> str:
    """The PNG name of frame ``index`` (0-based): ``images0001.png`` …

    >>> phoenix_frame_name(0), phoenix_frame_name(41)
    ('images0001.png', 'images0042.png')
    """
    return f"images{index + 1:04d}.png"


def _check_dir(fn: str, dir: Any) -> None:
    if not isinstance(dir, (str, os.PathLike)) or str(dir) == "":
        raise ArgumentError(fn, "dir", "be the path of a folder, a non-empty string", dir)


def _check_frame_folder(fn: str, frame_folder: Any) -> None:
    if not isinstance(frame_folder, str) or not _is_safe_name(frame_folder):
        raise ArgumentError(fn, "frame_folder", "be a plain folder name", frame_folder)


@dataclass(frozen=True)
class PhoenixCsvEntry:
    """One data line of a corpus CSV."""

    id: str
    #: The folder column as written, e.g. ``'abc-0/1/*.png'`` (relative to the split's frames).
    folder: str
    signer: str
    glosses: Tuple[str, ...]
    #: The CSV and its 1-based line.
    file: str
    line: int


def _truncate(text: str, length: int = 80) -> str:
    return text[:length] + "…" if len(text) > length else text


def _parse_line(text: str, file: str, line: int) -> PhoenixCsvEntry:
    columns = re.sub(r"\r$", "", text).split("|")
    if len(columns) != 4:
        raise PhoenixDataError(
            file,
            line,
            f"expected 4 '|'-separated columns ({PHOENIX_CSV_HEADER}) but found {len(columns)}: "
            f"'{_truncate(text)}'.",
        )
    id, folder, signer, annotation = (_js_trim(column) for column in columns)
    if id == "":
        raise PhoenixDataError(file, line, "the id column is empty.")
    if not _is_safe_name(id):
        raise PhoenixDataError(file, line, f"the id '{id}' is not a plain folder name.")
    if folder == "":
        raise PhoenixDataError(file, line, "the folder column is empty.")
    if folder.startswith("/") or any(part in ("..", "") for part in folder.split("/")):
        raise PhoenixDataError(
            file, line, f"the folder '{folder}' must be a relative path like '<id>/1/*.png'."
        )
    glosses = tuple(_JS_SPACES.split(annotation)) if annotation != "" else ()
    if not glosses:
        raise PhoenixDataError(file, line, f"the annotation of '{id}' is empty.")
    return PhoenixCsvEntry(id, folder, signer, glosses, file, line)


def _annotations(paths: PhoenixPaths, split: str) -> Iterator[PhoenixCsvEntry]:
    file = str(paths.corpus_csv(split))
    try:
        handle = open(file, encoding="utf-8", newline="")
    except IsADirectoryError:
        raise PhoenixDataError(file, None, "is not a file.") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise PhoenixDataError(
            file, None, f"cannot read the {split} annotations: {reason}."
        ) from error
    ids = set()
    number = 0
    with handle:
        for raw in _lines(handle):
            number += 1
            if number == 1:
                header = _js_trim(raw.lstrip("\ufeff"))
                if header != PHOENIX_CSV_HEADER:
                    raise PhoenixDataError(
                        file,
                        1,
                        f"expected the header '{PHOENIX_CSV_HEADER}' but found '{header[:80]}'.",
                    )
                continue
            if _js_trim(raw) == "":
                continue
            entry = _parse_line(raw, file, number)
            if entry.id in ids:
                raise PhoenixDataError(file, number, f"the id '{entry.id}' appears twice.")
            ids.add(entry.id)
            yield entry
    if number == 0:
        raise PhoenixDataError(
            file, 1, f"the file is empty (expected the header '{PHOENIX_CSV_HEADER}')."
        )


def _lines(handle: Any) -> List[str]:
    """Lines as Node's readline (``crlfDelay: Infinity``) gives them: split at ``\\n``,
    ``\\r\\n`` and a lone ``\\r``, without the break; no empty last line after a final break."""
    lines = re.split(r"\r\n|\n|\r", handle.read())
    if lines[-1] == "":
        lines.pop()
    return lines


def read_phoenix_annotations(dir: Union[str, os.PathLike], split: str) -> Iterator[PhoenixCsvEntry]:
    """The checked data lines of ``annotations/manual/{split}.corpus.csv``
    (``readPhoenixAnnotations``)."""
    fn = "read_phoenix_annotations"
    _check_dir(fn, dir)
    check_one_of(fn, "split", split, PHOENIX_SPLITS)
    return _annotations(PhoenixPaths(Path(dir)), split)


def _corpus_vocabulary(paths: PhoenixPaths, blank: str) -> GlossVocabulary:
    path = paths.vocabulary
    try:
        text: Optional[str] = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        text = None
    except OSError as error:
        raise PhoenixDataError(path, None, f"cannot read: {error.strerror or error}.") from error
    if text is not None:
        try:
            return GlossVocabulary.from_json(json.loads(text), str(path))
        except (ValueError, ArgumentError) as error:
            raise PhoenixDataError(path, None, f"not a valid vocabulary: {error}") from error
    glosses = set()
    for entry in _annotations(paths, "train"):
        glosses.update(entry.glosses)
    return GlossVocabulary.from_glosses(glosses, blank)


def load_or_build_vocabulary(
    dir: Union[str, os.PathLike], blank: str = "<blank>"
) -> GlossVocabulary:
    """``annotations/vocabulary.json`` of ``dir``; without one, every distinct gloss of the train
    split sorted as the JS sorts them, in memory (``loadOrBuildVocabulary``)."""
    fn = "load_or_build_vocabulary"
    _check_dir(fn, dir)
    if not isinstance(blank, str) or blank == "" or _JS_HAS_SPACE.search(blank):
        raise ArgumentError(fn, "blank", "be a non-empty word without spaces", blank)
    return _corpus_vocabulary(PhoenixPaths(Path(dir)), blank)


@dataclass(frozen=True)
class PhoenixKeypoints:
    """One sample's keypoints: ``points`` ``[T, K, 2]`` float32, x then y in [0, 1]."""

    frames: int
    keypoints: int
    names: Optional[Tuple[str, ...]]
    points: Tensor


def read_keypoints_file(
    path: Union[str, os.PathLike],
    expected_id: Optional[str] = None,
    expected_frames: Optional[int] = None,
) -> PhoenixKeypoints:
    """Reads ``features/keypoints/{split}/{id}.json`` (``readKeypointsFile``); a malformed file,
    or one of another id or frame count, is a :class:`PhoenixDataError` naming it."""

    def bad(message: str) -> PhoenixDataError:
        return PhoenixDataError(path, None, message)

    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise bad(f"cannot read the keypoint file: {reason}") from error
    if (
        not isinstance(value, dict)
        or value.get("format") != "slr-phoenix-keypoints"
        or value.get("version") != 1
    ):
        raise bad("not a keypoint file (expected format 'slr-phoenix-keypoints', version 1).")
    frames, keypoints = value.get("frames"), value.get("keypoints")
    names, points = value.get("names"), value.get("points")

    def positive(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v > 0

    if not positive(frames) or not positive(keypoints):
        raise bad("frames and keypoints must be positive integers.")
    count = frames * keypoints * 2
    if not isinstance(points, list) or len(points) != count:
        raise bad(f"points must hold frames × keypoints × 2 = {count} numbers.")
    array = np.asarray(points, dtype=np.float64) if all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in points
    ) else None
    if array is None or not np.isfinite(array).all():
        raise bad("points must be finite numbers.")
    if names is not None and (
        not isinstance(names, list)
        or len(names) != keypoints
        or not all(isinstance(name, str) for name in names)
    ):
        raise bad(f"names must be {keypoints} strings.")
    if expected_id is not None and value.get("id") != expected_id:
        raise bad(f"the file is for sample '{value.get('id')}', not '{expected_id}'.")
    if expected_frames is not None and frames != expected_frames:
        raise bad(f"the file has {frames} frames but the sample has {expected_frames}.")
    tensor = torch.from_numpy(array.astype(np.float32)).reshape(frames, keypoints, 2)
    return PhoenixKeypoints(frames, keypoints, tuple(names) if names else None, tensor)


@dataclass
class PhoenixSample:
    """One sample as ``readPhoenixSplit`` yields it, as tensors."""

    id: str
    signer: str
    #: ``[T, H, W, 3]`` float32 in [0, 1] (channels-last, as the models take them).
    frames: Tensor
    glosses: Tuple[str, ...]
    gloss_ids: List[int]
    #: ``[T, K, 2]`` float32 when the sample has a keypoint file (and keypoints are read).
    keypoints: Optional[Tensor] = None
    keypoint_names: Optional[Tuple[str, ...]] = None


def _natural_key(name: str) -> Tuple[Any, ...]:
    """Natural order (``Intl.Collator('en', {numeric: true})``): digit runs by value, letters
    case-insensitively first, then by the name itself."""
    parts = re.split(r"(\d+)", name)
    key = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in parts if part
    )
    return (key, name)


def _glob_regexp(glob: str) -> "re.Pattern[str]":
    body = re.sub(r"[.+^${}()|\[\]\\]", lambda m: "\\" + m.group(0), glob)
    return re.compile("^" + body.replace("*", "[^/]*").replace("?", "[^/]") + "$")


def _list_frames(frames_root: Path, entry: PhoenixCsvEntry) -> List[Path]:
    folder = entry.folder
    slash = folder.rfind("/")
    folder_path = frames_root / (folder[:slash] if slash >= 0 else ".")
    pattern = _glob_regexp(folder[slash + 1 :] if slash >= 0 else folder)
    try:
        names = os.listdir(folder_path)
    except FileNotFoundError:
        reason = "does not exist"
    except NotADirectoryError:
        reason = "is not a folder"
    except OSError as error:
        reason = f"cannot be read ({error.strerror or error})"
    else:
        frames = sorted((name for name in names if pattern.match(name)), key=_natural_key)
        if not frames:
            raise PhoenixDataError(
                entry.file,
                entry.line,
                f"the frame folder {folder_path} of '{entry.id}' has no file matching '{folder}'.",
            )
        return [folder_path / name for name in frames]
    raise PhoenixDataError(
        entry.file, entry.line, f"the frame folder {folder_path} of '{entry.id}' {reason}."
    )


def _subsample(count: int, step: int, max_frames: Optional[int]) -> List[int]:
    stepped = list(range(0, count, step))
    if max_frames is None or len(stepped) <= max_frames:
        return stepped
    return [stepped[(i * len(stepped)) // max_frames] for i in range(max_frames)]


_LANCZOS = getattr(Image, "Resampling", Image).LANCZOS


def _decode_frame(
    path: Path, entry: PhoenixCsvEntry, size: Optional[Tuple[int, int]]
) -> Tensor:
    """``[H, W, 3]`` uint8."""
    try:
        image = read_image(str(path), ImageReadMode.RGB)  # [3, H, W]
        if size is not None and tuple(image.shape[1:]) != size:
            pil = Image.fromarray(image.permute(1, 2, 0).numpy())
            resized = pil.resize((size[1], size[0]), _LANCZOS)
            return torch.from_numpy(np.array(resized))
    except (RuntimeError, OSError, ValueError) as error:
        raise PhoenixDataError(
            entry.file,
            entry.line,
            f"cannot decode the frame {path} of '{entry.id}': {error}",
        ) from error
    return image.permute(1, 2, 0)


def _check_options(
    fn: str,
    size: Optional[Sequence[int]],
    frame_step: int,
    max_frames: Optional[int],
    limit: Optional[int],
) -> Optional[Tuple[int, int]]:
    check_integer(fn, "frame_step", frame_step, 1)
    if max_frames is not None:
        check_integer(fn, "max_frames", max_frames, 1)
    if limit is not None:
        check_integer(fn, "limit", limit, 0)
    if size is None:
        return None
    ok = (
        isinstance(size, (list, tuple))
        and len(size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in size)
    )
    if not ok:
        raise ArgumentError(fn, "size", "be [H, W] with integers >= 1", size)
    return (int(size[0]), int(size[1]))


class PhoenixSplit(torch.utils.data.Dataset):
    """One split of a corpus as a map-style dataset (for ``DataLoader`` / ``DistributedSampler``):
    the CSV is read and checked, and every gloss mapped to its id, when it is built; frames are
    decoded when a sample is asked for (``dataset[i]`` is a :class:`PhoenixSample`).

    Options as ``readPhoenixSplit``'s: ``size`` ``[H, W]`` (default: the frames' own size),
    ``frame_step``, ``max_frames``, ``vocabulary`` (default :func:`load_or_build_vocabulary`),
    ``keypoints`` (read the side files, default True), ``limit``, ``frame_folder``.
    """

    def __init__(
        self,
        dir: Union[str, os.PathLike],
        split: str,
        *,
        size: Optional[Sequence[int]] = None,
        frame_step: int = 1,
        max_frames: Optional[int] = None,
        vocabulary: Optional[GlossVocabulary] = None,
        keypoints: bool = True,
        limit: Optional[int] = None,
        frame_folder: str = PHOENIX_FRAME_FOLDER,
        _fn: str = "PhoenixSplit",
    ) -> None:
        fn = _fn
        _check_dir(fn, dir)
        check_one_of(fn, "split", split, PHOENIX_SPLITS)
        _check_frame_folder(fn, frame_folder)
        self.size = _check_options(fn, size, frame_step, max_frames, limit)
        if vocabulary is not None and not isinstance(vocabulary, GlossVocabulary):
            raise ArgumentError(fn, "vocabulary", "be a GlossVocabulary", vocabulary)
        if not isinstance(keypoints, bool):
            raise ArgumentError(fn, "keypoints", "be a boolean", keypoints)
        self.paths = PhoenixPaths(Path(dir), frame_folder)
        self.split = split
        self.frame_step = frame_step
        self.max_frames = max_frames
        self.read_keypoints = keypoints
        self.vocabulary = vocabulary or _corpus_vocabulary(self.paths, "<blank>")
        self.entries: List[PhoenixCsvEntry] = []
        self.gloss_ids: List[List[int]] = []
        for entry in _annotations(self.paths, split):
            if limit is not None and len(self.entries) >= limit:
                break
            ids = []
            for gloss in entry.glosses:
                if not self.vocabulary.has(gloss):
                    raise PhoenixDataError(
                        entry.file,
                        entry.line,
                        f"unknown gloss '{gloss}' in the annotation of '{entry.id}': it is not "
                        f"in the vocabulary of {len(self.vocabulary.glosses)} glosses.",
                    )
                ids.append(self.vocabulary.id_of(gloss))
            self.entries.append(entry)
            self.gloss_ids.append(ids)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> PhoenixSample:
        entry = self.entries[index]
        frame_paths = _list_frames(self.paths.frames_root(self.split), entry)
        selected = _subsample(len(frame_paths), self.frame_step, self.max_frames)
        frames = [_decode_frame(frame_paths[i], entry, self.size) for i in selected]
        height, width = frames[0].shape[:2]
        for i, frame in zip(selected, frames):
            if frame.shape[:2] != (height, width):
                raise PhoenixDataError(
                    entry.file,
                    entry.line,
                    f"the frame {frame_paths[i]} of '{entry.id}' is {frame.shape[1]}×"
                    f"{frame.shape[0]}×3 but the sample's frames are {width}×{height}×3 "
                    "(pass size to resize).",
                )
        video = torch.stack(frames).to(torch.float32).div_(255.0)
        sample = PhoenixSample(
            entry.id, entry.signer, video, entry.glosses, list(self.gloss_ids[index])
        )
        if self.read_keypoints:
            path = self.paths.keypoints(self.split, entry.id)
            if path.exists():
                try:
                    keypoints = read_keypoints_file(path, entry.id, len(frame_paths))
                except PhoenixDataError as error:
                    raise PhoenixDataError(entry.file, entry.line, str(error)) from error
                sample.keypoints = keypoints.points[selected].contiguous()
                sample.keypoint_names = keypoints.names
        return sample


def read_phoenix_split(
    dir: Union[str, os.PathLike], split: str, **options: Any
) -> Iterator[PhoenixSample]:
    """Streams the samples of one split (``readPhoenixSplit``): options as
    :class:`PhoenixSplit`'s."""
    dataset = PhoenixSplit(dir, split, **options, _fn="read_phoenix_split")
    for index in range(len(dataset)):
        yield dataset[index]


@dataclass
class PhoenixBatch:
    """A padded batch (``makeBatch`` of ``@slr/data``): ``videos`` ``[B, Tmax, H, W, 3]`` and
    ``keypoints`` ``[B, Tmax, K, 2]`` zero-padded after each clip, ``targets`` ``[B, Smax]``
    (padded with 0, which ``F.ctc_loss`` never reads past ``target_lengths``; ``makeBatch`` pads
    with -1)."""

    ids: List[str]
    videos: Tensor
    input_lengths: List[int]
    targets: Tensor
    target_lengths: List[int]
    keypoints: Optional[Tensor] = None
    glosses: List[Tuple[str, ...]] = field(default_factory=list)


def collate_samples(samples: Sequence[PhoenixSample]) -> PhoenixBatch:
    """Pads samples into a :class:`PhoenixBatch` (a ``collate_fn`` for ``DataLoader``)."""
    fn = "collate_samples"
    if not samples:
        raise ArgumentError(fn, "samples", "hold at least one sample", samples)
    first = samples[0]
    height, width = first.frames.shape[1:3]
    with_keypoints = first.keypoints is not None
    for index, sample in enumerate(samples):
        if sample.frames.shape[1:3] != (height, width):
            rule = f"have frames of {height}×{width} like sample '{first.id}' (one H×W a batch)"
            raise ArgumentError(fn, f"samples[{index}]", rule, sample.id)
        if (sample.keypoints is not None) != with_keypoints:
            rule = "all have keypoints or none (a batch has one kind)"
            raise ArgumentError(fn, f"samples[{index}]", rule, sample.id)
    lengths = [int(sample.frames.shape[0]) for sample in samples]
    target_lengths = [len(sample.gloss_ids) for sample in samples]
    videos = torch.zeros(len(samples), max(lengths), height, width, 3)
    targets = torch.zeros(len(samples), max(1, max(target_lengths)), dtype=torch.long)
    for b, sample in enumerate(samples):
        videos[b, : lengths[b]] = sample.frames
        targets[b, : target_lengths[b]] = torch.tensor(sample.gloss_ids, dtype=torch.long)
    batch = PhoenixBatch(
        [s.id for s in samples],
        videos,
        lengths,
        targets,
        target_lengths,
        glosses=[s.glosses for s in samples],
    )
    if with_keypoints:
        shape = first.keypoints.shape[1:]  # type: ignore[union-attr]
        keypoints = torch.zeros(len(samples), max(lengths), *shape)
        for b, sample in enumerate(samples):
            if sample.keypoints.shape[1:] != shape:  # type: ignore[union-attr]
                rule = f"have {shape[0]} keypoints per frame like sample '{first.id}'"
                raise ArgumentError(fn, f"samples[{b}]", rule, sample.id)
            keypoints[b, : lengths[b]] = sample.keypoints
        batch.keypoints = keypoints
    return batch
