"""Node catalog: node types declared as data, and the registry that holds them."""

from __future__ import annotations

from engine.catalog.registry import Catalog, CatalogEntry, default_catalog
from engine.catalog.spec import (
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    Pricing,
    PricingUnit,
    ports_compatible,
)

__all__ = [
    "Catalog",
    "CatalogEntry",
    "Category",
    "NodeSpec",
    "ParamKind",
    "ParamSpec",
    "PortSpec",
    "PortType",
    "Pricing",
    "PricingUnit",
    "default_catalog",
    "ports_compatible",
]
