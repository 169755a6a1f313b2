"""The properties panel: the selected node's label, parameters and inline inputs.

Generated from the node type's :class:`~engine.catalog.spec.NodeSpec`. Every edit
is an undo command pushed on the stack the panel is given; the panel follows the
document's signals, so undo and redo update the fields without pushing anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.catalog.docs import param_help, port_help
from engine.catalog.registry import Catalog
from engine.catalog.spec import NodeSpec, ParamKind, ParamSpec, PortSpec
from engine.validation import Violation
from engine.workflow import Node
from widgets.commands import SetLabelCommand, SetParamCommand
from widgets.document import WorkflowDocument
from widgets.node_header import (
    ElidedLabel,
    NodeHeader,
    muted,
    problem_line,
    set_severity_colour,
    worst_severity,
)
from widgets.param_editors import ParamEditor
from widgets.param_fields import (
    ColorPicker,
    FilePicker,
    create_editor,
    dialog_color,
    dialog_file,
    inline_kind,
)

_WIDE_KINDS = (ParamKind.TEXT, ParamKind.JSON)


class _DiscreteSetParamCommand(SetParamCommand):
    """A click (reset, randomise, pick): its own undo step, never merged with typing."""

    def __init__(self, document: WorkflowDocument, node_id: str, name: str, value: Any) -> None:
        super().__init__(document, node_id, name, value)
        self.setText(f"Reset {name}" if value is None else f"Set {name}")

    def id(self) -> int:
        return -1


class _DiscreteSetLabelCommand(SetLabelCommand):
    """Clearing the label with its button: its own undo step."""

    def id(self) -> int:
        return -1


def _reset_button(tooltip: str) -> QToolButton:
    """A small "↺" button that keeps its place in the layout while hidden."""
    button = QToolButton()
    button.setObjectName("resetButton")
    button.setText("↺")
    button.setAutoRaise(True)
    button.setToolTip(tooltip)
    policy = button.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    button.setSizePolicy(policy)
    return button


def field_tooltip(param: ParamSpec | None, port: PortSpec | None) -> str:
    """A form row's tooltip: what the parameter or input is for, its type and default."""
    lines: list[str] = []
    if param is not None and (param.description.strip() or port is None):
        lines.append(param_help(param))
    elif port is not None:
        lines.append(port_help(port))
    if port is not None:
        kind = f"{port.type.value}, list" if port.is_list else port.type.value
        need = "required" if port.required else "optional"
        wire = "; a wire overrides the typed value" if param is not None else ""
        lines.append(f"Input port ({kind}, {need}){wire}.")
    if param is not None and param.default is not None and param.default != "":
        lines.append(f"Default: {_short(param.default)}")
    return "\n".join(lines)


