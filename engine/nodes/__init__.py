"""Node implementations shipped with Patchbay, registered into a catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.catalog.registry import Catalog


def register_all(catalog: Catalog) -> None:
    """Register every built-in node type into ``catalog``."""
    from engine.nodes import (
        audio,
        data,
        image,
        image_compose,
        image_edit,
        image_extra,
        inputs,
        outputs,
        text,
        video,
    )

    modules = (inputs, text, data, image, image_edit, image_compose, image_extra, video, audio)
    for module in (*modules, outputs):
        module.register(catalog)
    from engine.catalog import hosted

    hosted.register(catalog)
    from engine.nodes import comfyui_workflow

    comfyui_workflow.register(catalog)
