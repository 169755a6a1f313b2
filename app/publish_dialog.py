"""The Publish dialog: put the document on a server and give it a webhook URL.

Publishing uploads the graph (creating the server workflow, or updating the one
the document is linked to), publishes it and shows the webhook URL with a Copy
button and a ready ``curl`` call naming the workflow's real inputs. "Send Test
Trigger" calls the webhook and follows the run on the canvas; Rotate gives a new
URL (the old one stops working); Unpublish turns the webhook off. The document
remembers the link (:class:`~app.servers.ServerLink`, metadata ``"server"``), and
the dialog says when the canvas has changes that are not published yet.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.run_target import show_server_violations
from app.server_dialogs import InlineMessage
from app.server_tasks import ServerTasks, describe_error, open_client
from app.servers import LINK_KEY, ServerLink, ServerProfile, graph_fingerprint, server_link
from app.webhook_example import curl_example, example_payload
from engine.client import Accepted, ClientError, InvalidRequest, NotFoundError, StoredWorkflow
from engine.workflow import Workflow

if TYPE_CHECKING:
    from app.window import MainWindow

CHANGED_TEXT = "The canvas has changes not published yet — Publish again to update."


def upload_copy(workflow: Workflow) -> Workflow:
    """The document as uploaded: without its link to the server (that is editor state)."""
    metadata = {k: v for k, v in workflow.metadata.items() if k != LINK_KEY}
    return workflow.model_copy(update={"metadata": metadata})


def publish_state(workflow: Workflow) -> tuple[ServerLink | None, bool]:
    """The document's link and whether its graph differs from the published one."""
    link = server_link(workflow)
    changed = bool(
        link is not None
        and link.published
        and link.published_fingerprint != graph_fingerprint(workflow)
    )
    return link, changed


