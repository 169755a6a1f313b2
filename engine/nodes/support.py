"""Small helpers shared by the built-in node implementations.

Many scalar inputs are both a port and a parameter of the same name: the
parameter gives the properties panel an editor (kind, default, range) and the
port lets another node compute the value (a font size from ``math.expression``).
A wired value wins; otherwise the parameter (``data[name]`` or its default)
applies. Wired values bypass the workflow validator, so implementations check
them here against the same :class:`ParamSpec`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from engine.catalog.spec import NodeSpec, ParamSpec
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext
from engine.values import Batch


def port_or_param(ctx: NodeContext, inputs: Mapping[str, Any], name: str) -> Any:
    """The wired (or typed-in) value of input ``name``, else parameter ``name``."""
    value = inputs.get(name)
    if value is None:
        value = ctx.params.get(name)
    return value


def name_or_id(node_id: str, params: Mapping[str, Any]) -> str:
    """What an ``input.*`` or ``output.*`` node is called in a run: its ``name``, else its id."""
    name = params.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else node_id


def label_of(param: ParamSpec) -> str:
    """How a parameter is named in error messages."""
    return param.label or param.name.replace("_", " ")


def check(param: ParamSpec, value: Any) -> Any:
    """Raise a user-facing error when ``value`` does not fit ``param``."""
    problem = param.check(value)
    if problem is not None:
        _, reason = problem
        raise PermanentNodeError(f"{label_of(param)}: {reason}", details={"field": param.name})
    return value


def number(param: ParamSpec, value: Any) -> float | int:
    """``value`` as a number (numeric strings accepted), range-checked."""
    result = _numeric(param, value)
    check(param, result)
    return result


def integer(param: ParamSpec, value: Any) -> int:
    """``value`` as an integer (a computed 47.6 rounds to 48), range-checked."""
    result = round(_numeric(param, value))
    check(param, result)
    return result


def _numeric(param: ParamSpec, value: Any) -> float | int:
    return to_number(value, what=label_of(param), details={"field": param.name})


def to_number(value: Any, *, what: str, details: dict[str, object] | None = None) -> float | int:
    """``value`` as a finite number (numeric strings parsed); ``details`` go with a type error."""
    if isinstance(value, str):
        value = parse_number(value, what=what)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PermanentNodeError(
            f"{what}: expected a number, got {type_name(value)}", details=details
        )
    if not math.isfinite(value):
        raise PermanentNodeError(f"{what}: expected a finite number")
    return value


def parse_number(text: str, *, what: str) -> float | int:
    """Parse ``"3"`` as 3 and ``"3.5"`` as 3.5; anything else is a user error."""
    stripped = text.strip().replace("_", "")
    try:
        return int(stripped)
    except ValueError:
        pass
    try:
        value = float(stripped)
    except ValueError:
        raise PermanentNodeError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise PermanentNodeError(f"{what}: {text!r} is not a finite number")
    return value


def to_text(value: Any) -> str:
    """A port value as text: numbers without noise, JSON data as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def as_items(value: Any) -> list[Any]:
    """The items of a list input: a batch, a list or a single value."""
    if value is None:
        return []
    if isinstance(value, Batch):
        return list(value.items)
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def type_name(value: Any) -> str:
    """A value's type in words a user understands."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple | Batch):
        return "a list"
    if isinstance(value, dict):
        return "a JSON object"
    return type(value).__name__


def spec_param(spec: NodeSpec, name: str) -> ParamSpec:
    """The parameter ``name`` of ``spec`` (a programming error when absent)."""
    param = spec.param(name)
    if param is None:  # pragma: no cover - guards against typos in this package
        raise KeyError(f"{spec.type} has no parameter {name!r}")
    return param


def unescape(text: str) -> str:
    """Turn the ``\\n`` and ``\\t`` typed into a one-line field into real characters."""
    return text.replace("\\n", "\n").replace("\\t", "\t")
