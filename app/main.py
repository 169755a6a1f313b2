"""``patchbay-studio [FILE]``: open the desktop app.

```patchbay-studio FILE --screenshot OUT.png --quit`` opens FILE in a 1440x900
window, zooms to fit, saves a picture of the window and exits: the scripted way
to check the editor (and to make the README's screenshot). With ``--run`` it
first runs FILE on the bundled engine (``--preview``: in preview mode; ``--server
URL``: on that Patchbay server, with the key from ``PATCHBAY_API_KEY`` or the
keyring), waits for the end and shows the results on the canvas; it then exits 0
only if the run completed (1 otherwise).

``patchbay-studio --self-test`` checks an installation without a display: see
:mod:`app.self_test` (and packaging/README.md for the frozen bundle).
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
    parser.add_argument("--run", action="store_true", help="run FILE and show its results")
    parser.add_argument("--preview", action="store_true", help="with --run: run in preview mode")
    parser.add_argument(
        "--server",
        metavar="URL",
        help="run on this Patchbay server (key: PATCHBAY_API_KEY or the keyring)",
    )
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
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation offscreen: load, validate and run every example",
    )
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``patchbay-studio``; returns 1 when FILE could not be opened."""
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from app.self_test import run_self_test

        return run_self_test()
    from app.logs import setup_logging, shutdown_logging

    setup_logging()
    from PySide6.QtCore import QLoggingCategory, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    # QtMultimedia (loaded at start-up by NodeGraphQt's Qt.py) lists every optional
    # library it did not find and ffmpeg's file dumps; keep its warnings only.
    QLoggingCategory.setFilterRules(
        "qt.multimedia.symbolsresolver=false\nqt.multimedia.ffmpeg*.info=false"
    )

    from app.icons import app_icon
    from app.recovery import offer_recovery
    from app.runners import close_event_loop, install_event_loop
    from app.theme import ThemeName
    from app.window import MainWindow

    existing = QApplication.instance()
    qt_app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    qt_app.setApplicationName("Patchbay Studio")
    qt_app.setOrganizationName("Patchbay")
    qt_app.setDesktopFileName("patchbay-studio")
    qt_app.setWindowIcon(app_icon())
    install_event_loop()
    from app.crash_dialog import CrashHandler

    crash_handler = CrashHandler().install()  # after the loop: chains its report_exception

    scripted = args.quit
    window = MainWindow(remember_layout=not scripted)
    if args.theme:
        window.set_theme(ThemeName(args.theme), remember=False)
    opened = True
    if args.file is not None:
        opened = window.controller.open_path(args.file)
    else:
        window.show_start_page()  # goes away if a crash recovery restores a document
    if args.server and not window.runs.targets.use_server(args.server):
        opened = False  # no key for the server: nothing can run
    if scripted:
        window.resize(*SCREENSHOT_SIZE)
    window.show()

    result = {"code": 0 if opened else 1}
    quit_on_close = qt_app.quitOnLastWindowClosed()
    if scripted:
        # finish() quits itself; closing the last window would post a second quit
        # that ends the next event loop started in this process (tests).
        qt_app.setQuitOnLastWindowClosed(False)

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

        def start_run() -> None:
            # Room for the results on the canvas: the docks a run does not need.
            docks = window.run_docks
            for dock in (window.palette_dock, window.properties_dock, window.problems_dock):
                dock.hide()
            for dock in (docks.inspector_dock, docks.history_dock):
                dock.hide()
            window.resizeDocks([docks.panel_dock], [330], Qt.Orientation.Vertical)
            window.canvas.set_minimap_visible(False)
            window.runs.preview_action.setChecked(args.preview)
            handle = window.runs.run() if opened else None
            if handle is None:
                result["code"] = 1
                QTimer.singleShot(400, finish)
                return

            def ended(record: object) -> None:
                from engine.executor import ExecutionRecord, ExecutionState

                completed = (
                    isinstance(record, ExecutionRecord)
                    and record.status == ExecutionState.COMPLETED
                )
                result["code"] = 0 if completed else 1
                # Video frames and waveforms are made off the GUI thread: wait for them.
                window.runs.when_previews_ready(lambda: QTimer.singleShot(200, finish))

            handle.finished.connect(ended)
            handle.failed.connect(ended)  # a server refused the run (or was unreachable)

        QTimer.singleShot(400, start_run if args.run else finish)
    else:
        QTimer.singleShot(0, lambda: offer_recovery(window))
        if args.file is None:
            from app.help_commands import maybe_show_getting_started

            QTimer.singleShot(0, lambda: maybe_show_getting_started(window))
        if args.run and opened:
            QTimer.singleShot(0, window.runs.run)
    qt_app.exec()
    qt_app.setQuitOnLastWindowClosed(quit_on_close)
    close_event_loop()
    crash_handler.uninstall()
    shutdown_logging()
    return result["code"]


if __name__ == "__main__":
    raise SystemExit(main())
