"""Shared look of the run widgets: state colours and icons, and how times and credits read.

The ``format_*`` functions are the one way the studio writes durations, credits and
clock times: the canvas badges, the run panel, the timeline, the inspector, the
run history and the status bar all use them, so the same run reads the same
everywhere ("420 ms", "1.2 s", "1 min 05 s"; "2 credits", or "2 cr" where space
is tight).
"""

from __future__ import annotations

import math
import time
from decimal import ROUND_HALF_UP, Decimal

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from engine.executor.events import ExecutionState, NodeState

#: One colour per state, shared by the timeline, the badges and the icons.
STATE_COLORS: dict[str, str] = {
    NodeState.PENDING: "#5d6370",
    NodeState.QUEUED: "#8a909d",
    NodeState.RUNNING: "#4c8dff",
    NodeState.COMPLETED: "#3fb950",
    NodeState.CACHED: "#39a7b5",
    NodeState.FAILED: "#e5534b",
    NodeState.SKIPPED: "#6e7481",
    NodeState.CANCELLED: "#d29922",
}

#: What each state reads as in the UI.
STATE_LABELS: dict[str, str] = {
    NodeState.PENDING: "Pending",
    NodeState.QUEUED: "Queued",
    NodeState.RUNNING: "Running",
    NodeState.COMPLETED: "Completed",
    NodeState.CACHED: "Cached",
    NodeState.FAILED: "Failed",
    NodeState.SKIPPED: "Skipped",
    NodeState.CANCELLED: "Cancelled",
}

_GLYPHS: dict[str, str] = {
    NodeState.COMPLETED: "check",
    NodeState.CACHED: "check",
    NodeState.FAILED: "cross",
    NodeState.CANCELLED: "bar",
    NodeState.SKIPPED: "bar",
    NodeState.RUNNING: "dot",
}
_icons: dict[str, QIcon] = {}


def state_color(state: NodeState | ExecutionState) -> QColor:
    """The colour of a node or execution state."""
    return QColor(STATE_COLORS.get(state.value, "#8a909d"))


def state_label(state: NodeState | ExecutionState) -> str:
    """``"Completed"``, ``"Running"`` …"""
    return STATE_LABELS.get(state.value, state.value.capitalize())


def state_icon(state: NodeState | ExecutionState) -> QIcon:
    """A 16 px round badge in the state's colour with a check, cross, bar or dot (cached)."""
    key = state.value
    icon = _icons.get(key)
    if icon is not None:
        return icon
    scale = 2
    size = 16 * scale
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(state_color(state))
    painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    pen = QPen(QColor("#ffffff"), 3.2)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    glyph = _GLYPHS.get(key, "")
    s = float(size)
    if glyph == "check":
        painter.drawLine(QPointF(s * 0.30, s * 0.52), QPointF(s * 0.44, s * 0.66))
        painter.drawLine(QPointF(s * 0.44, s * 0.66), QPointF(s * 0.70, s * 0.36))
    elif glyph == "cross":
        painter.drawLine(QPointF(s * 0.35, s * 0.35), QPointF(s * 0.65, s * 0.65))
        painter.drawLine(QPointF(s * 0.65, s * 0.35), QPointF(s * 0.35, s * 0.65))
    elif glyph == "bar":
        painter.drawLine(QPointF(s * 0.32, s * 0.5), QPointF(s * 0.68, s * 0.5))
    elif glyph == "dot":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ffffff"))
        painter.drawEllipse(QPointF(s / 2, s / 2), s * 0.13, s * 0.13)
    painter.end()
    pixmap.setDevicePixelRatio(scale)
    icon = _icons[key] = QIcon(pixmap)
    return icon


def format_duration(ms: float | None) -> str:
    """``"340 ms"``, ``"2.4 s"``, ``"1 min 05 s"``, ``"2 h 03 min"``; ``"—"`` when unknown."""
    if ms is None or math.isnan(ms):
        return "—"
    if ms < 1000:
        return f"{round(ms)} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def format_number(value: float) -> str:
    """``4`` -> ``"4"``, ``2.5`` -> ``"2.5"``, ``0.125`` -> ``"0.13"``, thousands with commas."""
    if float(value).is_integer():
        return f"{int(value):,}"
    # Half up, as people round (binary floats and f-strings round 0.125 down).
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{rounded:,}".rstrip("0").rstrip(".")


def format_credits(credits: float, *, short: bool = False) -> str:
    """``"1 credit"``, ``"12.5 credits"``; with ``short`` (canvas badges) ``"12.5 cr"``."""
    if short:
        return f"{format_number(credits)} cr"
    return f"{format_number(credits)} credit{'' if credits == 1 else 's'}"


def format_position(ms: float | None) -> str:
    """A playback position as media players show it: ``"0:07"``, ``"12:03"``, ``"1:02:03"``."""
    if ms is None or math.isnan(ms) or ms < 0:
        return "0:00"
    whole = int(ms // 1000)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


def format_clock(at: float | None, *, millis: bool = False) -> str:
    """A Unix time as local ``"14:03:07"`` (``".123"`` appended with ``millis``); ``"—"``."""
    if at is None:
        return "—"
    text = time.strftime("%H:%M:%S", time.localtime(at))
    if millis:
        text += f".{int(at * 1000) % 1000:03d}"
    return text


def format_datetime(at: float | None) -> str:
    """A Unix time as local ``"2026-11-28 14:03"``; ``"—"`` when unknown."""
    if at is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))
