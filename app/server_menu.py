"""The Server menu and the status-bar field that shows a document's publish state.

:class:`ServerCommands` adds "&Server" (Servers…, Open from Server…, Publish…)
before the Help menu, and a status-bar field: "Published · up to date",
"Published · changed" (the canvas differs from what the webhook runs) or
"On <server>" for a linked document that is not published; hidden otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton

from app.publish_dialog import publish_state, show_publish_dialog
from app.server_dialogs import SEVERITY_COLORS

if TYPE_CHECKING:
    from app.open_from_server import OpenFromServerDialog
    from app.publish_dialog import PublishDialog
    from app.window import MainWindow


class ServerCommands(QObject):
    """The window's server commands and publish-state field."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.menu = QMenu("&Server", window)
        bar = window.menuBar()
        menus = window.commands.menus
        bar.insertMenu(menus[-1].menuAction(), self.menu)  # Help stays last
        menus.insert(len(menus) - 1, self.menu)
        self._action("servers", "&Servers…", window.show_servers_dialog, "Add and test servers")
        self.menu.addSeparator()
        self._action(
            "open_from_server",
            "&Open from Server…",
            self.open_from_server,
            "Open a workflow stored on a server",
            "Ctrl+Alt+O",
        )
        self._action(
            "publish",
            "&Publish…",
            self.publish,
            "Publish the workflow to a server and get its webhook URL",
            "Ctrl+Alt+P",
        )
        self.indicator = QToolButton(window.statusBar())
        self.indicator.setObjectName("statusPublish")
        self.indicator.setAutoRaise(True)
        self.indicator.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.indicator.clicked.connect(self.publish)
        window.statusBar().insertPermanentWidget(0, self.indicator)
        window.document.changed.connect(self.update_indicator)
        self.update_indicator()

    def publish(self) -> PublishDialog:
        """Show the Publish dialog."""
        return show_publish_dialog(self._window)

    def open_from_server(self) -> OpenFromServerDialog:
        """Show the Open from Server dialog (listing the first server's workflows)."""
        from app.open_from_server import show_open_from_server

        return show_open_from_server(self._window)

    def update_indicator(self) -> None:
        """Show the document's link and whether it changed since publishing."""
        link, changed = publish_state(self._window.document.workflow())
        if link is None:
            self.indicator.hide()
            return
        if link.published:
            text = "Published · changed" if changed else "Published · up to date"
            color = SEVERITY_COLORS["warning" if changed else "ok"]
            tip = (
                "The canvas differs from the published workflow: Publish again to update it."
                if changed
                else f"The webhook runs this graph: {link.webhook_url}"
            )
        else:
            text, color = f"On {link.url}", ""
            tip = f"Linked to {link.workflow_id} on {link.url}, not published"
        self.indicator.setText(text)
        self.indicator.setToolTip(tip + "\n(click to open Publish)")
        self.indicator.setStyleSheet(f"QToolButton {{ color: {color}; }}" if color else "")
        self.indicator.show()

    def _action(
        self, name: str, text: str, slot: Callable[[], object], tip: str, key: str | None = None
    ) -> QAction:
        return self._window.commands.add(self.menu, name, text, slot, [key] if key else [], tip=tip)
