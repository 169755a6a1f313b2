"""The problems panel: errors first, a count summary, and activation of a row."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from engine.validation import Severity, Violation, ViolationCode
from engine.workflow import Node, Workflow
from tests.widgets.sample_catalog import sample_catalog
from widgets.document import WorkflowDocument
from widgets.problems import ProblemsPanel, summary_text


def _violation(
    message: str,
    severity: Severity = Severity.ERROR,
    node_id: str | None = None,
    edge_id: str | None = None,
    hint: str | None = None,
) -> Violation:
    return Violation(
        code=ViolationCode.UNKNOWN_PARAM
        if severity == Severity.WARNING
        else ViolationCode.REQUIRED_INPUT_MISSING,
        message=message,
        severity=severity,
        node_id=node_id,
        edge_id=edge_id,
        hint=hint,
    )


VIOLATIONS = [
    _violation("first warning", Severity.WARNING, node_id="shot"),
    _violation("first error", node_id="shot", hint="connect a prompt"),
    _violation("wire error", edge_id="e2"),
    _violation("second warning", Severity.WARNING, node_id="brief"),
    _violation("document error"),
]


@pytest.fixture
def document() -> WorkflowDocument:
    return WorkflowDocument(
        Workflow(
            nodes=[
                Node(id="shot", type="image.flux-2-pro"),
                Node(id="brief", type="input.text", label="Brief"),
            ]
        )
    )


@pytest.fixture
def panel(qtbot: QtBot, document: WorkflowDocument) -> ProblemsPanel:
    widget = ProblemsPanel(document, sample_catalog())
    qtbot.addWidget(widget)
    widget.resize(700, 300)
    widget.show()
    return widget


def _messages(panel: ProblemsPanel) -> list[str]:
    tree = panel.view
    return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]  # type: ignore[union-attr]


def test_errors_come_first_in_the_validators_order(panel: ProblemsPanel) -> None:
    panel.set_violations(VIOLATIONS)
    assert _messages(panel) == [
        "first error",
        "wire error",
        "document error",
        "first warning",
        "second warning",
    ]


def test_rows_show_code_node_and_hint(panel: ProblemsPanel) -> None:
    panel.set_violations(VIOLATIONS)
    first = panel.view.topLevelItem(0)
    assert first is not None
    assert first.text(1) == "Flux 2 Pro (shot)"  # type name when the node has no label
    assert first.text(2) == "required_input_missing"
    assert first.text(3) == "connect a prompt"
    assert not first.icon(0).isNull()
    rows = [panel.view.topLevelItem(i) for i in range(5)]
    nodes = [row.text(1) for row in rows if row is not None]
    assert nodes == [
        "Flux 2 Pro (shot)",
        "wire e2",
        "workflow",
        "Flux 2 Pro (shot)",
        "Brief (brief)",
    ]


def test_summary_counts_errors_and_warnings(panel: ProblemsPanel) -> None:
    panel.set_violations(VIOLATIONS)
    assert panel.summary() == "3 errors, 2 warnings"
    assert summary_text(VIOLATIONS[:2]) == "1 error, 1 warning"
    assert summary_text(VIOLATIONS[3:4]) == "1 warning"
    panel.set_violations([])
    assert panel.summary() == "No problems"
    assert panel.view.isHidden()
    placeholder = panel.findChild(QLabel, "problemsEmpty")
    assert placeholder is not None and not placeholder.isHidden()


def test_click_and_enter_report_the_node_and_edge(qtbot: QtBot, panel: ProblemsPanel) -> None:
    panel.set_violations(VIOLATIONS)
    tree = panel.view
    first = tree.topLevelItem(0)
    assert first is not None
    rect = tree.visualItemRect(first)
    with qtbot.waitSignal(panel.violation_activated) as blocker:
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["shot", None]
    wire = tree.topLevelItem(1)
    tree.setCurrentItem(wire)
    tree.setFocus()
    with qtbot.waitSignal(panel.violation_activated) as blocker:
        qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert blocker.args == [None, "e2"]


def test_node_names_follow_renames(panel: ProblemsPanel, document: WorkflowDocument) -> None:
    panel.set_violations(VIOLATIONS)
    document.replace_node(document.node("shot").model_copy(update={"label": "Hero"}))
    first = panel.view.topLevelItem(0)
    assert first is not None and first.text(1) == "Hero (shot)"


def test_works_without_a_document(qtbot: QtBot) -> None:
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.set_violations(VIOLATIONS[:1])
    first = panel.view.topLevelItem(0)
    assert first is not None and first.text(1) == "shot"
    assert panel.violations() == VIOLATIONS[:1]
