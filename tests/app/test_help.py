"""The Help menu: Getting Started, a complete shortcuts list, panels reachable by key."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.dialogs import shortcut_text
from app.help_commands import maybe_show_getting_started, show_getting_started
from app.settings import StudioSettings
from app.window import MainWindow
from tests.app.conftest import WindowFactory
from widgets.getting_started import GettingStartedDialog, GuideArt


def _help_titles(window: MainWindow) -> list[str]:
    menu = window.commands.menus[-1]
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_help_menu_offers_getting_started_shortcuts_and_the_log_folder(
    make_window: WindowFactory,
) -> None:
    window = make_window()
    assert window.commands.menus[-1].title() == "&Help"
    assert _help_titles(window) == [
        "Getting Started",
        "Keyboard Shortcuts",
        "Open Log Folder",
        "About Patchbay Studio",
    ]


def test_the_shortcuts_dialog_lists_every_action_with_a_key(make_window: WindowFactory) -> None:
    window = make_window()
    dialog = window.show_shortcuts()
    rows = dict(dialog.rows())
    keyed = {
        name: action
        for name, action in window.commands.by_name.items()
        if not action.shortcut().isEmpty()
    }
    assert {"run", "cancel_run", "force_run", "run_from_here", "run_only", "preview"} <= set(keyed)
    for name, action in keyed.items():
        text = action.text().replace("&", "")
        assert rows.get(text) == shortcut_text(action), name
    assert rows["▶  Run"] == "F5" and rows["Run Only This Node"] == "Alt+F5"
    assert rows["Connect two ports"] == "Drag from a port to a port"


def test_run_panels_can_be_reopened_from_the_view_menu(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    for name, dock, key in (
        ("dock_run", window.run_docks.panel_dock, "Ctrl+4"),
        ("dock_inspector", window.run_docks.inspector_dock, "Ctrl+5"),
        ("dock_runs", window.run_docks.history_dock, "Ctrl+6"),
    ):
        action = window.action(name)
        assert action.shortcut().toString() == key
        dock.close()
        action.trigger()
        assert dock.isVisible(), name


def test_getting_started_shows_the_steps_with_the_windows_keys(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.action("getting_started").trigger()
    dialog = window.findChild(GettingStartedDialog)
    assert dialog is not None and dialog.isVisible()
    assert [s.art for s in dialog.steps] == list(GuideArt)
    assert dialog.steps[0].title == "Add nodes"
    run_step = dialog.steps[3].text
    assert "<b>F5</b>" in run_step and "<b>Ctrl+Shift+P</b>" in run_step
    dialog.next_button.click()
    assert dialog.index == 1 and dialog.title.text() == "Connect typed ports"
    dialog.step_list.setCurrentRow(5)
    assert dialog.index == 5 and dialog.next_button.text() == "Start Building"
    assert window.show_getting_started() is dialog  # one at a time
    dialog.next_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)


def test_getting_started_comes_up_once_and_again_only_if_asked(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    first = maybe_show_getting_started(window)
    assert first is not None and first.dont_show.isChecked()  # shown once by itself
    first.close()
    assert StudioSettings(window.settings.store).getting_started_dismissed()
    assert maybe_show_getting_started(window) is None  # not at the next start
    again = show_getting_started(window)  # the Help menu still shows it
    assert again.dont_show.isChecked()
    again.dont_show.setChecked(False)  # "show it at every start"
    again.close()
    assert maybe_show_getting_started(window) is not None


def test_start_up_waits_for_a_modal_question_to_close(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    question = QMessageBox(window)
    question.setModal(True)
    question.show()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is question, timeout=2000)
    assert maybe_show_getting_started(window) is None
    question.close()
    qtbot.waitUntil(lambda: window.findChild(GettingStartedDialog) is not None, timeout=3000)
