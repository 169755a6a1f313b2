"""The seeds a run used, for the inspector, and "Use this seed" as an undo step.

"Randomise seeds on run" changes seeds only in the workflow handed to the runner
(the document keeps its own); that workflow is kept with the run
(:meth:`~app.run_controller.RunController.workflow_as_run` for this session's runs,
:meth:`~app.run_history.RunHistory.workflow` for the kept ones). :class:`RunSeeds`
reads a node's seed parameters from it and compares them with the document.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.run_history import RunHistory
from engine.catalog.spec import ParamKind
from engine.executor import ExecutionRecord
from engine.workflow import Workflow
from widgets.commands import SetParamCommand
from widgets.document import WorkflowDocument
from widgets.run.seeds import RunSeed

if TYPE_CHECKING:
    from app.window import MainWindow


class UseSeedCommand(SetParamCommand):
    """Put a seed a run used back into the document: one undo step, never merged."""

    def __init__(self, document: WorkflowDocument, node_id: str, name: str, value: int) -> None:
        super().__init__(document, node_id, name, value)
        self.setText(f"Use seed {value}")

    def id(self) -> int:
        return -1


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class RunSeeds:
    """Seeds of the shown run's nodes, read from the workflow as run."""

    def __init__(self, window: MainWindow, history: Callable[[], RunHistory]) -> None:
        self._window = window
        self._history = history
        self._cache: tuple[str, Workflow | None] | None = None  # (execution id, as run)

    def workflow_as_run(self, record: ExecutionRecord) -> Workflow | None:
        """The workflow ``record``'s run started with, if it was kept."""
        if self._cache is not None and self._cache[0] == record.execution_id:
            return self._cache[1]
        found = self._window.runs.workflow_as_run(record.execution_id)
        if found is None and record.status.is_final:
            found = self._history().workflow(self._document_path(), record.execution_id)
        if found is not None or record.status.is_final:
            self._cache = (record.execution_id, found)
        return found

    def seeds(self, record: ExecutionRecord | None, node_id: str) -> list[RunSeed]:
        """The seed parameters ``node_id`` ran with in ``record``'s run."""
        as_run = self.workflow_as_run(record) if record is not None else None
        if as_run is None:
            return []
        try:
            node = as_run.node(node_id)
        except KeyError:
            return []
        spec = self._window.catalog.get(node.type)
        if spec is None:
            return []
        document = self._window.document
        current = document.node(node_id).data if document.has_node(node_id) else {}
        found = []
        for param in spec.params:
            if param.kind != ParamKind.SEED:
                continue
            value = _as_int(node.data.get(param.name, param.default))
            if value is not None:
                now = _as_int(current.get(param.name, param.default))
                found.append(RunSeed(param.name, value, now))
        return found

    def use(self, node_id: str, param: str, value: int) -> bool:
        """Set the document's ``param`` of ``node_id`` to ``value`` (an undo step)."""
        document = self._window.document
        if not document.has_node(node_id):
            self._window.show_notice("warning", "That node is no longer in the document.")
            return False
        self._window.undo_stack.push(UseSeedCommand(document, node_id, param, value))
        return True

    def _document_path(self) -> Path | None:
        return self._window.controller.path
