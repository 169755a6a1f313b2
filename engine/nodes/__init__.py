"""Node implementations shipped with Patchbay, registered into a catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.catalog.registry import Catalog


def register_all(catalog: Catalog) -> None:
    """Register every built-in node type into ``catalog``."""
    from engine.nodes import data, image, inputs, outputs, text

    for module in (inputs, text, data, image, outputs):
        module.register(catalog)
