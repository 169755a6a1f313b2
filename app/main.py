"""``patchbay-studio [FILE]``: open the desktop app.

``patchbay-studio FILE --screenshot OUT.png --quit`` opens FILE in a 1440x900
window, zooms to fit, saves a picture of the window and exits: the scripted way
to check the editor (and to make the README's screenshot).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import engine

SCREENSHOT_SIZE = (1440, 900)


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="patchbay-studio", description="Patchbay Studio")
    parser.add_argument("file", nargs="?", type=Path, help="a *.patchbay.json workflow to open")
    parser.add_argument("--version", action="version", version=f"Patchbay {engine.__version__}")
    parser.add_argument("--screenshot", type=Path, help="save a picture of the window here")
    parser.add_argument("--quit", action="store_true", help="exit once the window is shown")
    parser.add_argument("--select", metavar="NODE_ID", help="select this node (for screenshots)")
    parser.add_argument(
        "--zoom",
        type=float,
        metavar="PERCENT",
        help="after fitting, zoom to PERCENT around the selection (for screenshots)",
    )
    parser.add_argument(
        "--theme", choices=("dark", "light"), help="use this theme for this session only"
    )
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``patchbay-studio``; returns 1 when FILE could not be opened."""
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.icons import app_icon
    from app.recovery import offer_recovery
    from app.theme import ThemeName
    from app.window import MainWindow

    existing = QApplication.instance()
    qt_app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    qt_app.setApplicationName("Patchbay Studio")
    qt_app.setOrganizationName("Patchbay")
    qt_app.setDesktopFileName("patchbay-studio")
    qt_app.setWindowIcon(app_icon())

    scripted = args.quit
    window = MainWindow(remember_layout=not scripted)
    if args.theme:
        window.set_theme(ThemeName(args.theme), remember=False)
    opened = True
    if args.file is not None:
        opened = window.controller.open_path(args.file)
    if scripted:
        window.resize(*SCREENSHOT_SIZE)
    window.show()

    if scripted:

        def finish() -> None:
            window.canvas.zoom_to_fit()
            window.validator.run()
            if args.select:
                window.canvas.select_nodes([args.select])
            if args.zoom:
                window.editing.zoom_to(args.zoom / 100)
            qt_app.processEvents()
            if args.screenshot is not None:
                window.grab().save(str(args.screenshot))
            window.close()
            qt_app.quit()

        QTimer.singleShot(400, finish)
    else:
        QTimer.singleShot(0, lambda: offer_recovery(window))
    qt_app.exec()
    return 0 if opened else 1


if __name__ == "__main__":
    raise SystemExit(main())
