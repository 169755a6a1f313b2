"""Uncaught exceptions: the work is autosaved first, then one dialog explains what happened."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from qasync import asyncSlot

from app import crash_dialog
from app.autosave import find_orphans
from app.crash_dialog import CrashDialog, CrashHandler
from app.window import MainWindow
from tests.app.conftest import WindowFactory

pytestmark = pytest.mark.qt_no_exception_capture  # the handler under test is the excepthook

KEY = "pb_Xq3kV9aR2mH8u1Yb0wJ4cN7tL6eQ5sZ3pD9fG2hK1jA"


class Recorder:
    """Stands in for report_exception (the hook the handler chains) and for Quit."""

    def __init__(self) -> None:
        self.logged: list[BaseException] = []
        self.quits = 0

    def hook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        self.logged.append(error)

    def quit(self) -> None:
        self.quits += 1


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def handler(recorder: Recorder, tmp_path: Path) -> Iterator[CrashHandler]:
    log_file = tmp_path / "logs" / "patchbay-studio.log"
    installed = CrashHandler(
        recorder.hook, log_file=lambda: log_file, quit_app=recorder.quit
    ).install()
    yield installed
    installed.uninstall()
    if installed.dialog is not None:
        installed.dialog.close()


def _boom() -> None:
    raise RuntimeError("the thumbnail cache is corrupt")


def _raise_in_timer(qtbot: QtBot, handler: CrashHandler, fn: object = _boom) -> CrashDialog:
    QTimer.singleShot(0, fn)  # type: ignore[call-overload]
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=3000)
    assert handler.dialog is not None
    return handler.dialog


def _edited_window(make_window: WindowFactory) -> tuple[MainWindow, str]:
    window = make_window(autosave_debounce_ms=60_000, autosave_interval_ms=60_000)
    node_id = window.editing.add_node_at_centre("text.template")
    assert node_id is not None
    assert window.controller.is_dirty() and not window.autosaver.document_path.exists()
    return window, node_id


def test_an_exception_in_a_timer_autosaves_first_then_shows_the_dialog(
    qtbot: QtBot,
    make_window: WindowFactory,
    handler: CrashHandler,
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    window, node_id = _edited_window(make_window)
    seen_at_show: list[str] = []
    original_show = CrashDialog.show

    def show(dialog: CrashDialog) -> None:
        seen_at_show.append(window.autosaver.document_path.read_text(encoding="utf-8"))
        original_show(dialog)

    monkeypatch.setattr(CrashDialog, "show", show)
    dialog = _raise_in_timer(qtbot, handler)

    saved = json.loads(seen_at_show[0])
    assert node_id in [node["id"] for node in saved["nodes"]]  # the unsaved edit is on disk
    assert [str(e) for e in recorder.logged] == ["the thumbnail cache is corrupt"]  # logged too
    assert dialog.summary_label.text() == "RuntimeError: the thumbnail cache is corrupt"
    assert (
        "Untitled" in dialog.autosave_label.text()
        and "nothing is lost" in dialog.autosave_label.text()
    )
    assert str(tmp_path / "logs" / "patchbay-studio.log") in dialog.log_label.text()
    assert not dialog.details.isVisible()
    dialog.details_button.click()
    assert dialog.details.isVisible() and "_boom" in dialog.details.toPlainText()
    assert window.document.has_node(node_id)  # the document is untouched


def test_copy_details_puts_the_traceback_on_the_clipboard(
    qtbot: QtBot, make_window: WindowFactory, handler: CrashHandler
) -> None:
    make_window()
    dialog = _raise_in_timer(qtbot, handler)
    dialog.copy_button.click()
    copied = QApplication.clipboard().text()
    assert "Traceback (most recent call last)" in copied
    assert "in _boom" in copied and "RuntimeError: the thumbnail cache is corrupt" in copied
    assert copied.startswith("Patchbay Studio ")  # the version line for bug reports


def test_repeats_are_counted_in_the_open_dialog(
    qtbot: QtBot, make_window: WindowFactory, handler: CrashHandler, recorder: Recorder
) -> None:
    make_window()
    dialog = _raise_in_timer(qtbot, handler)

    def other() -> None:
        raise KeyError("missing")

    for fn in (_boom, other):
        QTimer.singleShot(0, fn)
    qtbot.waitUntil(lambda: dialog.count == 3, timeout=3000)
    assert handler.dialog is dialog
    assert [
        w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()
    ] == [dialog]
    assert dialog.repeat_label.isVisible() and "3 errors" in dialog.repeat_label.text()
    details = dialog.details.toPlainText()
    assert details.count("RuntimeError: the thumbnail cache is corrupt") == 1
    assert "KeyError: 'missing'" in details
    assert len(recorder.logged) == 3  # every one is logged


def test_keys_in_the_error_are_redacted(
    qtbot: QtBot, make_window: WindowFactory, handler: CrashHandler
) -> None:
    make_window()

    def leak() -> None:
        raise PermissionError(f"server said 401 to Authorization: Bearer {KEY}")

    dialog = _raise_in_timer(qtbot, handler, leak)
    dialog.copy_details()
    for text in (
        dialog.summary_label.text(),
        dialog.details.toPlainText(),
        QApplication.clipboard().text(),
    ):
        assert KEY not in text and "[redacted]" in text


def test_continue_closes_and_quit_keeps_the_autosave_for_the_next_start(
    qtbot: QtBot, make_window: WindowFactory, handler: CrashHandler, recorder: Recorder
) -> None:
    window, _ = _edited_window(make_window)
    dialog = _raise_in_timer(qtbot, handler)
    dialog.continue_button.click()
    qtbot.waitUntil(lambda: handler.dialog is None, timeout=2000)
    assert recorder.quits == 0

    dialog = _raise_in_timer(qtbot, handler)  # a new dialog after the first was closed
    dialog.quit_button.click()
    assert recorder.quits == 1
    crash_dialog.keep_all_autosaves()  # what the default Quit does before leaving the loop
    window.close()  # even a close after Quit leaves the autosave for recovery
    assert window.autosaver.document_path.exists()
    orphans = find_orphans(window.autosaver.directory)  # what the next start offers
    assert window.autosaver.session_id in {o.session_id for o in orphans}


def test_an_async_slot_exception_reaches_the_dialog(
    qtbot: QtBot,
    qasync_loop: object,
    make_window: WindowFactory,
    handler: CrashHandler,
    recorder: Recorder,
) -> None:
    make_window()

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def fetch(_checked: bool) -> None:
        raise ConnectionError("server went away")

    fetch(False)  # what a click would do: the coroutine runs as a task and raises there
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=3000)
    assert handler.dialog is not None
    assert handler.dialog.summary_label.text() == "ConnectionError: server went away"
    assert [type(e) for e in recorder.logged] == [ConnectionError]


def test_install_chains_report_exception_and_uninstall_restores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.runners import report_exception

    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    handler = CrashHandler().install()
    assert sys.excepthook is handler and handler._previous is report_exception
    handler.uninstall()
    assert sys.excepthook is sys.__excepthook__
