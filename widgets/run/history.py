"""The run history: past runs of the document, newest first; choosing one reports its id."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.executor.events import ExecutionState
from engine.executor.record import ExecutionRecord
from widgets.node_header import muted
from widgets.run.common import (
    format_credits,
    format_datetime,
    format_duration,
    state_icon,
    state_label,
)

#: Item data role holding a row's execution id.
EXECUTION_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Started", "Status", "Duration", "Credits", "Run")


class RunSummary(BaseModel):
    """One past run as the history lists it."""

    model_config = ConfigDict(frozen=True)

    execution_id: str
    started_at: float | None
    status: ExecutionState
    duration_ms: float | None = None
    credits: float = 0.0
    preview: bool = False
    label: str = ""

    @classmethod
    def from_record(cls, record: ExecutionRecord, label: str | None = None) -> RunSummary:
        """The summary of a full record; ``label`` defaults to the workflow's name."""
        return cls(
            execution_id=record.execution_id,
            started_at=record.started_at,
            status=record.status,
            duration_ms=record.duration_ms,
            credits=record.credits,
            preview=record.preview,
            label=label if label is not None else record.workflow_name,
        )


class RunHistoryList(QWidget):
    """A table of past runs. Clicking (or Enter on) a row emits :attr:`run_chosen`."""

    #: A run was chosen: ``execution_id``.
    run_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runHistory")
        self._runs: list[RunSummary] = []
        self.view = QTreeWidget(self)
        self.view.setObjectName("runHistoryList")
        self.view.setColumnCount(len(COLUMNS))
        self.view.setHeaderLabels(list(COLUMNS))
        self.view.setRootIsDecorated(False)
        self.view.setAllColumnsShowFocus(True)
        self.view.setAlternatingRowColors(True)
        self.view.setUniformRowHeights(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.view.header()
        header.setStretchLastSection(True)
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.view.itemClicked.connect(self._choose)
        self.view.itemActivated.connect(self._choose)
        self._empty = muted(QLabel("No runs yet. Press F5 to run the workflow.", self))
        self._empty.setObjectName("runHistoryEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self._empty, 1)
        self.set_runs([])

    def set_runs(self, runs: Iterable[RunSummary]) -> None:
        """Show ``runs`` newest first (the current row is kept when still listed)."""
        current = self.current()
        self._runs = sorted(runs, key=lambda r: r.started_at or 0.0, reverse=True)
        self.view.clear()
        for run in self._runs:
            item = QTreeWidgetItem(self._row(run))
            item.setIcon(1, state_icon(run.status))
            item.setData(0, EXECUTION_ROLE, run.execution_id)
            tooltip = f"{run.label or 'Run'} · {state_label(run.status)}\n{run.execution_id}"
            if run.preview:
                tooltip += "\nPreview run: offline outputs, credits not charged"
            for column in range(len(COLUMNS)):
                item.setToolTip(column, tooltip)
            self.view.addTopLevelItem(item)
            if run.execution_id == current:
                self.view.setCurrentItem(item)
        self.view.setVisible(bool(self._runs))
        self._empty.setVisible(not self._runs)

    def runs(self) -> list[RunSummary]:
        """The runs in display order."""
        return list(self._runs)

    def current(self) -> str | None:
        """The execution id of the selected row."""
        item = self.view.currentItem()
        value = item.data(0, EXECUTION_ROLE) if item is not None else None
        return value if isinstance(value, str) else None

    def set_current(self, execution_id: str | None) -> None:
        """Select the row of ``execution_id`` without emitting :attr:`run_chosen`."""
        for index in range(self.view.topLevelItemCount()):
            item = self.view.topLevelItem(index)
            if item is not None and item.data(0, EXECUTION_ROLE) == execution_id:
                self.view.setCurrentItem(item)
                return
        self.view.clearSelection()
        self.view.setCurrentIndex(self.view.rootIndex())

    @staticmethod
    def _row(run: RunSummary) -> list[str]:
        credits = format_credits(run.credits)
        if run.preview:
            credits += " · preview"
        return [
            format_datetime(run.started_at),
            state_label(run.status),
            format_duration(run.duration_ms),
            credits,
            run.label,
        ]

    def _choose(self, item: QTreeWidgetItem | None) -> None:
        value = item.data(0, EXECUTION_ROLE) if item is not None else None
        if isinstance(value, str):
            self.run_chosen.emit(value)
