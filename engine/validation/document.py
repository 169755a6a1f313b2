"""Reading a document leniently: shape problems, and the nodes and edges it does name.

The semantic checks work on :class:`NodeRecord` and :class:`EdgeRecord`, which keep
only the fields that have the right type. They can be read from a parsed
:class:`~engine.workflow.Workflow` or, when parsing failed, straight from the raw
JSON data, so one malformed edge does not hide a cycle elsewhere. A field of the
wrong type is ``None`` in the record (its shape problem is reported separately), so
no problem is reported twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.validation.hints import Hinter, code_name
from engine.validation.violations import MAX_DATA_DEPTH, Violation, ViolationCode
from engine.workflow import Edge, Node, Position, Workflow

#: Shape problems reported one by one before the rest are summarised.
MAX_SHAPE_VIOLATIONS = 100
_MAX_ID_LENGTH = 200  # as in engine.workflow.Node/Edge


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """What the checks need of one node; ``None`` marks a missing or mistyped field."""

    index: int
    id: str | None
    type: str | None
    data: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class EdgeRecord:
    """What the checks need of one edge; ``None`` marks a missing or mistyped field."""

    index: int
    id: str | None
    source: str | None
    source_handle: str | None
    target: str | None
    target_handle: str | None


def records_from_workflow(workflow: Workflow) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """Records of a parsed workflow (defensive: it may have been built unvalidated)."""
    nodes = [
        NodeRecord(
            i,
            _id(getattr(n, "id", None)),
            _id(getattr(n, "type", None)),
            _data(getattr(n, "data", None)),
        )
        for i, n in enumerate(_as_list(workflow.nodes))
    ]
    edges = [
        EdgeRecord(
            i,
            _id(getattr(e, "id", None)),
            _str(getattr(e, "source", None)),
            _str(getattr(e, "source_handle", None)),
            _str(getattr(e, "target", None)),
            _str(getattr(e, "target_handle", None)),
        )
        for i, e in enumerate(_as_list(workflow.edges))
    ]
    return nodes, edges


def records_from_raw(document: Mapping[Any, Any]) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """Records of an unparsed document, keeping every correctly typed field."""
    nodes: list[NodeRecord] = []
    for i, raw in enumerate(_as_list(document.get("nodes"))):
        if isinstance(raw, Mapping):
            data = raw.get("data", {})
            nodes.append(NodeRecord(i, _id(raw.get("id")), _id(raw.get("type")), _data(data)))
        else:
            nodes.append(NodeRecord(i, None, None, None))
    edges: list[EdgeRecord] = []
    for i, raw in enumerate(_as_list(document.get("edges"))):
        if isinstance(raw, Mapping):
            edges.append(
                EdgeRecord(
                    i,
                    _id(raw.get("id")),
                    _str(raw.get("source")),
                    _str(_either(raw, "sourceHandle", "source_handle")),
                    _str(raw.get("target")),
                    _str(_either(raw, "targetHandle", "target_handle")),
                )
            )
        else:
            edges.append(EdgeRecord(i, None, None, None, None, None))
    return nodes, edges


def shape_violations(
    error: ValidationError, document: Mapping[Any, Any], hinter: Hinter
) -> list[Violation]:
    """One violation per pydantic error, ``field`` being its JSON path."""
    violations: list[Violation] = []
    errors = error.errors(include_url=False, include_context=False, include_input=False)
    for item in errors[:MAX_SHAPE_VIOLATIONS]:
        loc = tuple(item["loc"])
        where = json_path(loc)
        node_id, edge_id = _owner(document, loc)
        message, hint = _describe(item["type"], item["msg"], loc, hinter)
        violations.append(
            Violation(
                code=ViolationCode.INVALID_DOCUMENT,
                message=f"{where or 'the document'}: {message}",
                node_id=node_id,
                edge_id=edge_id,
                field=where or None,
                hint=hint,
            )
        )
    if len(errors) > MAX_SHAPE_VIOLATIONS:
        violations.append(
            Violation(
                code=ViolationCode.INVALID_DOCUMENT,
                message=f"… and {len(errors) - MAX_SHAPE_VIOLATIONS} more shape problems",
            )
        )
    return violations


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("nodes", 2, "data", "k")`` → ``nodes[2].data.k``."""
    out = ""
    for i, part in enumerate(loc):
        if part == "[key]":
            continue  # pydantic's marker after a dict key that failed validation
        text = _path_part(part)
        if isinstance(part, int) and not (i + 1 < len(loc) and loc[i + 1] == "[key]"):
            out += f"[{text}]"
        else:
            out += f".{text}" if out else text
    return out


