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
import secrets
import shutil
import time
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.artifacts import ArtifactStore
from engine.cache import NodeCache
from engine.catalog.registry import Catalog
from engine.catalog.spec import PricingUnit
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
TEMPLATES = 1024
CACHE_ENTRIES_PER_ACCOUNT = 512
CACHED_ACCOUNTS = 64
INTERRUPTED = "interrupted: the server stopped while this run was in progress"
_FINAL_NODE = frozenset(
    {NodeState.COMPLETED, NodeState.CACHED, NodeState.FAILED, NodeState.CANCELLED}
)


def new_execution_id() -> str:
    """A fresh execution id: milliseconds since the epoch, then 128 random bits.

    Time-ordered ids are appended at the end of the primary-key index instead of
    at random places in it, which keeps inserts cheap.
    """
    return f"ex_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(16)}"


@dataclass(frozen=True, slots=True)
class RunTemplate:
    """What planning a workflow with given options yields, reusable across runs."""

    estimate: CreditEstimate
    record: dict[str, Any]  # the initial record's JSON (every node PENDING), id left blank
    priced: bool  # whether any node of the run has a price


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """A validated request: the workflow, the run options and the estimate."""

    workflow: Workflow
    options: RunOptions
    estimate: CreditEstimate
    record: dict[str, Any]  # the initial record's JSON
    priced: bool = True


