"""Backdrops: titled frames grouping nodes, kept in the document's ``metadata["backdrops"]``.

Stored as ``[{"id": "bd1", "title": "Inputs", "nodes": ["brief", "shot"]}, …]``. A
frame has no geometry of its own: it is drawn around its nodes, so moving, adding
or removing nodes never leaves it stale, and undo needs nothing extra.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QGraphicsScene

from widgets.canvas.items import BackdropItem, NodeCard

#: The metadata key holding the backdrops.
BACKDROPS_KEY = "backdrops"


@dataclass(frozen=True, slots=True)
class Backdrop:
    """A titled group of nodes."""

    id: str
    title: str
    nodes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "nodes": list(self.nodes)}


def read_backdrops(metadata: Mapping[str, Any]) -> list[Backdrop]:
    """The backdrops in a document's metadata; malformed entries are skipped."""
    raw = metadata.get(BACKDROPS_KEY)
    if not isinstance(raw, list):
        return []
    backdrops = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            continue
        nodes = entry.get("nodes")
        if not isinstance(nodes, list):
            continue
        backdrop_id = entry.get("id")
        title = entry.get("title")
        backdrops.append(
            Backdrop(
                id=backdrop_id if isinstance(backdrop_id, str) else f"bd{index + 1}",
                title=title if isinstance(title, str) else "Group",
                nodes=tuple(n for n in nodes if isinstance(n, str)),
            )
        )
    return backdrops


def write_backdrops(backdrops: Iterable[Backdrop]) -> list[dict[str, Any]] | None:
    """The metadata value for ``backdrops`` (``None`` removes the key when there are none)."""
    data = [b.to_json() for b in backdrops]
    return data or None


def unique_backdrop_id(backdrops: Iterable[Backdrop]) -> str:
    taken = {b.id for b in backdrops}
    counter = 1
    while f"bd{counter}" in taken:
        counter += 1
    return f"bd{counter}"


class BackdropLayer:
    """The backdrop items on the scene, kept equal to the document's backdrops."""

    def __init__(
        self,
        scene: QGraphicsScene,
        node_item: Callable[[str], NodeCard | None],
        on_rename: Callable[[str, str], None],
    ) -> None:
        self._scene = scene
        self._node_item = node_item
        self._on_rename = on_rename
        self._items: dict[str, BackdropItem] = {}
        self._backdrops: list[Backdrop] = []

    def set_backdrops(self, backdrops: list[Backdrop]) -> None:
        """Show exactly ``backdrops``."""
        self._backdrops = list(backdrops)
        wanted = {b.id for b in backdrops}
        for backdrop_id in [i for i in self._items if i not in wanted]:
            item = self._items.pop(backdrop_id)
            self._scene.removeItem(item)
        for backdrop in backdrops:
            item = self._items.get(backdrop.id) or BackdropItem(backdrop.id, self._on_rename)
            if backdrop.id not in self._items:
                self._items[backdrop.id] = item
                self._scene.addItem(item)
            if item.title != backdrop.title:
                item.set_title(backdrop.title)
        self.rewrap()

    def rewrap(self) -> None:
        """Fit every frame around its nodes again (after moves, adds, removals)."""
        for backdrop in self._backdrops:
            members = [self._node_item(n) for n in backdrop.nodes]
            self._items[backdrop.id].wrap([m for m in members if m is not None])

    def backdrops(self) -> list[Backdrop]:
        return list(self._backdrops)

    def item(self, backdrop_id: str) -> BackdropItem | None:
        return self._items.get(backdrop_id)

    def selected_ids(self) -> list[str]:
        return [b.id for b in self._backdrops if self._items[b.id].isSelected()]
