"""The node registry: every node type's spec and the code that runs it."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.catalog.spec import Category, NodeSpec
from engine.errors import UnknownNodeTypeError

if TYPE_CHECKING:
    from engine.nodes.base import NodeImplementation


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A node type: its declaration and its implementation."""

    spec: NodeSpec
    implementation: NodeImplementation


class Catalog:
    """A registry of node types, looked up by type id."""

    def __init__(self, entries: Iterable[CatalogEntry] = ()) -> None:
        self._entries: dict[str, CatalogEntry] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: CatalogEntry) -> None:
        """Register a node type; a duplicate id is a programming error."""
        if entry.spec.type in self._entries:
            raise ValueError(f"node type {entry.spec.type!r} registered twice")
        self._entries[entry.spec.type] = entry

    def register(self, spec: NodeSpec, implementation: NodeImplementation) -> None:
        """Register ``spec`` run by ``implementation``."""
        self.add(CatalogEntry(spec, implementation))

    def __contains__(self, node_type: object) -> bool:
        return node_type in self._entries

    def __iter__(self) -> Iterator[NodeSpec]:
        return (entry.spec for entry in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, node_type: str) -> CatalogEntry:
        """The entry for ``node_type``; raises :class:`UnknownNodeTypeError`."""
        try:
            return self._entries[node_type]
        except KeyError:
            hint = self.closest(node_type)
            suffix = f" (did you mean {hint!r}?)" if hint else ""
            raise UnknownNodeTypeError(f"unknown node type {node_type!r}{suffix}") from None

    def spec(self, node_type: str) -> NodeSpec:
        """The spec for ``node_type``; raises :class:`UnknownNodeTypeError`."""
        return self.entry(node_type).spec

    def get(self, node_type: str) -> NodeSpec | None:
        """The spec for ``node_type``, or ``None``."""
        entry = self._entries.get(node_type)
        return entry.spec if entry else None

    def closest(self, node_type: str) -> str | None:
        """The registered type id most like ``node_type`` (for hints)."""
        matches = difflib.get_close_matches(node_type, list(self._entries), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def counts_by_category(self) -> dict[Category, int]:
        """How many node types each category holds, in category order."""
        counts = Counter(spec.category for spec in self)
        return {category: counts[category] for category in Category if counts[category]}

    def export(self) -> dict[str, Any]:
        """The whole catalog as JSON data."""
        return {
            "count": len(self),
            "categories": {c.value: n for c, n in self.counts_by_category().items()},
            "nodes": [spec.export() for spec in self],
        }


_default: Catalog | None = None


def default_catalog() -> Catalog:
    """The catalog of every node type shipped with Patchbay (built once)."""
    global _default
    if _default is None:
        from engine.nodes import register_all

        catalog = Catalog()
        register_all(catalog)
        _default = catalog
    return _default
