"""``comfyui.workflow``: run your own ComfyUI workflow file as one node.

Export a workflow from ComfyUI with Workflow → Export (API), pick the file in
``workflow_file``, and say in ``inputs_map`` which node inputs the node's ports
fill: ``{"text": "6.inputs.text", "seed": "3.inputs.seed", "image":
"10.inputs.image"}``. The ``text``, ``seed`` and ``image`` ports (or the
same-named parameters) are substituted into the graph, an image is uploaded to
the server first, and the first image a Save node writes (or the one of
``output_node``) comes back. The run goes through the ComfyUI adapter
(:mod:`engine.providers.comfyui`); in preview mode it makes a stand-in image
offline. The server is ``server_url`` (default: ``PATCHBAY_COMFYUI_BASE_URL`` or
``http://127.0.0.1:8188``); it is self-hosted, so nothing is charged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType

if TYPE_CHECKING:
    from engine.catalog.registry import Catalog

__all__ = ["COMFYUI_WORKFLOW", "register"]

#: Bindings that fit ComfyUI's default text-to-image graph (the example workflow).
DEFAULT_INPUTS_MAP = {"text": "6.inputs.text", "seed": "3.inputs.seed"}
DEFAULT_SERVER = "http://127.0.0.1:8188"

COMFYUI_WORKFLOW = NodeSpec(
    type="comfyui.workflow",
    category=Category.IMAGE,
    display_name="ComfyUI Workflow",
    description=(
        "Runs a ComfyUI workflow exported in API format on your ComfyUI server, with the "
        "text, seed and image ports substituted into the node inputs named in inputs_map."
    ),
    aliases=("comfyui", "comfy", "api workflow", "custom workflow", "self-hosted"),
    inputs=(
        PortSpec(
            name="text",
            type=PortType.TEXT,
            required=False,
            label="Text",
            description="Text put into the workflow input that inputs_map names for text.",
        ),
        PortSpec(
            name="seed",
            type=PortType.NUMBER,
            required=False,
            label="Seed",
            description="Seed put into the workflow input that inputs_map names for seed.",
        ),
        PortSpec(
            name="image",
            type=PortType.IMAGE,
            required=False,
            label="Image",
            description="Image uploaded to ComfyUI and put into the input inputs_map names.",
        ),
    ),
    outputs=(
        PortSpec(
            name="image",
            type=PortType.IMAGE,
            label="Image",
            description="The image the workflow's output node saved.",
        ),
    ),
    params=(
        ParamSpec(
            name="workflow_file",
            kind=ParamKind.FILE,
            required=True,
            label="Workflow file",
            description="A ComfyUI workflow saved with Workflow → Export (API) (.json).",
        ),
        ParamSpec(
            name="inputs_map",
            kind=ParamKind.JSON,
            default=DEFAULT_INPUTS_MAP,
            label="Inputs map",
            description=(
                "Which node input each port fills: exposed name → 'node_id.inputs.field' "
                '(e.g. {"text": "6.inputs.text", "seed": "3.inputs.seed"}).'
            ),
        ),
        ParamSpec(name="text", kind=ParamKind.TEXT, label="Text", description="Typed-in text."),
        ParamSpec(
            name="seed", kind=ParamKind.SEED, minimum=0, description="Empty keeps the file's."
        ),
        ParamSpec(
            name="output_node",
            kind=ParamKind.STRING,
            default="",
            label="Output node",
            description="Id of the node whose image to return; empty takes the first saved.",
        ),
        ParamSpec(
            name="server_url",
            kind=ParamKind.STRING,
            default=DEFAULT_SERVER,
            label="Server",
            description="The ComfyUI server's address.",
        ),
    ),
    provider="comfyui",
    model_id="api-workflow",
    source="https://docs.comfy.org/development/comfyui-server/comms_routes",
    provider_options={
        "self_hosted": True,
        "workflow_param": "workflow_file",
        "bindings_param": "inputs_map",
        "output_node_param": "output_node",
        "base_url_param": "server_url",
    },
)


def register(catalog: Catalog) -> None:
    """Register ``comfyui.workflow`` into ``catalog``."""
    from engine.providers.hosted import make_hosted_node  # keeps httpx out of catalog imports

    catalog.register(COMFYUI_WORKFLOW, make_hosted_node(COMFYUI_WORKFLOW))
