"""App tests need Qt; they are not collected where PySide6 is absent.

Every test here runs with its own data directory (autosaves) and its own
settings files, so nothing touches the user's configuration; dialogs are
answered by :class:`ScriptedPrompts` instead of waiting for a click.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.autosave import AutosaveInfo
from app.prompts import Prompts, RecoveryChoice, UnsavedChoice
from app.window import MainWindow
from engine.catalog import default_catalog


class ScriptedPrompts(Prompts):
    """Answers dialogs from queues and records each question asked.

    With a queue empty: unsaved changes are discarded, file dialogs are cancelled,
    reverts are refused and autosaves are kept for later.
    """

    def __init__(self) -> None:
        self.unsaved: list[UnsavedChoice] = []
        self.save_paths: list[Path | None] = []
        self.open_paths: list[Path | None] = []
        self.revert: list[bool] = []
        self.recovery: list[RecoveryChoice] = []
        self.asked: list[str] = []

    def unsaved_changes(self, parent: QWidget, name: str, before: str) -> UnsavedChoice:
        self.asked.append(f"unsaved:{name}:{before}")
        return self.unsaved.pop(0) if self.unsaved else UnsavedChoice.DISCARD

    def open_path(self, parent: QWidget, directory: Path | None) -> Path | None:
        self.asked.append("open")
        return self.open_paths.pop(0) if self.open_paths else None

    def save_path(self, parent: QWidget, suggested: Path) -> Path | None:
        self.asked.append(f"save:{suggested.name}")
        return self.save_paths.pop(0) if self.save_paths else None

    def confirm_revert(self, parent: QWidget, name: str) -> bool:
        self.asked.append(f"revert:{name}")
        return self.revert.pop(0) if self.revert else False

    def restore_autosave(self, parent: QWidget | None, info: AutosaveInfo) -> RecoveryChoice:
        self.asked.append(f"restore:{info.display_name}")
        return self.recovery.pop(0) if self.recovery else RecoveryChoice.LATER


@pytest.fixture(autouse=True)
def isolated_settings(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Default ``QSettings()`` and the data directory point into ``tmp_path``."""
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(config))
    yield config
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.property("patchbayTheme"):
        # The theme is application-wide; later tests (tests/widgets) expect none.
        app.setStyleSheet("")
        app.setPalette(QPalette())
        app.setProperty("patchbayTheme", None)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """An ini file of the test's own."""
    return QSettings(str(tmp_path / "studio.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def prompts() -> ScriptedPrompts:
    return ScriptedPrompts()


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot, settings: QSettings, prompts: ScriptedPrompts) -> WindowFactory:
    """Shown windows with test timings (short autosave debounce, 10 ms validation)."""

    def make(**overrides: Any) -> MainWindow:
        options: dict[str, Any] = {
            "settings": settings,
            "prompts": prompts,
            "autosave_interval_ms": 60_000,
            "autosave_debounce_ms": 20,
            "validation_delay_ms": 10,
        }
        options.update(overrides)
        window = MainWindow(default_catalog(), **options)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


# -- runs (tests/app/test_run_*.py) -------------------------------------------------


@pytest.fixture(autouse=True)
def _no_event_loop_left_behind() -> Iterator[None]:
    """Close the qasync loop a test may have started, so later asyncio tests get their own."""
    yield
    from app.runners import close_event_loop

    close_event_loop()


@pytest.fixture
def qasync_loop(qapp: QApplication) -> Iterator[Any]:
    """The app's asyncio loop (qasync) running inside the QApplication's event loop."""
    from app.runners import close_event_loop, install_event_loop

    loop = install_event_loop()
    yield loop
    close_event_loop()


# -- servers (tests/app/test_servers.py, test_publish.py, remote runs) -------------------

from tests.server.conftest import Server as Server  # noqa: E402
from tests.server.conftest import server as server  # noqa: E402  (the shared server fixture)
from tests.server.conftest import start_server as start_server  # noqa: E402  (a dedicated one)


@pytest.fixture(autouse=True)
def _no_session_keys_left_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """API keys kept "for this session" (no keyring) live in a process-wide dict: not shared."""
    import app.servers

    monkeypatch.setattr(app.servers, "_session_keys", {})
