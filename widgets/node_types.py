"""How node types are shown and found: search ranking, tooltips, colours, drag data.

Shared by the palette, the quick-add popup and the canvas (which reads the drag
MIME data and the category colours). Nothing here depends on a particular view.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from engine.catalog.spec import Category, NodeSpec, PortSpec, PortType, ports_compatible

#: MIME type of a node type dragged from the palette; the payload is the type id.
NODE_TYPE_MIME = "application/x-patchbay-node-type"

#: Palette section titles, in :class:`Category` order.
CATEGORY_LABELS: dict[Category, str] = {
    Category.INPUT: "Inputs",
    Category.IMAGE: "Image generation",
    Category.VIDEO: "Video",
    Category.AUDIO: "Audio",
    Category.EDITING: "Editing",
    Category.THREE_D: "3D",
    Category.TEXT: "Text & LLM",
    Category.UTILITY: "Utility",
    Category.OUTPUT: "Outputs",
}

#: One mid-tone colour per category; readable on dark and light backgrounds alike.
CATEGORY_COLORS: dict[Category, str] = {
    Category.INPUT: "#4f9dde",
    Category.IMAGE: "#a872e8",
    Category.VIDEO: "#e0644f",
    Category.AUDIO: "#e5a83b",
    Category.EDITING: "#3fb8a5",
    Category.THREE_D: "#7f8cf0",
    Category.TEXT: "#63b85a",
    Category.UTILITY: "#8c96a3",
    Category.OUTPUT: "#e5709b",
}

_CATEGORY_ORDER = {category: index for index, category in enumerate(Category)}
_icon_cache: dict[str, QIcon] = {}


def dot_icon(color: str, diameter: float = 10.0) -> QIcon:
    """A filled circle of ``color`` centred in a 16 px icon (cached)."""
    key = f"{color}/{diameter}"
    icon = _icon_cache.get(key)
    if icon is None:
        scale = 2  # drawn at twice the size so it stays crisp on high-DPI screens
        pixmap = QPixmap(16 * scale, 16 * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(color))
        radius = diameter * scale / 2
        painter.drawEllipse(QPointF(8 * scale, 8 * scale), radius, radius)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        icon = _icon_cache[key] = QIcon(pixmap)
    return icon


def category_icon(category: Category) -> QIcon:
    """The small colour dot shown next to node types of ``category``."""
    return dot_icon(CATEGORY_COLORS[category])


def category_rank(category: Category) -> int:
    """Position of ``category`` in the palette."""
    return _CATEGORY_ORDER[category]


# -- drag and drop ---------------------------------------------------------------


def node_type_mime_data(type_id: str) -> QMimeData:
    """Drag payload for one node type: :data:`NODE_TYPE_MIME` plus plain text."""
    mime = QMimeData()
    mime.setData(NODE_TYPE_MIME, type_id.encode("utf-8"))
    mime.setText(type_id)
    return mime


def node_type_from_mime(mime: QMimeData) -> str | None:
    """The node type id carried by ``mime``, or ``None`` when it carries none."""
    if not mime.hasFormat(NODE_TYPE_MIME):
        return None
    type_id = bytes(mime.data(NODE_TYPE_MIME).data()).decode("utf-8", errors="replace")
    return type_id or None


# -- tooltips --------------------------------------------------------------------


def _port_line(title: str, ports: tuple[PortSpec, ...]) -> str:
    if not ports:
        return ""
    items = []
    for port in ports:
        extras = [port.type.value + (" list" if port.is_list else "")]
        if not port.required:
            extras.append("optional")
        items.append(f"{html.escape(port.label or port.name)} <i>({', '.join(extras)})</i>")
    return f"<br><b>{title}:</b> " + ", ".join(items)


def node_type_tooltip(spec: NodeSpec) -> str:
    """Rich-text tooltip: name, type id, description and the ports."""
    parts = [f"<b>{html.escape(spec.display_name)}</b>&nbsp; <code>{html.escape(spec.type)}</code>"]
    if spec.description:
        parts.append(f"<br>{html.escape(spec.description)}")
    parts.append(_port_line("Inputs", spec.inputs))
    parts.append(_port_line("Outputs", spec.outputs))
    if spec.provider != "local":
        parts.append(f"<br><b>Provider:</b> {html.escape(spec.provider)}")
    return "<p style='white-space:normal'>" + "".join(parts) + "</p>"


# -- port compatibility ----------------------------------------------------------


def compatible_port(spec: NodeSpec, port_type: PortType, wants_input: bool) -> PortSpec | None:
    """The port of ``spec`` a wire of ``port_type`` would connect to, or ``None``.

    ``wants_input`` means the wire comes from an output of type ``port_type`` and
    needs an input of ``spec``; otherwise it comes from an input and needs an
    output. A port of exactly the same type is preferred over a merely compatible one.
    """
    ports = spec.inputs if wants_input else spec.outputs
    exact = next((p for p in ports if p.type == port_type), None)
    if exact is not None:
        return exact
    if wants_input:
        return next((p for p in ports if ports_compatible(port_type, p.type)), None)
    return next((p for p in ports if ports_compatible(p.type, port_type)), None)


# -- search ----------------------------------------------------------------------


class MatchTier(IntEnum):
    """How well a node type matched a query; lower is better."""

    NAME_PREFIX = 0
    NAME = 1
    TYPE_ID = 2
    ALIAS = 3
    DESCRIPTION = 4
    ALL_WORDS = 5
    FUZZY = 6


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One node type found by :meth:`NodeTypeIndex.search`."""

    spec: NodeSpec
    tier: MatchTier


