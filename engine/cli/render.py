"""Plain-text rendering for the terminal: tables, durations, credits, violations."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.validation import Violation


def print_json(data: Any) -> None:
    """Write ``data`` to stdout as indented JSON and a final newline."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def plural(count: int, noun: str) -> str:
    """``3 errors``, ``1 error``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def duration(ms: float | None) -> str:
    """A duration for humans: ``12 ms``, ``1.4 s``, ``2 min 5 s``."""
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def credits(value: float | None) -> str:
    """Credits with at most three decimals, ``-`` when unknown."""
    if value is None:
        return "-"
    return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A left-aligned text table with a rule under the header."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def violation_line(violation: Violation) -> str:
    """``error  unknown_port  node shot, edge e2: message (hint: ...)``."""
    where = []
    if violation.node_id is not None:
        where.append(f"node {violation.node_id}")
    if violation.edge_id is not None:
        where.append(f"edge {violation.edge_id}")
    if violation.field is not None:
        where.append(f"field {violation.field}")
    location = f" {', '.join(where)}:" if where else ""
    hint = f" (hint: {violation.hint})" if violation.hint else ""
    severity, code = violation.severity.value, violation.code.value
    return f"{severity:<7} {code:<24}{location} {violation.message}{hint}"
