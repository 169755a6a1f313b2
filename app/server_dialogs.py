"""The Servers dialog: add a Patchbay server by URL and API key, remove it, test it.

Testing a connection shows the account's tier, its credits (available, balance,
reserved) and today's usage; failures (key rejected, server unreachable, not a
Patchbay server) are shown inline. When no keyring backend can store secrets the
dialog says the key is kept for this session only. Requests run on the app's
qasync loop (:class:`~app.server_tasks.ServerTasks`); the window never blocks.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.server_tasks import ServerTasks, describe_error, open_client
from app.servers import KeyStorage, ServerProfile, ServerStore, normalise_url
from engine.client import Account, ClientError, NotFoundError, ProtocolError

if TYPE_CHECKING:
    from app.window import MainWindow

SEVERITY_COLORS = {"ok": "#3fb950", "info": "#58a6ff", "warning": "#d29922", "error": "#f85149"}
_STORAGE_TEXT = {KeyStorage.KEYRING: "System keyring", KeyStorage.SESSION: "This session only"}


def session_only_text(name: str) -> str:
    """What the dialogs say when a key could not go to the keyring."""
    return (
        f"No keyring on this computer can store secrets, so the API key for {name} is kept "
        "for this session only. You will have to enter it again after restarting "
        "Patchbay Studio. It was not written to any file."
    )


class InlineMessage(QLabel):
    """A coloured line of text under a form: ok, info, warning or error."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.severity = ""
        self.hide()

    def show_message(self, severity: str, text: str) -> None:
        """Show ``text`` (plain) in the colour of ``severity``; empty text hides it."""
        self.severity = severity if text else ""
        color = SEVERITY_COLORS.get(severity, SEVERITY_COLORS["info"])
        self.setStyleSheet(f"color: {color};")
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("", "")


def account_html(account: Account, version: str | None = None) -> str:
    """The account summary shown after a successful connection test."""
    credits, usage = account.credits, account.usage
    per_day = (
        "unlimited executions a day"
        if account.executions_per_day is None
        else f"{account.executions_per_day:,} executions a day"
    )
    remaining = (
        "no daily limit"
        if usage.executions_remaining is None
        else f"{usage.executions_remaining:,} left today"
    )
    running = f" · {usage.running} running" if usage.running else ""
    server = f" · server {html.escape(version)}" if version else ""
    rows = (
        ("Account", f"{html.escape(account.name)} · key {html.escape(account.key_prefix)}…"),
        (
            "Tier",
            f"<b>{html.escape(str(account.tier).capitalize())}</b> · {per_day} · "
            f"{account.requests_per_minute:,} requests a minute",
        ),
        (
            "Credits",
            f"<b>{credits.available:g} available</b> "
            f"({credits.balance:g} balance, {credits.reserved:g} reserved)",
        ),
        (
            f"Today ({html.escape(str(usage.day))})",
            f"{usage.executions:,} execution{'' if usage.executions == 1 else 's'} "
            f"({remaining}) · "
            f"{usage.credits_charged:g} credits charged{running}",
        ),
    )
    body = "".join(
        f"<tr><td style='padding-right:12px'>{label}</td><td>{value}</td></tr>"
        for label, value in rows
    )
    return (
        f"<span style='color:{SEVERITY_COLORS['ok']}'>✔ Connected{server}</span>"
        f"<table style='margin-top:4px'>{body}</table>"
    )


