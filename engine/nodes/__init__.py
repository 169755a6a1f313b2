"""Node implementations shipped with Patchbay, registered into a catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.catalog.registry import Catalog


def register_all(catalog: Catalog) -> None:
    """Register every built-in node type into ``catalog``."""
    from engine.nodes import data, image, image_compose, image_edit, inputs, outputs, text

    for module in (inputs, text, data, image, image_edit, image_compose, outputs):
        module.register(catalog)
