"""``patchbay-studio``: open the desktop app.

Until the editor lands this window is a read-only overview: the node catalog on
the left and the opened workflow's nodes in the centre.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import engine
from engine.catalog import default_catalog
from engine.errors import WorkflowFileError
from engine.workflow import Workflow, load_workflow


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="patchbay-studio", description="Patchbay Studio")
    parser.add_argument("file", nargs="?", type=Path, help="a *.patchbay.json workflow to open")
    parser.add_argument("--version", action="version", version=f"Patchbay {engine.__version__}")
    parser.add_argument("--screenshot", type=Path, help="save a picture of the window here")
    parser.add_argument("--quit", action="store_true", help="exit once the window is shown")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``patchbay-studio``."""
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.window import MainWindow

    qt_app = QApplication.instance() or QApplication([sys.argv[0]])
    qt_app.setApplicationName("Patchbay Studio")
    qt_app.setOrganizationName("Patchbay")

    workflow: Workflow | None = None
    error: str | None = None
    if args.file is not None:
        try:
            workflow = load_workflow(args.file).workflow
        except WorkflowFileError as exc:
            error = str(exc)
    window = MainWindow(default_catalog(), workflow, args.file)
    window.resize(1280, 800)
    window.show()
    if error and not args.quit:
        QMessageBox.warning(window, "Cannot open workflow", error)

    if args.quit:

        def finish() -> None:
            if args.screenshot is not None:
                window.grab().save(str(args.screenshot))
            qt_app.quit()

        QTimer.singleShot(200, finish)
    qt_app.exec()
    return 1 if error else 0


if __name__ == "__main__":
    raise SystemExit(main())
