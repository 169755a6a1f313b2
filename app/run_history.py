"""Past runs of a document, kept as JSON records in the data directory.

Records live in ``<data dir>/history/<document key>/<execution id>.json``; the key
is derived from the document's file path (untitled documents share one key), so
a document's runs are listed again when the file is reopened. The newest
:data:`KEEP` runs of each document are kept.

Each file is the record's JSON with one more key, ``"workflow"``: the workflow as
it ran (seeds as "Randomise seeds on run" set them), so the inspector can offer
a past run's seed again. Files without it (older ones) still read as records.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from engine.artifacts import atomic_write
from engine.executor import ExecutionRecord
from engine.workflow import Workflow

#: Runs kept per document.
KEEP = 50
#: The key of the workflow as run in a history file.
WORKFLOW_KEY = "workflow"


def document_key(path: Path | None) -> str:
    """The folder name of a document's runs."""
    text = str(path.resolve()) if path is not None else "untitled"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class RunHistory:
    """Stores and lists the records of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "history"

    def _folder(self, document: Path | None) -> Path:
        return self.root / document_key(document)

    def add(
        self, document: Path | None, record: ExecutionRecord, workflow: Workflow | None = None
    ) -> None:
        """Keep ``record`` and the ``workflow`` it ran (written atomically).

        Drops the oldest runs beyond :data:`KEEP`.
        """
        folder = self._folder(document)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{record.execution_id}.json"
        data = record.to_json()
        if workflow is not None:
            data[WORKFLOW_KEY] = workflow.to_json_dict()
        atomic_write(target, json.dumps(data).encode("utf-8"))
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()

    def records(self, document: Path | None) -> list[ExecutionRecord]:
        """The document's runs, newest first (unreadable files are skipped)."""
        folder = self._folder(document)
        found = [r for r in (self._read(p) for p in folder.glob("*.json")) if r is not None]
        return sorted(found, key=lambda r: r.started_at or 0.0, reverse=True)

    def record(self, document: Path | None, execution_id: str) -> ExecutionRecord | None:
        return self._read(self._folder(document) / f"{execution_id}.json")

    def workflow(self, document: Path | None, execution_id: str) -> Workflow | None:
        """The workflow a kept run ran (``None``: not kept with it, or unreadable)."""
        try:
            data = json.loads((self._folder(document) / f"{execution_id}.json").read_text("utf-8"))
            return Workflow.model_validate(data[WORKFLOW_KEY])
        except (OSError, ValueError, KeyError, TypeError, ValidationError):
            return None

    @staticmethod
    def _read(path: Path) -> ExecutionRecord | None:
        try:
            return ExecutionRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError):
            return None
