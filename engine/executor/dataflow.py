"""How values move: inputs from wires, batch fan-out, outputs, fingerprints and errors."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.cache import node_fingerprint
from engine.errors import NodeError, PermanentNodeError
from engine.executor.events import ErrorKind, NodeErrorInfo
from engine.executor.plan import PlannedNode
from engine.nodes.base import NodeContext
from engine.values import Batch


def gather_inputs(planned: PlannedNode, values: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The inputs of a node whose parents have finished (``values``: their outputs).

    A wired input gets the upstream output; an unwired one gets ``data[port]`` when
    set. An ``is_list`` input gets a Python list: every wire's value, batches
    flattened. Raises :class:`PermanentNodeError` for a required input with no value
    or a one-item input with more than one wire.
    """
    inputs = dict(planned.constants) if planned.constants else {}
    for wire in planned.wires:
        if wire.is_list:
            collected: list[Any] = []
            for source, port in wire.sources:
                produced = values[source]
                if port in produced:
                    value = produced[port]
                    if isinstance(value, Batch):
                        collected.extend(value.items)
                    else:
                        collected.append(value)
            inputs[wire.port] = collected
            continue
        if len(wire.sources) > 1:
            raise PermanentNodeError(
                f"input {wire.port!r} has {len(wire.sources)} wires but takes one value; "
                "remove all but one"
            )
        source, port = wire.sources[0]
        produced = values[source]
        if port in produced:
            inputs[wire.port] = produced[port]
        elif wire.required:
            raise PermanentNodeError(
                f"input {wire.port!r} got no value: node {source!r} produced no {port!r} output"
            )
    for name in planned.type.required:
        if name not in inputs:
            raise PermanentNodeError(f"required input {name!r} is neither connected nor set")
    return inputs


def fan_out(planned: PlannedNode, inputs: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Per-item inputs when a one-item input received a batch, else ``None``.

    Several batches are zipped (they must have the same length); other inputs are
    passed unchanged to every item.
    """
    batches: dict[str, Batch] | None = None
    for name in planned.type.item_ports:
        value = inputs.get(name)
        if isinstance(value, Batch):
            if batches is None:
                batches = {}
            batches[name] = value
    if batches is None:
        return None
    lengths = {len(b) for b in batches.values()}
    if len(lengths) > 1:
        sizes = ", ".join(f"{name} has {len(b)}" for name, b in batches.items())
        raise PermanentNodeError(
            f"batch inputs have different lengths ({sizes}); feed lists of the same length",
            details={"lengths": {name: len(b) for name, b in batches.items()}},
        )
    (count,) = lengths
    return [
        {**inputs, **{name: batch.items[index] for name, batch in batches.items()}}
        for index in range(count)
    ]


async def invoke(planned: PlannedNode, context: NodeContext, inputs: dict[str, Any]) -> object:
    """Call a node's implementation: awaited on the loop, or in a worker thread if sync."""
    implementation = planned.type.implementation
    if planned.type.is_async:
        result: object = await implementation(context, inputs)  # type: ignore[misc]
    else:
        result = await asyncio.to_thread(implementation, context, inputs)
    if inspect.isawaitable(result):
        result = await result
    return result


def normalise_outputs(planned: PlannedNode, result: object) -> dict[str, Any]:
    """Check an implementation's return value; ``is_list`` outputs become batches."""
    if not isinstance(result, Mapping):
        raise TypeError(
            f"node implementation returned {type(result).__name__}, "
            "expected a mapping of output port names to values"
        )
    outputs = dict(result)
    for name in planned.type.list_outputs:
        value = outputs.get(name)
        if value is not None and not isinstance(value, Batch):
            items = tuple(value) if isinstance(value, list | tuple) else (value,)
            outputs[name] = Batch(items)
    return outputs


def merge_items(planned: PlannedNode, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The outputs of a fanned-out node: one batch per output port."""
    names = [p.name for p in planned.type.spec.outputs]
    for result in results:
        names.extend(name for name in result if name not in names)
    return {
        name: Batch(tuple(result.get(name) for result in results))
        for name in names
        if any(name in result for result in results)
    }


def fingerprint(
    planned: PlannedNode,
    inputs: Mapping[str, Any],
    *,
    run_inputs: Mapping[str, Any],
    base_dir: Path,
    preview: bool,
) -> str:
    """The cache key of one run of ``planned`` with ``inputs``."""
    extra: dict[str, Any] = {}
    if planned.input_key is not None:
        value = run_inputs.get(planned.input_key)
        extra["input"] = [planned.input_key in run_inputs, value]
        if planned.type.file_params and isinstance(value, str):
            extra["inputFile"] = file_stamp(value, base_dir)
    for name in planned.type.file_params:
        value = planned.params.get(name)
        if isinstance(value, str) and value:
            extra[f"file:{name}"] = file_stamp(value, base_dir)
    if preview and planned.type.hosted:
        extra["preview"] = True
    return node_fingerprint(planned.type_name, planned.params, inputs, extra)


def file_stamp(value: str, base_dir: Path) -> list[int] | None:
    """Size and modification time of the file a path names (``None`` if unreadable)."""
    try:
        path = Path(value).expanduser()
        info = os.stat(path if path.is_absolute() else base_dir / path)
    except (OSError, ValueError):
        return None
    return [info.st_size, info.st_mtime_ns]


def error_info(exc: BaseException) -> NodeErrorInfo:
    """A node's exception as data: a :class:`NodeError` by kind, anything else a crash."""
    if isinstance(exc, NodeError):
        kind = ErrorKind.TRANSIENT if exc.transient else ErrorKind.PERMANENT
        return NodeErrorInfo(kind, exc.message, dict(exc.details))
    text = str(exc)
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return NodeErrorInfo(ErrorKind.CRASH, message)


def run_output(outputs: Mapping[str, Any], inputs: Mapping[str, Any] | None) -> Any:
    """What one node contributes to a run's outputs: its single value, or all of them."""
    values = outputs or inputs or {}
    if len(values) == 1:
        return next(iter(values.values()))
    return dict(values)


def output_key(planned: PlannedNode) -> str:
    """The name a node's value has in the run's outputs."""
    if planned.type.is_output:
        name = planned.params.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return planned.node_id
