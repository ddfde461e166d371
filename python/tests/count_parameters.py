"""Builds the twins of JS models from their JS options and prints their parameter counts.

Reads a JSON list from stdin, ``[{"model": "teacher" | "backbone" | "student", "options":
{...}}]`` with the options exactly as the JS builders take them (camelCase, ``null`` for a free
dimension), and prints ``[{"trainable": n, "statistics": m}]``: what ``python-twins.test.ts``
compares with the JS models' trainable and non-trainable weight counts. Each camelCase name is
turned into snake_case, so an option the twin does not take by the same name fails here.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Callable, Dict

from _support import parameter_counts

from slr_torch import build_i3d_backbone, build_i3d_teacher, build_mobilenet_v3_student

BUILDERS: Dict[str, Callable[..., Any]] = {
    "teacher": build_i3d_teacher,
    "backbone": build_i3d_backbone,
    "student": build_mobilenet_v3_student,
}


def snake_case(value: Any) -> Any:
    """Turns every dict key of ``value`` (nested) from camelCase into snake_case."""
    if isinstance(value, dict):
        return {re.sub(r"([A-Z])", r"_\1", k).lower(): snake_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_case(item) for item in value]
    return value


def main() -> None:
    requests = json.load(sys.stdin)
    results = []
    for request in requests:
        model = BUILDERS[request["model"]](**snake_case(request["options"]))
        trainable, statistics = parameter_counts(model)
        results.append({"trainable": trainable, "statistics": statistics})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
