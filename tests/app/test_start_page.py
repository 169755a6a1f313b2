"""Issue 8, acceptance 2: the start page and the example gallery on first run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

import app.window
from app.main import main
from app.prompts import UnsavedChoice
from app.settings import StudioSettings
from app.window import MainWindow
from engine.executor import ExecutionRecord, ExecutionState, NodeState
from engine.workflow import load_workflow
from resources.gallery import example, examples
from tests.app.conftest import ScriptedPrompts, WindowFactory
from tests.app.support import write_sample
from tests.conftest import EXAMPLES_DIR, NAMED_EXAMPLES


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[MainWindow]:
    """The windows ``main()`` makes (it keeps none of its own)."""
    made: list[MainWindow] = []

    class Recorded(MainWindow):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app.window, "MainWindow", Recorded)
    return made


def _user_settings() -> StudioSettings:
    """The settings ``main()`` reads (the test's own files, see tests/app/conftest.py)."""
    QApplication.setOrganizationName("Patchbay")
    QApplication.setApplicationName("Patchbay Studio")
    return StudioSettings(QSettings())


def test_first_run_without_a_file_shows_the_start_page(
    started: list[MainWindow], tmp_path: Path
) -> None:
    recent = write_sample(tmp_path / "campaign.patchbay.json")
    _user_settings().add_recent_file(recent)

    assert main(["--quit"]) == 0

    (window,) = started
    assert window.start_page.is_shown()
    page = window.start_page.page
    assert len(page.example_ids()) >= 6
    assert tuple(page.example_ids()[:6]) == NAMED_EXAMPLES
    assert page.recent_files() == [recent.resolve()]
    assert not window.palette_dock.isVisible() and not window.properties_dock.isVisible()


def test_scripted_mode_with_a_file_shows_the_file_not_the_start_page(
    started: list[MainWindow],
) -> None:
    assert main([str(EXAMPLES_DIR / "poster.patchbay.json"), "--quit"]) == 0
    (window,) = started
    assert not window.start_page.is_shown()
    assert window.document.name == "Poster"
    assert _user_settings().recent_files() == []  # a scripted run is not "recent" work


@pytest.mark.usefixtures("qasync_loop")
@pytest.mark.parametrize("example_id", ["contact-sheet", "comfyui-txt2img"])
def test_an_example_opens_as_an_untitled_copy_that_runs(
    make_window: WindowFactory,
    qtbot: QtBot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    example_id: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # an untitled document saves its files here
    window = make_window()
    window.show_start_page()
    page = window.start_page.page
    qtbot.mouseClick(page.example_card(example_id), Qt.MouseButton.LeftButton)

    entry = example(example_id)
    bundled = load_workflow(entry.path).workflow
    assert not window.start_page.is_shown()
    assert window.palette_dock.isVisible() and window.properties_dock.isVisible()
    assert window.controller.path is None and not window.controller.is_dirty()
    assert window.windowTitle().startswith("Untitled")
    assert [n.id for n in window.document.nodes()] == [n.id for n in bundled.nodes]
    assert window.document.name == bundled.name
    assert window.runs.preview_action.isChecked() == entry.needs_key

    with qtbot.waitSignal(window.runs.finished, timeout=60_000) as blocker:
        assert window.runs.run() is not None
    record = blocker.args[0]
    assert isinstance(record, ExecutionRecord)
    assert record.status == ExecutionState.COMPLETED, record.error
    assert all(node.status == NodeState.COMPLETED for node in record.nodes)
    assert record.preview == entry.needs_key
    assert load_workflow(entry.path).workflow == bundled, "the bundled file is untouched"
    assert not list(EXAMPLES_DIR.glob("*.png")), "nothing is saved next to the examples"


def test_choosing_an_example_over_unsaved_changes_asks_first(
    make_window: WindowFactory, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "mine.patchbay.json"))
    window.document.set_name("Changed")  # not through the stack: make it dirty explicitly
    window.undo_stack.resetClean()
    window.show_start_page()
    page = window.start_page.page
    assert page.back_button.isVisibleTo(page), "a way back to the open document"
    prompts.unsaved.append(UnsavedChoice.CANCEL)
    assert not window.start_page.open_example("poster")
    assert window.start_page.is_shown() and window.controller.path is not None
    assert prompts.asked == ["unsaved:mine.patchbay.json:opening an example"]
    page.back.emit()
    assert not window.start_page.is_shown()
    assert window.document.name == "Changed"


def test_a_recent_file_opens_from_the_start_page(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    path = write_sample(tmp_path / "recent.patchbay.json")
    window = make_window()
    window.settings.add_recent_file(path)
    window.show_start_page()
    page = window.start_page.page
    assert page.recent_files() == [path.resolve()]
    qtbot.mouseClick(page.recent_row(path.resolve()), Qt.MouseButton.LeftButton)
    assert not window.start_page.is_shown()
    assert window.controller.path == path.resolve()
    assert window.document.name == "Sample"


def test_a_recent_file_that_cannot_be_read_says_so_on_the_start_page(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.patchbay.json"
    broken.write_text("{not json", encoding="utf-8")
    window = make_window()
    window.settings.add_recent_file(broken)
    window.show_start_page()
    qtbot.mouseClick(window.start_page.page.recent_row(broken.resolve()), Qt.MouseButton.LeftButton)
    assert window.start_page.is_shown()
    assert window.notice_bar.isVisible()
    assert "broken.patchbay.json" in window.notice_bar.text()


def test_new_blank_hides_the_page_and_file_start_page_shows_it_again(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    window.show_start_page()
    assert window.start_page.is_shown()
    assert window.start_page.page.recent_empty.isVisibleTo(window.start_page.page)
    qtbot.mouseClick(window.start_page.page.new_button, Qt.MouseButton.LeftButton)
    assert not window.start_page.is_shown()
    assert window.document.nodes() == [] and window.controller.path is None
    assert window.palette_dock.isVisible()

    window.action("start_page").trigger()
    assert window.start_page.is_shown()
    assert [a.text() for a in window.commands.menus[0].actions()].count("Start &Page") == 1


def test_getting_started_opens_from_the_start_page(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    from widgets.getting_started import GettingStartedDialog

    window = make_window()
    window.show_start_page()
    qtbot.mouseClick(window.start_page.page.help_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(GettingStartedDialog)
    assert dialog is not None and dialog.isVisible()
    assert window.start_page.is_shown()  # the tour opens over the page, not instead of it
    dialog.close()


def test_closing_on_the_start_page_remembers_the_docks_as_they_were(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window(remember_layout=True)
    window.show_start_page()
    assert not window.palette_dock.isVisible()
    window.close()
    reopened = make_window(remember_layout=True)
    assert reopened.palette_dock.isVisible() and reopened.properties_dock.isVisible()


def test_every_gallery_example_has_a_card_with_its_picture(make_window: WindowFactory) -> None:
    window = make_window()
    window.show_start_page()
    page = window.start_page.page
    assert page.example_ids() == [e.id for e in examples()]
    for entry in examples():
        card = page.example_card(entry.id)
        assert card.accessibleName() == entry.title
        tag = card.findChild(QLabel, "exampleTag")
        assert tag is not None and tag.text() == ("preview" if entry.needs_key else "offline")
