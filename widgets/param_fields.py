"""The colour, file and JSON editors, and the factory choosing an editor per kind.

The colour and file editors open dialogs through a picker callable, so tests
(and the app, if it wants native dialogs configured differently) can replace them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QIcon,
    QPainter,
    QPixmap,
    QRegularExpressionValidator,
)
from PySide6.QtWidgets import (
    QColorDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.catalog.spec import ParamKind, ParamSpec, PortType
from widgets.param_editors import (
    AutoHeightTextEdit,
    BoolEditor,
    EnumEditor,
    LineEditor,
    NumberEditor,
    ParamEditor,
    SeedEditor,
    TextEditor,
    display_text,
    row_layout,
)

#: ``(initial colour, parent) -> chosen colour or None``; a seam for tests.
ColorPicker = Callable[[QColor, QWidget], QColor | None]
#: ``(parent, title, start path, name filter) -> chosen path or None``; a seam for tests.
FilePicker = Callable[[QWidget, str, str, str], str | None]

#: File dialog name filters by the media kind a FILE parameter accepts.
FILE_FILTERS: dict[PortType | None, str] = {
    PortType.IMAGE: "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff)",
    PortType.MASK: "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff)",
    PortType.VIDEO: "Video (*.mp4 *.mov *.webm *.mkv *.avi *.m4v)",
    PortType.AUDIO: "Audio (*.wav *.mp3 *.flac *.ogg *.m4a *.aac *.opus)",
    PortType.MESH: "3D models (*.glb *.gltf *.obj *.ply *.stl *.fbx)",
    PortType.TEXT: "Text (*.txt *.md *.csv)",
    PortType.JSON: "JSON (*.json)",
}
_ALL_FILES = "All files (*)"


def dialog_color(initial: QColor, parent: QWidget) -> QColor | None:
    """Ask for a colour with :class:`QColorDialog` (alpha included)."""
    color = QColorDialog.getColor(
        initial, parent, "Choose a colour", QColorDialog.ColorDialogOption.ShowAlphaChannel
    )
    return color if color.isValid() else None


def dialog_file(parent: QWidget, title: str, start: str, name_filter: str) -> str | None:
    """Ask for an existing file with :class:`QFileDialog`."""
    path, _ = QFileDialog.getOpenFileName(parent, title, start, name_filter)
    return path or None


def _swatch(color: QColor, size: int = 14) -> QIcon:
    scale = 2
    pixmap = QPixmap(size * scale, size * scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(128, 128, 128, 160))
    painter.setBrush(color)
    painter.drawRoundedRect(1, 1, size * scale - 2, size * scale - 2, 5, 5)
    painter.end()
    pixmap.setDevicePixelRatio(scale)
    return QIcon(pixmap)


class ColorEditor(ParamEditor):
    """COLOR: a swatch that opens the colour dialog, and the hex code to type."""

    def __init__(self, spec: ParamSpec, picker: ColorPicker, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._picker = picker
        self.swatch = QToolButton(self)
        self.swatch.setObjectName("colorSwatch")
        self.swatch.setToolTip("Choose a colour…")
        self.swatch.clicked.connect(self._pick)
        self.hex = QLineEdit(self)
        self.hex.setPlaceholderText(display_text(spec.default))
        pattern = QRegularExpression("#?[0-9A-Fa-f]{0,8}")
        self.hex.setValidator(QRegularExpressionValidator(pattern, self.hex))
        self.hex.textEdited.connect(self._typed)
        row_layout(self, self.swatch, self.hex, stretch_first=False)
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.setStretch(1, 1)
        self.set_value(None)

    def _current(self) -> QColor:
        text = self.hex.text() or display_text(self.spec.default)
        return _parse_color(text) or QColor(0, 0, 0)

    def _paint(self) -> None:
        self.swatch.setIcon(_swatch(self._current()))

    def _typed(self, text: str) -> None:
        if not text:
            self._paint()
            self._emit(None, True)
            return
        if not text.startswith("#"):
            text = "#" + text
        if _parse_color(text) is not None and len(text) in (7, 9):
            self._paint()
            self._emit(text.lower(), True)

    def _pick(self) -> None:
        color = self._picker(self._current(), self)
        if color is None:
            return
        alpha = color.alpha() < 255
        text = color.name(QColor.NameFormat.HexRgb)
        if alpha:
            text += f"{color.alpha():02x}"
        self.hex.setText(text)
        self._paint()
        self._emit(text, False)

    def set_value(self, value: Any) -> None:
        text = value if isinstance(value, str) else ""
        if self.hex.text().lower() != text.lower():
            self.hex.setText(text)
        self._paint()

    def focus_widget(self) -> QWidget:
        return self.hex


def _parse_color(text: str) -> QColor | None:
    body = text.removeprefix("#")
    if len(body) not in (6, 8):
        return None
    try:
        red, green, blue = (int(body[i : i + 2], 16) for i in (0, 2, 4))
        alpha = int(body[6:8], 16) if len(body) == 8 else 255
    except ValueError:
        return None
    return QColor(red, green, blue, alpha)


class FileEditor(ParamEditor):
    """FILE: a path to type or pick with a file dialog filtered by media kind."""

    def __init__(
        self,
        spec: ParamSpec,
        picker: FilePicker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(spec, parent)
        self._picker = picker
        self.line = QLineEdit(self)
        self.line.setPlaceholderText(display_text(spec.default) or "No file chosen")
        self.line.textEdited.connect(lambda text: self._emit(text or None, True))
        self.browse = QToolButton(self)
        self.browse.setObjectName("browseButton")
        self.browse.setText("…")
        kind = spec.accept.value if spec.accept is not None else "file"
        self.browse.setToolTip(f"Choose {'an' if kind[0] in 'aeiou' else 'a'} {kind} file…")
        self.browse.clicked.connect(self._browse)
        row_layout(self, self.line, self.browse)

    def name_filter(self) -> str:
        """The file dialog's filter for this parameter's media kind."""
        specific = FILE_FILTERS.get(self.spec.accept)
        return f"{specific};;{_ALL_FILES}" if specific else _ALL_FILES

    def _browse(self) -> None:
        kind = self.spec.accept.value if self.spec.accept is not None else "file"
        path = self._picker(self, f"Choose {kind}", self.line.text(), self.name_filter())
        if path:
            self.line.setText(path)
            self._emit(path, False)

    def set_value(self, value: Any) -> None:
        text = display_text(value)
        if self.line.text() != text:
            self.line.setText(text)

    def focus_widget(self) -> QWidget:
        return self.line


class JsonEditor(ParamEditor):
    """JSON: monospaced text, committed only while it parses; errors shown inline."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = AutoHeightTextEdit(min_lines=3, max_lines=14, parent=self)
        self.edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        if spec.default is not None:
            self.edit.setPlaceholderText(json.dumps(spec.default))
        self.error = QLabel(self)
        self.error.setObjectName("jsonError")
        self.error.setWordWrap(True)
        self.error.hide()
        self._updating = False
        self.edit.textChanged.connect(self._changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)

    @property
    def is_valid(self) -> bool:
        """Whether the text parses (an empty text counts: it clears the value)."""
        return self.error.isHidden()

    def _changed(self) -> None:
        if self._updating:
            return
        text = self.edit.toPlainText()
        if not text.strip():
            self._show_error(None)
            self._emit(None, True)
            return
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self._show_error(f"Invalid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}")
            return
        self._show_error(None)
        self._emit(value, True)

    def _show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(message is not None)
        self.edit.setProperty("invalid", message is not None)
        self.edit.style().unpolish(self.edit)
        self.edit.style().polish(self.edit)

    def set_value(self, value: Any) -> None:
        try:
            shown = json.loads(self.edit.toPlainText()) if self.edit.toPlainText().strip() else None
        except json.JSONDecodeError:
            shown = _INVALID
        if shown == value and type(shown) is type(value):
            return
        self._updating = True
        self.edit.setPlainText("" if value is None else json.dumps(value, indent=2))
        self._updating = False
        self._show_error(None)

    def focus_widget(self) -> QWidget:
        return self.edit


