"""Workflow outputs: ``output.image``, ``output.text``, ``output.json``, ``output.video``,
``output.audio``.

An output node names one of a run's results. It passes its input through on an
output port of the same name and type, so the executor reads the run's outputs
from these nodes' outputs. The ``name`` parameter is the key in the run's
outputs; left empty it is the node's id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext, Outputs
from engine.nodes.support import name_or_id, to_text, type_name
from engine.values import Artifact

#: The port (input and output) of each output node type.
OUTPUT_PORTS: dict[str, str] = {
    "output.image": "image",
    "output.text": "text",
    "output.json": "json",
    "output.video": "video",
    "output.audio": "audio",
}


#: The run-output key of an ``output.*`` node: its ``name`` param, else its id.
output_name = name_or_id


def _spec(
    node_type: str, port_type: PortType, title: str, what: str, aliases: tuple[str, ...]
) -> NodeSpec:
    port = OUTPUT_PORTS[node_type]
    return NodeSpec(
        type=node_type,
        category=Category.OUTPUT,
        display_name=title,
        description=f"Marks {what} as a result of the run, under the output name. "
        "The value is passed through unchanged.",
        aliases=aliases,
        inputs=(PortSpec(name=port, type=port_type, description=f"The {what} to return."),),
        outputs=(PortSpec(name=port, type=port_type, description=f"The same {what}."),),
        params=(
            ParamSpec(
                name="name",
                kind=ParamKind.STRING,
                label="Output name",
                default="",
                description="Key of this result in the run's outputs. Empty = the node's id.",
            ),
        ),
    )


IMAGE = _spec("output.image", PortType.IMAGE, "Image Output", "an image", ("result", "preview"))
TEXT = _spec("output.text", PortType.TEXT, "Text Output", "a text", ("result", "answer"))
JSON = _spec("output.json", PortType.JSON, "JSON Output", "a JSON value", ("result", "data"))
VIDEO = _spec("output.video", PortType.VIDEO, "Video Output", "a video", ("result", "clip", "mp4"))
AUDIO = _spec("output.audio", PortType.AUDIO, "Audio Output", "a sound", ("result", "wav"))


def run_image(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Pass the image through."""
    value = inputs.get("image")
    if not isinstance(value, Artifact):
        raise PermanentNodeError(f"expected an image, got {type_name(value)}")
    return {"image": value}


def run_text(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Pass the text through (numbers become text)."""
    value = inputs.get("text")
    if isinstance(value, Artifact):
        raise PermanentNodeError(f"expected text, got a {value.kind} file")
    return {"text": to_text(value)}


def run_json(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Pass the JSON value through."""
    return {"json": inputs.get("json")}


def _media_passthrough(port: str, what: str) -> Callable[[NodeContext, dict[str, Any]], Outputs]:
    def run(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
        value = inputs.get(port)
        if not isinstance(value, Artifact) or value.kind.value != port:
            raise PermanentNodeError(f"expected {what}, got {type_name(value)}")
        return {port: value}

    run.__doc__ = f"Pass {what} through."
    return run


def register(catalog: Catalog) -> None:
    """Register the output node types."""
    catalog.register(IMAGE, run_image)
    catalog.register(TEXT, run_text)
    catalog.register(JSON, run_json)
    catalog.register(VIDEO, _media_passthrough("video", "a video"))
    catalog.register(AUDIO, _media_passthrough("audio", "a sound"))
