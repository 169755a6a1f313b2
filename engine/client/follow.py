"""Following a remote run to its end: server-sent events, or polling with backoff.

Both ways hand the same :class:`ExecutionEvent` s to the caller as a local run
does. The event stream reconnects with ``Last-Event-ID`` when it drops; when the
server offers no stream (or it keeps dropping), polling takes over. Polling turns
each change it sees into an event; a node that reached a final state is reported
from the full record, so its timing, credits and outputs are there too.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.client.errors import (
    InvalidRequest,
    NotFoundError,
    ProtocolError,
    StreamInterrupted,
)
from engine.client.events import final_event, node_event
from engine.client.models import PollStatus, WaitReason
from engine.executor.events import ExecutionEvent, ExecutionState, NodeState
from engine.executor.record import ExecutionRecord

if TYPE_CHECKING:
    from engine.client.client import PatchbayClient

log = logging.getLogger("engine.client")

#: Answers meaning "this server has no event stream here" rather than "no such run".
_NO_STREAM_CODES = frozenset({"route_not_found", "method_not_allowed"})


class Follower:
    """Follows one execution for :meth:`PatchbayClient.follow`."""

    def __init__(
        self,
        client: PatchbayClient,
        execution_id: str,
        on_event: Callable[[ExecutionEvent], None] | None,
    ) -> None:
        self.client = client
        self.http = client._http
        self.retry = client.retry
        self.execution_id = execution_id
        self.on_event = on_event

    async def run(self, *, use_sse: bool) -> ExecutionRecord:
        """Follow to the end; the final record."""
        if use_sse and await self._stream():
            return await self._final_record()
        return await self._poll()

    def _deliver(self, event: ExecutionEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            log.exception("on_event raised; ignored")

    async def _stream(self) -> bool:
        """Deliver the streamed events; ``False`` when polling must take over."""
        last_id: str | None = None
        failures = 0
        while True:
            try:
                # aclosing: under qasync there are no async-generator hooks, so an
                # early return must close the stream itself rather than leave it to GC.
                stream = self.client.sse(self.execution_id, last_event_id=last_id)
                async with contextlib.aclosing(stream):
                    async for event_id, event in stream:
                        last_id = event_id if event_id is not None else last_id
                        failures = 0
                        self._deliver(event)
                        if event.node_id is None and event.state.is_final:
                            return True
                reason = "the event stream ended before the run did"
            except (NotFoundError, InvalidRequest) as exc:
                if exc.code in _NO_STREAM_CODES:
                    log.info("no event stream on this server (%s); polling", exc.code)
                    return False
                raise
            except ProtocolError as exc:
                log.info("the event stream is unusable (%s); polling", exc)
                return False
            except StreamInterrupted as exc:
                reason = str(exc)
            failures += 1
            if failures >= self.retry.attempts:
                log.info("%s, %d times; polling", reason, failures)
                return False
            log.info("%s; reconnecting", reason)
            delay = self.retry.backoff(failures, random.random())
            await self.http.wait(WaitReason.RECONNECTING, delay, failures)

    async def _poll(self) -> ExecutionRecord:
        """Poll until the run ends, delivering an event for each change."""
        known: dict[str, tuple[NodeState, float | None]] = {}
        run_state: ExecutionState | None = None
        delay: float | None = None
        while True:
            status = await self.client.poll(self.execution_id)
            changed = status.status != run_state
            if changed and not status.status.is_final:
                self._deliver(ExecutionEvent(self.execution_id, status.status))
            run_state = status.status
            moved, finished = self._node_changes(status, known)
            if status.status.is_final:
                record = await self._final_record()
                self._deliver_finished(record, finished)
                self._deliver(final_event(record))
                return record
            if finished:
                self._deliver_finished(await self.client.record(self.execution_id), finished)
            delay = self.retry.next_poll(delay, changed or moved)
            await self.http.sleep(delay)

    def _node_changes(
        self, status: PollStatus, known: dict[str, tuple[NodeState, float | None]]
    ) -> tuple[bool, list[str]]:
        """Deliver non-final node changes; whether any node changed, and which finished."""
        moved = False
        finished: list[str] = []
        for node in status.nodes:
            current = (node.status, node.progress)
            if known.get(node.node_id) == current:
                continue
            known[node.node_id] = current
            moved = True
            if node.status.is_final:
                finished.append(node.node_id)
            elif node.status is not NodeState.PENDING:
                self._deliver(
                    ExecutionEvent(
                        self.execution_id, node.status, node.node_id, progress=node.progress
                    )
                )
        return moved, finished

    def _deliver_finished(self, record: ExecutionRecord, node_ids: list[str]) -> None:
        for node_id in node_ids:
            try:
                self._deliver(node_event(self.execution_id, record.node(node_id)))
            except KeyError:
                log.debug("node %s is not in the record", node_id)

    async def _final_record(self) -> ExecutionRecord:
        """The record once it is final (it can lag the last event by a moment)."""
        delay: float | None = None
        while True:
            record = await self.client.record(self.execution_id)
            if record.status.is_final:
                return record
            delay = self.retry.next_poll(delay, changed=False)
            await self.http.sleep(delay)
