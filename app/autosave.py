"""Autosave and crash recovery.

While a document has unsaved changes, :class:`Autosaver` writes it to
``<data dir>/autosave/<session>.patchbay.json`` (atomically, like a save) a few
seconds after each burst of edits and at a fixed interval, next to a small
``<session>.meta.json`` saying which file it belongs to, when and by which
process. The pair is removed when the document is saved, undone back to its
saved state or closed normally, so whatever remains at the next start was left by
a session that crashed or was killed: :func:`find_orphans` lists those.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from engine.errors import WorkflowFileError
from engine.paths import default_data_dir
from engine.workflow import FILE_SUFFIX, Workflow, load_workflow, save_workflow
from widgets.document import WorkflowDocument

META_SUFFIX = ".meta.json"
DEFAULT_INTERVAL_MS = 30_000
DEFAULT_DEBOUNCE_MS = 3_000

#: Sessions of this process whose window is still open (their autosaves are not orphans).
_LIVE_SESSIONS: set[str] = set()


def autosave_dir() -> Path:
    """``<data dir>/autosave`` (honours ``PATCHBAY_DATA_DIR``)."""
    return default_data_dir() / "autosave"


def process_alive(pid: int) -> bool:
    """Whether a process with this id is running."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class AutosaveInfo:
    """One autosaved document and what its sidecar says about it."""

    session_id: str
    document_path: Path
    meta_path: Path
    original_path: Path | None
    name: str
    saved_at: datetime
    pid: int

    @property
    def display_name(self) -> str:
        return self.original_path.name if self.original_path else self.name or "Untitled"

    def saved_at_text(self) -> str:
        local = self.saved_at.astimezone()
        return local.strftime("at %H:%M on %d %b %Y")

    def load(self) -> Workflow:
        """The autosaved workflow (``WorkflowFileError`` if unreadable)."""
        return load_workflow(self.document_path).workflow

    def remove(self) -> None:
        for path in (self.document_path, self.meta_path):
            path.unlink(missing_ok=True)


def _read_meta(meta_path: Path) -> AutosaveInfo | None:
    session_id = meta_path.name.removesuffix(META_SUFFIX)
    try:
        raw = json.loads(meta_path.read_text(encoding="utf-8"))
        original = raw.get("originalPath")
        return AutosaveInfo(
            session_id=session_id,
            document_path=meta_path.with_name(session_id + FILE_SUFFIX),
            meta_path=meta_path,
            original_path=Path(original) if isinstance(original, str) and original else None,
            name=str(raw.get("name") or "Untitled"),
            saved_at=datetime.fromisoformat(str(raw["savedAt"])),
            pid=int(raw["pid"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def find_orphans(directory: Path | None = None) -> list[AutosaveInfo]:
    """Autosaves left by sessions that are no longer running, newest first."""
    directory = directory or autosave_dir()
    if not directory.is_dir():
        return []
    found: list[AutosaveInfo] = []
    for meta_path in directory.glob(f"*{META_SUFFIX}"):
        info = _read_meta(meta_path)
        if info is None or not info.document_path.is_file():
            continue
        if info.pid == os.getpid():
            if info.session_id in _LIVE_SESSIONS:
                continue
        elif process_alive(info.pid):
            continue
        found.append(info)
    found.sort(key=lambda i: i.saved_at, reverse=True)
    return found


def _forget(session_id: str, *_: object) -> None:
    _LIVE_SESSIONS.discard(session_id)


class Autosaver(QObject):
    """Keeps an autosave of one window's document while it has unsaved changes.

    ``original_path`` is asked for the document's file (``None`` when untitled)
    each time the sidecar is written.
    """

    #: An autosave was written (its path).
    saved = Signal(Path)
    #: Writing failed; carries the reason (reported once until a write succeeds).
    failed = Signal(str)

    def __init__(
        self,
        document: WorkflowDocument,
        undo_stack: QUndoStack,
        original_path: Callable[[], Path | None],
        *,
        directory: Path | None = None,
        interval_ms: int = DEFAULT_INTERVAL_MS,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._stack = undo_stack
        self._original_path = original_path
        self.directory = directory or autosave_dir()
        self.session_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._revision = 0
        self._written = 0
        self._failing = False
        self._kept = False
        _LIVE_SESSIONS.add(self.session_id)
        self.destroyed.connect(partial(_forget, self.session_id))

        self._periodic = QTimer(self)
        self._periodic.setInterval(interval_ms)
        self._periodic.timeout.connect(self._tick)
        self._periodic.start()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._tick)
        document.changed.connect(self._on_changed)
        # A command changes the document before the stack counts it as unsaved,
        # so the write is scheduled from the stack's signals.
        undo_stack.indexChanged.connect(self._schedule)
        undo_stack.cleanChanged.connect(self._on_clean_changed)

    @property
    def document_path(self) -> Path:
        return self.directory / f"{self.session_id}{FILE_SUFFIX}"

    @property
    def meta_path(self) -> Path:
        return self.directory / f"{self.session_id}{META_SUFFIX}"

    def save_now(self) -> bool:
        """Write the autosave now if there are unsaved changes; whether one was written."""
        if self._kept:
            return False
        if self._stack.isClean():
            self.discard()
            return False
        path = self._original_path()
        meta = {
            "originalPath": str(path) if path is not None else None,
            "name": self._document.name,
            "savedAt": datetime.now(UTC).isoformat(),
            "pid": os.getpid(),
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            save_workflow(self._document.workflow(), self.document_path)
            tmp = self.meta_path.with_name(f".{self.meta_path.name}.tmp")
            tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            tmp.replace(self.meta_path)
        except OSError as exc:
            if not self._failing:
                self._failing = True
                self.failed.emit(f"Autosave failed: {exc.strerror or exc}")
            return False
        self._failing = False
        self._written = self._revision
        self.saved.emit(self.document_path)
        return True

    def discard(self) -> None:
        """Remove this session's autosave (after a save, a clean close or undo to clean)."""
        self._debounce.stop()
        if self._kept:
            return
        for path in (self.document_path, self.meta_path):
            path.unlink(missing_ok=True)
        self._written = self._revision

    def keep(self) -> None:
        """Leave the autosave on disk whatever happens next, for recovery at the next start.

        For quitting after an uncaught exception: no more writes, and neither a close
        nor the undo stack's teardown removes the file.
        """
        self._kept = True
        self._periodic.stop()
        self._debounce.stop()

    def stop(self) -> None:
        """The window closed normally: no more autosaves, and none left behind."""
        self._periodic.stop()
        self.discard()
        _forget(self.session_id)

    def _on_changed(self) -> None:
        self._revision += 1

    def _schedule(self, *_: object) -> None:
        if not self._stack.isClean():
            self._debounce.start()

    def _on_clean_changed(self, clean: bool) -> None:
        if clean:
            self.discard()
        else:
            self._schedule()

    def _tick(self) -> None:
        if self._revision != self._written or (
            not self._stack.isClean() and not self.document_path.exists()
        ):
            self.save_now()


def load_orphan(info: AutosaveInfo) -> Workflow | None:
    """The workflow of an orphaned autosave, or ``None`` (and the files removed) if unreadable."""
    try:
        return info.load()
    except WorkflowFileError:
        info.remove()
        return None
