"""The window as a whole: layout, menus and shortcuts, live validation, themes, settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.main import main
from app.theme import THEMES, ThemeName
from engine.validation import ViolationCode
from tests.app.conftest import WindowFactory
from tests.app.support import sample_workflow, write_sample
from tests.conftest import EXAMPLES_DIR
from widgets.canvas import PortRef

#: Commands the issue asks to reach from the keyboard, with the key shown in the menu.
EXPECTED_KEYS = {
    "new": "Ctrl+N",
    "open": "Ctrl+O",
    "save": "Ctrl+S",
    "save_as": "Ctrl+Shift+S",
    "quit": "Ctrl+Q",
    "undo": "Ctrl+Z",
    "redo": "Ctrl+Shift+Z",
    "history": "Ctrl+H",
    "cut": "Ctrl+X",
    "copy": "Ctrl+C",
    "paste": "Ctrl+V",
    "duplicate": "Ctrl+D",
    "delete": "Del",
    "select_all": "Ctrl+A",
    "group": "Ctrl+G",
    "add_node": "Tab",
    "auto_layout": "L",
    "align_left": "Ctrl+Shift+Left",
    "distribute_h": "Ctrl+Alt+Shift+H",
    "zoom_fit": "F",
    "zoom_selection": "Shift+F",
    "zoom_reset": "Ctrl+0",
    "minimap": "Ctrl+Shift+M",
    "legend": "Ctrl+Shift+L",
}


def test_the_window_has_the_canvas_in_the_middle_and_the_panels_in_docks(
    make_window: WindowFactory,
) -> None:
    window = make_window()
    area = window.dockWidgetArea
    assert area(window.palette_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert area(window.properties_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert area(window.problems_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert window.centralWidget().isAncestorOf(window.canvas)
    assert window.palette_dock.widget() is window.node_palette
    assert window.history_dock.widget() is window.history
    assert [m.title() for m in window.commands.menus] == [
        "&File",
        "&Edit",
        "&Arrange",
        "&View",
        "&Run",
        "&Server",
        "&Help",
    ]


def test_every_command_has_its_shortcut_and_the_dialog_lists_them_all(
    make_window: WindowFactory,
) -> None:
    window = make_window()
    for name, key in EXPECTED_KEYS.items():
        shown = window.action(name).shortcut().toString(QKeySequence.SequenceFormat.PortableText)
        assert shown == key, name
    assert QKeySequence("Ctrl+Y") in window.action("redo").shortcuts()

    dialog = window.show_shortcuts()
    rows = dict(dialog.rows())
    for name in EXPECTED_KEYS:
        text = window.action(name).text().replace("&", "")
        shown = rows.get(text, "")
        assert shown.split(", ")[0] == window.action(name).shortcut().toString(
            QKeySequence.SequenceFormat.NativeText
        ), name
    assert rows["Add a node at the cursor"] == "Tab"  # canvas gestures are listed too
    dialog.close()


def test_edit_actions_follow_the_selection(make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    assert not window.action("copy").isEnabled()
    window.canvas.select_nodes(["files"])
    assert window.action("copy").isEnabled() and not window.action("align_left").isEnabled()
    window.canvas.select_nodes(["files", "split", "load"])
    assert window.action("align_left").isEnabled() and window.action("distribute_h").isEnabled()


def test_violations_reach_every_panel_and_a_click_frames_the_node(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    workflow = sample_workflow()
    workflow = workflow.model_copy(update={"edges": workflow.edges[:3]})  # output unwired
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json", workflow))

    missing = [v for v in window.violations() if v.code == ViolationCode.REQUIRED_INPUT_MISSING]
    assert [v.node_id for v in missing] == ["out"]
    assert window.problems.summary().startswith("1 error")
    assert window.status.problems.text() == window.problems.summary()
    assert window.canvas.mapper.card("out").flagged  # type: ignore[union-attr]

    window.canvas.connect_ports(*_refs("caption", "image", "out", "image"))
    assert window.validator.pending()  # debounced, not run on every keystroke
    qtbot.waitUntil(lambda: not window.validator.pending(), timeout=2000)
    assert window.problems.summary() == "No problems"
    assert not window.canvas.mapper.card("out").flagged  # type: ignore[union-attr]

    window.undo_stack.undo()
    qtbot.waitUntil(lambda: window.problems.view.topLevelItemCount() == 1, timeout=2000)
    window.canvas.clear_selection()
    item = window.problems.view.topLevelItem(0)
    assert item is not None
    window.problems.view.itemClicked.emit(item, 0)
    assert window.canvas.selected_node_ids() == ["out"]
    assert window.properties.node_id() == "out"


def _refs(source: str, out_port: str, target: str, in_port: str) -> tuple[PortRef, PortRef]:
    return PortRef(source, out_port, True), PortRef(target, in_port, False)


def test_the_add_node_command_opens_quick_add_and_new_window_opens_an_empty_window(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    window.action("add_node").trigger()
    qtbot.waitUntil(window.quick_add.isVisible)
    window.quick_add.hide()

    other = window.new_window()
    qtbot.addWidget(other)
    assert other is not window and other.isVisible()
    assert other.document.nodes() == [] and other.controller.path is None
    assert other.autosaver.session_id != window.autosaver.session_id
    assert "not saved" in other.commands.title_label.text()


def test_layout_overlays_and_theme_are_restored_from_settings(
    make_window: WindowFactory, settings: QSettings
) -> None:
    window = make_window()
    window.problems_dock.hide()
    window.action("legend").setChecked(True)
    window.action("minimap").setChecked(False)
    window.set_theme(ThemeName.LIGHT)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert app.palette().window().color().name() == THEMES[ThemeName.LIGHT].window
    assert window.close()

    again = make_window()
    assert again.theme() == ThemeName.LIGHT
    assert again.action("theme_light").isChecked()
    assert not again.problems_dock.isVisible()
    assert again.action("legend").isChecked() and not again.action("minimap").isChecked()
    assert again.canvas.legend.isVisible() and not again.canvas.minimap.isVisible()
    again.set_theme(ThemeName.DARK)
    assert app.palette().window().color().name() == THEMES[ThemeName.DARK].window


def test_scripted_screenshot(qtbot: QtBot, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    example = EXAMPLES_DIR / "contact-sheet.patchbay.json"
    assert main([str(example), "--screenshot", str(shot), "--quit", "--select", "label"]) == 0
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1440, 900)


def test_a_file_that_cannot_be_opened_makes_main_return_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.patchbay.json"
    broken.write_text("[]", encoding="utf-8")
    assert main([str(broken), "--quit"]) == 1
