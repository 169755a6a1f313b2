"""Workflow inputs: ``input.text``, ``input.number``, ``input.image``, ``input.json``.

Each input node publishes one run input. Its ``name`` parameter is the key in a
run's inputs (``patchbay run --input NAME=value``, the API's ``inputs`` object, a
webhook body); left empty it is the node's id. When the run does not supply the
input, the node's ``default`` parameter is used. Values from the command line
arrive as strings, so numbers and JSON are parsed here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext
from engine.nodes.image import load_image_file
from engine.nodes.support import name_or_id, to_number, to_text, type_name
from engine.values import Artifact, decode_value

#: The output port of each input node type (also its value's type).
INPUT_PORTS: dict[str, str] = {
    "input.text": "text",
    "input.number": "number",
    "input.image": "image",
    "input.json": "json",
}


#: The run-input name an ``input.*`` node reads: its ``name`` param, else its id.
input_name = name_or_id


def _name_param(example: str) -> ParamSpec:
    return ParamSpec(
        name="name",
        kind=ParamKind.STRING,
        label="Input name",
        default="",
        description=f"Key of this input in a run's inputs (e.g. --input {example}=...). "
        "Empty = the node's id.",
    )


def _read(ctx: NodeContext) -> tuple[str, Any]:
    name = input_name(ctx.node_id, ctx.params)
    if name in ctx.run_inputs and ctx.run_inputs[name] is not None:
        return name, ctx.run_inputs[name]
    return name, ctx.params.get("default")


TEXT = NodeSpec(
    type="input.text",
    category=Category.INPUT,
    display_name="Text Input",
    description="A text value supplied when the workflow runs (a prompt, a title), with a "
    "default for runs that do not set it.",
    aliases=("prompt", "string", "parameter", "variable", "brief"),
    outputs=(PortSpec(name="text", type=PortType.TEXT, description="The input's text."),),
    params=(
        _name_param("prompt"),
        ParamSpec(
            name="default",
            kind=ParamKind.TEXT,
            label="Default",
            default="",
            description="Used when the run does not supply this input.",
        ),
    ),
)


def run_text(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """The run's value for this input, as text."""
    name, value = _read(ctx)
    if isinstance(value, Artifact):
        raise PermanentNodeError(f"input {name!r} expects text, got a {value.kind} file")
    return {"text": to_text(value)}


NUMBER = NodeSpec(
    type="input.number",
    category=Category.INPUT,
    display_name="Number Input",
    description="A number supplied when the workflow runs (a size, a count, a seed). Text "
    "such as '3.5' is accepted; anything else non-numeric fails the run.",
    aliases=("integer", "float", "value", "parameter", "slider"),
    outputs=(PortSpec(name="number", type=PortType.NUMBER, description="The input's value."),),
    params=(
        _name_param("width"),
        ParamSpec(
            name="default",
            kind=ParamKind.NUMBER,
            label="Default",
            default=0,
            description="Used when the run does not supply this input.",
        ),
        ParamSpec(
            name="minimum",
            kind=ParamKind.NUMBER,
            label="Minimum",
            description="Optional: smaller values are refused.",
        ),
        ParamSpec(
            name="maximum",
            kind=ParamKind.NUMBER,
            label="Maximum",
            description="Optional: larger values are refused.",
        ),
        ParamSpec(
            name="integer",
            kind=ParamKind.BOOLEAN,
            label="Whole numbers only",
            default=False,
            description="Refuse values with a fractional part.",
        ),
    ),
)


def run_number(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """The run's value for this input, as a checked number."""
    name, value = _read(ctx)
    what = f"input {name!r}"
    if isinstance(value, str) and not value.strip():
        raise PermanentNodeError(f"{what}: no number given")
    value = to_number(value, what=what)
    if ctx.params.get("integer"):
        if isinstance(value, float) and not value.is_integer():
            raise PermanentNodeError(f"{what}: expected a whole number, got {value:g}")
        value = int(value)
    low, high = ctx.params.get("minimum"), ctx.params.get("maximum")
    if isinstance(low, int | float) and value < low:
        raise PermanentNodeError(f"{what}: {value:g} is below the minimum {low:g}")
    if isinstance(high, int | float) and value > high:
        raise PermanentNodeError(f"{what}: {value:g} is above the maximum {high:g}")
    return {"number": value}


IMAGE = NodeSpec(
    type="input.image",
    category=Category.INPUT,
    display_name="Image Input",
    description="An image supplied when the workflow runs: a file path (relative to the "
    "workflow's folder) or an uploaded image. The default file is used otherwise.",
    aliases=("photo", "picture", "upload", "reference image", "file"),
    outputs=(PortSpec(name="image", type=PortType.IMAGE, description="The input image."),),
    params=(
        _name_param("photo"),
        ParamSpec(
            name="default",
            kind=ParamKind.FILE,
            label="Default file",
            accept=PortType.IMAGE,
            default="",
            description="Image file used when the run does not supply this input.",
        ),
    ),
)


def run_image(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """The run's image: an artifact passed through, or a file loaded into the store."""
    name, value = _read(ctx)
    if isinstance(value, dict) and "$artifact" in value:
        try:
            value = decode_value(value)
        except ValueError as exc:
            raise PermanentNodeError(f"input {name!r}: malformed artifact reference") from exc
    if isinstance(value, Artifact):
        if value.kind not in (PortType.IMAGE, PortType.MASK):
            raise PermanentNodeError(f"input {name!r} expects an image, got a {value.kind} file")
        if not ctx.artifacts.exists(value):
            raise PermanentNodeError(f"input {name!r}: the uploaded image is no longer stored")
        return {"image": value}
    if not isinstance(value, str):
        raise PermanentNodeError(
            f"input {name!r}: expected an image file path, got {type_name(value)}"
        )
    if not value.strip():
        raise PermanentNodeError(
            f"input {name!r}: no image given; pass --input {name}=PATH or choose a default file"
        )
    return {"image": load_image_file(ctx, ctx.existing_file(value.strip()))}


JSON = NodeSpec(
    type="input.json",
    category=Category.INPUT,
    display_name="JSON Input",
    description="Structured data supplied when the workflow runs (an object, a list, any "
    "JSON value). Text is parsed as JSON.",
    aliases=("object", "data", "payload", "webhook body", "dict"),
    outputs=(PortSpec(name="json", type=PortType.JSON, description="The parsed value."),),
    params=(
        _name_param("config"),
        ParamSpec(
            name="default",
            kind=ParamKind.JSON,
            label="Default",
            description="JSON value used when the run does not supply this input.",
        ),
    ),
)


def run_json(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """The run's value for this input, parsed when it arrives as text."""
    name, value = _read(ctx)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise PermanentNodeError(
                f"input {name!r} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg})"
            ) from exc
    if isinstance(value, Artifact):
        raise PermanentNodeError(f"input {name!r} expects JSON, got a {value.kind} file")
    return {"json": value}


def register(catalog: Catalog) -> None:
    """Register the four input node types."""
    catalog.register(TEXT, run_text)
    catalog.register(NUMBER, run_number)
    catalog.register(IMAGE, run_image)
    catalog.register(JSON, run_json)
