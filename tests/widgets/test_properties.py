"""The properties panel edits the model through undo commands and follows it back."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QUndoStack, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from engine.validation import Severity, Violation, ViolationCode
from engine.workflow import Edge, Node, Workflow
from tests.widgets.sample_catalog import sample_catalog
from widgets.commands import AddEdgeCommand, RemoveNodesCommand, SetParamCommand
from widgets.document import WorkflowDocument
from widgets.param_editors import (
    BoolEditor,
    EnumEditor,
    LineEditor,
    NumberEditor,
    SeedEditor,
    TextEditor,
)
from widgets.param_fields import ColorEditor, FileEditor, JsonEditor
from widgets.properties import PropertiesPanel


def _workflow() -> Workflow:
    return Workflow(
        nodes=[
            Node(id="brief", type="input.text", label="Brief", data={"name": "brief"}),
            Node(id="shot", type="image.flux-2-pro", data={"prompt": "a red sneaker", "seed": 7}),
            Node(id="join", type="text.concat"),
            Node(id="tpl", type="text.template"),
            Node(id="cap", type="image.caption"),
            Node(id="pick", type="input.image"),
            Node(id="cfg", type="utility.json", data={"value": {"a": 1}}),
            Node(id="odd", type="vendor.mystery", data={"strength": 0.4, "mode": "fast"}),
        ]
    )


class Harness:
    def __init__(self, qtbot: QtBot) -> None:
        self.document = WorkflowDocument(_workflow())
        self.stack = QUndoStack()
        self.colors: list[QColor] = []
        self.files: list[tuple[str, str]] = []
        self.next_color: QColor | None = QColor("#336699")
        self.next_file: str | None = "/media/shots/hero.png"
        self.panel = PropertiesPanel(
            self.document,
            self.stack,
            sample_catalog(),
            color_picker=self._pick_color,
            file_picker=self._pick_file,
        )
        qtbot.addWidget(self.panel)
        self.panel.resize(360, 800)
        self.panel.show()
        with qtbot.waitActive(self.panel):
            self.panel.activateWindow()

    def _pick_color(self, initial: QColor, parent: QWidget) -> QColor | None:
        self.colors.append(initial)
        return self.next_color

    def _pick_file(self, parent: QWidget, title: str, start: str, name_filter: str) -> str | None:
        self.files.append((title, name_filter))
        return self.next_file

    def data(self, node_id: str) -> dict[str, Any]:
        return self.document.node(node_id).data

    def editor(self, name: str) -> Any:
        editor = self.panel.editor(name)
        assert editor is not None, f"no editor for {name}"
        return editor


@pytest.fixture
def ui(qtbot: QtBot) -> Harness:
    return Harness(qtbot)


def test_one_editor_per_parameter_kind(ui: Harness) -> None:
    ui.panel.set_node("shot")
    assert isinstance(ui.editor("prompt"), TextEditor)
    assert isinstance(ui.editor("aspect_ratio"), EnumEditor)
    assert isinstance(ui.editor("guidance"), NumberEditor)
    assert isinstance(ui.editor("seed"), SeedEditor)
    assert isinstance(ui.editor("safety_checker"), BoolEditor)
    ui.panel.set_node("cap")
    assert isinstance(ui.editor("color"), ColorEditor)
    ui.panel.set_node("pick")
    assert isinstance(ui.editor("path"), FileEditor)
    ui.panel.set_node("cfg")
    assert isinstance(ui.editor("value"), JsonEditor)
    ui.panel.set_node("join")
    assert isinstance(ui.editor("separator"), LineEditor)


def test_descriptions_are_tooltips_and_defaults_are_placeholders(ui: Harness) -> None:
    ui.panel.set_node("join")
    separator = ui.editor("separator")
    assert separator.line.placeholderText() == " "
    ui.panel.set_node("shot")
    assert "How closely to follow the prompt" in ui.editor("guidance").toolTip()
    assert "Default: 3.5" in ui.editor("guidance").toolTip()


def test_typing_changes_the_model_in_one_undo_step(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("join")
    line = ui.editor("separator").line
    qtbot.keyClicks(line, " | ")
    assert ui.data("join") == {"separator": " | "}
    assert ui.stack.count() == 1
    ui.stack.undo()
    assert ui.data("join") == {}
    assert line.text() == ""
    ui.stack.redo()
    assert line.text() == " | "


def test_prompt_typing_merges_and_undo_restores_the_visible_text(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("shot")
    edit: QPlainTextEdit = ui.editor("prompt").edit
    assert edit.toPlainText() == "a red sneaker"
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(edit, " on concrete")
    assert ui.data("shot")["prompt"] == "a red sneaker on concrete"
    assert ui.stack.count() == 1
    ui.stack.undo()
    assert edit.toPlainText() == "a red sneaker"
    assert ui.data("shot")["prompt"] == "a red sneaker"
    assert ui.stack.count() == 1  # following the model pushed nothing


def test_typing_keeps_the_cursor_where_the_user_is(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("shot")
    edit: QPlainTextEdit = ui.editor("prompt").edit
    cursor = edit.textCursor()
    cursor.setPosition(2)  # "a |red sneaker"
    edit.setTextCursor(cursor)
    qtbot.keyClicks(edit, "big ")
    assert ui.data("shot")["prompt"] == "a big red sneaker"
    assert edit.textCursor().position() == 6

    ui.panel.set_node("brief")
    label = ui.panel.label_field()
    assert label is not None
    label.setCursorPosition(2)
    qtbot.keyClicks(label, "XY")
    assert ui.document.node("brief").label == "BrXYief"
    assert label.cursorPosition() == 4


def test_label_edits_are_undoable_and_update_the_title(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("join")
    label = ui.panel.label_field()
    assert label is not None and label.placeholderText() == "Join texts"
    qtbot.keyClicks(label, "Caption")
    assert ui.document.node("join").label == "Caption"
    assert ui.stack.count() == 1
    ui.stack.undo()
    assert ui.document.node("join").label is None
    assert label.text() == ""


def test_slider_and_spin_box_stay_in_step(ui: Harness) -> None:
    ui.panel.set_node("shot")
    editor: NumberEditor = ui.editor("guidance")
    assert editor.slider is not None
    assert editor.spin.value() == pytest.approx(3.5)  # the default, key absent
    assert editor.spin.decimals() == 1
    editor.slider.setValue(editor.slider.maximum())
    assert editor.spin.value() == pytest.approx(10.0)
    assert ui.data("shot")["guidance"] == pytest.approx(10.0)
    editor.spin.setValue(1.5)
    assert editor.slider.value() == 0
    assert ui.data("shot")["guidance"] == pytest.approx(1.5)
    assert ui.stack.count() == 1  # a drag and a typed value merge into one step
    ui.stack.undo()
    assert "guidance" not in ui.data("shot")
    assert editor.spin.value() == pytest.approx(3.5)
    assert editor.slider.value() == round((3.5 - 1.5) / 8.5 * editor.slider.maximum())


def test_integer_parameters_commit_integers(ui: Harness) -> None:
    ui.panel.set_node("shot")
    steps: NumberEditor = ui.editor("steps")
    assert steps.slider is not None and steps.slider.maximum() == 49
    steps.slider.setValue(9)
    assert ui.data("shot")["steps"] == 10
    assert isinstance(ui.data("shot")["steps"], int)


def test_out_of_range_value_is_shown_as_it_is_not_clamped(ui: Harness) -> None:
    ui.stack.push(SetParamCommand(ui.document, "shot", "guidance", 12.0))
    ui.panel.set_node("shot")
    assert ui.editor("guidance").spin.value() == pytest.approx(12.0)
    assert ui.data("shot")["guidance"] == 12.0


def test_enum_and_boolean_edits_are_separate_undo_steps(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("shot")
    combo = ui.editor("aspect_ratio").combo
    assert combo.currentText() == "1:1"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert ui.data("shot")["aspect_ratio"] == "16:9"
    check = ui.editor("safety_checker").check
    assert check.isChecked()  # default true
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
    assert ui.data("shot")["safety_checker"] is False
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
    assert ui.data("shot")["safety_checker"] is True
    assert ui.stack.count() == 3
    ui.stack.undo()
    assert not check.isChecked()
    ui.stack.undo()
    ui.stack.undo()
    assert combo.currentText() == "1:1"
    assert "aspect_ratio" not in ui.data("shot")


def test_seed_randomise_draws_a_new_seed_within_range(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("shot")
    seed: SeedEditor = ui.editor("seed")
    seed.rng = random.Random(1234)
    qtbot.mouseClick(seed.randomise_button, Qt.MouseButton.LeftButton)
    value = ui.data("shot")["seed"]
    assert isinstance(value, int) and value != 7
    assert 0 <= value <= 2**32 - 1
    assert seed.value() == value
    qtbot.mouseClick(seed.randomise_button, Qt.MouseButton.LeftButton)
    assert ui.stack.count() == 2  # each click is its own step
    ui.stack.undo()
    ui.stack.undo()
    assert ui.data("shot")["seed"] == 7
    assert seed.value() == 7


def test_reset_clears_the_key_as_its_own_step(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("join")
    reset = ui.panel.reset_button("separator")
    assert reset is not None and reset.isHidden()
    qtbot.keyClicks(ui.editor("separator").line, "--")
    assert not reset.isHidden()
    qtbot.mouseClick(reset, Qt.MouseButton.LeftButton)
    assert "separator" not in ui.data("join")
    assert ui.editor("separator").line.text() == ""
    assert reset.isHidden()
    assert ui.stack.count() == 2
    ui.stack.undo()
    assert ui.data("join") == {"separator": "--"}


def test_invalid_json_is_shown_and_not_committed(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("cfg")
    editor: JsonEditor = ui.editor("value")
    assert json.loads(editor.edit.toPlainText()) == {"a": 1}
    editor.edit.selectAll()
    qtbot.keyClicks(editor.edit, '{"a": ')
    assert not editor.is_valid
    assert "Invalid JSON" in editor.error.text()
    assert ui.data("cfg")["value"] == {"a": 1}
    qtbot.keyClicks(editor.edit, "[1, 2]}")
    assert editor.is_valid
    assert ui.data("cfg")["value"] == {"a": [1, 2]}
    ui.stack.undo()
    assert json.loads(editor.edit.toPlainText()) == {"a": 1}


def test_colour_comes_from_the_dialog_or_typed_hex(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("cap")
    editor: ColorEditor = ui.editor("color")
    qtbot.mouseClick(editor.swatch, Qt.MouseButton.LeftButton)
    assert ui.colors[0].name() == "#ffffff"  # the dialog opens on the default
    assert ui.data("cap")["color"] == "#336699"
    editor.hex.clear()
    qtbot.keyClicks(editor.hex, "#AABBCC")
    assert ui.data("cap")["color"] == "#aabbcc"
    ui.next_color = None  # dialog cancelled
    qtbot.mouseClick(editor.swatch, Qt.MouseButton.LeftButton)
    assert ui.data("cap")["color"] == "#aabbcc"


def test_file_picker_is_filtered_by_media_kind(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("pick")
    editor: FileEditor = ui.editor("path")
    qtbot.mouseClick(editor.browse, Qt.MouseButton.LeftButton)
    title, name_filter = ui.files[0]
    assert "image" in title
    assert "*.png" in name_filter and "*.webp" in name_filter and "*.mp4" not in name_filter
    assert ui.data("pick")["path"] == "/media/shots/hero.png"
    assert editor.line.text() == "/media/shots/hero.png"


def test_unwired_inputs_take_inline_values(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("tpl")
    text = ui.editor("text")  # an input port, not a parameter
    count = ui.editor("count")
    assert isinstance(text, TextEditor) and isinstance(count, NumberEditor)
    qtbot.keyClicks(text.edit, "sneaker")
    assert ui.data("tpl")["text"] == "sneaker"

    edge = Edge(id="e1", source="brief", sourceHandle="text", target="tpl", targetHandle="text")
    ui.stack.push(AddEdgeCommand(ui.document, edge))
    assert not text.isEnabled()
    notes = [w.text() for w in ui.panel.findChildren(QLabel, "fieldNote") if w.text()]
    assert notes == ["Set by the wire from Brief (text)"]
    ui.stack.undo()
    assert text.isEnabled()


def test_a_port_named_like_a_param_is_edited_through_the_param(ui: Harness) -> None:
    ui.panel.set_node("shot")
    prompt = ui.editor("prompt")
    assert isinstance(prompt, TextEditor)
    edge = Edge(id="e1", source="brief", sourceHandle="text", target="shot", targetHandle="prompt")
    ui.stack.push(AddEdgeCommand(ui.document, edge))
    assert not prompt.isEnabled()
    statuses = [w.text() for w in ui.panel.findChildren(QLabel, "portStatus")]
    assert statuses == ["Not connected"]  # the image input; prompt has no second row


def test_unknown_node_type_shows_raw_data_read_only(ui: Harness) -> None:
    ui.panel.set_node("odd")
    raw = ui.panel.findChild(QPlainTextEdit, "rawData")
    assert raw is not None and raw.isReadOnly()
    assert json.loads(raw.toPlainText()) == {"strength": 0.4, "mode": "fast"}
    assert ui.panel.editor("strength") is None
    hints = [w.text() for w in ui.panel.findChildren(QLabel, "sectionHint")]
    assert any("vendor.mystery" in hint and "not in this Patchbay" in hint for hint in hints)


def test_violations_mark_their_fields(ui: Harness) -> None:
    ui.panel.set_node("shot")
    ui.panel.set_violations(
        [
            Violation(
                code=ViolationCode.PARAM_OUT_OF_RANGE,
                message="12 is above the maximum 10",
                node_id="shot",
                field="guidance",
                hint="use 1.5 to 10",
            ),
            Violation(
                code=ViolationCode.UNKNOWN_PARAM,
                message="`style` is not a parameter",
                severity=Severity.WARNING,
                node_id="shot",
                field="style",
            ),
            Violation(
                code=ViolationCode.REQUIRED_PARAM_MISSING,
                message="name is required",
                node_id="brief",
                field="name",
            ),
        ]
    )
    assert ui.panel.problem_text("guidance") == "12 is above the maximum 10 — use 1.5 to 10"
    assert ui.editor("guidance").focus_widget().property("problem") == "error"
    assert ui.panel.problem_text("steps") == ""
    banner = ui.panel.findChild(QLabel, "nodeProblems")
    assert banner is not None and "`style` is not a parameter" in banner.text()
    ui.panel.set_node("brief")
    assert ui.panel.problem_text("name") == "name is required"
    ui.panel.set_violations([])
    assert ui.panel.problem_text("name") == ""


def test_panel_follows_removal_and_reset_of_the_document(ui: Harness) -> None:
    ui.panel.set_node("join")
    ui.stack.push(RemoveNodesCommand(ui.document, ["join"]))
    assert ui.panel.node_id() is None
    ui.stack.undo()
    ui.panel.set_node("shot")
    ui.document.set_workflow(Workflow(nodes=[Node(id="shot", type="image.flux-2-pro")]))
    assert ui.panel.node_id() == "shot"
    assert ui.editor("prompt").edit.toPlainText() == ""
    ui.panel.set_node("missing")
    assert ui.panel.node_id() is None


def test_scrolling_over_an_unfocused_field_does_not_edit_it(ui: Harness) -> None:
    ui.panel.set_node("shot")
    spin = ui.editor("steps").spin
    centre = QPointF(spin.rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(spin.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(spin, wheel)
    assert "steps" not in ui.data("shot")
    assert ui.stack.count() == 0


def test_focus_field_puts_the_cursor_in_a_field(ui: Harness) -> None:
    ui.panel.set_node("shot")
    assert ui.panel.focus_field("seed")
    assert ui.editor("seed").spin.hasFocus()
    assert not ui.panel.focus_field("no_such_field")


def test_clearing_the_label_is_its_own_undo_step(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("brief")
    label = ui.panel.label_field()
    assert label is not None
    qtbot.keyClicks(label, "!")
    clear = ui.panel.findChildren(QToolButton, "resetButton")[0]
    assert not clear.isHidden()
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    assert ui.document.node("brief").label is None
    assert label.text() == "" and clear.isHidden()
    ui.stack.undo()
    assert ui.document.node("brief").label == "Brief!"


def test_prompt_field_grows_with_its_text_up_to_a_limit(qtbot: QtBot, ui: Harness) -> None:
    ui.panel.set_node("shot")
    edit = ui.editor("prompt").edit
    short = edit.height()
    ui.stack.push(SetParamCommand(ui.document, "shot", "prompt", "line\n" * 5 + "end"))
    qtbot.waitUntil(lambda: edit.height() > short)
    six_lines = edit.height()
    assert edit.line_count() == 6
    ui.stack.push(SetParamCommand(ui.document, "shot", "prompt", "line\n" * 40))
    qtbot.waitUntil(lambda: edit.height() > six_lines)
    capped = edit.height()
    ui.stack.push(SetParamCommand(ui.document, "shot", "prompt", "line\n" * 80))
    assert edit.height() == capped


@pytest.mark.parametrize("node_type", ["editing.clarity-upscaler", "image.flux-2-flex"])
def test_fields_are_never_cut_off_at_the_right_edge(qtbot: QtBot, node_type: str) -> None:
    from engine.catalog.registry import default_catalog

    document = WorkflowDocument(Workflow(nodes=[Node(id="n", type=node_type)]))
    panel = PropertiesPanel(document, QUndoStack(), default_catalog())
    qtbot.addWidget(panel)
    panel.show()
    panel.set_node("n")
    panel.resize(240, 900)  # narrower than the fields need: the panel keeps its minimum
    QApplication.processEvents()
    scroll = panel.findChild(QScrollArea, "propertiesScroll")
    assert scroll is not None
    viewport = scroll.viewport()
    editors = [w for w in viewport.findChildren(QWidget) if w.objectName().startswith("param_")]
    assert editors
    for editor in editors:
        right = editor.mapTo(viewport, QPoint(editor.width(), 0)).x()
        assert right <= viewport.width(), f"{editor.objectName()} ends at {right}"


def test_a_long_source_name_is_elided_not_widening_the_panel(qtbot: QtBot) -> None:
    from engine.catalog.registry import default_catalog

    long_label = "A picture source with a very long and descriptive name indeed"
    document = WorkflowDocument(
        Workflow(
            nodes=[
                Node(id="src", type="input.image", label=long_label, data={"name": "src"}),
                Node(id="grid", type="image.grid"),
            ],
            edges=[
                Edge(
                    id="e1",
                    source="src",
                    sourceHandle="image",
                    target="grid",
                    targetHandle="images",
                )
            ],
        )
    )
    panel = PropertiesPanel(document, QUndoStack(), default_catalog())
    qtbot.addWidget(panel)
    panel.show()
    panel.set_node("grid")
    (status,) = panel.findChildren(QLabel, "portStatus")
    assert long_label in status.text()  # the whole text is kept (and read by tests, a11y)
    assert status.minimumSizeHint().width() < status.fontMetrics().horizontalAdvance(long_label)
    assert panel.minimumSizeHint().width() < 400