@dataclass(frozen=True, slots=True)
class _Keys:
    spec: NodeSpec
    name: str
    type_id: str
    aliases: tuple[str, ...]
    description: str
    everything: str
    order: tuple[int, str]


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _fuzzy_span(query: str, text: str) -> int | None:
    """Span of ``query``'s letters found in order in ``text``, from its first letter's first hit."""
    start = text.find(query[0])
    if start < 0:
        return None
    position = start
    for char in query[1:]:
        position = text.find(char, position + 1)
        if position < 0:
            return None
    return position - start + 1


class NodeTypeIndex:
    """Node types with their search keys computed once, for search as you type."""

    def __init__(self, specs: Iterable[NodeSpec]) -> None:
        keys = []
        for spec in specs:
            name = _fold(spec.display_name)
            aliases = tuple(_fold(a) for a in spec.aliases)
            description = _fold(spec.description)
            type_id = spec.type.casefold()
            everything = " ".join((name, type_id, *aliases, description))
            order = (category_rank(spec.category), name)
            keys.append(_Keys(spec, name, type_id, aliases, description, everything, order))
        keys.sort(key=lambda k: k.order)
        self._keys = keys

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def specs(self) -> list[NodeSpec]:
        """Every node type, in category order then by name."""
        return [k.spec for k in self._keys]

    def search(
        self, query: str, accept: Callable[[NodeSpec], bool] | None = None
    ) -> list[SearchHit]:
        """Node types matching ``query``, best first.

        Ranking: display-name prefix, then name contains (word starts first), type
        id, alias, description, all words found somewhere, and finally a fuzzy
        in-order match of the letters in the name or type id. An empty query
        returns every type in category order. ``accept`` narrows the candidates.
        """
        folded = _fold(query)
        hits: list[tuple[tuple[int, int, int, tuple[int, str]], SearchHit]] = []
        for keys in self._keys:
            if accept is not None and not accept(keys.spec):
                continue
            if not folded:
                hits.append(((0, 0, 0, keys.order), SearchHit(keys.spec, MatchTier.NAME)))
                continue
            ranked = _rank(keys, folded)
            if ranked is not None:
                tier, detail = ranked
                sort_key = (int(tier), detail, len(keys.name), keys.order)
                hits.append((sort_key, SearchHit(keys.spec, tier)))
        hits.sort(key=lambda pair: pair[0])
        return [hit for _, hit in hits]


def _rank(keys: _Keys, query: str) -> tuple[MatchTier, int] | None:
    """The tier of a match and a tie-break within it (lower is better)."""
    if keys.name.startswith(query):
        return MatchTier.NAME_PREFIX, 0
    position = keys.name.find(query)
    if position >= 0:
        word_start = keys.name[position - 1] in " -_./(" if position else True
        return MatchTier.NAME, (0 if word_start else 1000) + position
    position = keys.type_id.find(query)
    if position >= 0:
        return MatchTier.TYPE_ID, position
    for alias in keys.aliases:
        if alias.startswith(query):
            return MatchTier.ALIAS, 0
    if any(query in alias for alias in keys.aliases):
        return MatchTier.ALIAS, 1
    position = keys.description.find(query)
    if position >= 0:
        return MatchTier.DESCRIPTION, position
    words = query.split()
    if len(words) > 1 and all(word in keys.everything for word in words):
        return MatchTier.ALL_WORDS, 0
    if len(query) >= 2 and " " not in query:
        spans = [s for s in (_fuzzy_span(query, keys.name), _fuzzy_span(query, keys.type_id)) if s]
        if spans:
            return MatchTier.FUZZY, min(spans)
    return None
