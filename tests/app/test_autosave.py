"""Autosave while there are unsaved changes, and recovery after a crash."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.autosave import META_SUFFIX, find_orphans
from app.prompts import RecoveryChoice
from app.recovery import offer_recovery
from app.window import MainWindow
from engine.catalog import default_catalog
from tests.app.conftest import ScriptedPrompts, WindowFactory
from tests.app.support import document_json, write_sample

HERE = Path(__file__).resolve().parent


def _edit(window: MainWindow) -> None:
    window.canvas.select_nodes(["title"])
    window.canvas.delete_selection()


def test_unsaved_changes_are_autosaved_with_a_sidecar_and_removed_on_save(
    qtbot: QtBot, make_window: WindowFactory, data_dir: Path, tmp_path: Path
) -> None:
    path = write_sample(tmp_path / "demo.patchbay.json")
    window = make_window()
    window.controller.open_path(path)
    saver = window.autosaver
    assert saver.document_path.parent == data_dir / "autosave"
    assert not saver.document_path.exists()  # nothing unsaved yet

    _edit(window)
    qtbot.waitUntil(saver.document_path.exists, timeout=2000)

    assert saver.document_path.read_text(encoding="utf-8") == document_json(window)
    meta = json.loads(saver.meta_path.read_text(encoding="utf-8"))
    assert meta["originalPath"] == str(path)
    assert meta["pid"] == os.getpid()
    assert meta["savedAt"]
    assert find_orphans() == []  # this session is alive

    assert window.controller.save()
    assert not saver.document_path.exists() and not saver.meta_path.exists()


def test_undoing_back_to_the_saved_state_removes_the_autosave(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "demo.patchbay.json"))
    _edit(window)
    qtbot.waitUntil(window.autosaver.document_path.exists, timeout=2000)
    window.undo_stack.undo()
    assert not window.autosaver.document_path.exists()


def test_the_periodic_autosave_catches_changes_without_the_debounce(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window(autosave_interval_ms=30, autosave_debounce_ms=60_000)
    window.controller.open_path(write_sample(tmp_path / "demo.patchbay.json"))
    _edit(window)
    qtbot.waitUntil(window.autosaver.document_path.exists, timeout=2000)
    window.canvas.move_nodes({"files": (0.0, 90.0)})
    qtbot.waitUntil(
        lambda: window.autosaver.document_path.read_text(encoding="utf-8") == document_json(window),
        timeout=2000,
    )


def test_a_normal_close_leaves_no_autosave_behind(
    qtbot: QtBot, make_window: WindowFactory, prompts: ScriptedPrompts, data_dir: Path
) -> None:
    window = make_window()
    window.editing.add_node_at_centre("input.text")
    qtbot.waitUntil(window.autosaver.document_path.exists, timeout=2000)
    assert window.close()  # unsaved changes discarded (the scripted default)
    assert list((data_dir / "autosave").iterdir()) == []


def test_a_crashed_window_leaves_an_autosave_that_the_next_start_restores(
    qtbot: QtBot,
    make_window: WindowFactory,
    settings: QSettings,
    prompts: ScriptedPrompts,
    tmp_path: Path,
) -> None:
    path = write_sample(tmp_path / "demo.patchbay.json")
    crashed = MainWindow(
        default_catalog(), settings=settings, prompts=prompts, autosave_debounce_ms=20
    )
    crashed.show()
    crashed.controller.open_path(path)
    _edit(crashed)
    crashed.canvas.move_nodes({"files": (-40.0, 120.0)})
    qtbot.waitUntil(
        lambda: (
            crashed.autosaver.document_path.exists()
            and crashed.autosaver.document_path.read_text(encoding="utf-8")
            == document_json(crashed)
        ),
        timeout=2000,
    )
    expected = document_json(crashed)
    left_behind = crashed.autosaver.document_path
    shiboken6.delete(crashed)  # gone without a close event, as in a crash

    assert left_behind.exists()
    [orphan] = find_orphans()
    assert orphan.original_path == path
    window = make_window()
    prompts.recovery = [RecoveryChoice.RESTORE]

    restored = offer_recovery(window)

    assert restored == [window]
    assert prompts.asked[-1] == "restore:demo.patchbay.json"
    assert document_json(window) == expected
    assert window.isWindowModified()  # restored work still has to be saved
    assert window.controller.path == path
    assert window.notice_bar.isVisible() and "Restored" in window.notice_bar.text()
    assert not left_behind.exists()
    assert window.autosaver.document_path.exists()  # this session now keeps the copy
    assert find_orphans() == []
    assert window.controller.save()
    assert path.read_text(encoding="utf-8") == expected


@pytest.mark.slow
def test_a_killed_studio_process_leaves_an_autosave_the_next_start_offers(
    make_window: WindowFactory, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    path = write_sample(tmp_path / "demo.patchbay.json")
    process = subprocess.Popen(
        [sys.executable, str(HERE / "crash_session.py"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the studio subprocess did not start"
        report = json.loads(process.stdout.readline())
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    assert Path(report["autosave"]).exists()
    [orphan] = find_orphans()
    assert orphan.pid == process.pid
    window = make_window()
    prompts.recovery = [RecoveryChoice.RESTORE]
    assert offer_recovery(window) == [window]
    assert document_json(window) == report["document"]
    assert any(n.type == "image.resize" for n in window.document.nodes())
    assert window.isWindowModified() and window.controller.path == path


def _orphan_on_disk(directory: Path, session: str, pid: int, name: str = "Lost") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_sample(directory / f"{session}.patchbay.json")
    meta = {"originalPath": None, "name": name, "savedAt": "2025-01-02T03:04:05+00:00", "pid": pid}
    (directory / f"{session}{META_SUFFIX}").write_text(json.dumps(meta), encoding="utf-8")
    return directory / f"{session}.patchbay.json"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_autosaves_of_sessions_no_longer_running_are_offered(data_dir: Path) -> None:
    directory = data_dir / "autosave"
    _orphan_on_disk(directory, "alive", os.getppid())
    dead = _orphan_on_disk(directory, "dead", _dead_pid())
    (directory / f"broken{META_SUFFIX}").write_text("{", encoding="utf-8")

    assert [i.document_path for i in find_orphans()] == [dead]


def test_not_now_keeps_an_orphan_and_discard_removes_it(
    make_window: WindowFactory, prompts: ScriptedPrompts, data_dir: Path
) -> None:
    kept = _orphan_on_disk(data_dir / "autosave", "kept", _dead_pid())
    window = make_window()
    prompts.recovery = [RecoveryChoice.LATER]
    assert offer_recovery(window) == []
    assert kept.exists()
    prompts.recovery = [RecoveryChoice.DISCARD]
    assert offer_recovery(window) == []
    assert not kept.exists()
    assert window.document.nodes() == []


def test_several_orphans_open_in_separate_windows_untitled(
    qtbot: QtBot, make_window: WindowFactory, prompts: ScriptedPrompts, data_dir: Path
) -> None:
    pid = _dead_pid()
    _orphan_on_disk(data_dir / "autosave", "one", pid, "First")
    _orphan_on_disk(data_dir / "autosave", "two", pid, "Second")
    window = make_window()
    prompts.recovery = [RecoveryChoice.RESTORE, RecoveryChoice.RESTORE]

    restored = offer_recovery(window)

    assert len(restored) == 2 and restored[0] is window and restored[1] is not window
    for target in restored:
        qtbot.addWidget(target)
        assert target.controller.path is None
        assert target.windowTitle().startswith("Untitled[*]")
        assert target.isWindowModified()
