"""Request and response mapping of hosted nodes, driven by ``NodeSpec.provider_options``.

Request (:func:`build_arguments`): every parameter with a value is sent under its
own name, or under ``param_fields[name]`` (a dotted path such as
``"image_size.width"``; ``null`` means "never send"); then every input port with a
value under ``input_fields[port]`` (default: the port's name), media encoded by the
adapter (data URI or URL); a wired input overrides a parameter of the same name.
``fixed_fields`` (a JSON object) is merged in last, for constants such as
``{"output_format": "png"}``.

Response (:func:`collect_outputs`): each output port's value is read from the
provider's result document at ``output_paths[port]``, a path like
``"images[0].url"``, ``"video"``, ``"[0]"``, ``"images[*]"`` (every item) or
``""`` (the whole document). Without a path the adapter's defaults for the port
type are tried in order. Media values (a URL, a data URI, or an object with
``url``/``content_type``/``file_name``) are handed to the adapter to download;
text, numbers, booleans and JSON are returned as they are (a list of strings on a
text port is joined: token streams).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from engine.catalog.spec import NodeSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.values import Batch

__all__ = [
    "PathError",
    "build_arguments",
    "collect_outputs",
    "get_path",
    "object_at",
    "set_path",
]

_TOKEN = re.compile(r"([^.\[\]]+)|\[(-?\d+|\*)\]")

Encoder = Callable[[PortSpec, Any], Awaitable[Any]]
Storer = Callable[[PortSpec, Any], Awaitable[Any]]


class PathError(LookupError):
    """A result path that does not resolve (the message says where it stopped)."""


def _tokens(path: str) -> list[str | int]:
    tokens: list[str | int] = []
    position = 0
    path = path.strip()
    while position < len(path):
        if path[position] == ".":
            position += 1
            continue
        match = _TOKEN.match(path, position)
        if match is None:
            raise PathError(f"malformed path {path!r}")
        name, index = match.groups()
        if name is not None:
            tokens.append(name)
        else:
            tokens.append("[*]" if index == "*" else int(index))
        position = match.end()
    return tokens


def get_path(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data`` (see the module docstring for the syntax)."""
    return _walk(data, _tokens(path), path)


def _walk(data: Any, tokens: Sequence[str | int], path: str) -> Any:
    for position, token in enumerate(tokens):
        if token == "[*]":
            if not isinstance(data, list):
                raise PathError(f"{path!r}: expected a list, found {type(data).__name__}")
            return [_walk(item, tokens[position + 1 :], path) for item in data]
        if isinstance(token, int):
            if not isinstance(data, list) or not -len(data) <= token < len(data):
                raise PathError(f"{path!r}: no item [{token}]")
            data = data[token]
        else:
            if not isinstance(data, Mapping) or token not in data:
                raise PathError(f"{path!r}: no field {token!r}")
            data = data[token]
    return data


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``target[a][b] = value`` for the dotted ``path`` ``"a.b"`` (creating objects)."""
    names = [part for part in path.split(".") if part]
    if not names:
        raise ValueError("an empty request field name")
    object_at(target, names[:-1])[names[-1]] = value


def object_at(target: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """``target[a][b]…`` for ``names``; a missing or non-object step becomes ``{}``."""
    node = target
    for name in names:
        child = node.get(name)
        if not isinstance(child, dict):
            child = {}
            node[name] = child
        node = child
    return node


def _options(spec: NodeSpec, key: str) -> dict[str, Any]:
    value = spec.provider_options.get(key) or {}
    if not isinstance(value, Mapping):
        raise PermanentNodeError(f"node type {spec.type}: provider_options.{key} is not an object")
    return dict(value)


async def build_arguments(
    spec: NodeSpec,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any],
    encode: Encoder,
) -> dict[str, Any]:
    """The provider request fields for one run (see the module docstring)."""
    param_fields = _options(spec, "param_fields")
    input_fields = _options(spec, "input_fields")
    body: dict[str, Any] = {}
    for param in spec.params:
        value = params.get(param.name)
        field = param_fields.get(param.name, param.name)
        if value is None or not field:
            continue
        set_path(body, str(field), value)
    for port in spec.inputs:
        value = inputs.get(port.name)
        field = input_fields.get(port.name, port.name)
        if value is None or not field:
            continue
        if isinstance(value, Batch):
            value = list(value.items)
        if port.type.is_media:
            value = await encode(port, value)
        set_path(body, str(field), value)
    for field, value in _options(spec, "fixed_fields").items():
        set_path(body, field, value)
    return body


def _lookup(result: Any, port: PortSpec, paths: Sequence[str]) -> tuple[str, Any]:
    problems = []
    for path in paths:
        try:
            value = get_path(result, path)
        except PathError as exc:
            problems.append(str(exc))
            continue
        if value is not None and value != []:
            return path, value
        problems.append(f"{path!r} is empty")
    shape = (
        "fields " + ", ".join(sorted(map(str, result))[:12])
        if isinstance(result, Mapping)
        else type(result).__name__
    )
    raise PermanentNodeError(
        f"the provider's response has no value for output {port.name!r} "
        f"({'; '.join(problems) or 'no path to look at'}); the response has {shape}",
        details={"code": "malformed_response", "port": port.name},
    )


def _scalar(port: PortSpec, value: Any) -> Any:
    kind = port.type
    if kind == PortType.TEXT:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "".join(value)
        return value if isinstance(value, str) else json.dumps(value)
    if kind == PortType.NUMBER:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise PermanentNodeError(
            f"the provider returned {type(value).__name__} for number output {port.name!r}",
            details={"code": "malformed_response", "port": port.name},
        )
    if kind == PortType.BOOLEAN:
        return bool(value)
    return value


async def collect_outputs(
    spec: NodeSpec,
    result: Any,
    default_paths: Mapping[PortType, Sequence[str]],
    store: Storer,
) -> dict[str, Any]:
    """Every output port's value from the provider's ``result`` document."""
    output_paths = _options(spec, "output_paths")
    outputs: dict[str, Any] = {}
    for port in spec.outputs:
        configured = output_paths.get(port.name)
        if configured is not None:
            paths: Sequence[str] = [str(configured)]
        else:
            paths = list(default_paths.get(port.type, ())) or [port.name]
        _, value = _lookup(result, port, paths)
        if port.type.is_media:
            refs = value if isinstance(value, list) else [value]
            if port.is_list:
                outputs[port.name] = Batch(tuple([await store(port, ref) for ref in refs]))
            else:
                outputs[port.name] = await store(port, refs[0])
        elif port.is_list:
            items = value if isinstance(value, list) else [value]
            outputs[port.name] = Batch(tuple(_scalar(port, item) for item in items))
        else:
            outputs[port.name] = _scalar(port, value)
    return outputs