class PublishDialog(QDialog):
    """Publish the window's document to a server (non-modal; one per window).

    Closing the dialog does not stop a request in flight: a publish finishes and
    links the document even when the dialog was closed meanwhile.

    Signals:
        succeeded(str): an operation succeeded: ``"publish"``, ``"rotate"``,
            ``"unpublish"`` or ``"trigger"``.
        failed(str): an operation failed; the text is also shown in the dialog.
    """

    succeeded = Signal(str)
    failed = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("publishDialog")
        self.setWindowTitle("Publish")
        self.resize(760, 400)
        self._window = window
        self.tasks = ServerTasks(self)
        self.tasks.busy_changed.connect(self._update)
        self.last_execution_id: str | None = None

        self.server_combo = QComboBox()
        self.server_combo.setObjectName("publishServer")
        self.server_combo.currentIndexChanged.connect(self._update)
        self.manage_button = QPushButton("Servers…")
        self.manage_button.clicked.connect(window.show_servers_dialog)
        self.state_label = QLabel()
        self.state_label.setObjectName("publishState")
        self.state_label.setWordWrap(True)
        self.changes = InlineMessage()
        self.changes.setObjectName("unpublishedChanges")
        self.publish_button = QPushButton("&Publish")
        self.publish_button.setDefault(True)
        self.publish_button.clicked.connect(self.publish)
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("webhookUrl")
        self.url_edit.setReadOnly(True)
        self.url_edit.setPlaceholderText("Publish to get a webhook URL")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the webhook URL")
        self.copy_button.clicked.connect(self.copy_url)
        self.curl_view = QPlainTextEdit()
        self.curl_view.setObjectName("curlExample")
        self.curl_view.setReadOnly(True)
        self.curl_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.curl_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.curl_view.setMaximumHeight(100)
        self.copy_curl_button = QPushButton("Copy c&url")
        self.copy_curl_button.clicked.connect(self.copy_curl)
        self.trigger_button = QPushButton("Send &Test Trigger")
        self.trigger_button.setToolTip("Call the webhook with the inputs' defaults; watch the run")
        self.trigger_button.clicked.connect(self.send_test_trigger)
        self.rotate_button = QPushButton("&Rotate URL")
        self.rotate_button.setToolTip("Give the workflow a new URL; the old one stops working")
        self.rotate_button.clicked.connect(self.rotate)
        self.unpublish_button = QPushButton("&Unpublish")
        self.unpublish_button.setToolTip("Turn the webhook off")
        self.unpublish_button.clicked.connect(self.unpublish)
        self.message = InlineMessage()
        self.message.setObjectName("publishMessage")
        self._layout()

        window.servers.changed.connect(self.refresh_servers)
        window.document.changed.connect(self._update)
        window.document.metadata_changed.connect(self._update)
        self.refresh_servers()

    # -- public API ---------------------------------------------------------------

    def profile(self) -> ServerProfile | None:
        """The server chosen in the dialog."""
        url = self.server_combo.currentData()
        return self._window.servers.profile(url) if isinstance(url, str) else None

    def link(self) -> ServerLink | None:
        """The document's link, when it is to the chosen server."""
        link = server_link(self._window.document.workflow())
        profile = self.profile()
        return (
            link if link is not None and profile is not None and link.url == profile.url else None
        )

    def refresh_servers(self) -> None:
        """List the servers, choosing the linked one (else the current choice)."""
        current = self.server_combo.currentData()
        linked = server_link(self._window.document.workflow())
        self.server_combo.blockSignals(True)
        self.server_combo.clear()
        for profile in self._window.servers.profiles():
            self.server_combo.addItem(f"{profile.name} — {profile.url}", profile.url)
        want = linked.url if linked is not None else current
        index = self.server_combo.findData(want) if want else -1
        self.server_combo.setCurrentIndex(max(index, 0))
        self.server_combo.blockSignals(False)
        self._update()

    def publish(self) -> None:
        """Upload the graph (create, or update the linked workflow) and publish it."""
        profile = self.profile()
        if profile is None:
            return
        workflow = upload_copy(self._window.document.workflow())
        link = self.link()
        self.message.show_message("info", f"Publishing to {profile.name}…")
        self.tasks.start(
            self._publish(profile, workflow, link),
            lambda found: self._on_published(profile, workflow, *found),
            lambda error: self._fail(profile, error),
        )

    def rotate(self) -> None:
        """Publish again: a new webhook URL; the old one stops working at once."""
        profile, link = self.profile(), self.link()
        if profile is None or link is None:
            return
        self.message.show_message("info", "Rotating the webhook URL…")
        self.tasks.start(
            self._call(profile, lambda c: c.publish(link.workflow_id)),
            lambda publication: self._relink(
                "rotate", replace(link, webhook_url=publication.webhook_url)
            ),
            lambda error: self._fail(profile, error),
        )

    def unpublish(self) -> None:
        """Turn the webhook off (the server workflow and the link stay)."""
        profile, link = self.profile(), self.link()
        if profile is None or link is None:
            return
        self.message.show_message("info", "Unpublishing…")
        unlinked = ServerLink(profile.url, link.workflow_id)
        self.tasks.start(
            self._call(profile, lambda c: c.unpublish(link.workflow_id)),
            lambda _none: self._relink("unpublish", unlinked),
            lambda error: self._fail(profile, error),
        )

    def send_test_trigger(self) -> None:
        """Trigger the webhook with the inputs' defaults and follow the run on the canvas."""
        profile, link = self.profile(), self.link()
        if profile is None or link is None or link.webhook_url is None:
            return
        url = link.webhook_url
        inputs = example_payload(self._window.document.workflow())
        self.message.show_message("info", "Sending a test trigger…")
        self.tasks.start(
            self._call(profile, lambda c: c.trigger(url, inputs)),
            lambda accepted: self._on_triggered(profile, accepted),
            lambda error: self._fail(profile, error),
        )

    def copy_url(self) -> None:
        if self.url_edit.text():
            QGuiApplication.clipboard().setText(self.url_edit.text())
            self.message.show_message("ok", "Webhook URL copied.")

    def copy_curl(self) -> None:
        if self.curl_view.toPlainText():
            QGuiApplication.clipboard().setText(self.curl_view.toPlainText())
            self.message.show_message("ok", "curl command copied.")

    # -- the requests -------------------------------------------------------------

    async def _publish(
        self, profile: ServerProfile, workflow: Workflow, link: ServerLink | None
    ) -> tuple[StoredWorkflow, str]:
        async with open_client(self._window.servers, profile) as client:
            stored: StoredWorkflow | None = None
            if link is not None:
                try:
                    stored = await client.update_workflow(link.workflow_id, workflow)
                except NotFoundError:  # deleted on the server: publish it anew
                    stored = None
            if stored is None:
                stored = await client.create_workflow(workflow)
            if stored.published and stored.webhook_url:
                return stored, stored.webhook_url  # updating keeps the URL
            publication = await client.publish(stored.id)
            return stored, publication.webhook_url

    async def _call(self, profile: ServerProfile, request: Any) -> Any:
        async with open_client(self._window.servers, profile) as client:
            return await request(client)

    # -- reactions ----------------------------------------------------------------

    def _on_published(
        self, profile: ServerProfile, workflow: Workflow, stored: StoredWorkflow, webhook: str
    ) -> None:
        link = ServerLink(
            url=profile.url,
            workflow_id=stored.id,
            published_version=stored.version,
            published_fingerprint=graph_fingerprint(workflow),
            webhook_url=webhook,
        )
        self._relink("publish", link)

    def _relink(self, operation: str, link: ServerLink) -> None:
        self._window.document.set_metadata(LINK_KEY, link.to_json())
        texts = {
            "publish": f"Published version {link.published_version}.",
            "rotate": "New webhook URL: the old one no longer works.",
            "unpublish": "Unpublished: the webhook URL no longer works.",
        }
        self.message.show_message("ok", texts.get(operation, "Done."))
        self._update()
        self.succeeded.emit(operation)

    def _on_triggered(self, profile: ServerProfile, accepted: Accepted) -> None:
        self.last_execution_id = accepted.execution_id
        runner = self._window.runs.targets.runner_for(profile)
        if runner is not None:
            self._window.runs.watch(runner.attach(accepted.execution_id))
        self.message.show_message(
            "ok", f"Test run {accepted.execution_id} started: follow it on the canvas."
        )
        self.succeeded.emit("trigger")

    def _fail(self, profile: ServerProfile, error: ClientError) -> None:
        if isinstance(error, InvalidRequest) and error.violations:
            show_server_violations(self._window, profile.name, error.violations)
        text = describe_error(error, profile.name)
        self.message.show_message("error", text)
        self.failed.emit(text)

    def _update(self, *_: object) -> None:
        profile = self.profile()
        workflow = self._window.document.workflow()
        link, changed = publish_state(workflow)
        here = self.link()
        busy = self.tasks.busy
        published = here is not None and here.webhook_url is not None
        if profile is None:
            self.state_label.setText("Add a server first (Servers…).")
        elif link is not None and here is None:
            self.state_label.setText(
                f"This document is linked to {link.url}; publishing here links it to "
                f"{profile.name} instead."
            )
        elif here is None:
            self.state_label.setText(f"Not on {profile.name} yet: Publish uploads it.")
        elif not published:
            self.state_label.setText(f"On {profile.name} as {here.workflow_id}, not published.")
        else:
            self.state_label.setText(
                f"Published on {profile.name} as {here.workflow_id} "
                f"(version {here.published_version})."
            )
        self.changes.show_message("warning", CHANGED_TEXT if changed and published else "")
        self.publish_button.setText("&Publish Again" if published else "&Publish")
        self.publish_button.setEnabled(profile is not None and not busy)
        url = here.webhook_url if here is not None and here.webhook_url else ""
        if self.url_edit.text() != url:
            self.url_edit.setText(url)
            self.url_edit.setCursorPosition(0)
        self.curl_view.setPlainText(curl_example(url, workflow) if url else "")
        for button in (self.copy_button, self.copy_curl_button):
            button.setEnabled(bool(url))
        for button in (self.trigger_button, self.rotate_button, self.unpublish_button):
            button.setEnabled(published and not busy)

    def _layout(self) -> None:
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_combo, 1)
        server_row.addWidget(self.manage_button)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.copy_button)
        form = QFormLayout()
        form.addRow(_buddy("&Server", self.server_combo), server_row)
        form.addRow("", self.state_label)
        form.addRow(_buddy("&Webhook URL", self.url_edit), url_row)
        form.addRow(_buddy("E&xample", self.curl_view), self.curl_view)
        curl_row = QHBoxLayout()
        curl_row.addStretch(1)
        curl_row.addWidget(self.copy_curl_button)
        form.addRow("", curl_row)
        actions = QHBoxLayout()
        actions.addWidget(self.publish_button)
        actions.addWidget(self.trigger_button)
        actions.addStretch(1)
        actions.addWidget(self.rotate_button)
        actions.addWidget(self.unpublish_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.changes)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(close)


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def show_publish_dialog(window: MainWindow) -> PublishDialog:
    """The window's Publish dialog, shown and raised (created on first use)."""
    dialog = window.findChild(PublishDialog)
    if not isinstance(dialog, PublishDialog):
        dialog = PublishDialog(window)
    dialog.refresh_servers()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
