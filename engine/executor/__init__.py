"""The asyncio executor (DESIGN §4).

Typical use::

    executor = Executor.for_data_dir(default_catalog(), data_dir, base_dir=folder)
    handle = executor.start(workflow, RunOptions(inputs={"brief": "a red shoe"}), on_event)
    handle.cancel()                 # from any thread; idempotent
    record = await handle.wait()    # the final ExecutionRecord (or: await executor.run(...))

``start`` plans the run, checks the budget and returns at once (raising, before
any event, for a graph that cannot run, an unknown input or a budget overrun);
``handle.record`` is a live snapshot; ``await handle.join()`` waits without
building a record. Semantics, in short:

- A node starts when all its parents have finished; independent branches run
  concurrently, at most ``max_concurrency`` node runs (batch items included) at a
  time. Synchronous implementations run in a worker thread; ``ctx.report_progress``
  may be called from it.
- Every state transition is an :class:`ExecutionEvent`, delivered synchronously on
  the loop's thread to ``on_event`` (keep it cheap; an exception in it is logged
  and ignored). The run goes QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED.
  When the run starts RUNNING, every node of its scope is announced QUEUED at
  once (the record's nodes are PENDING only before that); a node then goes
  RUNNING (``attempt``; later RUNNING events carry ``progress`` or a retry
  ``message``) → COMPLETED | FAILED | CANCELLED, or straight to CACHED, SKIPPED
  or CANCELLED. Events of a batch item carry ``item``;
  the node's own RUNNING events then report the share of items done.
- A failed node's descendants are SKIPPED (the message names the failed node);
  other branches finish; the run is FAILED.
- Cancelling stops running nodes (CANCELLED) and marks every node that had not
  started CANCELLED too (SKIPPED keeps meaning "an upstream node failed"). A
  synchronous implementation already running in a worker thread cannot be
  interrupted: its result is discarded. The same holds for the per-node timeout.
- Retries: only :class:`engine.errors.TransientNodeError` (see :class:`RetryPolicy`).
  A node over ``node_timeout_s`` fails with ``ErrorKind.TIMEOUT`` ("timed out
  after 30 s") and is not retried unless ``RetryPolicy.retry_timeouts``.
- Credits: a node run is charged its pricing estimate (inputs override params),
  only when it succeeds; cached runs and hosted nodes in preview cost nothing.
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
