"""Open from Server: list the account's workflows and open one into the editor.

The chosen workflow opens as an untitled document linked to the server workflow
(:class:`~app.servers.ServerLink`), after the usual question about unsaved
changes; publishing it again updates the same server workflow.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from app.server_dialogs import InlineMessage
from app.server_tasks import ServerTasks, describe_error, open_client
from app.servers import LINK_KEY, ServerLink, ServerProfile, graph_fingerprint, server_link
from engine.client import ClientError, StoredWorkflow, WorkflowSummary
from engine.workflow import Workflow

if TYPE_CHECKING:
    from app.window import MainWindow

_ID_ROLE = Qt.ItemDataRole.UserRole


def linked_workflow(profile: ServerProfile, stored: StoredWorkflow) -> Workflow:
    """The stored document, linked to its server workflow (published state included)."""
    workflow = stored.workflow
    published = stored.published and stored.webhook_url is not None
    link = ServerLink(
        url=profile.url,
        workflow_id=stored.id,
        published_version=stored.version if published else None,
        published_fingerprint=graph_fingerprint(workflow) if published else None,
        webhook_url=stored.webhook_url if published else None,
    )
    metadata = {**workflow.metadata, LINK_KEY: link.to_json()}
    return workflow.model_copy(update={"metadata": metadata})


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


class OpenFromServerDialog(QDialog):
    """The account's workflows on a server; Open loads the chosen one.

    Signals:
        listed(int): the list was (re)loaded with this many workflows.
        opened(str): the workflow with this id was opened into the window.
        failed(str): a request failed; the text is also shown in the dialog.
    """

    listed = Signal(int)
    opened = Signal(str)
    failed = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("openFromServerDialog")
        self.setWindowTitle("Open from Server")
        self.resize(660, 440)
        self._window = window
        self.tasks = ServerTasks(self)
        self.tasks.busy_changed.connect(self._update_enabled)

        self.server_combo = QComboBox()
        self.server_combo.setObjectName("openServer")
        self.server_combo.currentIndexChanged.connect(self.reload)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.reload)
        self.table = QTreeWidget()
        self.table.setObjectName("serverWorkflows")
        self.table.setHeaderLabels(["Name", "Nodes", "Updated", "Published"])
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_enabled)
        self.table.itemDoubleClicked.connect(lambda *_: self.open_selected())
        self.message = InlineMessage()
        self.message.setObjectName("openMessage")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.buttons.accepted.connect(self.open_selected)
        self.buttons.rejected.connect(self.close)

        top = QHBoxLayout()
        label = QLabel("&Server")
        label.setBuddy(self.server_combo)
        top.addWidget(label)
        top.addWidget(self.server_combo, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self.server_combo.blockSignals(True)
        for profile in window.servers.profiles():
            self.server_combo.addItem(f"{profile.name} — {profile.url}", profile.url)
        link = server_link(window.document.workflow())
        if link is not None:
            self.server_combo.setCurrentIndex(max(self.server_combo.findData(link.url), 0))
        self.server_combo.blockSignals(False)
        self._update_enabled()

    def profile(self) -> ServerProfile | None:
        url = self.server_combo.currentData()
        return self._window.servers.profile(url) if isinstance(url, str) else None

    def reload(self, *_: object) -> None:
        """List the workflows of the chosen server's account."""
        self.table.clear()
        profile = self.profile()
        if profile is None:
            self.message.show_message("warning", "Add a server first (Server ▸ Servers…).")
            return
        self.message.show_message("info", f"Loading workflows from {profile.name}…")
        self.tasks.start(
            self._list(profile), self._on_listed, lambda error: self._fail(profile, error)
        )

    def open_selected(self) -> None:
        """Open the selected workflow (after asking about unsaved changes)."""
        profile, items = self.profile(), self.table.selectedItems()
        if profile is None or not items:
            return
        workflow_id = str(items[0].data(0, _ID_ROLE))
        if not self._window.controller.confirm_discard("opening another workflow"):
            return
        self.message.show_message("info", f"Opening {items[0].text(0)}…")
        self.tasks.start(
            self._get(profile, workflow_id),
            lambda stored: self._on_fetched(profile, stored),
            lambda error: self._fail(profile, error),
        )

    async def _list(self, profile: ServerProfile) -> list[WorkflowSummary]:
        async with open_client(self._window.servers, profile) as client:
            return await client.all_workflows()

    async def _get(self, profile: ServerProfile, workflow_id: str) -> StoredWorkflow:
        async with open_client(self._window.servers, profile) as client:
            return await client.get_workflow(workflow_id)

    def _on_listed(self, summaries: list[WorkflowSummary]) -> None:
        self.table.clear()
        for summary in sorted(summaries, key=lambda s: s.updated_at, reverse=True):
            item = QTreeWidgetItem(
                [
                    summary.name,
                    str(summary.node_count),
                    _when(summary.updated_at),
                    "Yes" if summary.published else "—",
                ]
            )
            item.setData(0, _ID_ROLE, summary.id)
            item.setToolTip(0, f"{summary.id} · version {summary.version}")
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if summary.webhook_url:
                item.setToolTip(3, summary.webhook_url)
            self.table.addTopLevelItem(item)
        first = self.table.topLevelItem(0)
        if first is not None:
            first.setSelected(True)
            self.message.clear_message()
        else:
            self.message.show_message("info", "This account has no workflows on the server yet.")
        for column in (1, 2, 3):
            self.table.resizeColumnToContents(column)
        self._update_enabled()
        self.listed.emit(len(summaries))

    def _on_fetched(self, profile: ServerProfile, stored: StoredWorkflow) -> None:
        self._window.controller.load(linked_workflow(profile, stored), None)
        self._window.statusBar().showMessage(f"Opened {stored.name} from {profile.name}", 6000)
        self.opened.emit(stored.id)
        self.close()

    def _fail(self, profile: ServerProfile, error: ClientError) -> None:
        text = describe_error(error, profile.name)
        self.message.show_message("error", text)
        self.failed.emit(text)

    def _update_enabled(self, *_: object) -> None:
        busy = self.tasks.busy
        self.open_button.setEnabled(bool(self.table.selectedItems()) and not busy)
        self.refresh_button.setEnabled(self.profile() is not None and not busy)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.tasks.cancel()
        super().closeEvent(event)


def show_open_from_server(window: MainWindow) -> OpenFromServerDialog:
    """A new Open from Server dialog, listing the first server's workflows."""
    dialog = OpenFromServerDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.reload()
    return dialog
