"""Running executions inside the server process, and keeping their records.

:class:`RunManager` turns an accepted request into an engine run on the server's
asyncio loop (at most ``max_concurrent_runs`` at once; later ones wait as QUEUED),
consumes the run's events and

- posts each node's actual charge to the ledger when the node ends (and
  reconciles with the final record, so every credit the engine counted is charged
  exactly once); the estimate reserved at acceptance is released at the end;
- keeps the record in the database: snapshots at most every ``FLUSH_INTERVAL_S``
  while running, the final record when the run ends;
- records which account owns the artifacts the run produced;
- fans the events out to server-sent-event subscribers;
- hands finished runs with a ``callbackUrl`` to the callback dispatcher.

After a crash, :meth:`RunManager.recover` marks every execution that was left
QUEUED or RUNNING as FAILED with reason "interrupted" (each unfinished node too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.artifacts import ArtifactStore
from engine.cache import NodeCache
from engine.catalog.registry import Catalog
from engine.credits import CreditEstimate, estimate_credits
from engine.executor import (
    ExecutionEvent,
    ExecutionHandle,
    ExecutionRecord,
    ExecutionState,
    Executor,
    NodeRecord,
    NodeState,
    RunOptions,
)
from engine.server.presenter import artifact_ids
from engine.server.settings import Limits
from engine.server.storage import Storage, StoredExecution, to_micro
from engine.workflow import Workflow

log = logging.getLogger("engine.server.runs")

FLUSH_INTERVAL_S = 0.5
INTERRUPTED = "interrupted: the server stopped while this run was in progress"
_FINAL_NODE = frozenset(
    {NodeState.COMPLETED, NodeState.CACHED, NodeState.FAILED, NodeState.CANCELLED}
)


def new_execution_id() -> str:
    """A fresh execution id (128 random bits)."""
    return f"ex_{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """A validated request: the workflow, the run options and the estimate."""

    workflow: Workflow
    options: RunOptions
    estimate: CreditEstimate
    record: ExecutionRecord  # the initial record (every node PENDING)


@dataclass(eq=False)
class LiveRun:
    """An execution running (or queued) in this process."""

    execution_id: str
    account_id: str
    prepared: PreparedRun
    handle: ExecutionHandle | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    subscribers: set[asyncio.Queue[dict[str, Any] | None]] = field(default_factory=set)
    charged: dict[str, int] = field(default_factory=dict)
    owned: set[str] = field(default_factory=set)
    dirty: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def record(self) -> ExecutionRecord:
        """The live record (the initial one while queued)."""
        return self.handle.record if self.handle is not None else self.prepared.record

    def record_json(self) -> dict[str, Any]:
        """The live record as JSON; a run handed to the engine counts as RUNNING."""
        data = self.record.to_json()
        if self.handle is not None and data["status"] == ExecutionState.QUEUED.value:
            data["status"] = ExecutionState.RUNNING.value
        return data

    def subscribe(self) -> tuple[list[dict[str, Any]], asyncio.Queue[dict[str, Any] | None]]:
        """The events so far and a queue of the ones to come (``None`` ends it)."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.subscribers.add(queue)
        return list(self.events), queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        """Stop delivering events to ``queue``."""
        self.subscribers.discard(queue)


