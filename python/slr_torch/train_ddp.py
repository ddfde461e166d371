"""Distributed (DDP) training of the PyTorch twins on a PHOENIX-2014 layout corpus.

Run with torchrun, one process per GPU (``nccl``) or per CPU worker (``gloo``)::

    torchrun --nproc_per_node 8 python/slr_torch/train_ddp.py --corpus /data/phoenix2014 \\
        --model student --model-options '{"variant": "small"}' --size 112x112 \\
        --epochs 40 --batch-size 4 --optimizer adamw --lr 1e-3 --weight-decay 0.01 \\
        --schedule cosine --warmup-epochs 1 --clip-norm 1 --checkpoint-dir runs/student

(``/usr/bin/python3 -m torch.distributed.run`` where there is no ``torchrun`` command; without
torchrun it trains in one process.) What ``train`` of ``@slr/train`` does, it does: the corpus's
vocabulary (``annotations/vocabulary.json``, or derived from the train split; blank 0), CTC
loss (``F.ctc_loss``, blank 0, ``reduction='mean'``: each clip's loss over its target length,
averaged over the batch, as ``ctcLoss`` of ``@slr/ctc``; ``zero_infinity=False``) on the twin's
log-probabilities with its ``output_lengths``; ``createOptimizer``'s optimizers and defaults
(``adam``, ``adamw`` with decoupled decay, ``sgd`` with momentum, Nesterov and L2 decay);
``createSchedule``'s linear warmup then ``constant`` / ``cosine`` / ``step`` / ``cyclic``
over ``epochs · batches per epoch`` steps; ``clipByGlobalNorm`` (every gradient scaled by
``max_norm / (norm + 1e-6)`` when the global norm is above ``max_norm``); a step whose loss or
gradients are not finite is skipped with a warning. Each process takes a ``DistributedSampler``
shard (shuffled by ``seed`` and the epoch) in batches of ``--batch-size``; DDP averages the
gradients, so a step sees ``batch size × processes`` clips.

Rank 0 writes a checkpoint after every epoch, atomically (temporary file, ``fsync``,
``os.replace``): ``epoch-NNNN.safetensors`` (the model's state dict under its PyTorch names,
``__metadata__`` ``slr_torch`` holding the model and its options), ``epoch-NNNN.state.pt``
(the optimizer's state and every process's random state, ``torch.save``) and, last,
``epoch-NNNN.json`` (epoch, step, history, the run's configuration, the two files' SHA-256),
keeping the newest ``--keep``. A run resumes from the latest valid checkpoint of
``--checkpoint-dir`` (saying so); one saved by a different run (model, vocabulary, data, batch
size, processes, seed, optimizer) is refused, naming both values, as ``@slr/train`` refuses it;
epochs, learning rate, schedule and clipping may change and are logged. A resumed run ends with
the weights of an uninterrupted one.

``--decode-split dev --checkpoint …/epoch-0003.safetensors --decode-out dev.json`` greedily
decodes a split with a checkpoint instead (one process, one clip at a time) and writes
``{sample id: [gloss ids]}``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import math
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

if __package__ in (None, ""):  # run as a file: import the package, not its folder's modules
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    sys.path.insert(0, os.path.dirname(_HERE))

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from slr_torch import build_i3d_teacher, build_mobilenet_v3_student
from slr_torch._checks import ArgumentError
from slr_torch.phoenix import (
    GlossVocabulary,
    PhoenixBatch,
    PhoenixDataError,
    PhoenixSplit,
    collate_samples,
    load_or_build_vocabulary,
)
from slr_torch.safetensors_io import load_safetensors, safetensors_bytes, write_file_atomic

__all__ = [
    "create_schedule",
    "create_optimizer",
    "clip_by_global_norm",
    "greedy_decode",
    "word_errors",
    "snake_case",
    "build_model",
    "find_latest_checkpoint",
    "check_resume",
    "main",
]

FN = "train_ddp"
CHECKPOINT_FORMAT = "slr-torch-ddp-checkpoint"


# --------------------------------------------------------------------------------------------
# The pieces @slr/train has: schedule, optimizers, clipping, greedy decoding, WER


def create_schedule(
    base: str,
    learning_rate: float,
    total_steps: int,
    warmup_steps: int = 0,
    warmup_start_factor: float = 0.0,
    min_learning_rate: float = 0.0,
    gamma: float = 0.1,
    step_size: int = 1,
    max_learning_rate: Optional[float] = None,
) -> Callable[[int], float]:
    """``createSchedule`` of ``@slr/train``: the learning rate of a 0-based step. A linear warmup
    from ``learning_rate · warmup_start_factor`` over ``warmup_steps``, then ``base`` over the
    remaining steps: ``'constant'``, ``'cosine'`` (to ``min_learning_rate``), ``'step'``
    (× ``gamma`` every ``step_size`` steps) or ``'cyclic'`` (triangular up to
    ``max_learning_rate``, half cycles of ``step_size``).

    >>> schedule = create_schedule("cosine", 1.0, total_steps=10, warmup_steps=2)
    >>> [round(schedule(step), 3) for step in (0, 1, 2, 6, 10)]
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    fn = "create_schedule"
    if base not in ("constant", "cosine", "step", "cyclic"):
        raise ArgumentError(fn, "base", "be one of 'constant', 'cosine', 'step', 'cyclic'", base)
    if not learning_rate > 0 or not math.isfinite(learning_rate):
        raise ArgumentError(fn, "learning_rate", "be a finite number > 0", learning_rate)
    if total_steps < 1:
        raise ArgumentError(fn, "total_steps", "be an integer >= 1", total_steps)
    if not 0 <= warmup_steps <= total_steps:
        rule = f"be an integer in [0, total_steps ({total_steps})]"
        raise ArgumentError(fn, "warmup_steps", rule, warmup_steps)
    if not 0 <= warmup_start_factor <= 1:
        raise ArgumentError(fn, "warmup_start_factor", "be in [0, 1]", warmup_start_factor)
    if base == "cosine" and not 0 <= min_learning_rate <= learning_rate:
        rule = f"be a number in [0, learning_rate ({learning_rate})]"
        raise ArgumentError(fn, "min_learning_rate", rule, min_learning_rate)
    if base in ("step", "cyclic") and step_size < 1:
        raise ArgumentError(fn, "step_size", "be an integer >= 1", step_size)
    if base == "step" and not 0 < gamma <= 1:
        raise ArgumentError(fn, "gamma", "be a number in (0, 1]", gamma)
    top = learning_rate if max_learning_rate is None else max_learning_rate
    if base == "cyclic" and (max_learning_rate is None or max_learning_rate < learning_rate):
        rule = f"be a number >= learning_rate ({learning_rate})"
        raise ArgumentError(fn, "max_learning_rate", rule, max_learning_rate)
    base_steps = total_steps - warmup_steps

    def after_warmup(t: int) -> float:
        if base == "constant":
            return learning_rate
        if base == "cosine":
            if base_steps == 0:
                return learning_rate
            cosine = 1 + math.cos(math.pi * min(t, base_steps) / base_steps)
            return min_learning_rate + (learning_rate - min_learning_rate) * cosine / 2
        if base == "step":
            return learning_rate * gamma ** (t // step_size)
        cycle = math.floor(1 + t / (2 * step_size))
        x = abs(t / step_size - 2 * cycle + 1)
        return learning_rate + (top - learning_rate) * max(0.0, 1 - x)

    def schedule(step: int) -> float:
        if step < warmup_steps:
            factor = warmup_start_factor + (1 - warmup_start_factor) * step / warmup_steps
            return learning_rate * factor
        return after_warmup(step - warmup_steps)

    return schedule


def create_optimizer(
    parameters: Any,
    name: str,
    learning_rate: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> torch.optim.Optimizer:
    """``createOptimizer`` of ``@slr/train`` in PyTorch, with its defaults (PyTorch's, except
    AdamW's weight decay, 0 unless asked for): ``'adam'`` is ``torch.optim.Adam`` (no weight
    decay: ``'adamw'`` has it), ``'adamw'`` ``torch.optim.AdamW`` (decoupled decay),
    ``'sgd'`` ``torch.optim.SGD`` (``dampening`` 0, L2 decay added to the gradient).

    >>> create_optimizer([nn.Parameter(torch.zeros(1))], "adamw", 1e-3).defaults["weight_decay"]
    0.0
    """
    fn = "create_optimizer"
    if name not in ("adam", "adamw", "sgd"):
        raise ArgumentError(fn, "name", "be one of 'adam', 'adamw', 'sgd'", name)
    for argument, value, low, high in (
        ("learning_rate", learning_rate, 0, math.inf),
        ("epsilon", epsilon, 0, math.inf),
    ):
        if not low < value < high:
            raise ArgumentError(fn, argument, "be a finite number > 0", value)
    for argument, value in (("beta1", beta1), ("beta2", beta2), ("momentum", momentum)):
        if not 0 <= value < 1:
            raise ArgumentError(fn, argument, "be a finite number in [0, 1)", value)
    if not 0 <= weight_decay < math.inf:
        raise ArgumentError(fn, "weight_decay", "be a finite number >= 0", weight_decay)
    if name == "adam" and weight_decay != 0:
        rule = "be 0 for 'adam' (use 'adamw' for decoupled weight decay)"
        raise ArgumentError(fn, "weight_decay", rule, weight_decay)
    if name == "sgd" and nesterov and momentum == 0:
        raise ArgumentError(fn, "momentum", "be > 0 when nesterov is true", momentum)
    if name == "adam":
        return torch.optim.Adam(parameters, learning_rate, (beta1, beta2), epsilon)
    if name == "adamw":
        return torch.optim.AdamW(parameters, learning_rate, (beta1, beta2), epsilon, weight_decay)
    return torch.optim.SGD(
        parameters, learning_rate, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay
    )


def clip_by_global_norm(parameters: Sequence[nn.Parameter], max_norm: Optional[float]) -> float:
    """The global L2 norm of the gradients, ``√(Σ‖g‖²)``; with ``max_norm`` and a finite norm
    above it, every gradient is scaled by ``max_norm / (norm + 1e-6)`` (``clipByGlobalNorm`` of
    ``@slr/train``; ``clip_grad_norm_`` also scales, by less than 1e-6, norms just below
    ``max_norm``). A non-finite norm is returned unscaled, for the step to be skipped.

    >>> p = nn.Parameter(torch.zeros(2)); p.grad = torch.tensor([3.0, 4.0])
    >>> clip_by_global_norm([p], 1.0), [round(g, 6) for g in p.grad.tolist()]
    (5.0, [0.6, 0.8])
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    norm = float(torch.stack([g.detach().double().pow(2).sum() for g in grads]).sum().sqrt())
    if max_norm is not None and math.isfinite(norm) and norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for g in grads:
            g.mul_(scale)
    return norm


def greedy_decode(log_probs: Tensor, lengths: Sequence[int]) -> List[List[int]]:
    """Best path per clip of ``[T, B, V]`` log-probabilities: the most likely class of each of
    a clip's first ``lengths[b]`` frames (the first of equal ones; a NaN never wins), repeats
    merged, blanks (0) dropped, as ``ctcGreedyDecode`` of ``@slr/ctc``.

    >>> lp = torch.log(torch.tensor([[[.1, .9]], [[.2, .8]], [[.9, .1]], [[.3, .7]]]))
    >>> greedy_decode(lp, [4])
    [[1, 1]]
    """
    best = torch.nan_to_num(log_probs.detach(), nan=-math.inf).argmax(dim=-1)  # [T, B]
    out = []
    for b, length in enumerate(lengths):
        tokens: List[int] = []
        previous = -1
        for token in best[:length, b].tolist():
            if token != previous and token != 0:
                tokens.append(token)
            previous = token
        out.append(tokens)
    return out


def word_errors(reference: Sequence[int], hypothesis: Sequence[int]) -> int:
    """Substitutions + deletions + insertions (Levenshtein distance): WER's numerator.

    >>> word_errors([1, 2, 3], [1, 3, 4])
    2
    """
    previous = list(range(len(hypothesis) + 1))
    for i, word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, other in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
        previous = current
    return previous[-1]


# --------------------------------------------------------------------------------------------
# Models


def snake_case(value: Any) -> Any:
    """Every dict key, nested, from camelCase to snake_case (the JS options → the twins').

    >>> snake_case({"widthMultiplier": 0.25, "pose": {"keypoints": 20}})
    {'width_multiplier': 0.25, 'pose': {'keypoints': 20}}
    """
    if isinstance(value, dict):
        return {re.sub(r"([A-Z])", r"_\1", k).lower(): snake_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_case(item) for item in value]
    return value


def build_model(kind: str, options: Mapping[str, Any]) -> nn.Module:
    """The twin ``kind`` (``'teacher'`` or ``'student'``) built from its full options
    (``num_classes`` and ``input_shape`` included; the student's ``variant`` too)."""
    options = dict(options)
    if kind == "teacher":
        return build_i3d_teacher(options.pop("num_classes"), options.pop("input_shape"), **options)
    if kind == "student":
        num_classes, shape = options.pop("num_classes"), options.pop("input_shape")
        return build_mobilenet_v3_student(num_classes, shape, options.pop("variant"), **options)
    raise ArgumentError(FN, "--model", "be 'teacher' or 'student'", kind)


def model_inputs(model: nn.Module, batch: PhoenixBatch, device: torch.device) -> Tuple[Tensor, ...]:
    """What the twin takes from a batch: the videos, and the keypoints for a teacher with a
    pose stream (as ``inputs: (batch) => [batch.videos, batch.keypoints]`` in ``@slr/train``)."""
    videos = batch.videos.to(device, non_blocking=True)
    if getattr(model, "uses_pose", False):
        if batch.keypoints is None:
            raise ArgumentError(
                FN,
                "--corpus",
                "have keypoint files (features/keypoints/…) for a teacher with a pose stream",
                batch.ids[0],
                f"sample '{batch.ids[0]}' without keypoints",
            )
        return (videos, batch.keypoints.to(device, non_blocking=True))
    return (videos,)


# --------------------------------------------------------------------------------------------
# Distributed helpers (no-ops in a single process)


@dataclass(frozen=True)
class World:
    rank: int
    size: int
    local_rank: int
    device: torch.device
    distributed: bool

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_world(device_choice: str) -> World:
    distributed = "WORLD_SIZE" in os.environ and "RANK" in os.environ
    rank = int(os.environ.get("RANK", 0))
    size = int(os.environ.get("WORLD_SIZE", 1))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    cuda = torch.cuda.is_available() if device_choice == "auto" else device_choice == "cuda"
    if cuda and not torch.cuda.is_available():
        raise ArgumentError(FN, "--device", "be 'cpu' or 'auto' on a machine without CUDA", "cuda")
    if cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if distributed:
        dist.init_process_group(
            "nccl" if cuda else "gloo",
            rank=rank,
            world_size=size,
            timeout=datetime.timedelta(minutes=30),
        )
    return World(rank, size, local_rank, device, distributed)


def all_reduce_mean(world: World, value: Tensor) -> Tensor:
    if world.distributed:
        value = value.clone()
        dist.all_reduce(value)
        value /= world.size
    return value


def all_gather(world: World, value: Any) -> List[Any]:
    if not world.distributed:
        return [value]
    out: List[Any] = [None] * world.size
    dist.all_gather_object(out, value)
    return out


def broadcast_buffers(world: World, module: nn.Module) -> None:
    """Every process takes rank 0's buffers (batch-norm moving statistics): DDP broadcasts them
    before each forward pass; this does it at an epoch's end, so that every process holds the
    state the checkpoint saves."""
    if world.distributed:
        for buffer in module.buffers():
            dist.broadcast(buffer, 0)


def log(world: World, message: str) -> None:
    if world.main:
        print(message, flush=True)


def warn(world: World, message: str) -> None:
    if world.main:
        print(f"warning: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Checkpoints


def state_digest(module: nn.Module) -> Dict[str, Any]:
    """SHA-256 of the parameters and of the whole state dict (buffers included), name by name
    (name, dtype, shape, bytes), and each parameter's L2 norm."""
    parameters = hashlib.sha256()
    state = hashlib.sha256()
    names = {name for name, _ in module.named_parameters()}
    norms = {}
    for name, tensor in module.state_dict().items():
        t = tensor.detach().to("cpu").contiguous()
        chunk = f"{name}|{t.dtype}|{list(t.shape)}|".encode() + t.numpy().tobytes()
        state.update(chunk)
        if name in names:
            parameters.update(chunk)
            norms[name] = float(t.double().norm())
    return {
        "parameters_sha256": parameters.hexdigest(),
        "state_sha256": state.hexdigest(),
        "norms": norms,
    }


def _checkpoint_name(epoch: int) -> str:
    return f"epoch-{epoch:04d}"


def _checkpoints(directory: Path) -> List[Tuple[int, Path]]:
    """The checkpoints' epochs and JSON files, oldest first."""
    found = []
    for path in directory.glob("epoch-*.json"):
        match = re.fullmatch(r"epoch-(\d+)\.json", path.name)
        if match is not None:
            found.append((int(match.group(1)), path))
    return sorted(found)


def save_checkpoint(
    directory: Path,
    epoch: int,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    rng: List[Dict[str, Tensor]],
    record: Dict[str, Any],
    keep: int,
) -> Path:
    """Writes ``epoch-NNNN.{safetensors,state.pt,json}`` (the JSON last: it commits the other
    two), then removes the checkpoints of later epochs (another run's, which this one replaces:
    ``--no-resume``, or broken ones a resume passed over, each said at the start) and all but
    the newest ``keep``. Returns the JSON's path."""
    name = _checkpoint_name(epoch)
    run = record["run"]
    directory.mkdir(parents=True, exist_ok=True)
    metadata = {
        "format": "pt",
        "slr_torch": json.dumps(
            {
                "model": run["model"],
                "options": run["model_options"],
                "vocabulary": run["vocabulary"],
                "data": {key: run[key] for key in ("size", "frame_step", "max_frames")},
                "epoch": epoch,
                "step": record["step"],
            },
            sort_keys=True,
        ),
    }
    state = {k: v.detach().to("cpu") for k, v in model.state_dict().items()}
    weights = safetensors_bytes(state, metadata)
    buffer = io.BytesIO()
    torch.save({"optimizer": optimizer.state_dict(), "rng": rng}, buffer)
    extra = buffer.getvalue()
    files = {}
    for key, suffix, data in (("weights", ".safetensors", weights), ("state", ".state.pt", extra)):
        write_file_atomic(directory / f"{name}{suffix}", data)
        files[key] = {"file": f"{name}{suffix}", "sha256": hashlib.sha256(data).hexdigest()}
    document = {"format": CHECKPOINT_FORMAT, "version": 1, **record, "epoch": epoch, "files": files}
    path = directory / f"{name}.json"
    write_file_atomic(path, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())
    found = _checkpoints(directory)
    kept = [number for number, _ in found if number <= epoch][-keep:]
    for number, old in found:
        if number not in kept:
            old.unlink()  # the commit record first: a half-removed checkpoint is never "valid"
            for suffix in (".safetensors", ".state.pt"):
                old.with_suffix(suffix).unlink(missing_ok=True)
    return path


def _read_checkpoint(path: Path) -> Dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("format") != CHECKPOINT_FORMAT or document.get("version") != 1:
        raise ValueError(f"not a checkpoint of train_ddp (format {CHECKPOINT_FORMAT!r}, version 1)")
    for key in ("weights", "state"):
        entry = document["files"][key]
        data = (path.parent / entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ValueError(f"{entry['file']} does not match the SHA-256 the checkpoint recorded")
    return document


def find_latest_checkpoint(
    directory: Path,
) -> Tuple[Optional[Tuple[Path, Dict[str, Any]]], List[str]]:
    """The newest checkpoint of ``directory`` that reads back whole (its JSON, and files whose
    SHA-256 match), and a message for each newer one passed over."""
    skipped = []
    for _, path in reversed(_checkpoints(directory)):
        try:
            return (path, _read_checkpoint(path)), skipped
        except (OSError, ValueError, KeyError, TypeError) as error:
            skipped.append(f"checkpoint {path} is unusable, falling back: {error}")
    return None, skipped


#: Run settings a resume cannot honour: the model, the data and the order of the batches.
REFUSED = (
    "model",
    "model_options",
    "vocabulary",
    "world_size",
    "batch_size",
    "seed",
    "shuffle",
    "train_samples",
    "batches_per_epoch",
    "size",
    "frame_step",
    "max_frames",
)
#: Run settings a resume honours from its step on (each change is logged).
ADJUSTABLE = ("epochs", "optimizer", "schedule", "clip_norm")


def _shown(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else repr(value)


def check_resume(path: Path, saved: Mapping[str, Any], current: Mapping[str, Any]) -> List[str]:
    """Checks that the run ``current`` can resume from the one ``saved`` (a checkpoint's
    ``run``): an ``ArgumentError`` naming each setting it cannot honour and both values (as
    ``checkResume`` of ``@slr/train``); returns the changes it honours, to be logged."""
    problems = [
        f"'{key}' was {_shown(saved.get(key))}, this run has {_shown(current.get(key))}"
        for key in REFUSED
        if saved.get(key) != current.get(key)
    ]
    if saved.get("optimizer", {}).get("name") != current["optimizer"]["name"]:
        problems.append(
            f"'optimizer.name' was {_shown(saved.get('optimizer', {}).get('name'))}, "
            f"this run has {_shown(current['optimizer']['name'])}"
        )
    if problems:
        raise ArgumentError(
            FN,
            "--checkpoint-dir",
            "hold checkpoints of this run (a resume continues the saved run exactly; to train "
            "another, use another folder or --no-resume)",
            str(path),
            f"{path}, saved by a different run: {'; '.join(problems)}",
        )
    changes = []
    for key in ADJUSTABLE:
        if saved.get(key) != current.get(key):
            changes.append(f"{key}: {_shown(saved.get(key))} → {_shown(current.get(key))}")
    return changes


# --------------------------------------------------------------------------------------------
# The command line


def _size(text: str) -> Tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if match is None or int(match.group(1)) < 1 or int(match.group(2)) < 1:
        raise argparse.ArgumentTypeError(
            f"must be HxW with positive integers, e.g. 112x112, but got '{text}'"
        )
    return int(match.group(1)), int(match.group(2))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="train_ddp.py",
        description="Trains a PyTorch twin of an @slr model with DDP on a PHOENIX-2014 layout "
        "corpus (run with torchrun --nproc_per_node N), or greedily decodes a split with a "
        "checkpoint (--decode-split).",
    )
    parser.add_argument("--corpus", required=True, help="the corpus folder (PHOENIX-2014 layout)")
    parser.add_argument("--model", choices=("teacher", "student"), help="the twin to train")
    parser.add_argument(
        "--model-options",
        default="{}",
        help="the model's options as JSON (buildI3DTeacher's or buildMobileNetV3Student's, "
        "camelCase or snake_case; a student needs 'variant'), or @FILE; numClasses comes from "
        "the vocabulary and inputShape from --size",
    )
    parser.add_argument("--size", type=_size, help="resize frames to HxW (default: their own size)")
    parser.add_argument("--frame-step", type=int, help="keep every Nth frame (default 1)")
    parser.add_argument("--max-frames", type=int, help="then at most N frames, evenly spread")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1, help="clips per process and step")
    parser.add_argument("--seed", type=int, default=0, help="batch order and initialisation")
    parser.add_argument("--no-shuffle", dest="shuffle", action="store_false")
    parser.add_argument("--optimizer", choices=("adam", "adamw", "sgd"), default="adam")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    parser.add_argument("--beta1", type=float, default=0.9)
    parser.add_argument("--beta2", type=float, default=0.999)
    parser.add_argument("--epsilon", type=float, default=1e-8)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--momentum", type=float, default=0.0)
    parser.add_argument("--nesterov", action="store_true")
    parser.add_argument(
        "--schedule", choices=("constant", "cosine", "step", "cyclic"), default="constant"
    )
    warmup = parser.add_mutually_exclusive_group()
    warmup.add_argument("--warmup-epochs", type=float, help="linear warmup, in epochs")
    warmup.add_argument("--warmup-steps", type=int, help="linear warmup, in steps")
    parser.add_argument("--warmup-start-factor", type=float, default=0.0)
    parser.add_argument("--min-lr", type=float, default=0.0, help="cosine: the final rate")
    parser.add_argument("--gamma", type=float, default=0.1, help="step: the decay factor")
    parser.add_argument("--step-size", type=int, default=1, help="step / cyclic: steps")
    parser.add_argument("--max-lr", type=float, help="cyclic: the top of the cycle")
    parser.add_argument("--clip-norm", type=float, help="clip gradients to this global norm")
    parser.add_argument(
        "--eval-split", choices=("train", "dev", "test"), help="greedy WER after epochs"
    )
    parser.add_argument("--eval-every", type=int, default=1)
    parser.add_argument("--checkpoint-dir", help="checkpoints go (and are resumed from) here")
    parser.add_argument("--no-resume", dest="resume", action="store_false")
    parser.add_argument("--keep", type=int, default=2, help="checkpoints kept (default 2)")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers per process")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument(
        "--digest-dir", help="each process writes rank-R.json: SHA-256 and norms of its weights"
    )
    parser.add_argument("--decode-split", choices=("train", "dev", "test"))
    parser.add_argument("--checkpoint", help="--decode-split: the .safetensors checkpoint")
    parser.add_argument("--decode-out", help="--decode-split: the JSON {sample id: [gloss ids]}")
    parser.add_argument(
        "--log-probs", help="--decode-split: also write each clip's [T', V] log-probs (safetensors)"
    )
    args = parser.parse_args(argv)
    if args.decode_split is not None:
        for flag in ("checkpoint", "decode_out"):
            if getattr(args, flag) is None:
                parser.error(f"--decode-split needs --{flag.replace('_', '-')}")
    elif args.model is None:
        parser.error("--model is required to train")
    minimums = {
        "epochs": 1,
        "batch_size": 1,
        "frame_step": 1,
        "max_frames": 1,
        "keep": 1,
        "workers": 0,
        "eval_every": 1,
    }
    for flag, minimum in minimums.items():
        value = getattr(args, flag)
        if value is not None and value < minimum:
            name = flag.replace("_", "-")
            parser.error(f"--{name} must be an integer >= {minimum}, but got {value}")
    if args.clip_norm is not None and not args.clip_norm > 0:
        parser.error(f"--clip-norm must be a number > 0, but got {args.clip_norm}")
    return args


def _model_options(
    args: argparse.Namespace, num_classes: int, size: Tuple[int, int]
) -> Dict[str, Any]:
    """The model's full options: ``--model-options`` in snake_case, with ``num_classes`` (the
    vocabulary's size) and ``input_shape`` ``[None, H, W, 3]``."""
    text = args.model_options
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as error:
            rule = "be JSON or @FILE of a readable file"
            actual = f"{args.model_options} ({error.strerror or error})"
            raise ArgumentError(FN, "--model-options", rule, text, actual) from error
    try:
        options = snake_case(json.loads(text))
    except ValueError as error:
        rule = "be a JSON object"
        raise ArgumentError(FN, "--model-options", rule, args.model_options) from error
    if not isinstance(options, dict):
        raise ArgumentError(FN, "--model-options", "be a JSON object", args.model_options)
    if "num_classes" in options and options["num_classes"] != num_classes:
        rule = f"leave num_classes out or give the vocabulary's size, {num_classes}"
        raise ArgumentError(FN, "--model-options", rule, options["num_classes"])
    if args.model == "student" and "variant" not in options:
        rule = "give the student's 'variant' ('small' or 'large')"
        raise ArgumentError(FN, "--model-options", rule, options)
    shape = [None, size[0], size[1], 3]
    if "input_shape" in options and options["input_shape"] != shape:
        rule = f"leave input_shape out or give {shape} (the frames' size, --size)"
        raise ArgumentError(FN, "--model-options", rule, options["input_shape"])
    options["num_classes"] = num_classes
    options["input_shape"] = shape
    return options


def _frame_size(dataset: PhoenixSplit, size: Optional[Tuple[int, int]]) -> Tuple[int, int]:
    if size is not None:
        return size
    if len(dataset) == 0:
        raise ArgumentError(FN, "--corpus", "have train samples", str(dataset.paths.root))
    frames = dataset[0].frames
    return int(frames.shape[1]), int(frames.shape[2])


def _non_finite_reason(batch: PhoenixBatch, lengths: Sequence[int]) -> List[str]:
    """This process's clips that no alignment fits: fewer output frames than CTC needs."""
    out = []
    for b, targets in enumerate(batch.targets.tolist()):
        labels = targets[: batch.target_lengths[b]]
        needed = len(labels) + sum(1 for x, y in zip(labels, labels[1:]) if x == y)
        if lengths[b] < needed:
            out.append(
                f"'{batch.ids[b]}' ({lengths[b]} output frames for {len(labels)} glosses, "
                f"needs {needed})"
            )
    return out


def train(args: argparse.Namespace) -> int:
    """Training: builds the run, resumes it where a checkpoint says, trains the epochs left."""
    world = setup_world(args.device)
    try:
        run = Run(args, world)
        run.resume()
        run.train()
        return 0
    finally:
        if world.distributed:
            dist.destroy_process_group()


class Run:
    """One process's part of a training run (the model, its DDP wrapper, the data shard, the
    optimizer and schedule, where training stands)."""

    def __init__(self, args: argparse.Namespace, world: World) -> None:
        self.args = args
        self.world = world
        torch.manual_seed(args.seed)
        vocabulary = load_or_build_vocabulary(args.corpus)
        self.vocabulary = vocabulary
        frame_step = args.frame_step or 1
        self.data_options: Dict[str, Any] = dict(
            size=args.size, frame_step=frame_step, max_frames=args.max_frames, vocabulary=vocabulary
        )
        self.dataset = PhoenixSplit(args.corpus, "train", **self.data_options)
        # Without --size, every clip must have the first one's size (as the model's input).
        self.size = _frame_size(self.dataset, args.size)
        options = _model_options(args, vocabulary.size, self.size)
        self.model = build_model(args.model, options).to(world.device)
        self.sampler = DistributedSampler(
            self.dataset,
            num_replicas=world.size,
            rank=world.rank,
            shuffle=args.shuffle,
            seed=args.seed,
        )
        self.loader = DataLoader(
            self.dataset,
            batch_size=args.batch_size,
            sampler=self.sampler,
            collate_fn=collate_samples,
            num_workers=args.workers,
            pin_memory=world.device.type == "cuda",
        )
        self.batches_per_epoch = len(self.loader)
        self.total_steps = args.epochs * self.batches_per_epoch
        warmup_steps = (
            args.warmup_steps
            if args.warmup_steps is not None
            else math.floor((args.warmup_epochs or 0) * self.batches_per_epoch + 0.5)
        )
        schedule_config = dict(
            base=args.schedule,
            warmup_steps=warmup_steps,
            warmup_start_factor=args.warmup_start_factor,
            min_learning_rate=args.min_lr,
            gamma=args.gamma,
            step_size=args.step_size,
            max_learning_rate=args.max_lr,
        )
        self.schedule = create_schedule(
            learning_rate=args.lr, total_steps=self.total_steps, **schedule_config
        )
        optimizer_config = dict(
            name=args.optimizer,
            learning_rate=args.lr,
            beta1=args.beta1,
            beta2=args.beta2,
            epsilon=args.epsilon,
            weight_decay=args.weight_decay,
            momentum=args.momentum,
            nesterov=args.nesterov,
        )
        self.parameters = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = create_optimizer(self.parameters, **optimizer_config)
        #: What a checkpoint records of the run, and a resume compares.
        self.config: Dict[str, Any] = {
            "model": args.model,
            "model_options": options,
            "vocabulary": vocabulary.to_json(),
            "world_size": world.size,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "shuffle": args.shuffle,
            "train_samples": len(self.dataset),
            "batches_per_epoch": self.batches_per_epoch,
            "size": list(self.size),
            "frame_step": frame_step,
            "max_frames": args.max_frames,
            "epochs": args.epochs,
            "optimizer": optimizer_config,
            "schedule": schedule_config,
            "clip_norm": args.clip_norm,
        }
        self.history: List[Dict[str, Any]] = []
        self.step = 0
        self.epoch = 0
        self.skipped_steps = 0
        self.checkpoint_dir = Path(args.checkpoint_dir) if args.checkpoint_dir else None
        if self.checkpoint_dir is not None:
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
            if not os.access(self.checkpoint_dir, os.W_OK):
                rule = "be a folder this process can write"
                raise ArgumentError(FN, "--checkpoint-dir", rule, str(self.checkpoint_dir))

    def resume(self) -> None:
        """Continues from the latest valid checkpoint of ``--checkpoint-dir`` (every process
        reads it: the folder must be one they all see), unless ``--no-resume``."""
        world, folder = self.world, self.checkpoint_dir
        rng: Optional[Dict[str, Tensor]] = None
        if folder is not None and not self.args.resume:
            if _checkpoints(folder):
                warn(
                    world,
                    f"train: not resuming (--no-resume): the checkpoints in {folder} will be "
                    "replaced by this run's.",
                )
        elif folder is not None:
            found, skipped = find_latest_checkpoint(folder)
            for message in skipped:
                warn(world, f"train: {message}")
            if found is None and skipped:
                rule = "hold a checkpoint that reads back (or none: a fresh start)"
                actual = f"{folder}, none of whose {len(skipped)} checkpoints reads back"
                raise ArgumentError(FN, "--checkpoint-dir", rule, str(folder), actual)
            if found is not None:
                path, document = found
                changes = check_resume(path, document["run"], self.config)
                tensors, _ = load_safetensors(folder / document["files"]["weights"]["file"])
                self.model.load_state_dict(tensors)
                state = torch.load(folder / document["files"]["state"]["file"], map_location="cpu")
                groups = self.optimizer.param_groups
                own = [{k: v for k, v in g.items() if k != "params"} for g in groups]
                self.optimizer.load_state_dict(state["optimizer"])
                for group, settings in zip(self.optimizer.param_groups, own):
                    group.update(settings)  # this run's learning rate, betas…, not the saved ones
                rng = state["rng"][world.rank]
                self.history = document["history"]
                self.step = document["step"]
                self.skipped_steps = document["skipped_steps"]
                self.epoch = document["epoch"]
                where = f"(epoch {self.epoch}, step {self.step})"
                log(world, f"train_ddp: resuming from {path} {where}")
                if changes:
                    warn(world, f"train: resuming from {path} with changes: {'; '.join(changes)}.")
        if rng is not None:  # the random state this process had when the checkpoint was saved
            torch.set_rng_state(rng["cpu"])
            if "cuda" in rng and world.device.type == "cuda":
                torch.cuda.set_rng_state(rng["cuda"], world.device)
        else:
            torch.manual_seed(self.args.seed + 1 + world.rank)  # dropout differs by process

    def train(self) -> None:
        """The epochs left, each ending with its record, a checkpoint and (rank 0) a line."""
        args, world = self.args, self.world
        trained: nn.Module = self.model
        if world.distributed:  # broadcasts rank 0's weights and buffers to every process
            device_ids = [world.local_rank] if world.device.type == "cuda" else None
            trained = DistributedDataParallel(self.model, device_ids=device_ids)
        count = sum(p.numel() for p in self.parameters)
        backend = ("nccl" if world.device.type == "cuda" else "gloo") if world.distributed else ""
        processes = f"{world.size} process{'es' if world.size > 1 else ''}"
        log(
            world,
            f"train_ddp: {args.model}, {count:,} trainable parameters, {self.vocabulary.size} "
            f"classes; {processes} ({backend + ' on ' if backend else ''}{world.device.type}) × "
            f"batch {args.batch_size}; "
            f"{len(self.dataset)} train clips of {self.size[0]}×{self.size[1]}, "
            f"{self.batches_per_epoch} steps an epoch",
        )
        if self.epoch >= args.epochs:
            log(world, f"train_ddp: already trained {self.epoch} of {args.epochs} epochs")
        evaluation = None
        if args.eval_split is not None:
            options = {**self.data_options, "size": self.size}
            evaluation = PhoenixSplit(args.corpus, args.eval_split, **options)
        while self.epoch < args.epochs:
            started = time.time()
            self.sampler.set_epoch(self.epoch)
            trained.train()
            totals = {"loss": 0.0, "grad_norm": 0.0, "applied": 0}
            lr = self.schedule(min(self.step, self.total_steps - 1))
            for batch in self.loader:
                lr = self.schedule(min(self.step, self.total_steps - 1))
                self.train_step(trained, batch, lr, totals)
            broadcast_buffers(world, self.model)
            applied = totals["applied"]
            self.epoch += 1
            record: Dict[str, Any] = {
                "epoch": self.epoch,
                "step": self.step,
                "loss": totals["loss"] / applied if applied else math.nan,
                "lr": lr,
                "grad_norm": totals["grad_norm"] / applied if applied else math.nan,
                "skipped_steps": self.skipped_steps,
                "seconds": round(time.time() - started, 3),
            }
            if evaluation is not None and (
                self.epoch % args.eval_every == 0 or self.epoch == args.epochs
            ):
                record["wer"] = evaluate(world, self.model, evaluation)
            self.history.append(record)
            wer = f"  WER {100 * record['wer']:.1f}%" if "wer" in record else ""
            log(
                world,
                f"epoch {self.epoch}/{args.epochs}  loss {record['loss']:.4f}  lr {lr:.2e}  "
                f"grad norm {record['grad_norm']:.3f}  skipped {self.skipped_steps}{wer}  "
                f"({record['seconds']:.1f} s)",
            )
            self.save()
        if args.digest_dir:
            folder = Path(args.digest_dir)
            folder.mkdir(parents=True, exist_ok=True)
            digest = {
                "rank": world.rank,
                "world_size": world.size,
                "step": self.step,
                **state_digest(self.model),
                "history": self.history,
            }
            data = json.dumps(digest, indent=2).encode()
            write_file_atomic(folder / f"rank-{world.rank}.json", data)

    def train_step(
        self, trained: nn.Module, batch: PhoenixBatch, lr: float, totals: Dict[str, Any]
    ) -> None:
        """One step: CTC loss, gradients averaged over the processes, clipped, applied; skipped
        with a warning when the loss (averaged too) or the gradients are not finite."""
        world = self.world
        log_probs = trained(*model_inputs(self.model, batch, world.device))
        lengths = self.model.output_lengths(batch.input_lengths)
        loss = F.ctc_loss(
            log_probs,
            batch.targets.to(world.device),
            torch.tensor(lengths),
            torch.tensor(batch.target_lengths),
            blank=0,
            reduction="mean",
            zero_infinity=False,
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients: every process has the same
        mean_loss = float(all_reduce_mean(world, loss.detach()))
        norm = clip_by_global_norm(self.parameters, self.args.clip_norm)
        self.step += 1
        if not (math.isfinite(mean_loss) and math.isfinite(norm)):
            self.skipped_steps += 1
            if math.isfinite(mean_loss):
                reason = f"the gradient norm is {norm}"
            else:
                parts = all_gather(world, _non_finite_reason(batch, lengths))
                clips = [clip for part in parts for clip in part]
                reason = f"the loss is {mean_loss}"
                if clips:
                    reason += f": too few output frames for their glosses: {', '.join(clips)}"
            warn(world, f"train: step {self.step} skipped: {reason}.")
            return
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.step()
        totals["loss"] += mean_loss
        totals["grad_norm"] += norm
        totals["applied"] += 1

    def save(self) -> None:
        """Rank 0 writes the epoch's checkpoint, with every process's random state."""
        if self.checkpoint_dir is None:
            return
        world = self.world
        state = {"cpu": torch.get_rng_state()}
        if world.device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(world.device)
        rng = all_gather(world, state)
        if world.main:
            record = {
                "step": self.step,
                "skipped_steps": self.skipped_steps,
                "history": self.history,
                "run": self.config,
            }
            save_checkpoint(
                self.checkpoint_dir, self.epoch, self.model, self.optimizer, rng, record,
                self.args.keep,
            )  # fmt: skip
        if world.distributed:
            dist.barrier()


@torch.no_grad()
def evaluate(world: World, model: nn.Module, dataset: PhoenixSplit) -> float:
    """Greedy WER of the split, each process decoding every ``world.size``-th clip alone."""
    model.eval()
    errors = words = 0
    for index in range(world.rank, len(dataset), world.size):
        batch = collate_samples([dataset[index]])
        log_probs = model(*model_inputs(model, batch, world.device))
        (hypothesis,) = greedy_decode(log_probs, model.output_lengths(batch.input_lengths))
        errors += word_errors(dataset.gloss_ids[index], hypothesis)
        words += len(dataset.gloss_ids[index])
    totals = torch.tensor([errors, words], dtype=torch.float64, device=world.device)  # NCCL: CUDA
    if world.distributed:
        dist.all_reduce(totals)
    model.train()
    return float(totals[0] / totals[1]) if totals[1] > 0 else math.nan


def load_checkpoint_model(path: Path) -> Tuple[nn.Module, Dict[str, Any]]:
    """The twin saved in a ``.safetensors`` checkpoint of this script, weights loaded, and the
    checkpoint's ``slr_torch`` metadata (model, options, vocabulary, epoch, step)."""
    try:
        tensors, metadata = load_safetensors(path)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        rule = "be a .safetensors checkpoint written by train_ddp.py"
        raise ArgumentError(FN, "--checkpoint", rule, str(path), f"{path}: {reason}") from error
    if "slr_torch" not in metadata:
        rule = "be a .safetensors checkpoint written by train_ddp.py (with slr_torch metadata)"
        raise ArgumentError(FN, "--checkpoint", rule, str(path))
    info = json.loads(metadata["slr_torch"])
    model = build_model(info["model"], info["options"])
    model.load_state_dict(tensors)
    return model, info


@torch.no_grad()
def decode(args: argparse.Namespace) -> int:
    """``--decode-split``: greedy decoding of a split, one clip at a time, in CSV order."""
    if int(os.environ.get("WORLD_SIZE", 1)) > 1:
        rule = "run in one process (without torchrun)"
        raise ArgumentError(FN, "--decode-split", rule, os.environ["WORLD_SIZE"])
    model, info = load_checkpoint_model(Path(args.checkpoint))
    model.eval()
    vocabulary = GlossVocabulary.from_json(info["vocabulary"])
    corpus_vocabulary = load_or_build_vocabulary(args.corpus)
    if corpus_vocabulary != vocabulary:
        rule = "have the vocabulary the checkpoint was trained with"
        raise ArgumentError(FN, "--corpus", rule, args.corpus)
    data = info["data"]  # the training run's frames, unless the flags say otherwise
    dataset = PhoenixSplit(
        args.corpus,
        args.decode_split,
        size=args.size or tuple(data["size"]),
        frame_step=args.frame_step or data["frame_step"],
        max_frames=args.max_frames if args.max_frames is not None else data["max_frames"],
        vocabulary=vocabulary,
    )
    hypotheses: Dict[str, List[int]] = {}
    log_probs_out: Dict[str, Tensor] = {}
    for index in range(len(dataset)):
        batch = collate_samples([dataset[index]])
        log_probs = model(*model_inputs(model, batch, torch.device("cpu")))
        lengths = model.output_lengths(batch.input_lengths)
        hypotheses[batch.ids[0]] = greedy_decode(log_probs, lengths)[0]
        log_probs_out[batch.ids[0]] = log_probs[: lengths[0], 0].contiguous()
    write_file_atomic(args.decode_out, (json.dumps(hypotheses, indent=2) + "\n").encode())
    if args.log_probs:
        metadata = {"format": "pt", "split": args.decode_split, "checkpoint": str(args.checkpoint)}
        write_file_atomic(args.log_probs, safetensors_bytes(log_probs_out, metadata))
    errors = sum(
        word_errors(dataset.gloss_ids[i], hypotheses[entry.id])
        for i, entry in enumerate(dataset.entries)
    )
    words = sum(len(ids) for ids in dataset.gloss_ids)
    print(
        f"train_ddp: decoded {len(dataset)} {args.decode_split} clips, greedy WER "
        f"{100 * errors / max(words, 1):.1f}% → {args.decode_out}"
    )
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line; a bad option or corpus is one line on stderr and exit status 2."""
    args = parse_args(argv)
    # DDP's note that a depthwise convolution's gradient is laid out unlike its bucket (CPU):
    # a performance hint, printed by every process at the first step.
    warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
    try:
        return decode(args) if args.decode_split is not None else train(args)
    except (ArgumentError, PhoenixDataError) as error:
        print(f"train_ddp: error: {error}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
