"""Batches: a node fed a list on a one-item input runs once per item.

Items are units of their own (their own slot, task, attempts, timing, credits and
cache entry); the node completes when every item has ended.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from engine.executor.dataflow import merge_items
from engine.executor.events import ErrorKind, NodeErrorInfo, NodeState
from engine.executor.state import NodeRun, Unit
from engine.values import Batch, encode_value

if TYPE_CHECKING:
    from engine.executor.runner import Run

_RUNNING = NodeState.RUNNING
_COMPLETED = NodeState.COMPLETED
_CACHED = NodeState.CACHED
_FAILED = NodeState.FAILED
_CANCELLED = NodeState.CANCELLED


def start_batch(run: Run, node: NodeRun, items: list[dict[str, Any]]) -> bool:
    """Begin a node fanned out over ``items``; ``True`` if it ended at once."""
    planned = node.planned
    cache = run.cache
    node.items = units = [Unit(node, index) for index in range(len(items))]
    hits: list[dict[str, Any] | None] = []
    for unit, inputs in zip(units, items, strict=True):
        unit.inputs = inputs
        hit = None
        if cache is not None:
            unit.key = run.fingerprint_of(node, inputs)
            if not planned.forced:
                hit = cache.get(unit.key, run.artifacts)
        hits.append(hit)
    if not items:
        node.started_at = time.time()
        node.t0 = time.perf_counter()
        run.complete(node, {name: Batch(()) for name in planned.type.outputs})
        return True
    for unit, hit in zip(units, hits, strict=True):
        if hit is not None:
            item_cached(run, node, unit, hit)
    if all(hit is not None for hit in hits):
        run.complete(node, merge_items(planned, [h or {} for h in hits]), True)
        return True
    node.open_items = sum(1 for hit in hits if hit is None)
    for unit, hit in zip(units, hits, strict=True):
        if hit is None:
            run.offer(node, unit)
    return False


def item_cached(run: Run, node: NodeRun, unit: Unit, values: dict[str, Any]) -> None:
    """An item served from the cache."""
    unit.values = values
    unit.outputs = encode_value(values)
    unit.cached = True
    unit.progress = 1.0
    unit.status = _CACHED
    unit.started_at = unit.finished_at = time.time()
    unit.duration_ms = 0.0
    run.node_event(
        node, _CACHED, item=unit.index, duration_ms=0.0, credits=0.0, outputs=unit.outputs
    )


def finish_batch(run: Run, node: NodeRun) -> None:
    """Every item has ended: the node COMPLETED, FAILED or CANCELLED."""
    node.credits = round(sum(unit.credits for unit in node.items), 6)
    failed = [unit for unit in node.items if unit.status is _FAILED]
    if run.cancelled or any(unit.status is _CANCELLED for unit in node.items):
        node.finish(_CANCELLED)
        node.message = "cancelled while running"
        run.node_event(node, _CANCELLED, message=node.message, credits=node.credits)
    elif failed:
        first = failed[0].error or NodeErrorInfo(ErrorKind.CRASH, "unknown error")
        node.error = NodeErrorInfo(
            first.kind,
            f"{len(failed)} of {len(node.items)} items failed; "
            f"item {failed[0].index}: {first.message}",
            {**first.details, "failedItems": [unit.index for unit in failed]},
        )
        node.finish(_FAILED)
        run.node_event(node, _FAILED, error=node.error, credits=node.credits)
    else:
        results = [unit.values or {} for unit in node.items]
        run.complete(node, merge_items(node.planned, results))


def item_done(run: Run, node: NodeRun, unit: Unit, values: dict[str, Any] | None) -> None:
    """One item ended (``values`` is ``None`` unless it completed)."""
    if values is not None:
        unit.values = values
        unit.outputs = encode_value(values)
        run.node_event(
            node,
            _COMPLETED,
            item=unit.index,
            duration_ms=unit.duration_ms,
            credits=unit.credits,
            outputs=unit.outputs,
        )
    else:
        run.node_event(node, unit.status, item=unit.index, error=unit.error)
    node.open_items -= 1
    node.progress = (len(node.items) - node.open_items) / len(node.items)
    if node.open_items:
        run.node_event(node, _RUNNING, progress=node.progress)
    else:
        finish_batch(run, node)
        run.settle(node)
