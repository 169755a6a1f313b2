"""The small pictures of the Getting Started page, painted (no image files to load).

Each :class:`GuideArt` is drawn by one function into a 420x230 scene with the
canvas's own port glyphs and category colours, so the pictures match the editor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QGuiApplication,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.catalog.spec import Category, PortType
from widgets.canvas.style import category_color, paint_port, port_style

SCENE = QSize(420, 230)

_BG = QColor("#1b1e24")
_GRID = QColor("#262a32")
_CARD = QColor("#2b303a")
_CARD_EDGE = QColor("#3c4350")
_TEXT = QColor("#e6e8ee")
_MUTED = QColor("#8d94a3")
_SELECT = QColor("#f2c14e")
_DONE = QColor("#3ecf8e")
_PREVIEW = QColor("#f5a524")

Port = tuple[str, PortType]


class GuideArt(StrEnum):
    """Which picture a step shows."""

    ADD = "add"
    CONNECT = "connect"
    PARAMS = "params"
    RUN = "run"
    RESULTS = "results"
    PUBLISH = "publish"


def _font(size: float, *, bold: bool = False, mono: bool = False) -> QFont:
    font = QFont(QGuiApplication.font())
    if mono:
        font.setFamily("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _text(
    p: QPainter,
    rect: QRectF,
    text: str,
    *,
    color: QColor = _TEXT,
    size: float = 8.5,
    bold: bool = False,
    mono: bool = False,
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
) -> None:
    p.setFont(_font(size, bold=bold, mono=mono))
    p.setPen(color)
    p.drawText(rect, int(align), text)


def _box(p: QPainter, rect: QRectF, fill: QColor, edge: QColor, radius: float = 6) -> None:
    p.setPen(QPen(edge, 1.2))
    p.setBrush(fill)
    p.drawRoundedRect(rect, radius, radius)


def _card(
    p: QPainter,
    rect: QRectF,
    title: str,
    category: Category,
    inputs: Sequence[Port] = (),
    outputs: Sequence[Port] = (),
    *,
    selected: bool = False,
    wired: Sequence[str] = (),
) -> dict[str, QPointF]:
    """A node card; returns the centre of each port by name ("in:x" / "out:x")."""
    _box(p, rect, _CARD, _SELECT if selected else _CARD_EDGE)
    header = QRectF(rect.left(), rect.top(), rect.width(), 4)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(category_color(category))
    p.drawRoundedRect(header, 2, 2)
    _text(p, QRectF(rect.left() + 10, rect.top() + 6, rect.width() - 14, 20), title, bold=True)
    centres: dict[str, QPointF] = {}
    for side, ports in (("in", inputs), ("out", outputs)):
        for index, (name, port_type) in enumerate(ports):
            y = rect.top() + 36 + index * 20
            x = rect.left() if side == "in" else rect.right()
            glyph = QRectF(x - 5.5, y - 5.5, 11, 11)
            paint_port(p, glyph, port_type, connected=f"{side}:{name}" in wired)
            label = QRectF(rect.left() + 12, y - 8, rect.width() - 24, 16)
            align = Qt.AlignmentFlag.AlignLeft if side == "in" else Qt.AlignmentFlag.AlignRight
            _text(
                p, label, name, color=_MUTED, size=7.5, align=align | Qt.AlignmentFlag.AlignVCenter
            )
            centres[f"{side}:{name}"] = QPointF(x, y)
    return centres


def _wire(
    p: QPainter, start: QPointF, end: QPointF, color: QColor, *, dashed: bool = False
) -> None:
    path = QPainterPath(start)
    bend = max(40.0, abs(end.x() - start.x()) / 2)
    path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
    pen = QPen(color, 2.2)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)


def _keycap(p: QPainter, rect: QRectF, text: str) -> None:
    _box(p, rect.translated(0, 2), QColor("#15171c"), QColor("#15171c"), 4)
    _box(p, rect, QColor("#3a404c"), QColor("#525a68"), 4)
    _text(p, rect, text, bold=True, size=8, align=Qt.AlignmentFlag.AlignCenter)


def _pill(p: QPainter, rect: QRectF, text: str, fill: QColor, fg: QColor = _BG) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(fill)
    p.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
    _text(p, rect, text, color=fg, bold=True, size=7.5, align=Qt.AlignmentFlag.AlignCenter)


def _field(p: QPainter, rect: QRectF, text: str, *, mono: bool = False) -> None:
    _box(p, rect, QColor("#15171c"), QColor("#3c4350"), 3)
    _text(p, rect.adjusted(6, 0, -6, 0), text, size=7.5, mono=mono)


def _thumbnail(p: QPainter, rect: QRectF) -> None:
    gradient = QLinearGradient(rect.topLeft(), rect.bottomRight())
    gradient.setColorAt(0, QColor("#ff8a5c"))
    gradient.setColorAt(0.55, QColor("#c2417a"))
    gradient.setColorAt(1, QColor("#3b2a6b"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(gradient))
    p.drawRoundedRect(rect, 3, 3)
    p.setBrush(QColor(255, 255, 255, 200))
    sun = rect.width() * 0.18
    p.drawEllipse(QRectF(rect.right() - sun * 1.8, rect.top() + sun * 0.6, sun, sun))


# -- the pictures --------------------------------------------------------------------------


def _paint_add(p: QPainter) -> None:
    panel = QRectF(14, 14, 140, 202)
    _box(p, panel, QColor("#23272f"), _CARD_EDGE)
    _text(p, QRectF(24, 18, 120, 20), "Nodes", bold=True)
    _field(p, QRectF(22, 40, 124, 20), "flux")
    rows = (
        ("FLUX.2 [pro]", Category.IMAGE),
        ("FLUX.1 [dev]", Category.IMAGE),
        ("Kontext edit", Category.EDITING),
    )
    for index, (name, category) in enumerate(rows):
        y = 70 + index * 22
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(category_color(category))
        p.drawEllipse(QRectF(26, y + 6, 8, 8))
        _text(p, QRectF(40, y, 110, 20), name, size=8)
    _text(p, QRectF(22, 150, 126, 56), "drag onto\nthe canvas", color=_MUTED, size=7.5)
    _keycap(p, QRectF(184, 24, 44, 26), "Tab")
    popup = QRectF(184, 62, 150, 86)
    _box(p, popup, QColor("#23272f"), _SELECT)
    _field(p, QRectF(192, 70, 134, 20), "upscale")
    _text(p, QRectF(196, 96, 130, 18), "● Upscale Image", size=8)
    _text(p, QRectF(196, 116, 130, 18), "● Clarity Upscaler", size=8, color=_MUTED)
    _card(
        p,
        QRectF(276, 160, 130, 58),
        "Upscale Image",
        Category.EDITING,
        [("image", PortType.IMAGE)],
        [("image", PortType.IMAGE)],
    )
    _wire(p, QPointF(262, 140), QPointF(300, 160), _MUTED, dashed=True)


def _paint_connect(p: QPainter) -> None:
    brief = _card(
        p,
        QRectF(14, 40, 112, 60),
        "Text Input",
        Category.INPUT,
        outputs=[("text", PortType.TEXT)],
        wired=["out:text"],
    )
    shot = _card(
        p,
        QRectF(158, 20, 112, 80),
        "FLUX.2 [pro]",
        Category.IMAGE,
        [("prompt", PortType.TEXT)],
        [("image", PortType.IMAGE)],
        wired=["in:prompt", "out:image"],
    )
    clip = _card(
        p,
        QRectF(300, 40, 106, 80),
        "Kling 2.1",
        Category.VIDEO,
        [("image", PortType.IMAGE), ("prompt", PortType.TEXT)],
        [("video", PortType.VIDEO)],
        wired=["in:image"],
    )
    _wire(p, brief["out:text"], shot["in:prompt"], port_style(PortType.TEXT).color)
    _wire(p, shot["out:image"], clip["in:image"], port_style(PortType.IMAGE).color)
    voice = _card(
        p,
        QRectF(14, 140, 118, 60),
        "Voice-over",
        Category.AUDIO,
        outputs=[("audio", PortType.AUDIO)],
    )
    refused = QColor("#ff5d5d")
    _wire(p, voice["out:audio"], QPointF(286, 178), refused, dashed=True)
    _text(
        p,
        QRectF(190, 186, 220, 36),
        "audio → image: refused while you drag,\nthe status bar says why",
        color=refused,
        size=7.5,
    )


def _paint_params(p: QPainter) -> None:
    _card(
        p,
        QRectF(14, 50, 120, 80),
        "FLUX.2 [pro]",
        Category.IMAGE,
        [("prompt", PortType.TEXT)],
        [("image", PortType.IMAGE)],
        selected=True,
    )
    panel = QRectF(160, 10, 248, 210)
    _box(p, panel, QColor("#23272f"), _CARD_EDGE)
    _text(p, QRectF(172, 16, 220, 20), "Properties", bold=True)
    rows = (
        ("Prompt", "a red sneaker on wet asphalt"),
        ("Image size", "landscape_16_9       ▾"),
        ("Seed", "42                     ⟳"),
        ("Format", "png                   ▾"),
    )
    for index, (label, value) in enumerate(rows):
        y = 46 + index * 34
        _text(p, QRectF(172, y, 70, 22), label, color=_MUTED, size=8)
        _field(p, QRectF(240, y, 158, 22), value)
    _text(
        p,
        QRectF(172, 182, 230, 32),
        "Hover a field or port for what it does.\nCtrl+Z undoes any edit.",
        color=_MUTED,
        size=7.5,
    )


def _paint_run(p: QPainter, keys: dict[str, str]) -> None:
    bar = QRectF(14, 20, 392, 40)
    _box(p, bar, QColor("#23272f"), _CARD_EDGE)
    run = QRectF(24, 27, 70, 26)
    _box(p, run, QColor("#2f6f4f"), _DONE, 4)
    _text(p, run, "▶  Run", bold=True, align=Qt.AlignmentFlag.AlignCenter)
    stop = QRectF(100, 27, 30, 26)
    _box(p, stop, QColor("#3a404c"), QColor("#525a68"), 4)
    _text(p, stop, "■", color=_MUTED, align=Qt.AlignmentFlag.AlignCenter)
    _text(p, QRectF(140, 27, 120, 26), "≈ 12 credits", color=_SELECT, bold=True)
    _pill(p, QRectF(300, 29, 96, 22), "PREVIEW ON", _PREVIEW)
    centre = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
    notes = (
        (
            QRectF(14, 84, 124, 112),
            keys.get("run", "F5"),
            44.0,
            "Run everything;\nunchanged nodes\nare reused",
        ),
        (
            QRectF(148, 84, 124, 112),
            "",
            0.0,
            "The credits of the\nnext run, counted\nbefore you start",
        ),
        (
            QRectF(282, 84, 124, 112),
            keys.get("preview", "Ctrl+Shift+P"),
            112.0,
            "Preview: hosted\nmodels run offline,\nnothing is charged",
        ),
    )
    for rect, key, width, note in notes:
        _box(p, rect, QColor("#20242b"), QColor("#2e333d"), 6)
        if key:
            _keycap(p, QRectF(rect.center().x() - width / 2, rect.top() + 14, width, 26), key)
        else:
            _text(
                p,
                QRectF(rect.left(), rect.top() + 14, rect.width(), 26),
                "≈ 12",
                color=_SELECT,
                bold=True,
                size=11,
                align=Qt.AlignmentFlag.AlignCenter,
            )
        _text(p, rect.adjusted(6, 52, -6, -6), note, color=_MUTED, size=7.5, align=centre)


def _paint_results(p: QPainter) -> None:
    card = QRectF(14, 14, 150, 150)
    inputs = [("prompt", PortType.TEXT)]
    _card(
        p,
        card,
        "FLUX.2 [pro]",
        Category.IMAGE,
        inputs,
        [("image", PortType.IMAGE)],
        wired=["in:prompt", "out:image"],
    )
    p.setPen(QPen(_DONE, 2))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(card.adjusted(-3, -3, 3, 3), 8, 8)
    _pill(p, QRectF(24, 82, 60, 18), "✓ DONE", _DONE)
    _text(p, QRectF(90, 82, 72, 18), "2.4 s · 3 cr", color=_MUTED, size=7.5)
    _thumbnail(p, QRectF(24, 106, 130, 50))
    timeline = QRectF(186, 14, 220, 150)
    _box(p, timeline, QColor("#23272f"), _CARD_EDGE)
    _text(p, QRectF(196, 18, 200, 20), "Run · 7.9 s · 15 credits", bold=True, size=8)
    bars = (
        (0.0, 0.12, "Brief"),
        (0.12, 0.42, "FLUX.2"),
        (0.42, 0.95, "Kling"),
        (0.2, 0.5, "Voice"),
    )
    for index, (start, end, name) in enumerate(bars):
        y = 46 + index * 26
        _text(p, QRectF(196, y, 44, 16), name, color=_MUTED, size=7.5)
        left = 244 + start * 150
        critical = name != "Voice"
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_SELECT if critical else QColor("#4fb8ff"))
        p.drawRoundedRect(QRectF(left, y + 3, (end - start) * 150, 10), 3, 3)
    _text(p, QRectF(196, 148, 200, 14), "yellow: the critical path", color=_MUTED, size=7)
    _text(
        p,
        QRectF(14, 176, 392, 44),
        "Inspector: a node's full outputs, inputs, attempts and errors.\n"
        "Runs: every past run of the document, one click to show it again.",
        color=_MUTED,
        size=7.5,
    )


def _paint_publish(p: QPainter) -> None:
    dialog = QRectF(14, 12, 392, 206)
    _box(p, dialog, QColor("#23272f"), _CARD_EDGE)
    _text(p, QRectF(28, 18, 360, 20), "Publish to studio.example.com", bold=True)
    _text(p, QRectF(28, 44, 120, 18), "Webhook URL", color=_MUTED, size=8)
    _field(p, QRectF(28, 64, 292, 24), "https://studio.example.com/workflow/wh_3k9…", mono=True)
    copy = QRectF(328, 64, 64, 24)
    _box(p, copy, QColor("#3a404c"), QColor("#525a68"), 4)
    _text(p, copy, "Copy", bold=True, size=8, align=Qt.AlignmentFlag.AlignCenter)
    _text(p, QRectF(28, 98, 120, 18), "Try it", color=_MUTED, size=8)
    shell = QRectF(28, 118, 364, 46)
    _box(p, shell, QColor("#111318"), QColor("#2b303a"), 4)
    _text(
        p,
        shell.adjusted(8, 0, -8, 0),
        'curl -X POST …/trigger \\\n  -d \'{"brief": "a red sneaker"}\'',
        color=_DONE,
        size=7.5,
        mono=True,
    )
    for index, label in enumerate(("Send Test Trigger", "Rotate", "Unpublish")):
        rect = QRectF(28 + index * 124, 178, 116, 26)
        _box(p, rect, QColor("#3a404c"), QColor("#525a68"), 4)
        _text(p, rect, label, size=8, align=Qt.AlignmentFlag.AlignCenter)


_PAINTERS: dict[GuideArt, Callable[[QPainter, dict[str, str]], None]] = {
    GuideArt.ADD: lambda p, _k: _paint_add(p),
    GuideArt.CONNECT: lambda p, _k: _paint_connect(p),
    GuideArt.PARAMS: lambda p, _k: _paint_params(p),
    GuideArt.RUN: _paint_run,
    GuideArt.RESULTS: lambda p, _k: _paint_results(p),
    GuideArt.PUBLISH: lambda p, _k: _paint_publish(p),
}


def paint_art(painter: QPainter, art: GuideArt, keys: dict[str, str] | None = None) -> None:
    """Draw ``art`` into the 420x230 scene at the painter's origin."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    _box(painter, QRectF(0.5, 0.5, SCENE.width() - 1, SCENE.height() - 1), _BG, _CARD_EDGE, 8)
    painter.setPen(QPen(_GRID, 1))
    for x in range(20, SCENE.width(), 20):
        for y in range(20, SCENE.height(), 20):
            painter.drawPoint(x, y)
    _PAINTERS[art](painter, keys or {})
    painter.restore()


class GuideArtView(QWidget):
    """Shows one :class:`GuideArt`, scaled to fit while keeping its proportions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.art = GuideArt.ADD
        self.keys: dict[str, str] = {}
        self.setMinimumSize(SCENE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def show_art(self, art: GuideArt) -> None:
        self.art = art
        self.update()

    def sizeHint(self) -> QSize:
        return SCENE

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        scale = min(self.width() / SCENE.width(), self.height() / SCENE.height())
        painter.translate(
            (self.width() - SCENE.width() * scale) / 2, (self.height() - SCENE.height() * scale) / 2
        )
        painter.scale(scale, scale)
        paint_art(painter, self.art, self.keys)
        painter.end()