def _path_part(part: Any) -> str:
    if isinstance(part, int) and part.bit_length() > 64:
        return "…"  # str() of a 5000-digit int raises ValueError
    text = str(part)
    return text if len(text) <= 60 else text[:59] + "…"


def data_depth_problem(data: Mapping[str, Any]) -> str | None:
    """The top-level key under which ``data`` nests deeper than the limit, if any.

    Iterative and stopping at the limit, so a 100 000-deep list costs nothing more
    than a shallow one and cannot overflow the stack.
    """
    stack: list[tuple[Any, int, str]] = [
        (value, 2, key) for key, value in reversed(list(data.items()))
    ]
    while stack:
        value, depth, key = stack.pop()
        if isinstance(value, Mapping):
            children: Iterable[Any] = value.values()
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        if depth > MAX_DATA_DEPTH:
            return key
        stack.extend((child, depth + 1, key) for child in children)
    return None


_MESSAGES = {
    "missing": "is required but missing",
    "extra_forbidden": "is not part of the workflow format",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "string_too_long": f"is too long (at most {_MAX_ID_LENGTH} characters)",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "invalid_key": "keys must be strings",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}

#: The models a pydantic location can point into, for "did you mean" on unknown fields.
_MODEL_AT: dict[tuple[str, ...], type[BaseModel]] = {
    (): Workflow,
    ("nodes",): Node,
    ("edges",): Edge,
    ("nodes", "position"): Position,
}


def _describe(
    kind: str, pydantic_msg: str, loc: tuple[int | str, ...], hinter: Hinter
) -> tuple[str, str | None]:
    message = _MESSAGES.get(kind, pydantic_msg[:1].lower() + pydantic_msg[1:])
    if kind == "extra_forbidden" and loc:
        model = _MODEL_AT.get(tuple(p for p in loc[:-1] if isinstance(p, str)))
        if model is not None:
            names = [f.alias or name for name, f in model.model_fields.items()]
            guess = hinter.closest(str(loc[-1]), names)
            if guess:
                return message, f"did you mean {code_name(guess)}?"
            return message, f"remove it; the known fields are {', '.join(names)}"
    if loc and loc[-1] == "[key]":
        return "keys must be strings", None
    return message, None


def _owner(
    document: Mapping[Any, Any], loc: tuple[int | str, ...]
) -> tuple[str | None, str | None]:
    """The id of the node or edge a pydantic location points into, when it has one."""
    if len(loc) < 2 or not isinstance(loc[1], int) or loc[0] not in ("nodes", "edges"):
        return None, None
    items = _as_list(document.get(loc[0]))
    item = items[loc[1]] if 0 <= loc[1] < len(items) else None
    item_id = _id(item.get("id")) if isinstance(item, Mapping) else None
    return (item_id, None) if loc[0] == "nodes" else (None, item_id)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _either(raw: Mapping[Any, Any], alias: str, name: str) -> Any:
    return raw[alias] if alias in raw else raw.get(name)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_ID_LENGTH else None


def _data(value: Any) -> Mapping[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    if all(isinstance(key, str) for key in value):
        return value
    return {key: item for key, item in value.items() if isinstance(key, str)}
