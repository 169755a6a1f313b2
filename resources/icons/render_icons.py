"""Render the application icon (``patchbay.svg``) to PNGs at the usual sizes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/icons/render_icons.py

Writes ``patchbay-<size>.png`` next to the SVG. Run it again after editing the
SVG; the PNGs are committed so the app, the ``.desktop`` file and packaging never
need an SVG renderer at run time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 24, 32, 48, 64, 128, 256)
HERE = Path(__file__).resolve().parent
SOURCE = HERE / "patchbay.svg"


def render(
    source: Path = SOURCE, out_dir: Path = HERE, sizes: tuple[int, ...] = SIZES
) -> list[Path]:
    """Render ``source`` at each size; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"{source} is not a valid SVG")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        target = out_dir / f"{source.stem}-{size}.png"
        if not image.save(str(target)):
            raise SystemExit(f"cannot write {target}")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in render():
        print(path.relative_to(HERE.parent.parent))
