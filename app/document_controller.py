"""The file side of a window: which file the document belongs to and the file commands.

:class:`DocumentController` owns the current path, derives the dirty state from
the undo stack's clean state, and implements New, Open, Save, Save As, Revert and
the recovery of an autosave. Files are always written atomically
(:func:`engine.workflow.save_workflow`). Problems are reported through
:attr:`DocumentController.notice` (shown in a bar above the canvas, never a modal
box); questions go through :class:`~app.prompts.Prompts`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget

from app.prompts import Prompts, UnsavedChoice
from app.settings import StudioSettings
from engine.catalog.registry import Catalog
from engine.errors import WorkflowFileError
from engine.workflow import FILE_SUFFIX, Workflow, load_workflow, save_workflow
from widgets.document import WorkflowDocument

UNTITLED = "Untitled"


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    return slug or "untitled"


def with_suffix(path: Path) -> Path:
    """``name`` -> ``name.patchbay.json``; names already ending in ``.json`` are kept."""
    return path if path.name.endswith(".json") else path.with_name(path.name + FILE_SUFFIX)


class DocumentController(QObject):
    """New/Open/Save/Save As/Revert/Restore for one window's document."""

    #: The file the document belongs to changed (title, Revert availability).
    path_changed = Signal()
    #: ``True`` when the document gained unsaved changes, ``False`` once saved or undone.
    dirty_changed = Signal(bool)
    #: Another document replaced the current one (new, open, revert, restore).
    loaded = Signal()
    #: ``(severity, text)``: something to tell the user without interrupting them;
    #: severity is ``"info"``, ``"warning"`` or ``"error"``.
    notice = Signal(str, str)
    #: The document was written to this file.
    saved = Signal(Path)

    def __init__(
        self,
        window: QWidget,
        document: WorkflowDocument,
        undo_stack: QUndoStack,
        catalog: Catalog,
        settings: StudioSettings,
        prompts: Prompts,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._document = document
        self._stack = undo_stack
        self._catalog = catalog
        self._settings = settings
        #: Whether opened and saved files join Open Recent (not in scripted runs).
        self.remember_files = True
        self._prompts = prompts
        self._path: Path | None = None
        undo_stack.cleanChanged.connect(self._on_clean_changed)

    # -- state -------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The file the document was opened from or last saved to (``None``: untitled)."""
        return self._path

    def is_dirty(self) -> bool:
        """Whether there are changes not yet saved."""
        return not self._stack.isClean()

    def display_name(self) -> str:
        """The file name, or "Untitled"."""
        return self._path.name if self._path is not None else UNTITLED

    def is_pristine(self) -> bool:
        """Untitled, unchanged and empty: a window that can take another document."""
        return self._path is None and not self.is_dirty() and not self._document.nodes()

    # -- commands ----------------------------------------------------------------

    def new(self) -> bool:
        """Replace the document with an empty one (after asking about unsaved changes)."""
        if not self.confirm_discard("starting a new workflow"):
            return False
        self.load(Workflow(), None)
        return True

    def open(self, path: Path | None = None) -> bool:
        """Open ``path`` (or ask for one); ``False`` when cancelled or unreadable."""
        if not self.confirm_discard("opening another workflow"):
            return False
        if path is None:
            path = self._prompts.open_path(self._window, self._start_directory())
            if path is None:
                return False
        return self.open_path(path)

    def open_path(self, path: Path) -> bool:
        """Read ``path`` into the window without asking anything."""
        try:
            loaded = load_workflow(path)
        except WorkflowFileError as exc:
            self.notice.emit("error", f"Cannot open {path.name}: {exc}")
            return False
        self.load(loaded.workflow, path, loaded.notes)
        self._remember(path)
        return True

    def save(self) -> bool:
        """Write the document to its file (Save As when untitled)."""
        if self._path is None:
            return self.save_as()
        return self._write(self._path)

    def save_as(self, path: Path | None = None) -> bool:
        """Write the document to a new file (asked for when ``path`` is ``None``)."""
        if path is None:
            path = self._prompts.save_path(self._window, self._suggested_path())
            if path is None:
                return False
            path = with_suffix(path)
        if not self._write(path):
            return False
        if path != self._path:
            self._path = path
            self.path_changed.emit()
        return True

    def revert(self) -> bool:
        """Throw away unsaved changes and reload the file (after confirming)."""
        if self._path is None or not self.is_dirty():
            return False
        if not self._prompts.confirm_revert(self._window, self.display_name()):
            return False
        return self.open_path(self._path)

    def restore(self, workflow: Workflow, original_path: Path | None, when: str = "") -> None:
        """Open an autosaved document: at its original path (or untitled), with unsaved changes."""
        self.load(workflow, original_path)
        self._stack.resetClean()
        where = f" {when}" if when else ""
        self.notice.emit(
            "info",
            f"Restored unsaved changes to {self.display_name()} from an autosave{where}. "
            "Save to keep them.",
        )

    def confirm_discard(self, before: str = "closing") -> bool:
        """Whether the current document may be dropped: asks to save unsaved changes.

        Save writes it (``False`` if that is cancelled or fails), Don't Save drops
        the changes, Cancel keeps everything as it is.
        """
        if not self.is_dirty():
            return True
        choice = self._prompts.unsaved_changes(self._window, self.display_name(), before)
        if choice == UnsavedChoice.SAVE:
            return self.save()
        return choice == UnsavedChoice.DISCARD

    # -- internals ---------------------------------------------------------------

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

    def load(self, workflow: Workflow, path: Path | None, notes: Iterable[str] = ()) -> None:
        """Make ``workflow`` the document (a fresh undo history, nothing to save)."""
        self._stack.clear()
        self._document.set_workflow(workflow)
        self._stack.setClean()
        self._path = path
        self.path_changed.emit()
        self.loaded.emit()
        messages = [f"{self.display_name()}: {note}" for note in notes]
        unknown = sorted({n.type for n in workflow.nodes if n.type not in self._catalog})
        if unknown:
            count = sum(1 for n in workflow.nodes if n.type not in self._catalog)
            noun = "node has a type" if count == 1 else "nodes have types"
            messages.append(
                f"{count} {noun} this Patchbay does not know ({', '.join(unknown)}). "
                "They are kept as placeholders and saved unchanged; see Problems."
            )
        if messages:
            self.notice.emit("warning" if unknown else "info", "\n".join(messages))

    def _write(self, path: Path) -> bool:
        try:
            save_workflow(self._document.workflow(), path)
        except OSError as exc:
            self.notice.emit("error", f"Cannot save {path.name}: {exc.strerror or exc}")
            return False
        self._stack.setClean()
        self._remember(path)
        self.saved.emit(path)
        return True

    def _remember(self, path: Path) -> None:
        if not self.remember_files:
            return
        self._settings.add_recent_file(path)
        self._settings.set_last_directory(path.resolve().parent)

    def _start_directory(self) -> Path | None:
        if self._path is not None:
            return self._path.parent
        return self._settings.last_directory()

    def _suggested_path(self) -> Path:
        if self._path is not None:
            return self._path
        directory = self._settings.last_directory() or Path.home()
        return directory / f"{_slug(self._document.name)}{FILE_SUFFIX}"