@dataclass(eq=False)
class LiveRun:
    """An execution running (or queued) in this process."""

    execution_id: str
    account_id: str
    prepared: PreparedRun
    handle: ExecutionHandle | None = None
    # Events are kept as they come and turned into JSON only when someone reads them.
    events: list[ExecutionEvent] = field(default_factory=list)
    subscribers: set[asyncio.Queue[tuple[int, ExecutionEvent] | None]] = field(default_factory=set)
    charged: dict[str, int] = field(default_factory=dict)
    owned: set[str] = field(default_factory=set)
    dirty: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    started: float = 0.0  # time.monotonic() when handed to the engine

    def record_json(self) -> dict[str, Any]:
        """The live record as JSON; a run handed to the engine counts as RUNNING."""
        if self.handle is None:
            return self.prepared.record
        data = self.handle.record.to_json()
        if data["status"] == ExecutionState.QUEUED.value:
            data["status"] = ExecutionState.RUNNING.value
        return data

    def subscribe(
        self,
    ) -> tuple[list[ExecutionEvent], asyncio.Queue[tuple[int, ExecutionEvent] | None]]:
        """The events so far and a queue of the ones to come (``None`` ends it)."""
        queue: asyncio.Queue[tuple[int, ExecutionEvent] | None] = asyncio.Queue()
        self.subscribers.add(queue)
        return list(self.events), queue

    def unsubscribe(self, queue: asyncio.Queue[tuple[int, ExecutionEvent] | None]) -> None:
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
        self.live: dict[str, LiveRun] = {}
        self.on_finished: list[Any] = []  # callables(execution_id) run after the final record
        self._queue: deque[LiveRun] = deque()
        self._finished: list[tuple[LiveRun, dict[str, Any], float]] = []
        self._running = 0
        self._executors: OrderedDict[str, Executor] = OrderedDict()
        self._planner = Executor(catalog, artifacts=artifacts)
        self._templates: OrderedDict[Hashable, RunTemplate] = OrderedDict()
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
        """Start the periodic record flusher (call on the server's loop).

        Also empties the runs' scratch folders: files written there by earlier
        processes are not outputs (outputs are artifacts).
        """
        shutil.rmtree(self.runs_dir, ignore_errors=True)
        self._flusher = asyncio.get_running_loop().create_task(self._flush_loop())

    async def shutdown(self) -> None:
        """Record every run still in progress as interrupted, then stop."""
        self._store_finished()  # runs that ended are stored as they ended
        self._closing = True
        now = time.time()
        records = []
        for live in list(self.live.values()):
            try:
                record = interrupted_record(live.record_json(), INTERRUPTED, now)
                records.append((live.execution_id, record["status"], record, now))
            except Exception:
                log.exception("could not record %s as interrupted", live.execution_id)
            if live.handle is not None:
                live.handle.cancel()
            live.done.set()
            self._close_subscribers(live)
        with contextlib.suppress(Exception):
            self.storage.finish_executions(records)
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        self._queue.clear()
        # Give cancelled runs a moment to stop their nodes before the loop closes.
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- preparing and starting -------------------------------------------------------

    def prepare(
        self, workflow: Workflow, options: RunOptions, key: Hashable | None = None
    ) -> PreparedRun:
        """Plan the run and estimate it; raises the engine's errors for unrunnable ones.

        ``key`` identifies an unchanged stored workflow and the options that shape
        the plan; its plan-derived data (estimate, initial record) is then reused.
        """
        template = self._templates.get(key) if key is not None else None
        if template is None:
            template = self._template(workflow, options)
            if key is not None:
                self._templates[key] = template
                if len(self._templates) > TEMPLATES:
                    self._templates.popitem(last=False)
        assert options.execution_id is not None
        record = {
            **template.record,
            "executionId": options.execution_id,
            "nodes": [dict(node) for node in template.record["nodes"]],
        }
        return PreparedRun(workflow, options, template.estimate, record, template.priced)

    def _template(self, workflow: Workflow, options: RunOptions) -> RunTemplate:
        plan = self._planner.plan(workflow, options)
        estimate = estimate_credits(
            workflow, self.catalog, preview=options.preview, node_ids=plan.nodes.keys()
        )
        record = ExecutionRecord(
            execution_id="",
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
        priced = any(p.spec.pricing.unit is not PricingUnit.FREE for p in plan.nodes.values())
        return RunTemplate(estimate, record.to_json(), priced)

    @property
    def queued(self) -> int:
        """Runs waiting for a slot."""
        return len(self._queue)

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
        options = live.prepared.options
        executor = self._executor(live.account_id)
        try:
            live.handle = executor.start(
                live.prepared.workflow, options, lambda event: self._on_event(live, event)
            )
        except Exception as exc:  # planned already, so this is a bug or a race; record it
            log.exception("execution %s could not start", live.execution_id)
            record = {
                **live.prepared.record,
                "status": ExecutionState.FAILED.value,
                "error": f"could not start: {exc}",
            }
            self._running -= 1
            self._spawn(self._finish(live, record))
            return
        live.started = time.monotonic()
        self._spawn(self._drive(live))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drive(self, live: LiveRun) -> None:
        assert live.handle is not None
        try:
            record = await live.handle.wait()
        finally:
            self._running -= 1
            self._launch_next()
        await self._finish(live, record.to_json())

    def _launch_next(self) -> None:
        while not self._closing and self._queue and self._running < self.limits.max_concurrent_runs:
            self._launch(self._queue.popleft())

    async def _finish(self, live: LiveRun, record: dict[str, Any]) -> None:
        if self._closing:
            return
        now = time.time()
        for node in record.get("nodes", []):
            if live.prepared.priced:
                self._charge(live, node["nodeId"], float(node.get("credits") or 0.0), node, now)
            live.owned.update(artifact_ids(node.get("outputs")))
        self._flush_owners(live, now)
        # Final records are written in batches, one transaction per loop iteration:
        # under load many runs end together. A run stays live (and is read from
        # memory) until its record is stored.
        self._finished.append((live, record, now))
        if len(self._finished) == 1:
            asyncio.get_running_loop().call_soon(self._store_finished)
        await live.done.wait()

    def _store_finished(self) -> None:
        batch, self._finished = self._finished, []
        if not batch or self._closing:
            return
        try:
            self.storage.finish_executions(
                [(live.execution_id, record["status"], record, now) for live, record, now in batch]
            )
        except Exception:
            log.exception("could not store %d final records", len(batch))
        for live, _, _ in batch:
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
            record = cancelled_record(live.prepared.record, time.time())
            self._emit(live, ExecutionEvent(execution_id, ExecutionState.CANCELLED))
            await self._finish(live, record)
            return
        live.handle.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(live.done.wait(), wait_s)

    # --- events ---------------------------------------------------------------------

    def _on_event(self, live: LiveRun, event: ExecutionEvent) -> None:
        final_node = event.node_id is not None and event.item is None
        final_node = final_node and event.state in _FINAL_NODE
        if final_node and event.outputs:
            # Before the event goes out: a subscriber may download an output at once.
            live.owned.update(artifact_ids(event.outputs))
        self._emit(live, event)
        if event.node_id is None:
            live.dirty = True
            return
        if final_node:
            live.dirty = True
            if event.credits and not event.preview:
                self._charge(live, event.node_id, event.credits, None, event.at)

    def _emit(self, live: LiveRun, event: ExecutionEvent) -> None:
        live.events.append(event)
        if live.subscribers:
            item = (len(live.events) - 1, event)
            for queue in live.subscribers:
                queue.put_nowait(item)

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
        # Runs shorter than the interval are only stored when they end.
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            old = time.monotonic() - FLUSH_INTERVAL_S
            for live in list(self.live.values()):
                if live.dirty and live.handle is not None and live.started <= old:
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

    def _executor(self, account_id: str) -> Executor:
        """The account's executor: its own scratch folder, node cache and plan cache.

        Per account, not shared: a cached node is not charged, so sharing cache
        entries would let one account use outputs another paid for; and files a
        run writes (``image.save``) stay where only that account's runs can read.
        The node cache lives in memory only, bounded: a server must not grow a
        disk cache forever.
        """
        executor = self._executors.get(account_id)
        if executor is None:
            scratch = self.runs_dir / account_id
            executor = Executor(
                self.catalog,
                artifacts=self.artifacts,
                cache=NodeCache(None, memory_entries=CACHE_ENTRIES_PER_ACCOUNT),
                base_dir=scratch,
                output_dir=scratch,
                confine_files=True,
            )
            self._executors[account_id] = executor
            if len(self._executors) > CACHED_ACCOUNTS:
                self._executors.popitem(last=False)
        else:
            self._executors.move_to_end(account_id)
        return executor

    def owns_artifact(self, account_id: str, artifact_id: str) -> bool:
        """Whether the account may read the artifact: stored ownership, or an output of
        one of its live runs not yet flushed (an event may name it before the flush)."""
        if self.storage.owns_artifact(account_id, artifact_id):
            return True
        return any(
            live.account_id == account_id and artifact_id in live.owned
            for live in self.live.values()
        )

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
