"""One run in flight: the ready-set scheduler, slots, events and records.

A node is started when its last parent finishes. What runs is a *unit*: the node
itself, or one item of a node fanned out over a batch. At most
``max_concurrency`` units hold a slot at a time; a unit gets an asyncio task only
when it gets a slot (the others wait in a backlog), so a wide graph costs no more
tasks or wake-ups than it has to. This module is the hot path measured by
``benchmarks/engine_overhead.py``: state lives in plain objects, events are
slotted dataclasses, and pydantic records are built only when asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.artifacts import ArtifactStore
from engine.cache import NodeCache
from engine.errors import NodeError
from engine.executor.batches import item_done, start_batch
from engine.executor.dataflow import (
    error_info,
    fan_out,
    fingerprint,
    gather_inputs,
    output_key,
    run_output,
)
from engine.executor.events import ExecutionEvent, ExecutionState, NodeState
from engine.executor.options import RunOptions
from engine.executor.plan import Plan
from engine.executor.record import ExecutionRecord
from engine.executor.state import NO_INPUTS, NodeRun, Unit
from engine.executor.units import CALLBACK_FAILED, run_unit
from engine.values import encode_value

log = logging.getLogger(__name__)

EventCallback = Callable[[ExecutionEvent], None]

_QUEUED = NodeState.QUEUED
_RUNNING = NodeState.RUNNING
_COMPLETED = NodeState.COMPLETED
_CACHED = NodeState.CACHED
_FAILED = NodeState.FAILED
_SKIPPED = NodeState.SKIPPED
_CANCELLED = NodeState.CANCELLED
_SUCCEEDED = frozenset({_COMPLETED, _CACHED})
_NOT_STARTED = "the run was cancelled before this node started"


class Run:
    """The state and scheduler of one execution (used through ExecutionHandle)."""

    def __init__(
        self,
        *,
        workflow_name: str,
        plan: Plan,
        options: RunOptions,
        execution_id: str,
        artifacts: ArtifactStore,
        cache: NodeCache | None,
        base_dir: Path,
        output_dir: Path,
        on_event: EventCallback | None,
        confine_files: bool = False,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.execution_id = execution_id
        self.workflow_name = workflow_name
        self.options = options
        self.artifacts = artifacts
        self.cache = cache
        self.base_dir = base_dir
        self.output_dir = output_dir
        self.confine_files = confine_files
        self.on_event = on_event
        self.preview = options.preview
        self.run_inputs = options.inputs
        self.timeout = options.node_timeout_s
        self.retry = options.retry
        self.budget = options.budget
        self.free = options.max_concurrency  # slots
        self.backlog: deque[tuple[NodeRun, Unit]] = deque()
        self.slot_waiters: deque[asyncio.Future[None]] = deque()
        sink: weakref.ref[Run] = weakref.ref(self)
        self.nodes = {
            nid: NodeRun(p, self.preview and p.type.hosted, sink) for nid, p in plan.nodes.items()
        }
        self.values: dict[str, dict[str, Any]] = {}  # raw outputs of finished nodes
        self.status = ExecutionState.QUEUED
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.t0 = 0.0
        self.duration_ms: float | None = None
        self.charged = 0.0
        self.reserved = 0.0
        self.cancelled = False
        self.unsettled = len(self.nodes)
        self.settled: asyncio.Future[None] = self.loop.create_future()
        self.outputs: dict[str, Any] = {}
        self.error: str | None = None
        self.final: ExecutionRecord | None = None
        self.watchdog: asyncio.TimerHandle | None = None

    # -- events ---------------------------------------------------------------

    def emit(self, event: ExecutionEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception(CALLBACK_FAILED)

    def _run_event(self, state: ExecutionState, **fields: Any) -> None:
        if self.on_event is not None:
            self.emit(ExecutionEvent(self.execution_id, state, preview=self.preview, **fields))

    def node_event(self, node: NodeRun, state: NodeState, **fields: Any) -> None:
        if self.on_event is not None:
            self.emit(
                ExecutionEvent(
                    self.execution_id,
                    state,
                    node.planned.node_id,
                    time.time(),
                    preview=node.preview,
                    **fields,
                )
            )

    # -- the whole run --------------------------------------------------------

    def announce(self) -> None:
        """Emit the run's QUEUED event (``start`` does, before the task runs)."""
        self._run_event(ExecutionState.QUEUED, at=time.time())

    async def main(self) -> None:
        """Run every node, then seal the run."""
        self.status = ExecutionState.RUNNING
        self.started_at = time.time()
        self.t0 = time.perf_counter()
        self._run_event(ExecutionState.RUNNING, at=self.started_at)
        roots = [node for node in self.nodes.values() if node.waiting == 0]
        self._queue_all()
        try:
            for node in roots:
                if node.status is _QUEUED:
                    if self.cancelled:
                        self._close(node, _CANCELLED, _NOT_STARTED)
                        self.settle(node)
                    elif self.start_node(node):
                        self.settle(node)
            if self.unsettled:
                await self.settled
        except asyncio.CancelledError:
            # The run's own task was cancelled (the event loop is shutting down):
            # stop the nodes and still end with a proper state and final event.
            self.cancel()
            if not self.settled.done():
                await self.settled
        self._seal()

    def _queue_all(self) -> None:
        """Every node of the run is QUEUED as it starts, so consumers see its scope at once.

        A QUEUED node waits for its parents or for a slot; nothing of the run is
        PENDING any more (PENDING is a run that has not started).
        """
        execution_id = self.execution_id
        on_event = self.on_event
        at = time.time()
        for node in self.nodes.values():
            node.status = _QUEUED
            if on_event is not None:
                event = ExecutionEvent(
                    execution_id,
                    _QUEUED,
                    node.planned.node_id,
                    at,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    node.preview,
                )
                try:
                    on_event(event)
                except Exception:
                    log.exception(CALLBACK_FAILED)

    def _seal(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        self.finished_at = time.time()
        self.duration_ms = (time.perf_counter() - self.t0) * 1000.0
        failed = [n for n in self.nodes.values() if n.status is _FAILED]
        if self.cancelled:
            self.status = ExecutionState.CANCELLED
            self.error = "the run was cancelled"
        elif failed:
            self.status = ExecutionState.FAILED
            names = ", ".join(repr(n.planned.node_id) for n in failed[:3])
            more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
            reason = f" ({failed[0].error.message})" if failed[0].error else ""
            plural = "s" if len(failed) > 1 else ""
            self.error = f"{len(failed)} node{plural} failed: {names}{more}{reason}"
        else:
            self.status = ExecutionState.COMPLETED
        self.outputs = self._run_outputs()
        self._run_event(
            self.status,
            at=self.finished_at,
            duration_ms=self.duration_ms,
            credits=round(self.charged, 6),
            outputs=self.outputs,
            message=self.error,
        )

    def _run_outputs(self) -> dict[str, Any]:
        done = [n for n in self.nodes.values() if n.status in _SUCCEEDED]
        chosen = [n for n in done if n.planned.type.is_output]
        if not chosen:
            chosen = [n for n in done if not n.planned.children]
        return {
            output_key(n.planned): encode_value(
                run_output(n.values or {}, n.inputs if n.planned.type.is_output else None)
            )
            for n in chosen
        }

    def cancel(self) -> None:
        """Stop the run: running units are cancelled, nothing else starts."""
        if self.cancelled or self.status.is_final:
            return
        self.cancelled = True
        backlog = list(self.backlog)
        self.backlog.clear()
        for node, unit in backlog:
            unit.finish(_CANCELLED)
            self.unit_done(node, unit, None)
        for node in self.nodes.values():
            for unit in node.units:
                if unit.task is not None:
                    unit.task.cancel()

    # -- scheduling -----------------------------------------------------------

    def settle(self, node: NodeRun) -> None:
        """A node reached a final state: start or skip its children."""
        stack = [node]
        nodes = self.nodes
        while stack:
            current = stack.pop()
            self.unsettled -= 1
            status = current.status
            ok = status is _COMPLETED or status is _CACHED
            for child_id in current.planned.children:
                child = nodes[child_id]
                if child.status is not _QUEUED:  # closed already (started ones are not visited)
                    continue
                if self.cancelled:
                    self._close(child, _CANCELLED, _NOT_STARTED)
                    stack.append(child)
                elif not ok:
                    # Name the node that actually failed, however far upstream.
                    child.blamed = blamed = current.blamed or current.planned.node_id
                    verb = "failed" if nodes[blamed].status is _FAILED else "did not run"
                    self._close(child, _SKIPPED, f"skipped because upstream node {blamed!r} {verb}")
                    stack.append(child)
                else:
                    child.waiting -= 1
                    if child.waiting == 0 and self.start_node(child):
                        stack.append(child)
        if self.unsettled == 0 and not self.settled.done():
            self.settled.set_result(None)

    def _close(self, node: NodeRun, status: NodeState, message: str) -> None:
        node.status = status
        node.message = message
        node.finished_at = time.time()
        self.node_event(node, status, message=message)

    def start_node(self, node: NodeRun) -> bool:
        """Begin a node whose parents succeeded; ``True`` if it ended at once."""
        planned = node.planned
        try:
            if planned.wires or planned.type.required:
                inputs = gather_inputs(planned, self.values)
            else:
                inputs = dict(planned.constants) if planned.constants else {}
            items = fan_out(planned, inputs) if planned.type.item_ports else None
        except NodeError as exc:
            node.error = error_info(exc)
            node.finish(_FAILED)
            self.node_event(node, _FAILED, error=node.error)
            return True
        node.inputs = inputs
        if items is not None:
            return start_batch(self, node, items)
        cache = self.cache
        if cache is not None:
            node.key = self.fingerprint_of(node, inputs)
            if not planned.forced:
                hit = cache.get(node.key, self.artifacts)
                if hit is not None:
                    self.complete(node, hit, True)
                    return True
        # Already QUEUED (and announced) since the run started: it now waits for a slot.
        if self.free:  # inlined _offer: the common case
            self.free -= 1
            node.task = self.loop.create_task(run_unit(self, node, node))
        else:
            self.backlog.append((node, node))
        return False

    def fingerprint_of(self, node: NodeRun, inputs: dict[str, Any]) -> str:
        return fingerprint(
            node.planned,
            inputs,
            run_inputs=self.run_inputs,
            base_dir=self.base_dir,
            preview=self.preview,
        )

    def offer(self, node: NodeRun, unit: Unit) -> None:
        """Run ``unit`` now if a slot is free, else when one frees up."""
        if self.free:
            self.free -= 1
            unit.task = self.loop.create_task(run_unit(self, node, unit))
        else:
            self.backlog.append((node, unit))

    def release_slot(self) -> None:
        while self.slot_waiters:
            waiter = self.slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to a retrying unit
                return
        if self.backlog:
            node, unit = self.backlog.popleft()
            unit.task = self.loop.create_task(run_unit(self, node, unit))
        else:
            self.free += 1

    async def acquire_slot(self) -> None:
        if self.free:
            self.free -= 1
            return
        waiter = self.loop.create_future()
        self.slot_waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release_slot()  # handed over just as we were cancelled
            raise

    def complete(self, node: NodeRun, values: dict[str, Any], cached: bool = False) -> None:
        """A node succeeded (ran, or came from the cache) with these output values."""
        planned = node.planned
        node.values = self.values[planned.node_id] = values
        if not planned.type.is_output:
            node.inputs = NO_INPUTS  # not needed any more: free it now (fewer GC passes)
        node.outputs = outputs = encode_value(values) if values else values  # {}: no copy
        node.progress = 1.0
        if cached:
            node.cached = True
            status = _CACHED
            node.started_at = at = time.time()
            duration_ms = 0.0
        else:
            status = _COMPLETED
            at = time.time()
            duration_ms = (time.perf_counter() - node.t0) * 1000.0
        node.status = status
        node.finished_at = at
        node.duration_ms = duration_ms
        if self.on_event is not None:
            event = ExecutionEvent(
                self.execution_id,
                status,
                planned.node_id,
                at,
                None,
                duration_ms,
                node.credits,
                outputs,
                None,
                None,
                None,
                None,
                node.preview,
            )
            try:
                self.on_event(event)
            except Exception:
                log.exception(CALLBACK_FAILED)

    # -- units ----------------------------------------------------------------

    def check_deadlines(self) -> None:
        """Time out the units past their deadline, then wait for the next deadline.

        One timer per run (not one per attempt) wakes at the earliest deadline;
        deadlines only grow, so arming a unit costs an addition and a comparison.
        Deadlines are ``time.perf_counter()`` values (the unit's own start stamp).
        """
        self.watchdog = None
        now = time.perf_counter()
        earliest: float | None = None
        for node in self.nodes.values():
            for unit in node.units:
                deadline = unit.deadline
                if deadline is None or unit.task is None:
                    continue
                if deadline <= now:
                    unit.deadline = None
                    unit.expired = True
                    unit.task.cancel()
                elif earliest is None or deadline < earliest:
                    earliest = deadline
        if earliest is not None:
            self.watchdog = self.loop.call_later(earliest - now, self.check_deadlines)

    def unit_done(self, node: NodeRun, unit: Unit, values: dict[str, Any] | None) -> None:
        """A unit ended (``values`` is ``None`` unless it completed)."""
        if unit is node:
            if values is not None:
                self.complete(node, values)
            elif unit.status is _FAILED:
                self.node_event(node, _FAILED, error=node.error, attempt=node.attempts)
            else:
                node.message = "cancelled while running" if node.started_at else _NOT_STARTED
                self.node_event(node, _CANCELLED, message=node.message)
            self.settle(node)
            return
        item_done(self, node, unit, values)

    def report_progress(self, unit: Unit, fraction: float, message: str | None) -> None:
        """A unit's ``ctx.report_progress``: safe to call from a worker thread."""
        if threading.get_ident() == self.thread:
            self._progress(unit.owner, unit, fraction, message)
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: the run is long over
            self.loop.call_soon_threadsafe(self._progress, unit.owner, unit, fraction, message)

    def _progress(self, node: NodeRun, unit: Unit, fraction: float, message: str | None) -> None:
        if unit.status is not _RUNNING or math.isnan(fraction):  # late report, or junk
            return
        fraction = min(max(float(fraction), 0.0), 1.0)
        if fraction == unit.progress and message is None:
            return  # nothing new to tell
        unit.progress = fraction
        if unit is not node:
            node.progress = sum(u.progress or 0.0 for u in node.items) / len(node.items)
        self.node_event(node, _RUNNING, item=unit.index, progress=fraction, message=message)

    # -- records --------------------------------------------------------------

    def _estimate(self) -> float:
        """The run's credit estimate (what the budget was checked against)."""
        total = 0.0
        for node in self.nodes.values():
            planned = node.planned
            if not (planned.type.free or node.preview):
                total += planned.type.spec.pricing.estimate(planned.params)
        return round(total, 6)

    def snapshot(self) -> ExecutionRecord:
        """The run as it stands; once it has ended, its final record (built once)."""
        if self.final is not None:
            return self.final
        nodes = list(self.nodes.values())
        progress = (
            sum(1.0 if n.status.is_final else (n.progress or 0.0) for n in nodes) / len(nodes)
            if nodes
            else 1.0
        )
        record = ExecutionRecord.model_construct(
            execution_id=self.execution_id,
            workflow_name=self.workflow_name,
            status=self.status,
            scope=self.options.scope,
            target_node_id=self.options.target_node_id,
            started_at=self.started_at,
            finished_at=self.finished_at,
            duration_ms=self.duration_ms,
            credits=round(self.charged, 6),
            estimated_credits=self._estimate(),
            preview=self.preview,
            progress=progress,
            outputs=self.outputs,
            nodes=[n.node_record() for n in nodes],
            error=self.error,
        )
        if self.status.is_final:
            self.final = record
        return record
