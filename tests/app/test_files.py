"""Files: open, save, save as, revert, recent files, the dirty marker and the close prompt."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.prompts import UnsavedChoice
from app.settings import MAX_RECENT, StudioSettings
from engine.validation import ViolationCode
from engine.workflow import Node, Position
from tests.app.conftest import ScriptedPrompts, WindowFactory
from tests.app.support import document_json, sample_workflow, write_json, write_sample
from tests.conftest import EXAMPLES_DIR

TITLE = " — Patchbay Studio"


def test_save_open_save_writes_the_same_bytes(make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window()
    assert window.controller.open_path(EXAMPLES_DIR / "contact-sheet.patchbay.json")
    first, second = tmp_path / "first.patchbay.json", tmp_path / "second.patchbay.json"
    assert window.controller.save_as(first)
    assert first.read_text(encoding="utf-8") == document_json(window)

    other = make_window()
    assert other.controller.open_path(first)
    assert other.controller.save_as(second)

    assert second.read_bytes() == first.read_bytes()
    assert not other.isWindowModified()
    assert other.windowTitle() == "second.patchbay.json[*]" + TITLE


def test_the_title_marks_unsaved_changes_until_saved_or_undone(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    assert window.windowTitle() == "Untitled[*]" + TITLE
    path = write_sample(tmp_path / "demo.patchbay.json")
    window.controller.open_path(path)
    assert window.windowTitle() == "demo.patchbay.json[*]" + TITLE
    assert not window.isWindowModified()

    window.canvas.move_nodes({"title": (10.0, 400.0)})
    assert window.isWindowModified()
    assert window.windowHandle().title() == "demo.patchbay.json*" + TITLE  # what the WM shows
    assert window.action("revert").isEnabled()

    window.undo_stack.undo()
    assert not window.isWindowModified()
    window.undo_stack.redo()
    assert window.controller.save()
    assert not window.isWindowModified()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["nodes"][5]["position"] == {"x": 10.0, "y": 400.0}


def test_untitled_save_asks_where_and_adds_the_suffix(
    make_window: WindowFactory, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    window = make_window()
    window.editing.add_node_at_centre("input.text")
    prompts.save_paths = [tmp_path / "brief"]
    assert window.controller.save()
    assert prompts.asked == ["save:untitled.patchbay.json"]
    assert window.controller.path == tmp_path / "brief.patchbay.json"
    assert window.windowTitle() == "brief.patchbay.json[*]" + TITLE
    assert json.loads(window.controller.path.read_text())["nodes"][0]["type"] == "input.text"

    window.editing.add_node_at_centre("input.text")
    prompts.save_paths = [None]  # Save As cancelled
    assert not window.controller.save_as()
    assert window.isWindowModified()


def test_closing_with_unsaved_changes_cancel_keeps_window_and_document(
    qtbot: QtBot, make_window: WindowFactory, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    path = write_sample(tmp_path / "demo.patchbay.json")
    on_disk = path.read_bytes()
    window = make_window()
    window.controller.open_path(path)
    window.canvas.move_nodes({"title": (0.0, 600.0)})
    edited = document_json(window)

    prompts.unsaved = [UnsavedChoice.CANCEL]
    assert not window.close()
    assert window.isVisible()
    assert prompts.asked == ["unsaved:demo.patchbay.json:closing"]
    assert document_json(window) == edited
    assert window.isWindowModified()
    assert path.read_bytes() == on_disk

    prompts.unsaved = [UnsavedChoice.DISCARD]
    assert window.close()
    assert path.read_bytes() == on_disk


def test_closing_with_unsaved_changes_save_writes_them(
    make_window: WindowFactory, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    path = write_sample(tmp_path / "demo.patchbay.json")
    window = make_window()
    window.controller.open_path(path)
    window.canvas.move_nodes({"title": (0.0, 600.0)})
    edited = document_json(window)

    prompts.unsaved = [UnsavedChoice.SAVE]
    assert window.close()
    assert path.read_text(encoding="utf-8") == edited


def test_closing_an_untitled_document_save_cancelled_keeps_the_window(
    make_window: WindowFactory, prompts: ScriptedPrompts
) -> None:
    window = make_window()
    window.editing.add_node_at_centre("input.text")
    prompts.unsaved = [UnsavedChoice.SAVE]
    prompts.save_paths = [None]
    assert not window.close()
    assert window.isVisible() and len(window.document.nodes()) == 1


def test_new_and_open_ask_before_dropping_changes(
    make_window: WindowFactory, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    window = make_window()
    window.editing.add_node_at_centre("input.text")
    prompts.unsaved = [UnsavedChoice.CANCEL]
    assert not window.controller.new()
    assert len(window.document.nodes()) == 1

    path = write_sample(tmp_path / "demo.patchbay.json")
    prompts.unsaved = [UnsavedChoice.DISCARD]
    prompts.open_paths = [path]
    assert window.controller.open()
    assert prompts.asked[-2:] == ["unsaved:Untitled:opening another workflow", "open"]
    assert window.controller.path == path
    assert window.undo_stack.count() == 0


def test_unknown_node_types_are_kept_listed_in_problems_and_saved_unchanged(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    workflow = sample_workflow()
    mystery = Node(
        id="mystery",
        type="vendor.mystery-upscaler",
        label="Mystery",
        position=Position(x=1000, y=300),
        data={"scale": 4, "model": {"name": "x", "tiles": [1, 2]}},
    )
    workflow = workflow.model_copy(update={"nodes": [*workflow.nodes, mystery]})
    path = write_sample(tmp_path / "mystery.patchbay.json", workflow)
    window = make_window()

    assert window.controller.open_path(path)

    assert window.notice_bar.isVisible() and window.notice_bar.severity() == "warning"
    assert "vendor.mystery-upscaler" in window.notice_bar.text()
    assert window.canvas.mapper.card("mystery") is not None  # shown as a placeholder
    found = [
        v
        for v in window.problems.violations()
        if v.code == ViolationCode.UNKNOWN_NODE_TYPE and v.node_id == "mystery"
    ]
    assert len(found) == 1
    assert window.problems.view.topLevelItemCount() == len(window.problems.violations())

    window.canvas.move_nodes({"title": (600.0, 320.0)})  # an unrelated edit
    saved = tmp_path / "saved.patchbay.json"
    assert window.controller.save_as(saved)
    node = next(n for n in json.loads(saved.read_text())["nodes"] if n["id"] == "mystery")
    assert node == mystery.model_dump(mode="json", by_alias=True, exclude_none=True)


def test_unreadable_files_are_reported_without_a_dialog_and_change_nothing(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "good.patchbay.json"))
    before = document_json(window)
    broken = tmp_path / "broken.patchbay.json"
    broken.write_text("{ not json", encoding="utf-8")

    assert not window.controller.open_path(broken)

    assert window.notice_bar.isVisible() and window.notice_bar.severity() == "error"
    assert "broken.patchbay.json" in window.notice_bar.text()
    assert "not valid JSON" in window.notice_bar.text()
    assert document_json(window) == before
    assert window.controller.path == tmp_path / "good.patchbay.json"


def test_an_old_file_is_migrated_and_the_window_says_so(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    old = sample_workflow().to_json_dict()
    del old["schemaVersion"]
    for edge in old["edges"]:
        del edge["id"]
    path = write_json(tmp_path / "old.patchbay.json", old)
    window = make_window()

    assert window.controller.open_path(path)

    assert "migrated from schemaVersion 0" in window.notice_bar.text()
    assert [e.id for e in window.document.edges()] == ["e1", "e2", "e3", "e4"]
    assert not window.isWindowModified()


def test_revert_reloads_the_file_after_confirming(
    make_window: WindowFactory, prompts: ScriptedPrompts, tmp_path: Path
) -> None:
    path = write_sample(tmp_path / "demo.patchbay.json")
    window = make_window()
    window.controller.open_path(path)
    original = document_json(window)
    window.canvas.select_nodes(["title"])
    window.canvas.delete_selection()

    prompts.revert = [False]
    assert not window.controller.revert()
    assert not window.document.has_node("title")
    prompts.revert = [True]
    assert window.controller.revert()
    assert document_json(window) == original
    assert not window.isWindowModified()
    assert window.undo_stack.count() == 0


def test_recent_files_keep_the_ten_newest_and_drop_missing_ones(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    paths = [write_sample(tmp_path / f"w{i:02}.patchbay.json") for i in range(12)]
    for path in paths:
        window.controller.open_path(path)

    assert window.settings.last_directory() == tmp_path.resolve()
    recent = window.settings.recent_files()
    assert recent == [p.resolve() for p in reversed(paths)][:MAX_RECENT]
    paths[-1].unlink()
    assert window.settings.recent_files()[0] == paths[-2].resolve()
    assert len(window.settings.recent_files()) == MAX_RECENT - 1

    menu = window.commands.recent_menu
    menu.aboutToShow.emit()
    labels = [a.text() for a in menu.actions() if a.text()]
    assert labels[0] == "&1  w10.patchbay.json"
    assert labels[-1] == "Clear Recent Files"

    reopened = StudioSettings(window.settings.store)
    assert reopened.recent_files()[0] == paths[-2].resolve()
