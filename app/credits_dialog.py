"""The dialog shown when a server refuses a run for lack of credits (HTTP 402).

It lists what the run would cost, node by node, as the server computed it, with
the credits it needs and the credits the account has available. Nothing was run
or charged. The window opens it with ``dialog.open()`` (window-modal, not a
nested event loop), so runs and timers keep going behind it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.client import CreditLine, InsufficientCredits

_COLUMNS = ("Node", "Type", "Credits")


def _credits(value: float) -> str:
    return f"{value:g}"


class InsufficientCreditsDialog(QDialog):
    """ "Not enough credits on <server>": the per-node breakdown, required and available."""

    def __init__(
        self, error: InsufficientCredits, server: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("insufficientCreditsDialog")
        self.setWindowTitle(f"Not enough credits on {server}")
        self.required = error.required
        self.available = error.available
        self.breakdown: list[CreditLine] = list(error.breakdown)

        heading = QLabel(
            f"<b>This run needs {_credits(self.required)} credits; the balance available "
            f"on {html.escape(server)} is {_credits(self.available)}.</b><br>"
            "Nothing was run or charged. Add credits to the account, run in Preview "
            "mode (hosted nodes cost nothing), or run on this computer.",
            self,
        )
        heading.setObjectName("creditsHeading")
        heading.setWordWrap(True)

        self.table = QTableWidget(len(self.breakdown) + 1, len(_COLUMNS), self)
        self.table.setObjectName("creditsBreakdown")
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, line in enumerate(self.breakdown):
            self._set_row(row, line.node_label or line.node_id, line.type, line.credits)
        self._set_row(len(self.breakdown), "Total", "", self.required, bold=True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

        balance = QLabel(
            f"Required: <b>{_credits(self.required)}</b> credits &nbsp;·&nbsp; "
            f"Available balance: <b>{_credits(self.available)}</b> credits &nbsp;·&nbsp; "
            f"Missing: <b>{_credits(max(0.0, self.required - self.available))}</b>",
            self,
        )
        balance.setObjectName("creditsBalance")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(balance)
        layout.addWidget(buttons)
        self.resize(560, 240 + 28 * min(len(self.breakdown), 10))

    def rows(self) -> list[tuple[str, str, str]]:
        """The table as text, row by row (the total last)."""
        return [
            (self._text(row, 0), self._text(row, 1), self._text(row, 2))
            for row in range(self.table.rowCount())
        ]

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _set_row(
        self, row: int, node: str, node_type: str, credits: float, *, bold: bool = False
    ) -> None:
        for column, text in enumerate((node, node_type, _credits(credits))):
            item = QTableWidgetItem(text)
            if column == 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if bold:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, column, item)
