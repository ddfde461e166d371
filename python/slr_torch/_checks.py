"""Argument checks with the project's error format (internal).

"Argument 'num_classes' passed to 'build_i3d_teacher' must be an integer >= 2, but got 1."
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, List, Optional, Sequence, TypeVar

import torch

T = TypeVar("T")


class ArgumentError(ValueError):
    """A bad argument, named with the function the user called (the twin of ``@slr/core``'s)."""

    def __init__(
        self, fn: str, argument: str, rule: str, value: Any, actual: Optional[str] = None
    ) -> None:
        self.fn = fn
        self.argument = argument
        self.rule = rule
        self.value = value
        got = actual if actual is not None else describe(value)
        super().__init__(f"Argument '{argument}' passed to '{fn}' must {rule}, but got {got}.")


def describe(value: Any) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        return f"a {dtype} tensor of shape {list(value.shape)}"
    if isinstance(value, str):
        return f"'{value}'"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def is_integer(value: Any) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_integer(fn: str, argument: str, value: Any, minimum: Optional[int] = None) -> int:
    """``value`` as an ``int`` (bools refused), at least ``minimum`` when given."""
    if not is_integer(value) or (minimum is not None and value < minimum):
        rule = "be an integer" if minimum is None else f"be an integer >= {minimum}"
        raise ArgumentError(fn, argument, rule, value)
    return int(value)


def check_number(
    fn: str,
    argument: str,
    value: Any,
    minimum: Optional[float] = None,
    maximum: Optional[float] = None,
    minimum_exclusive: bool = False,
    maximum_exclusive: bool = False,
) -> float:
    """``value`` as a finite ``float`` within the bounds given (inclusive unless said)."""
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
    if ok and minimum is not None:
        ok = value > minimum if minimum_exclusive else value >= minimum
    if ok and maximum is not None:
        ok = value < maximum if maximum_exclusive else value <= maximum
    if not ok:
        if minimum is not None and maximum is not None:
            low = "(" if minimum_exclusive else "["
            high = ")" if maximum_exclusive else "]"
            rule = f"be a finite number in {low}{minimum:g}, {maximum:g}{high}"
        elif minimum is not None:
            rule = f"be a finite number {'>' if minimum_exclusive else '>='} {minimum:g}"
        elif maximum is not None:
            rule = f"be a finite number {'<' if maximum_exclusive else '<='} {maximum:g}"
        else:
            rule = "be a finite number"
        raise ArgumentError(fn, argument, rule, value)
    return float(value)


def check_one_of(fn: str, argument: str, value: Any, choices: Sequence[T]) -> T:
    """``value`` if it is one of ``choices``."""
    if isinstance(value, bool) or value not in choices:
        rule = "be one of " + ", ".join(describe(choice) for choice in choices)
        raise ArgumentError(fn, argument, rule, value)
    return value


def lengths_list(fn: str, lengths: Any) -> List[int]:
    """Frame counts as a list of ints >= 0: a sequence of integers or an integer 1-D tensor."""
    rule = "be a sequence of integers or a 1-D integer tensor"
    values: Iterable[Any]
    if isinstance(lengths, torch.Tensor):
        if lengths.dim() != 1 or lengths.is_floating_point() or lengths.is_complex():
            raise ArgumentError(fn, "input_lengths", rule, lengths)
        values = lengths.tolist()
    elif isinstance(lengths, (str, bytes)) or not isinstance(lengths, Iterable):
        raise ArgumentError(fn, "input_lengths", rule, lengths)
    else:
        values = list(lengths)
    return [check_integer(fn, f"input_lengths[{i}]", v, 0) for i, v in enumerate(values)]