_INVALID = object()


def inline_kind(port_type: PortType) -> ParamKind | None:
    """The parameter kind that edits an inline value for an input port, if any."""
    return {
        PortType.TEXT: ParamKind.TEXT,
        PortType.NUMBER: ParamKind.NUMBER,
        PortType.BOOLEAN: ParamKind.BOOLEAN,
        PortType.JSON: ParamKind.JSON,
    }.get(port_type)


def create_editor(
    spec: ParamSpec,
    color_picker: ColorPicker = dialog_color,
    file_picker: FilePicker = dialog_file,
    parent: QWidget | None = None,
) -> ParamEditor:
    """The editor for ``spec``'s kind (an enum kind or any ``choices`` gives a drop-down)."""
    kind = spec.kind
    if kind == ParamKind.ENUM or (spec.choices and kind != ParamKind.BOOLEAN):
        return EnumEditor(spec, parent)
    if kind == ParamKind.TEXT:
        return TextEditor(spec, parent)
    if kind in (ParamKind.INTEGER, ParamKind.NUMBER):
        return NumberEditor(spec, parent)
    if kind == ParamKind.SEED:
        return SeedEditor(spec, parent)
    if kind == ParamKind.BOOLEAN:
        return BoolEditor(spec, parent)
    if kind == ParamKind.COLOR:
        return ColorEditor(spec, color_picker, parent)
    if kind == ParamKind.FILE:
        return FileEditor(spec, file_picker, parent)
    if kind == ParamKind.JSON:
        return JsonEditor(spec, parent)
    return LineEditor(spec, parent)
