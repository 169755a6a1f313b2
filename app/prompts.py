"""The questions the studio asks the user, behind one overridable class.

Every modal dialog goes through :class:`Prompts`, so tests (and scripted runs)
answer with a subclass instead of blocking on a dialog.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

if TYPE_CHECKING:
    from app.autosave import AutosaveInfo

FILE_FILTER = "Patchbay workflows (*.patchbay.json);;JSON files (*.json);;All files (*)"


class UnsavedChoice(Enum):
    """The answer to "save your changes first?"."""

    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class RecoveryChoice(Enum):
    """The answer to "restore the autosaved document?"."""

    RESTORE = "restore"
    DISCARD = "discard"
    LATER = "later"  # keep the autosave and ask again next start


class Prompts:
    """Modal dialogs. Override the methods to answer without a screen."""

    def unsaved_changes(self, parent: QWidget, name: str, before: str) -> UnsavedChoice:
        """Ask whether to save ``name`` before ``before`` ("closing", "opening another file")."""
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to “{name}” before {before}?")
        box.setInformativeText("Your changes will be lost if you don't save them.")
        save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Don't Save", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(save)
        box.exec()
        clicked = box.clickedButton()
        if clicked is save:
            return UnsavedChoice.SAVE
        if clicked is discard:
            return UnsavedChoice.DISCARD
        return UnsavedChoice.CANCEL

    def open_path(self, parent: QWidget, directory: Path | None) -> Path | None:
        """A workflow file to open, or ``None``."""
        name, _ = QFileDialog.getOpenFileName(
            parent, "Open Workflow", str(directory or Path.home()), FILE_FILTER
        )
        return Path(name) if name else None

    def save_path(self, parent: QWidget, suggested: Path) -> Path | None:
        """Where to save, starting at ``suggested``; ``None`` when cancelled."""
        name, _ = QFileDialog.getSaveFileName(
            parent, "Save Workflow As", str(suggested), FILE_FILTER
        )
        return Path(name) if name else None

    def confirm_revert(self, parent: QWidget, name: str) -> bool:
        """Whether to throw away the unsaved changes and reload ``name`` from disk."""
        answer = QMessageBox.question(
            parent,
            "Revert to saved",
            f"Discard every change since “{name}” was last saved?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def restore_autosave(self, parent: QWidget | None, info: AutosaveInfo) -> RecoveryChoice:
        """Offer an autosave left behind by a session that did not close normally."""
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Recover unsaved work")
        box.setText(f"Patchbay Studio did not close normally. Restore “{info.display_name}”?")
        where = str(info.original_path) if info.original_path else "an untitled workflow"
        box.setInformativeText(
            f"Unsaved changes to {where} were autosaved {info.saved_at_text()}. "
            "Restored work opens with unsaved changes; save it to keep it."
        )
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Not Now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.exec()
        clicked = box.clickedButton()
        if clicked is restore:
            return RecoveryChoice.RESTORE
        if clicked is discard:
            return RecoveryChoice.DISCARD
        return RecoveryChoice.LATER
