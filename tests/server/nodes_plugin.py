"""Test-only node types, loaded by the test server via ``PATCHBAY_EXTRA_NODES``.

- ``test.paint``: a solid image, priced 2 credits per image (``count`` images
  counted by the estimate), so credits, 402s and artifacts can be exercised.
- ``test.slow``: waits ``seconds`` while reporting progress, 1 credit per run;
  for cancellation, SSE and crash-recovery tests.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from typing import Any

from PIL import Image

from engine.catalog import (
    Catalog,
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    Pricing,
    PricingUnit,
)
from engine.nodes.base import NodeContext

PAINT = NodeSpec(
    type="test.paint",
    category=Category.IMAGE,
    display_name="Paint (test)",
    inputs=(PortSpec(name="prompt", type=PortType.TEXT, required=False),),
    outputs=(PortSpec(name="image", type=PortType.IMAGE),),
    params=(
        ParamSpec(name="color", kind=ParamKind.COLOR, default="#3366ff"),
        ParamSpec(name="width", kind=ParamKind.INTEGER, default=64, minimum=1, maximum=512),
        ParamSpec(name="height", kind=ParamKind.INTEGER, default=48, minimum=1, maximum=512),
        ParamSpec(name="count", kind=ParamKind.INTEGER, default=1, minimum=1, maximum=1000),
    ),
    pricing=Pricing(unit=PricingUnit.PER_IMAGE, credits=2.0, quantity_param="count"),
)

SLOW = NodeSpec(
    type="test.slow",
    category=Category.UTILITY,
    display_name="Slow (test)",
    inputs=(PortSpec(name="text", type=PortType.TEXT, required=False),),
    outputs=(PortSpec(name="text", type=PortType.TEXT),),
    params=(ParamSpec(name="seconds", kind=ParamKind.NUMBER, default=30.0, minimum=0),),
    pricing=Pricing(unit=PricingUnit.PER_RUN, credits=1.0),
)


def run_paint(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """A solid PNG of the requested size and colour."""
    size = (int(ctx.params["width"]), int(ctx.params["height"]))
    image = Image.new("RGB", size, str(ctx.params["color"]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    artifact = ctx.artifacts.put_bytes(
        buffer.getvalue(),
        kind=PortType.IMAGE,
        media_type="image/png",
        filename="paint.png",
        metadata={"width": image.width, "height": image.height},
    )
    return {"image": artifact}


async def run_slow(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Wait, reporting progress ten times."""
    seconds = float(ctx.params["seconds"])
    for step in range(10):
        ctx.report_progress(step / 10)
        await asyncio.sleep(seconds / 10)
    return {"text": str(inputs.get("text") or "done")}


def register(catalog: Catalog) -> None:
    """Entry point named in ``PATCHBAY_EXTRA_NODES``."""
    catalog.register(PAINT, run_paint)
    catalog.register(SLOW, run_slow)