class RunManager:
    """Starts, tracks, cancels and records executions (see the module docstring)."""

    def __init__(
        self,
        *,
        storage: Storage,
        catalog: Catalog,
        artifacts: ArtifactStore,
        data_dir: Path,
        limits: Limits,
    ) -> None:
        self.storage = storage
        self.catalog = catalog
        self.artifacts = artifacts
        self.limits = limits
        self.runs_dir = data_dir / "runs"
        self.cache_dir = data_dir / "cache"
        self.live: dict[str, LiveRun] = {}
        self.on_finished: list[Any] = []  # callables(execution_id) run after the final record
        self._queue: list[LiveRun] = []
        self._running = 0
        self._caches: OrderedDict[str, NodeCache] = OrderedDict()
        self._planner = Executor(catalog, artifacts=artifacts)
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    # --- lifecycle ------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Mark executions a crash left unfinished as FAILED ("interrupted")."""
        now = time.time()
        recovered = []
        for execution in self.storage.unfinished_executions():
            record = interrupted_record(execution.record, INTERRUPTED, now)
            self.storage.finish_execution(execution.id, record["status"], record, now)
            recovered.append(execution.id)
        if recovered:
            log.warning("marked %d interrupted execution(s) as FAILED", len(recovered))
        return recovered

    def start_background(self) -> None:
        """Start the periodic record flusher (call on the server's loop)."""
        self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def shutdown(self) -> None:
        """Record every run still in progress as interrupted, then stop."""
        self._closing = True
        now = time.time()
        for live in list(self.live.values()):
            with contextlib.suppress(Exception):
                self._flush(live)
                record = interrupted_record(live.record_json(), INTERRUPTED, now)
                self.storage.finish_execution(live.execution_id, record["status"], record, now)
            if live.handle is not None:
                live.handle.cancel()
            self._close_subscribers(live)
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- preparing and starting -------------------------------------------------------

    def prepare(self, workflow: Workflow, options: RunOptions) -> PreparedRun:
        """Plan the run and estimate it; raises the engine's errors for unrunnable ones."""
        plan = self._planner.plan(workflow, options)
        estimate = estimate_credits(
            workflow, self.catalog, preview=options.preview, node_ids=plan.nodes.keys()
        )
        assert options.execution_id is not None
        record = ExecutionRecord(
            execution_id=options.execution_id,
            workflow_name=workflow.name,
            status=ExecutionState.QUEUED,
            scope=options.scope,
            target_node_id=options.target_node_id,
            estimated_credits=estimate.total,
            preview=options.preview,
            nodes=[
                NodeRecord(node_id=p.node_id, label=p.label, type=p.node.type)
                for p in plan.nodes.values()
            ],
        )
        return PreparedRun(workflow, options, estimate, record)

    def can_start_now(self) -> bool:
        """Whether a new run would start at once (else it waits as QUEUED)."""
        return self._running < self.limits.max_concurrent_runs and not self._queue

    def start(self, execution_id: str, account_id: str, prepared: PreparedRun) -> LiveRun:
        """Run an accepted execution now, or queue it behind the running ones."""
        live = LiveRun(execution_id, account_id, prepared)
        self.live[execution_id] = live
        if self._running < self.limits.max_concurrent_runs:
            self._launch(live)
        else:
            self._queue.append(live)
        return live

    def _launch(self, live: LiveRun) -> None:
        self._running += 1
        sandbox = self.runs_dir / live.execution_id
        options = live.prepared.options
        executor = Executor(
            self.catalog,
            artifacts=self.artifacts,
            cache=self._cache(live.account_id) if options.use_cache else None,
            base_dir=sandbox,
            output_dir=sandbox,
        )
        try:
            live.handle = executor.start(
                live.prepared.workflow, options, lambda event: self._on_event(live, event)
            )
        except Exception as exc:  # planned already, so this is a bug or a race; record it
            log.exception("execution %s could not start", live.execution_id)
            record = live.prepared.record.model_copy(
                update={"status": ExecutionState.FAILED, "error": f"could not start: {exc}"}
            )
            self._running -= 1
            self._spawn(self._finish(live, record.to_json()))
            return
        self._spawn(self._drive(live, sandbox))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drive(self, live: LiveRun, sandbox: Path) -> None:
        assert live.handle is not None
        try:
            record = await live.handle.wait()
        finally:
            self._running -= 1
            self._launch_next()
        await self._finish(live, record.to_json())
        shutil.rmtree(sandbox, ignore_errors=True)

    def _launch_next(self) -> None:
        while self._queue and self._running < self.limits.max_concurrent_runs:
            self._launch(self._queue.pop(0))

    async def _finish(self, live: LiveRun, record: dict[str, Any]) -> None:
        if self._closing:
            return
        now = time.time()
        for node in record.get("nodes", []):
            self._charge(live, node["nodeId"], float(node.get("credits") or 0.0), node, now)
            live.owned.update(artifact_ids(node.get("outputs")))
        live.owned.update(artifact_ids(record.get("outputs")))
        self._flush_owners(live, now)
        self.storage.finish_execution(live.execution_id, record["status"], record, now)
        self.live.pop(live.execution_id, None)
        live.done.set()
        self._close_subscribers(live)
        for callback in self.on_finished:
            callback(live.execution_id)

    # --- cancelling -----------------------------------------------------------------

    async def cancel(self, execution_id: str, *, wait_s: float = 10.0) -> None:
        """Cancel a live run (idempotent; a finished one is left as it is)."""
        live = self.live.get(execution_id)
        if live is None:
            return
        if live.handle is None:
            self._queue.remove(live)
            record = cancelled_record(live.prepared.record.to_json(), time.time())
            self._emit(live, {"executionId": execution_id, "state": "CANCELLED", "at": time.time()})
            await self._finish(live, record)
            return
        live.handle.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(live.done.wait(), wait_s)

    # --- events ---------------------------------------------------------------------

    def _on_event(self, live: LiveRun, event: ExecutionEvent) -> None:
        data = event.to_json()
        self._emit(live, data)
        if event.node_id is None:
            live.dirty = True
            return
        if event.item is None and event.state in _FINAL_NODE:
            live.dirty = True
            if event.outputs:
                live.owned.update(artifact_ids(event.outputs))
            if event.credits and not event.preview:
                self._charge(live, event.node_id, event.credits, None, event.at)

    def _emit(self, live: LiveRun, data: dict[str, Any]) -> None:
        data["seq"] = len(live.events)
        live.events.append(data)
        for queue in live.subscribers:
            queue.put_nowait(data)

    def _charge(
        self,
        live: LiveRun,
        node_id: str,
        credits: float,
        node: dict[str, Any] | None,
        now: float,
    ) -> None:
        if node is not None and node.get("preview"):
            return
        owed = to_micro(credits) - live.charged.get(node_id, 0)
        if owed <= 0:
            return
        live.charged[node_id] = live.charged.get(node_id, 0) + owed
        self.storage.charge(live.account_id, live.execution_id, node_id, owed, now)

    def _close_subscribers(self, live: LiveRun) -> None:
        for queue in live.subscribers:
            queue.put_nowait(None)
        live.subscribers.clear()

    # --- persistence ----------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            for live in list(self.live.values()):
                if live.dirty:
                    try:
                        self._flush(live)
                    except Exception:
                        log.exception("could not store the record of %s", live.execution_id)

    def _flush(self, live: LiveRun) -> None:
        live.dirty = False
        record = live.record_json()
        self.storage.save_record(live.execution_id, record["status"], record)
        self._flush_owners(live, time.time())

    def _flush_owners(self, live: LiveRun, now: float) -> None:
        if live.owned:
            self.storage.add_artifact_owner(live.account_id, sorted(live.owned), now)
            live.owned.clear()

    def _cache(self, account_id: str) -> NodeCache:
        # One cache per account: a cached node is not charged, so sharing entries
        # between accounts would let one account use outputs another paid for.
        cache = self._caches.get(account_id)
        if cache is None:
            cache = NodeCache(self.cache_dir / account_id, memory_entries=256)
            self._caches[account_id] = cache
            if len(self._caches) > 64:
                self._caches.popitem(last=False)
        else:
            self._caches.move_to_end(account_id)
        return cache

    def record_of(self, execution: StoredExecution) -> dict[str, Any]:
        """The freshest record of an execution: live if running here, else stored."""
        live = self.live.get(execution.id)
        return live.record_json() if live is not None else execution.record


def interrupted_record(record: dict[str, Any], reason: str, now: float) -> dict[str, Any]:
    """``record`` as FAILED with ``reason``; every unfinished node FAILED "interrupted"."""
    parsed = ExecutionRecord.model_validate(record)
    if parsed.status.is_final:
        return record
    return parsed.mark_interrupted(reason, at=now).to_json()


def cancelled_record(record: dict[str, Any], now: float) -> dict[str, Any]:
    """A queued run's record as CANCELLED before anything ran."""
    parsed = ExecutionRecord.model_validate(record)
    nodes = [
        node.model_copy(
            update={
                "status": NodeState.CANCELLED,
                "message": "the run was cancelled before it started",
                "finished_at": now,
            }
        )
        for node in parsed.nodes
    ]
    return parsed.model_copy(
        update={
            "status": ExecutionState.CANCELLED,
            "nodes": nodes,
            "error": "the run was cancelled",
            "finished_at": now,
        }
    ).to_json()
