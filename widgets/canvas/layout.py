"""Arranging nodes: align, distribute and a layered left-to-right auto-layout.

Pure geometry on node rectangles, so it is tested without a screen. Each function
returns the new top-left corner of the nodes it moves; the canvas turns that into
one :class:`~widgets.commands.MoveNodesCommand`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Rect:
    """A node's box in scene coordinates (top-left corner and size)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


Point = tuple[float, float]


class Align(StrEnum):
    """Which edge or centre line selected nodes are lined up on."""

    LEFT = "left"
    RIGHT = "right"
    TOP = "top"
    BOTTOM = "bottom"
    H_CENTER = "h-center"  # centres on one vertical line
    V_CENTER = "v-center"  # centres on one horizontal line


class Axis(StrEnum):
    """Direction for distributing nodes evenly."""

    HORIZONTAL = "h"
    VERTICAL = "v"


def bounds(rects: Iterable[Rect]) -> Rect:
    """The smallest box around ``rects`` (which must not be empty)."""
    items = list(rects)
    left = min(r.x for r in items)
    top = min(r.y for r in items)
    right = max(r.right for r in items)
    bottom = max(r.bottom for r in items)
    return Rect(left, top, right - left, bottom - top)


def align(rects: Mapping[str, Rect], mode: Align) -> dict[str, Point]:
    """Line nodes up on the selection's left/right/top/bottom edge or centre line."""
    if len(rects) < 2:
        return {}
    box = bounds(rects.values())
    moved: dict[str, Point] = {}
    for node_id, r in rects.items():
        x, y = r.x, r.y
        if mode == Align.LEFT:
            x = box.x
        elif mode == Align.RIGHT:
            x = box.right - r.w
        elif mode == Align.TOP:
            y = box.y
        elif mode == Align.BOTTOM:
            y = box.bottom - r.h
        elif mode == Align.H_CENTER:
            x = box.cx - r.w / 2
        else:
            y = box.cy - r.h / 2
        moved[node_id] = (x, y)
    return moved


def distribute(rects: Mapping[str, Rect], axis: Axis) -> dict[str, Point]:
    """Space nodes so the gaps between neighbours are equal; the outer two stay put."""
    if len(rects) < 3:
        return {}
    horizontal = axis == Axis.HORIZONTAL
    order = sorted(
        rects, key=lambda k: (rects[k].x, rects[k].y) if horizontal else (rects[k].y, rects[k].x)
    )
    first, last = rects[order[0]], rects[order[-1]]
    sizes = sum((rects[k].w if horizontal else rects[k].h) for k in order)
    span = (last.right - first.x) if horizontal else (last.bottom - first.y)
    gap = (span - sizes) / (len(order) - 1)
    cursor = first.x if horizontal else first.y
    moved: dict[str, Point] = {}
    for node_id in order:
        r = rects[node_id]
        moved[node_id] = (cursor, r.y) if horizontal else (r.x, cursor)
        cursor += (r.w if horizontal else r.h) + gap
    return moved


def depths(node_ids: Iterable[str], links: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Each node's column: the length of the longest path reaching it.

    Only ``links`` between ``node_ids`` count. Nodes on a loop (an invalid
    workflow) are placed one column after everything else they follow.
    """
    ids = list(dict.fromkeys(node_ids))
    members = set(ids)
    succ: dict[str, list[str]] = {n: [] for n in ids}
    indegree = dict.fromkeys(ids, 0)
    for source, target in links:
        if source in members and target in members and source != target:
            succ[source].append(target)
            indegree[target] += 1
    depth = dict.fromkeys(ids, 0)
    ready = [n for n in ids if indegree[n] == 0]
    done: set[str] = set()
    while ready:
        node = ready.pop(0)
        done.add(node)
        for nxt in succ[node]:
            depth[nxt] = max(depth[nxt], depth[node] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if len(done) < len(ids):
        last = max((depth[n] for n in done), default=-1) + 1
        for node in ids:
            if node not in done:
                depth[node] = max(depth[node], last)
    return depth


def layered(
    rects: Mapping[str, Rect],
    links: Iterable[tuple[str, str]],
    *,
    column_gap: float = 90.0,
    row_gap: float = 36.0,
) -> dict[str, Point]:
    """Left-to-right layout by topological depth, anchored at the nodes' current top-left.

    Within a column nodes are ordered by the average row of the nodes feeding them
    (the barycentre heuristic), which removes most crossings in pipelines; ties keep
    the current vertical order. Columns are centred on a common horizontal line.
    """
    if not rects:
        return {}
    link_list = [(s, t) for s, t in links if s in rects and t in rects]
    depth = depths(rects, link_list)
    columns: dict[int, list[str]] = {}
    for node_id in sorted(rects, key=lambda k: (rects[k].y, rects[k].x)):
        columns.setdefault(depth[node_id], []).append(node_id)
    preds: dict[str, list[str]] = {}
    for source, target in link_list:
        preds.setdefault(target, []).append(source)
    row: dict[str, float] = {}
    for col in sorted(columns):
        members = columns[col]
        if col > 0:
            before = {node_id: float(i) for i, node_id in enumerate(members)}

            def key(node_id: str, before: dict[str, float] = before) -> tuple[float, float]:
                feeding = [row[p] for p in preds.get(node_id, []) if p in row]
                centre = sum(feeding) / len(feeding) if feeding else before[node_id]
                return (centre, before[node_id])

            members.sort(key=key)
        for index, node_id in enumerate(members):
            row[node_id] = float(index)
    box = bounds(rects.values())
    heights = {
        col: sum(rects[n].h for n in ids) + row_gap * (len(ids) - 1) for col, ids in columns.items()
    }
    tallest = max(heights.values())
    moved: dict[str, Point] = {}
    x = box.x
    for col in sorted(columns):
        ids = columns[col]
        y = box.y + (tallest - heights[col]) / 2
        for node_id in ids:
            moved[node_id] = (x, y)
            y += rects[node_id].h + row_gap
        x += max(rects[n].w for n in ids) + column_gap
    return moved
