"""Run inputs arriving over HTTP: checked against the workflow's ``input.*`` nodes.

The API's ``inputs`` object and a webhook body (JSON, urlencoded form or multipart)
both end up here, so a wrong input is refused with 422 before anything runs or is
charged, whichever way it came. Form fields arrive as text: numbers and JSON are
parsed by the input nodes, and checked here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.catalog.spec import PortType
from engine.nodes.inputs import INPUT_PORTS, input_name
from engine.server.errors import UnprocessableError
from engine.values import Artifact
from engine.workflow import Workflow

#: Deepest nesting of lists and objects accepted in one input value.
MAX_INPUT_DEPTH = 32


@dataclass(frozen=True, slots=True)
class InputSlot:
    """One run input a workflow reads."""

    name: str
    node_id: str
    node_type: str

    @property
    def port_type(self) -> str:
        """``text``, ``number``, ``image`` or ``json``."""
        return INPUT_PORTS[self.node_type]


def input_slots(workflow: Workflow) -> dict[str, InputSlot]:
    """The run inputs of ``workflow``, by name."""
    slots: dict[str, InputSlot] = {}
    for node in workflow.nodes:
        if node.type in INPUT_PORTS:
            name = input_name(node.id, node.data)
            slots.setdefault(name, InputSlot(name, node.id, node.type))
    return slots


def check_inputs(
    inputs: Mapping[str, Any],
    workflow: Workflow,
    *,
    artifact_allowed: Callable[[Artifact], bool],
) -> dict[str, Any]:
    """The inputs ready for :class:`~engine.executor.RunOptions` (artifacts decoded).

    Raises :class:`UnprocessableError` (``invalid_inputs``) listing every problem.
    ``artifact_allowed`` says whether the caller may use an artifact (it owns it
    and it is stored).
    """
    slots = input_slots(workflow)
    problems: list[dict[str, str]] = []
    checked: dict[str, Any] = {}
    for name, value in inputs.items():
        slot = slots.get(name)
        if slot is None:
            known = ", ".join(sorted(slots)) or "none"
            problems.append(
                {"input": name, "message": f"unknown input {name!r}; the inputs are: {known}"}
            )
            continue
        if _depth(value) > MAX_INPUT_DEPTH:
            problems.append(
                {"input": name, "message": f"input {name!r} nests deeper than {MAX_INPUT_DEPTH}"}
            )
            continue
        try:
            checked[name] = _check(slot, value, artifact_allowed)
        except ValueError as exc:
            problems.append({"input": name, "message": str(exc)})
    if problems:
        summary = "; ".join(p["message"] for p in problems[:3])
        raise UnprocessableError(
            f"invalid inputs: {summary}",
            code="invalid_inputs",
            problems=problems,
            inputs=[{"name": s.name, "type": s.port_type} for s in slots.values()],
        )
    return checked


def _check(slot: InputSlot, value: Any, artifact_allowed: Callable[[Artifact], bool]) -> Any:
    if value is None:
        return None
    kind = slot.port_type
    if kind == PortType.IMAGE:
        return _image(slot.name, value, artifact_allowed)
    if isinstance(value, Artifact) or (isinstance(value, dict) and "$artifact" in value):
        raise ValueError(f"input {slot.name!r} takes {kind}, not a file")
    if kind == PortType.TEXT:
        if isinstance(value, dict | list):
            raise ValueError(f"input {slot.name!r} takes text, not a JSON {_kind(value)}")
        return value
    if kind == PortType.NUMBER:
        number = value
        if isinstance(value, str):
            try:
                number = float(value.strip().replace("_", ""))
            except ValueError:
                raise ValueError(f"input {slot.name!r} takes a number, not {value!r}") from None
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"input {slot.name!r} takes a number, not {_kind(value)}")
        if not math.isfinite(number):
            raise ValueError(f"input {slot.name!r} takes a finite number")
        return value
    if isinstance(value, str):  # json, sent as text (a form field)
        try:
            json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"input {slot.name!r} is not valid JSON ({exc.msg})") from None
    return value


def _image(name: str, value: Any, artifact_allowed: Callable[[Artifact], bool]) -> Artifact:
    if isinstance(value, dict) and set(value) == {"$artifact"}:
        try:
            value = Artifact.model_validate(value["$artifact"])
        except ValueError:
            raise ValueError(f"input {name!r}: malformed artifact reference") from None
    if isinstance(value, Artifact):
        if value.kind not in (PortType.IMAGE, PortType.MASK):
            raise ValueError(f"input {name!r} takes an image, not a {value.kind} file")
        if not artifact_allowed(value):
            raise ValueError(f"input {name!r}: no such artifact {value.id[:12]}…")
        return value
    if isinstance(value, str):
        raise ValueError(
            f"input {name!r} takes an image: upload the file (multipart/form-data) or send "
            'an artifact reference {"$artifact": {...}}; the server does not open paths'
        )
    raise ValueError(f"input {name!r} takes an image, not {_kind(value)}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def _depth(value: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_INPUT_DEPTH:
                return deepest
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth) for child in children)
    return deepest
