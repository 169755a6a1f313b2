"""The asyncio executor (DESIGN §4).

Typical use::

    executor = Executor.for_data_dir(default_catalog(), data_dir, base_dir=folder)
    handle = executor.start(workflow, RunOptions(inputs={"brief": "a red shoe"}), events.append)
    record = await handle.wait()          # or: record = await executor.run(...)

Semantics, in short:

- A node starts when all its parents have finished; independent branches run
  concurrently, at most ``max_concurrency`` node runs (batch items included) at a
  time. Synchronous implementations run in a worker thread.
- Every state transition is an :class:`ExecutionEvent`: the run goes QUEUED →
  RUNNING → COMPLETED | FAILED | CANCELLED; a node goes QUEUED → RUNNING (with
  ``attempt``; later RUNNING events carry ``progress`` or a retry ``message``) →
  COMPLETED | FAILED | CANCELLED, or straight to CACHED, SKIPPED or CANCELLED.
  Events of a batch item carry ``item``.
- A failed node's descendants are SKIPPED; other branches finish; the run FAILED.
- Cancelling stops running nodes (CANCELLED) and marks every node that had not
  started CANCELLED too (SKIPPED is kept for "an upstream node failed"). A
  synchronous implementation already running in a worker thread cannot be
  interrupted: its result is discarded. The same holds for the per-node timeout.
- Retries: only :class:`engine.errors.TransientNodeError` (see :class:`RetryPolicy`);
  a timeout fails the node with ``ErrorKind.TIMEOUT`` ("timed out after 30 s").
- Caching: see :mod:`engine.cache`. Batch items are cached one by one, so editing
  one line of a five-line list re-runs one item.
- The run's outputs are those of ``output.*`` nodes, keyed by their ``name`` param
  (else node id), or, when the run has none, those of its sink nodes keyed by node
  id; a node with a single output contributes that value, otherwise a mapping
  (an output node that returns nothing contributes its inputs).
"""

from __future__ import annotations

from engine.executor.events import (
    ErrorKind,
    ExecutionEvent,
    ExecutionState,
    NodeErrorInfo,
    NodeState,
)
from engine.executor.executor import ExecutionHandle, Executor
from engine.executor.options import RetryPolicy, RunOptions, RunScope
from engine.executor.plan import PlanError
from engine.executor.record import ExecutionRecord, ItemRecord, NodeRecord
from engine.executor.runner import EventCallback

__all__ = [
    "ErrorKind",
    "EventCallback",
    "ExecutionEvent",
    "ExecutionHandle",
    "ExecutionRecord",
    "ExecutionState",
    "Executor",
    "ItemRecord",
    "NodeErrorInfo",
    "NodeRecord",
    "NodeState",
    "PlanError",
    "RetryPolicy",
    "RunOptions",
    "RunScope",
]
