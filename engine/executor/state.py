"""Live state of a run's nodes and batch items, and the records built from it.

These are plain slotted objects mutated on the event loop's thread; pydantic
records (:mod:`engine.executor.record`) are only built from them on demand.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol

from engine.executor.events import NodeErrorInfo, NodeState
from engine.executor.plan import PlannedNode
from engine.executor.record import ItemRecord, NodeRecord

NO_INPUTS: Mapping[str, Any] = MappingProxyType({})


class Failure(Exception):
    """A unit of work failed for good (after its retries)."""

    def __init__(self, info: NodeErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info


class TimedOut(Exception):
    """The per-node timeout expired (told apart from a node's own TimeoutError)."""


class Unit:
    """One run of a node's implementation: the node itself, or one batch item.

    Not slotted on purpose: attributes default to the class-level values below,
    so creating one (once per node per run, on the hot path) sets almost nothing.
    """

    index: int | None = None
    status: NodeState = NodeState.PENDING
    started_at: float | None = None
    finished_at: float | None = None
    t0: float = 0.0  # perf_counter at start
    duration_ms: float | None = None
    credits: float = 0.0
    attempts: int = 0
    cached: bool = False
    progress: float | None = None
    error: NodeErrorInfo | None = None
    outputs: dict[str, Any] | None = None  # encoded
    values: dict[str, Any] | None = None  # raw
    inputs: Mapping[str, Any] = NO_INPUTS
    key: str | None = None  # cache fingerprint
    task: asyncio.Task[None] | None = None
    expired: bool = False
    deadline: float | None = None  # perf_counter() by which the current attempt must end

    def __init__(self, owner: NodeRun, index: int) -> None:
        self.owner = owner
        self.index = index

    def __call__(self, fraction: float, message: str | None = None) -> None:
        """Report progress: this is the node's ``ctx.report_progress`` (any thread)."""
        sink = self.owner.sink()
        if sink is not None:  # else the run is over and gone
            sink.report_progress(self, fraction, message)

    def finish(self, status: NodeState) -> None:
        """Enter a final state, stamping the end time and the duration."""
        self.status = status
        self.finished_at = time.time()
        if self.started_at is not None:
            self.duration_ms = (time.perf_counter() - self.t0) * 1000.0

    def record(self) -> ItemRecord:
        return ItemRecord.model_construct(
            index=self.index or 0,
            status=self.status,
            started_at=self.started_at,
            finished_at=self.finished_at,
            duration_ms=self.duration_ms,
            credits=self.credits,
            attempts=self.attempts,
            cached=self.cached,
            progress=self.progress,
            error=self.error,
        )


class ProgressSink(Protocol):
    """Where units send their progress reports (the run)."""

    def report_progress(self, unit: Unit, fraction: float, message: str | None) -> None: ...


class NodeRun(Unit):
    """One node of a run: a unit plus wiring and batch items."""

    items: Sequence[Unit] = ()
    open_items: int = 0
    message: str | None = None
    blamed: str | None = None  # the failed ancestor a SKIPPED node is skipped for

    def __init__(
        self, planned: PlannedNode, preview: bool, sink: Callable[[], ProgressSink | None]
    ) -> None:
        self.planned = planned
        self.preview = preview
        self.sink = sink  # a weak reference: no cycle, so a finished run is freed at once
        self.waiting = len(planned.parents)
        # Read on the hot path: instance attributes are faster to read than class ones.
        self.status = NodeState.PENDING
        self.index = None
        self.credits = 0.0
        self.key = None

    @property
    def owner(self) -> NodeRun:  # type: ignore[override]
        """A node runs as its own unit."""
        return self

    @property
    def units(self) -> Sequence[Unit]:
        """What actually runs: the batch items, or the node itself."""
        return self.items if self.items else (self,)

    def node_record(self) -> NodeRecord:
        planned = self.planned
        return NodeRecord.model_construct(
            node_id=planned.node_id,
            label=planned.label,
            type=planned.type_name,
            status=self.status,
            started_at=self.started_at,
            finished_at=self.finished_at,
            duration_ms=self.duration_ms,
            credits=self.credits,
            attempts=self.attempts,
            cached=self.cached,
            preview=self.preview,
            progress=self.progress,
            message=self.message,
            outputs=self.outputs,
            error=self.error,
            items=[unit.record() for unit in self.items],
        )
