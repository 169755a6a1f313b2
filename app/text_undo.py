"""Ctrl+Z in the properties panel undoes the document, not just the text field.

Qt text fields claim Undo/Redo for their own little history. In the properties
panel that history would put the field out of step with the workflow (a field's
own undo changes its text without an edit reaching the model). Every edit there
is already an undo command, and typing bursts merge into one step, so the panel's
fields let Undo/Redo through to the window's Edit menu: one history, always in
step with what is saved. Text fields elsewhere (palette search, dialogs) keep
their own undo.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

#: Object name of the panel whose fields share the document history.
DOCUMENT_PANELS = frozenset({"propertiesPanel"})
_TEXT_WIDGETS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)
_REDO_Y = QKeySequence("Ctrl+Y")


def _is_history_key(event: QKeyEvent) -> bool:
    if event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo):
        return True
    return QKeySequence(event.keyCombination()) == _REDO_Y


def _in_document_panel(widget: QWidget) -> bool:
    current: QWidget | None = widget
    while current is not None:
        if current.objectName() in DOCUMENT_PANELS:
            return True
        current = current.parentWidget()
    return False


class DocumentUndoKeys(QObject):
    """Lets Undo/Redo keys past the text fields of document panels.

    It follows the application's keyboard focus and filters only the focused
    field, so no other event pays for it.
    """

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        app.focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is not None:
            with contextlib.suppress(RuntimeError):  # the old widget may be going away
                old.removeEventFilter(self)
        if isinstance(new, _TEXT_WIDGETS) and _in_document_panel(new):
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and isinstance(watched, _TEXT_WIDGETS)
            and _is_history_key(event)
            and _in_document_panel(watched)
        ):
            # Swallowed without being accepted: the field does not claim the key,
            # so the window's Undo/Redo shortcut fires.
            return True
        return super().eventFilter(watched, event)
