"""A run's record rebuilt from the events a server streams (no Qt here).

The bundled engine hands the app a live :class:`~engine.executor.ExecutionRecord`
at any moment; a server only streams events. :class:`LiveRecord` folds those
events into the same record shape, so the run panel's timeline, totals and the
inspector refresh during a remote run exactly as during a local one. When the
run ends, the server's full record replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from engine.catalog.registry import Catalog
from engine.executor import (
    ExecutionEvent,
    ExecutionRecord,
    ExecutionState,
    NodeRecord,
    NodeState,
    RunOptions,
    RunScope,
)
from engine.values import Artifact, Batch, decode_value
from engine.workflow import Workflow


def artifacts_in(encoded: Any) -> Iterator[Artifact]:
    """Every artifact referenced in encoded outputs (batches and nesting included)."""
    stack = [decode_value(encoded)]
    while stack:
        value = stack.pop()
        if isinstance(value, Artifact):
            yield value
        elif isinstance(value, Batch):
            stack.extend(reversed(value.items))
        elif isinstance(value, dict):
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list | tuple):
            stack.extend(reversed(value))


def find_artifact(record: ExecutionRecord | None, artifact_id: str) -> Artifact | None:
    """The artifact with this id among a record's node outputs, if any."""
    if record is None:
        return None
    for node in record.nodes:
        for artifact in artifacts_in(node.outputs or {}):
            if artifact.id == artifact_id:
                return artifact
    return None


class LiveRecord:
    """Folds a run's events into an :class:`ExecutionRecord` snapshot."""

    def __init__(
        self,
        execution_id: str,
        workflow_name: str,
        nodes: Iterable[NodeRecord] = (),
        *,
        scope: RunScope = RunScope.ALL,
        target_node_id: str | None = None,
        preview: bool = False,
        status: ExecutionState = ExecutionState.QUEUED,
    ) -> None:
        self.execution_id = execution_id
        self.workflow_name = workflow_name
        self.scope = scope
        self.target_node_id = target_node_id
        self.preview = preview
        self.status = status
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.progress = 0.0
        self.error: str | None = None
        self.estimated_credits = 0.0
        self._nodes: dict[str, NodeRecord] = {n.node_id: n for n in nodes}

    @classmethod
    def planned(
        cls, workflow: Workflow, options: RunOptions, catalog: Catalog, node_ids: Iterable[str]
    ) -> LiveRecord:
        """A record of ``workflow``'s nodes ``node_ids``, all PENDING (before the run starts)."""
        wanted = set(node_ids)
        nodes = []
        for node in workflow.nodes:
            if node.id in wanted:
                spec = catalog.get(node.type)
                label = node.label or (spec.display_name if spec is not None else node.type)
                nodes.append(NodeRecord(node_id=node.id, label=label, type=node.type))
        return cls(
            "",
            workflow.name,
            nodes,
            scope=options.scope,
            target_node_id=options.target_node_id,
            preview=options.preview,
        )

    @classmethod
    def of(cls, record: ExecutionRecord) -> LiveRecord:
        """Continue from a record fetched from the server (following a run started elsewhere)."""
        live = cls(
            record.execution_id,
            record.workflow_name,
            record.nodes,
            scope=record.scope,
            target_node_id=record.target_node_id,
            preview=record.preview,
            status=record.status,
        )
        live.started_at, live.finished_at = record.started_at, record.finished_at
        live.progress, live.error = record.progress, record.error
        live.estimated_credits = record.estimated_credits
        return live

    def apply(self, event: ExecutionEvent) -> None:
        """Fold one event in (events of batch items only move the node's progress)."""
        if event.node_id is None:
            self._apply_run(event)
            return
        if event.item is not None:
            return
        node = self._nodes.get(event.node_id)
        if node is None:
            node = NodeRecord(node_id=event.node_id, label=event.node_id, type="")
        state = NodeState(event.state)
        update: dict[str, Any] = {}
        if state == NodeState.RUNNING:
            update["status"] = state
            if node.started_at is None or node.status != NodeState.RUNNING:
                update["started_at"] = node.started_at or event.at
            if event.attempt is not None:
                update["attempts"] = event.attempt
            if event.progress is not None:
                update["progress"] = event.progress
            if event.message is not None:
                update["message"] = event.message
        else:
            update.update(status=state, preview=event.preview or node.preview)
            if state.is_final:
                update["finished_at"] = event.at
                update["cached"] = state == NodeState.CACHED
                if state in (NodeState.COMPLETED, NodeState.CACHED):
                    update["progress"] = 1.0
            for name in ("duration_ms", "credits", "outputs", "error", "message"):
                value = getattr(event, name)
                if value is not None:
                    update[name] = value
        self._nodes[event.node_id] = node.model_copy(update=update)

    def _apply_run(self, event: ExecutionEvent) -> None:
        self.status = ExecutionState(event.state)
        if self.status == ExecutionState.RUNNING and self.started_at is None:
            self.started_at = event.at
        if self.status.is_final:
            self.finished_at = event.at
        if event.progress is not None:
            self.progress = event.progress
        if event.message is not None and self.status == ExecutionState.FAILED:
            self.error = event.message

    def cancelled(self) -> ExecutionRecord:
        """The record of a run stopped before the server accepted it: every node CANCELLED."""
        for node_id, node in self._nodes.items():
            if not node.status.is_final:
                self._nodes[node_id] = node.model_copy(
                    update={"status": NodeState.CANCELLED, "message": "cancelled before it started"}
                )
        self.status = ExecutionState.CANCELLED
        return self.snapshot()

    def snapshot(self) -> ExecutionRecord:
        """The record as of the events so far."""
        nodes = list(self._nodes.values())
        duration = None
        if self.started_at is not None and self.finished_at is not None:
            duration = max(0.0, (self.finished_at - self.started_at) * 1000)
        finals = [n for n in nodes if n.status.is_final]
        progress = self.progress or (len(finals) / len(nodes) if nodes else 0.0)
        return ExecutionRecord(
            execution_id=self.execution_id,
            workflow_name=self.workflow_name,
            status=self.status,
            scope=self.scope,
            target_node_id=self.target_node_id,
            started_at=self.started_at,
            finished_at=self.finished_at,
            duration_ms=duration,
            credits=sum(n.credits for n in nodes),
            estimated_credits=self.estimated_credits,
            preview=self.preview,
            progress=progress,
            nodes=nodes,
            error=self.error,
        )