def humanise(name: str) -> str:
    """``aspect_ratio`` -> ``Aspect ratio``."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def _same(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b)


@dataclass(eq=False)
class _Field:
    """One row of the form: a parameter, or an input port taking an inline value."""

    name: str
    label: QLabel
    editor: ParamEditor | None  # None: a media input, which only shows its wiring
    status: QLabel | None
    reset: QToolButton | None
    note: QLabel
    problem: QLabel
    port: PortSpec | None = None


class PropertiesPanel(QWidget):
    """Edits the selected node of a :class:`WorkflowDocument` through undo commands.

    ``color_picker`` and ``file_picker`` replace the colour and file dialogs (tests).
    """

    def __init__(
        self,
        document: WorkflowDocument,
        undo_stack: QUndoStack,
        catalog: Catalog,
        parent: QWidget | None = None,
        *,
        color_picker: ColorPicker = dialog_color,
        file_picker: FilePicker = dialog_file,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("propertiesPanel")
        self._document = document
        self._stack = undo_stack
        self._catalog = catalog
        self._color_picker = color_picker
        self._file_picker = file_picker
        self._node_id: str | None = None
        self._violations: list[Violation] = []
        self._fields: dict[str, _Field] = {}
        self._label_edit: QLineEdit | None = None
        self._label_reset: QToolButton | None = None
        self._grids: list[QGridLayout] = []
        self._side_labels: list[QLabel] = []

        self._header = NodeHeader(self)

        self._scroll = QScrollArea(self)
        self._scroll.setObjectName("propertiesScroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self._empty = muted(QLabel("Select a node to see and edit its parameters.", self))
        self._empty.setObjectName("propertiesEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._header)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self._empty, 1)

        document.node_changed.connect(self._on_node_changed)
        document.node_removed.connect(self._on_node_removed)
        document.reset.connect(self._on_reset)
        document.edge_added.connect(self._on_edges_changed)
        document.edge_removed.connect(self._on_edges_changed)
        self.set_node(None)

    # -- public API --------------------------------------------------------------

    def node_id(self) -> str | None:
        """The node shown, or ``None``."""
        return self._node_id

    def set_node(self, node_id: str | None) -> None:
        """Show ``node_id`` (``None``, or an id not in the document: nothing)."""
        if node_id is not None and not self._document.has_node(node_id):
            node_id = None
        self._node_id = node_id
        self._rebuild()

    def set_catalog(self, catalog: Catalog) -> None:
        """Use ``catalog`` for node types (a hosted catalog may arrive later)."""
        self._catalog = catalog
        self._rebuild()

    def set_violations(self, violations: Iterable[Violation]) -> None:
        """Mark the fields of the shown node that have problems (all nodes' may be given)."""
        self._violations = list(violations)
        self._show_violations()

    def editor(self, name: str) -> ParamEditor | None:
        """The editor of a parameter or inline input called ``name``, if shown."""
        row = self._fields.get(name)
        return row.editor if row is not None else None

    def label_field(self) -> QLineEdit | None:
        """The node label field, when a node is shown."""
        return self._label_edit

    def reset_button(self, name: str) -> QToolButton | None:
        """The "reset to default" button of field ``name``."""
        row = self._fields.get(name)
        return row.reset if row is not None else None

    def problem_text(self, name: str) -> str:
        """The problem message shown under field ``name`` ("" when none)."""
        row = self._fields.get(name)
        return row.problem.text() if row is not None and not row.problem.isHidden() else ""

    def focus_field(self, name: str) -> bool:
        """Scroll to and focus field ``name``; ``False`` when it is not shown."""
        row = self._fields.get(name)
        if row is None or row.editor is None:
            return False
        target = row.editor.focus_widget()
        self._scroll.ensureWidgetVisible(target)
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # -- building ----------------------------------------------------------------

    def _rebuild(self) -> None:
        self._fields = {}
        self._label_edit = None
        self._label_reset = None
        self._grids = []
        self._side_labels = []
        old = self._scroll.takeWidget()
        if old is not None:
            old.deleteLater()
        node = self._document.node(self._node_id) if self._node_id is not None else None
        self._header.setVisible(node is not None)
        self._scroll.setVisible(node is not None)
        self._empty.setVisible(node is None)
        if node is None:
            return
        spec = self._catalog.get(node.type)
        body = QWidget()
        body.setObjectName("propertiesBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(12, 4, 12, 12)
        column.setSpacing(14)
        column.addWidget(self._node_section(node, spec))
        if spec is None:
            column.addWidget(self._unknown_section(node))
        else:
            if spec.params:
                column.addWidget(self._params_section(spec))
            ports = [p for p in spec.inputs if spec.param(p.name) is None]
            if ports:
                column.addWidget(self._inputs_section(ports))
        column.addStretch(1)
        self._align_label_columns()
        self._scroll.setWidget(body)
        # The fields never scroll sideways: the panel is at least as wide as they need
        # (the dock widens) rather than cutting them off at the right edge.
        bar = self._scroll.verticalScrollBar().sizeHint().width()
        self._scroll.setMinimumWidth(body.minimumSizeHint().width() + bar)
        self._refresh()
        self._refresh_connections()
        self._show_violations()

    def _section(self, title: str, hint: str = "") -> tuple[QWidget, QGridLayout]:
        box = QWidget()
        box.setObjectName("propertiesSection")
        outer = QVBoxLayout(box)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        heading = QLabel(title.upper())
        heading.setObjectName("sectionHeader")
        font = QFont(heading.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
        heading.setFont(font)
        rule = QFrame()
        rule.setObjectName("sectionRule")
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Plain)
        rule.setForegroundRole(QPalette.ColorRole.Mid)
        title_row = QHBoxLayout()
        title_row.setSpacing(8)
        title_row.addWidget(muted(heading))
        title_row.addWidget(rule, 1)
        outer.addLayout(title_row)
        if hint:
            hint_label = muted(QLabel(hint))
            hint_label.setObjectName("sectionHint")
            hint_label.setWordWrap(True)
            outer.addWidget(hint_label)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        outer.addLayout(grid)
        self._grids.append(grid)
        return box, grid

    def _align_label_columns(self) -> None:
        """One label column width for every section, so the fields line up."""
        width = max((label.sizeHint().width() for label in self._side_labels), default=0)
        for grid in self._grids:
            grid.setColumnMinimumWidth(0, width)

    def _node_section(self, node: Node, spec: NodeSpec | None) -> QWidget:
        box, grid = self._section("Node")
        edit = QLineEdit()
        edit.setObjectName("nodeLabel")
        edit.setPlaceholderText(spec.display_name if spec is not None else node.id)
        edit.setToolTip("The name shown on the canvas; leave empty for the node type's name")
        edit.textEdited.connect(self._label_edited)
        self._label_edit = edit
        node_id = QLabel(node.id)
        node_id.setObjectName("nodeId")
        node_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        node_id.setToolTip("The node's id in the workflow file (used by wires and the API)")
        for row, (text, widget) in enumerate((("Label", edit), ("Id", node_id))):
            label = QLabel(text)
            label.setObjectName("fieldLabel")
            label.setToolTip(widget.toolTip())
            self._side_labels.append(label)
            grid.addWidget(label, row, 0)
            grid.addWidget(widget, row, 1)
        self._label_reset = _reset_button("Clear the label (show the node type's name)")
        self._label_reset.clicked.connect(self._clear_label)
        grid.addWidget(self._label_reset, 0, 2)
        return box

    def _unknown_section(self, node: Node) -> QWidget:
        hint = (
            f"Node type “{node.type}” is not in this Patchbay's catalog, so its "
            "parameters cannot be edited. It is kept unchanged and saved as it was; "
            "install the plugin that provides it, or replace the node."
        )
        box, grid = self._section("Raw data", hint)
        raw = QPlainTextEdit()
        raw.setObjectName("rawData")
        raw.setReadOnly(True)
        raw.setPlainText(json.dumps(node.data, indent=2, ensure_ascii=False))
        raw.setMinimumHeight(160)
        grid.addWidget(raw, 0, 0, 1, 3)
        return box

    def _params_section(self, spec: NodeSpec) -> QWidget:
        box, grid = self._section("Parameters")
        for param in spec.params:
            self._add_field(grid, param, spec.input(param.name))
        return box

    def _inputs_section(self, ports: list[PortSpec]) -> QWidget:
        inline = any(inline_kind(p.type) is not None and not p.is_list for p in ports)
        hint = "An input that is not wired can take a value here." if inline else ""
        box, grid = self._section("Inputs", hint)
        for port in ports:
            kind = inline_kind(port.type)
            param = None
            if kind is not None and not port.is_list:
                param = ParamSpec(
                    name=port.name,
                    kind=kind,
                    label=port.label,
                    description=port.description,
                    required=port.required,
                )
            self._add_field(grid, param, port)
        return box

    def _add_field(self, grid: QGridLayout, param: ParamSpec | None, port: PortSpec | None) -> None:
        name = param.name if param is not None else port.name if port is not None else ""
        title = (param.label if param else None) or (port.label if port else None)
        text = title or humanise(name)
        if (param is not None and param.required and param.default is None) or (
            param is None and port is not None and port.required
        ):
            text += " *"
        label = QLabel(text)
        label.setObjectName("fieldLabel")
        tooltip = field_tooltip(param, port)
        label.setToolTip(tooltip)
        editor = status = reset = None
        if param is not None:
            editor = create_editor(param, self._color_picker, self._file_picker)
            editor.setToolTip(tooltip)
            editor.committed.connect(
                lambda value, merge, name=name: self._commit(name, value, merge)
            )
            default = _short(param.default) if param.default is not None else "empty"
            reset = _reset_button(f"Reset to default ({default})")
            reset.clicked.connect(lambda _=False, name=name: self._commit(name, None, False))
        else:
            status = muted(ElidedLabel())  # a long source name must not widen the panel
            status.setObjectName("portStatus")
        note = muted(QLabel())
        note.setObjectName("fieldNote")
        note.setWordWrap(True)
        problem = QLabel()
        problem.setObjectName("fieldProblem")
        problem.setWordWrap(True)
        problem.setTextFormat(Qt.TextFormat.PlainText)
        row = grid.rowCount()
        wide = param is not None and param.kind in _WIDE_KINDS
        shown = editor if editor is not None else status
        assert shown is not None
        if wide:
            grid.addWidget(label, row, 0, 1, 2)
            row += 1
            grid.addWidget(shown, row, 0, 1, 3)
        else:
            self._side_labels.append(label)
            grid.addWidget(label, row, 0)
            grid.addWidget(shown, row, 1)
        if reset is not None:
            grid.addWidget(reset, row - 1 if wide else row, 2)
        first = 0 if wide else 1
        grid.addWidget(note, row + 1, first, 1, 3 - first)
        grid.addWidget(problem, row + 2, first, 1, 3 - first)
        note.hide()
        problem.hide()
        self._fields[name] = _Field(name, label, editor, status, reset, note, problem, port)

    # -- keeping in step with the document ---------------------------------------

    def _refresh(self) -> None:
        if self._node_id is None:
            return
        node = self._document.node(self._node_id)
        self._header.show_node(node, self._catalog.get(node.type))
        if self._label_edit is not None and self._label_edit.text() != (node.label or ""):
            self._label_edit.setText(node.label or "")
        if self._label_reset is not None:
            self._label_reset.setVisible(bool(node.label))
        for row in self._fields.values():
            if row.editor is not None:
                row.editor.set_value(node.data.get(row.name))
            if row.reset is not None:
                row.reset.setVisible(row.name in node.data)

    def _refresh_connections(self) -> None:
        if self._node_id is None:
            return
        for row in self._fields.values():
            if row.port is None:
                continue
            edges = self._document.edges_into(self._node_id, row.port.name)
            sources = ", ".join(self._source_name(e.source, e.source_handle) for e in edges)
            wired = bool(edges)
            if row.status is not None:
                required = " (required)" if row.port.required else ""
                row.status.setText(f"← {sources}" if wired else f"Not connected{required}")
                row.status.setToolTip(field_tooltip(None, row.port))
            if row.editor is not None:
                row.editor.setEnabled(not wired)
                row.note.setText(f"Set by the wire from {sources}" if wired else "")
                row.note.setVisible(wired)

    def _source_name(self, node_id: str, port: str) -> str:
        if not self._document.has_node(node_id):
            return f"{node_id} ({port})"
        node = self._document.node(node_id)
        spec = self._catalog.get(node.type)
        name = node.label or (spec.display_name if spec else node.id)
        return f"{name} ({port})"

    def _show_violations(self) -> None:
        mine = [v for v in self._violations if self._node_id and v.node_id == self._node_id]
        by_field: dict[str, list[Violation]] = {}
        loose: list[Violation] = []
        for violation in mine:
            if violation.field is not None and violation.field in self._fields:
                by_field.setdefault(violation.field, []).append(violation)
            elif violation.edge_id is None:
                loose.append(violation)
        for name, row in self._fields.items():
            found = by_field.get(name, [])
            worst = worst_severity(found)
            row.problem.setText("\n".join(problem_line(v) for v in found))
            row.problem.setVisible(bool(found))
            set_severity_colour(row.problem, worst)
            if row.editor is not None:
                row.editor.set_problem(worst)
        self._header.set_problems(loose)

    # -- edits -------------------------------------------------------------------

    def _commit(self, name: str, value: Any, merge: bool) -> None:
        if self._node_id is None:
            return
        data = self._document.node(self._node_id).data
        if value is None and name not in data:
            return
        if value is not None and name in data and _same(data[name], value):
            return
        command: QUndoCommand
        if merge:
            command = SetParamCommand(self._document, self._node_id, name, value)
        else:
            command = _DiscreteSetParamCommand(self._document, self._node_id, name, value)
        self._stack.push(command)

    def _label_edited(self, text: str) -> None:
        if self._node_id is None:
            return
        if (self._document.node(self._node_id).label or "") != text:
            self._stack.push(SetLabelCommand(self._document, self._node_id, text or None))

    def _clear_label(self) -> None:
        if self._node_id is not None:
            self._stack.push(_DiscreteSetLabelCommand(self._document, self._node_id, None))

    def _on_node_changed(self, node_id: str) -> None:
        if node_id == self._node_id:
            self._refresh()
        elif self._node_id is not None:
            self._refresh_connections()  # a source node's label may have changed

    def _on_node_removed(self, node_id: str) -> None:
        if node_id == self._node_id:
            self.set_node(None)

    def _on_reset(self) -> None:
        self.set_node(self._node_id)

    def _on_edges_changed(self, _edge_id: str) -> None:
        self._refresh_connections()


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"
