"""The application icon and the toolbar's line icons (``resources/icons``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
_ICON_PX = 20
_cache: dict[tuple[str, str, str], QIcon] = {}


def resource_path(*parts: str) -> Path:
    """A file or folder of the ``resources`` package (found with ``importlib.resources``).

    Falls back to the package's search path when ``resources`` was imported as a
    namespace package (an editable install made before it had an ``__init__.py``).
    """
    try:
        return Path(str(resources.files("resources").joinpath(*parts)))
    except (NotADirectoryError, TypeError):
        import resources as package

        for entry in package.__path__:
            candidate = Path(entry).joinpath(*parts)
            if candidate.exists():
                return candidate
        raise FileNotFoundError("/".join(parts)) from None


def icons_dir() -> Path:
    """The folder holding the icon files."""
    return resource_path("icons")


def app_icon() -> QIcon:
    """The Patchbay Studio icon, from the PNG renders (see ``render_icons.py``)."""
    icon = QIcon()
    folder = icons_dir()
    for size in APP_ICON_SIZES:
        png = folder / f"patchbay-{size}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    return icon


def _render(svg: str, color: str, px: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", color).encode()))
    side = round(px * ratio)
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, side, side))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def action_icon(name: str, color: str, disabled: str) -> QIcon:
    """The line icon ``actions/<name>.svg`` drawn in ``color`` (and ``disabled`` when off)."""
    key = (name, color, disabled)
    icon = _cache.get(key)
    if icon is not None:
        return icon
    path = icons_dir() / "actions" / f"{name}.svg"
    icon = QIcon()
    if path.is_file():
        svg = path.read_text(encoding="utf-8")
        for ratio in (1.0, 2.0):
            icon.addPixmap(_render(svg, color, _ICON_PX, ratio), QIcon.Mode.Normal)
            icon.addPixmap(_render(svg, disabled, _ICON_PX, ratio), QIcon.Mode.Disabled)
    _cache[key] = icon
    return icon
