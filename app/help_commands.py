"""The Help menu's commands: Getting Started and Open Log Folder.

The Getting Started page (:class:`~widgets.getting_started.GettingStartedDialog`)
names the window's real shortcut keys and remembers "Don't show again" in the
studio settings; :func:`maybe_show_getting_started` is what start-up calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from app import logs
from widgets.getting_started import DEFAULT_KEYS, GettingStartedDialog

if TYPE_CHECKING:
    from app.window import MainWindow

_MODAL_WAIT_MS = 500
_MODAL_RETRIES = 600  # five minutes

__all__ = [
    "maybe_show_getting_started",
    "open_log_folder",
    "shortcut_keys",
    "show_getting_started",
]


def shortcut_keys(window: MainWindow) -> dict[str, str]:
    """The keys of the actions the Getting Started steps mention, as the menus show them."""
    keys: dict[str, str] = {}
    for name in DEFAULT_KEYS:
        action = window.commands.by_name.get(name)
        if action is not None and not action.shortcut().isEmpty():
            keys[name] = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    return keys


def show_getting_started(window: MainWindow) -> GettingStartedDialog:
    """Show the Getting Started page (the open one, if there is one) over ``window``."""
    for existing in window.findChildren(GettingStartedDialog):
        if existing.isVisible():
            existing.raise_()
            existing.activateWindow()
            return existing
    dialog = GettingStartedDialog(
        keys=shortcut_keys(window),
        dont_show_again=window.settings.getting_started_dismissed(),
        parent=window,
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.dont_show_again_changed.connect(window.settings.set_getting_started_dismissed)
    dialog.show()
    return dialog


def maybe_show_getting_started(
    window: MainWindow, *, retries: int = _MODAL_RETRIES
) -> GettingStartedDialog | None:
    """At the first start: the Getting Started page (Help > Getting Started later).

    It comes up by itself once, with "Don't show again" ticked; unticking it brings
    the page back at the next start. While a modal dialog is up (the crash-recovery
    question) it waits for it to close.
    """
    if window.settings.getting_started_dismissed():
        return None
    if QApplication.activeModalWidget() is not None and retries > 0:
        QTimer.singleShot(  # with the window as context: dropped if it closes first
            _MODAL_WAIT_MS,
            window,
            lambda: maybe_show_getting_started(window, retries=retries - 1),
        )
        return None
    window.settings.set_getting_started_dismissed(True)
    return show_getting_started(window)


def open_log_folder(window: MainWindow) -> bool:
    """Show the log folder in the file manager; a notice says where it is if that fails."""
    opened, folder = logs.open_log_folder()
    if opened:
        window.statusBar().showMessage(f"Opened {folder}", 4000)
    else:
        window.show_notice("warning", f"Could not open the log folder; it is {folder}")
    return opened