class ServersDialog(QDialog):
    """Add, remove and test servers (non-modal; one per window).

    Signals:
        tested(object): a connection test ended, with the :class:`Account` or the
            error text shown.
    """

    tested = Signal(object)

    def __init__(self, store: ServerStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serversDialog")
        self.setWindowTitle("Servers")
        self.resize(620, 520)
        self._store = store
        self.tasks = ServerTasks(self)
        self.tasks.busy_changed.connect(self._update_enabled)
        self.last_account: Account | None = None

        self.server_list = QTreeWidget()
        self.server_list.setObjectName("serverList")
        self.server_list.setHeaderLabels(["Name", "URL", "API key"])
        self.server_list.setRootIsDecorated(False)
        self.server_list.setUniformRowHeights(True)
        header = self.server_list.header()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.server_list.itemSelectionChanged.connect(self._on_selection)
        self.test_button = QPushButton("&Test Connection")
        self.test_button.clicked.connect(self.test_selected)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.account_view = QLabel()
        self.account_view.setObjectName("connectionResult")
        self.account_view.setTextFormat(Qt.TextFormat.RichText)
        self.account_view.setWordWrap(True)
        self.account_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.account_view.hide()
        self.message = InlineMessage()
        self.message.setObjectName("connectionMessage")
        self.storage_note = InlineMessage()
        self.storage_note.setObjectName("keyStorageNote")

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("optional, e.g. Studio server")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://patchbay.example.com")
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("pb_…")
        self.add_button = QPushButton("&Add Server")
        self.add_button.clicked.connect(self.add_server)
        self.add_message = InlineMessage()
        self.add_message.setObjectName("addMessage")
        for edit in (self.url_edit, self.key_edit):
            edit.textChanged.connect(self._update_enabled)
            edit.returnPressed.connect(self.add_server)

        self._layout()
        self.refresh()
        store.changed.connect(self.refresh)

    # -- public API ---------------------------------------------------------------

    def selected_profile(self) -> ServerProfile | None:
        items = self.server_list.selectedItems()
        return self._store.profile(items[0].text(1)) if items else None

    def refresh(self) -> None:
        """Re-list the servers, keeping the selection."""
        current = self.selected_profile()
        self.server_list.clear()
        for profile in self._store.profiles():
            storage = self._store.key_storage(profile.url)
            key = _STORAGE_TEXT[storage] if storage is not None else "Missing"
            item = QTreeWidgetItem([profile.name, profile.url, key])
            item.setToolTip(1, profile.url)
            self.server_list.addTopLevelItem(item)
            if current is not None and profile.url == current.url:
                item.setSelected(True)
        first = self.server_list.topLevelItem(0)
        if not self.server_list.selectedItems() and first is not None:
            first.setSelected(True)
        self._update_enabled()

    def add_server(self) -> KeyStorage | None:
        """Add the server typed in the form, then test the connection."""
        if not self.add_button.isEnabled():
            return None
        try:
            url = normalise_url(self.url_edit.text())
            storage = self._store.add(
                ServerProfile(self.name_edit.text().strip(), url), self.key_edit.text()
            )
        except ValueError as exc:
            self.add_message.show_message("error", str(exc))
            return None
        self.key_edit.clear()  # the key now lives in the keyring (or this session)
        self.name_edit.clear()
        self.url_edit.clear()
        self.add_message.clear_message()
        self._select(url)
        self.test_selected()
        return storage

    def remove_selected(self) -> None:
        """Forget the selected server and its key."""
        profile = self.selected_profile()
        if profile is not None:
            self._store.remove(profile.url)
            self.account_view.hide()
            self.message.clear_message()

    def test_selected(self) -> None:
        """Ask the selected server for the account: tier, credits, today's usage."""
        profile = self.selected_profile()
        if profile is None:
            return
        self.account_view.hide()
        self.last_account = None
        self.message.show_message("info", f"Connecting to {profile.url}…")
        self.tasks.start(
            self._test(profile),
            lambda found: self._on_tested(profile, found),
            lambda error: self._on_test_failed(profile, error),
        )

    # -- reactions ----------------------------------------------------------------

    async def _test(self, profile: ServerProfile) -> tuple[str, Account]:
        async with open_client(self._store, profile) as client:
            try:
                version = await client.health()
            except (NotFoundError, ProtocolError) as exc:
                raise ProtocolError(
                    f"no Patchbay health check at {profile.url}/healthz ({exc})"
                ) from None
            return version, await client.account()

    def _on_tested(self, profile: ServerProfile, found: tuple[str, Account]) -> None:
        version, account = found
        self.last_account = account
        self.message.clear_message()
        self.account_view.setText(account_html(account, version))
        self.account_view.show()
        self._show_storage(profile)
        self.tested.emit(account)

    def _on_test_failed(self, profile: ServerProfile, error: ClientError) -> None:
        text = describe_error(error, profile.name)
        self.message.show_message("error", text)
        self.tested.emit(text)

    def _on_selection(self) -> None:
        self.account_view.hide()
        self.message.clear_message()
        profile = self.selected_profile()
        if profile is not None:
            self._show_storage(profile)
        else:
            self.storage_note.clear_message()
        self._update_enabled()

    def _show_storage(self, profile: ServerProfile) -> None:
        storage = self._store.key_storage(profile.url)
        if storage is KeyStorage.SESSION:
            self.storage_note.show_message("warning", session_only_text(profile.name))
        elif storage is None:
            self.storage_note.show_message(
                "warning",
                f"No API key is stored for {profile.name}: add the server again with its key.",
            )
        else:
            self.storage_note.show_message(
                "ok", "The API key is stored in the system keyring, not in any file."
            )

    def _select(self, url: str) -> None:
        for index in range(self.server_list.topLevelItemCount()):
            item = self.server_list.topLevelItem(index)
            if item is not None:
                item.setSelected(item.text(1) == url)

    def _update_enabled(self, *_: object) -> None:
        selected = self.selected_profile() is not None
        busy = self.tasks.busy
        self.test_button.setEnabled(selected and not busy)
        self.remove_button.setEnabled(selected and not busy)
        ready = bool(self.url_edit.text().strip() and self.key_edit.text().strip())
        self.add_button.setEnabled(ready and not busy)

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        form_box = QGroupBox("Add a server")
        form = QFormLayout(form_box)
        form.addRow("&URL", self.url_edit)
        form.addRow("API &key", self.key_edit)
        form.addRow("&Name", self.name_edit)
        add_row = QHBoxLayout()
        add_row.addStretch(1)
        add_row.addWidget(self.add_button)
        form.addRow(add_row)
        form.addRow(self.add_message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.server_list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.account_view)
        layout.addWidget(self.storage_note)
        layout.addWidget(form_box)
        layout.addWidget(close)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.tasks.cancel()
        super().closeEvent(event)


def show_servers_dialog(window: MainWindow) -> ServersDialog:
    """The window's Servers dialog, shown and raised (created on first use)."""
    dialog = window.findChild(ServersDialog)
    if not isinstance(dialog, ServersDialog):
        dialog = ServersDialog(window.servers, window)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
