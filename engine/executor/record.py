"""The record of a run: per-node status, timing, credits, outputs and errors.

Records are snapshots: the executor builds one on demand from its live state
(``handle.record``) and once at the end. They serialise to camelCase JSON
(``record.to_json()``, ``patchbay run --json``, the REST API's full record) and
parse back with ``ExecutionRecord.model_validate(data)``. Times are Unix seconds
(``time.time()``, like events' ``at``); durations are milliseconds measured with a
monotonic clock. Outputs are encoded with :func:`engine.values.encode_value`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from engine.executor.events import ErrorKind, ExecutionState, NodeErrorInfo, NodeState
from engine.executor.options import RunScope


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data with camelCase keys."""
        return self.model_dump(mode="json", by_alias=True)


class ItemRecord(_Record):
    """One item of a node fanned out over a batch."""

    index: int
    status: NodeState = NodeState.PENDING
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None
    credits: float = 0.0
    attempts: int = 0
    cached: bool = False
    progress: float | None = None
    error: NodeErrorInfo | None = None


class NodeRecord(_Record):
    """One node of a run. ``items`` is empty unless the node was fanned out."""

    node_id: str
    label: str
    type: str
    status: NodeState = NodeState.PENDING
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None
    credits: float = 0.0
    attempts: int = 0
    cached: bool = False
    preview: bool = False
    progress: float | None = None
    message: str | None = None
    outputs: dict[str, Any] | None = None
    error: NodeErrorInfo | None = None
    items: list[ItemRecord] = Field(default_factory=list)


class ExecutionRecord(_Record):
    """A whole run. ``outputs`` are the run's outputs (see :mod:`engine.executor`)."""

    execution_id: str
    workflow_name: str
    status: ExecutionState
    scope: RunScope = RunScope.ALL
    target_node_id: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    duration_ms: float | None = None
    credits: float = 0.0
    estimated_credits: float = 0.0
    preview: bool = False
    progress: float = 0.0
    outputs: dict[str, Any] = Field(default_factory=dict)
    nodes: list[NodeRecord] = Field(default_factory=list)
    error: str | None = None

    def node(self, node_id: str) -> NodeRecord:
        """The record of one node (``KeyError`` when it was not part of the run)."""
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise KeyError(node_id)

    def counts(self) -> dict[NodeState, int]:
        """How many nodes ended in each state (states with no node left out)."""
        found: dict[NodeState, int] = {}
        for node in self.nodes:
            found[node.status] = found.get(node.status, 0) + 1
        return {state: found[state] for state in NodeState if state in found}

    def mark_interrupted(self, reason: str, *, at: float | None = None) -> ExecutionRecord:
        """This record as FAILED because the process running it stopped.

        For a server that finds a run still RUNNING after a restart: every node
        that had not finished becomes FAILED with an ``interrupted`` error. A
        record that already ended is returned unchanged.
        """
        if self.status.is_final:
            return self
        error = NodeErrorInfo(ErrorKind.INTERRUPTED, reason)
        nodes = [
            node
            if node.status.is_final
            else node.model_copy(
                update={"status": NodeState.FAILED, "error": error, "finished_at": at}
            )
            for node in self.nodes
        ]
        return self.model_copy(
            update={
                "status": ExecutionState.FAILED,
                "nodes": nodes,
                "error": reason,
                "finished_at": at,
            }
        )
