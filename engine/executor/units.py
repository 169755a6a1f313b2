"""Running one unit of work (a node, or one batch item): attempts, retries, timeouts.

This is the innermost hot path: one call per node run, as the unit's asyncio task.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import TYPE_CHECKING, Any

from engine.errors import NodeError, TransientNodeError
from engine.executor.dataflow import error_info, invoke, normalise_outputs
from engine.executor.events import ErrorKind, ExecutionEvent, NodeErrorInfo, NodeState
from engine.executor.state import Failure, NodeRun, TimedOut, Unit
from engine.nodes.base import NodeContext

if TYPE_CHECKING:
    from engine.executor.runner import Run

log = logging.getLogger("engine.executor.runner")

_QUEUED = NodeState.QUEUED
_RUNNING = NodeState.RUNNING
_COMPLETED = NodeState.COMPLETED
_FAILED = NodeState.FAILED
_CANCELLED = NodeState.CANCELLED
CALLBACK_FAILED = "an execution event callback raised; the run goes on"


async def run_unit(run: Run, node: NodeRun, unit: Unit) -> None:
    """Run a unit that holds a slot (with its retries), then record how it ended."""
    planned = node.planned
    node_type = planned.type
    values: dict[str, Any] | None = None
    holding = True
    reserved = 0.0
    try:
        if not (node_type.free or node.preview):
            reserved = reserve(run, node, unit)
        unit.started_at = now = time.time()
        unit.t0 = time.perf_counter()
        unit.status = _RUNNING
        if unit is not node and node.status is _QUEUED:
            node.status = _RUNNING
            node.started_at, node.t0 = now, unit.t0
            run.node_event(node, _RUNNING)
        context = NodeContext(
            planned.node_id,
            planned.type_name,
            planned.params,
            run.artifacts,
            run.base_dir,
            run.output_dir,
            run.run_inputs,
            run.preview,
            unit.index,
            unit,  # units are their own progress callbacks
            run.confine_files,
        )
        attempt = 0
        while True:
            attempt += 1
            unit.attempts = attempt
            if unit is not node and attempt > node.attempts:
                node.attempts = attempt
            if run.on_event is not None:
                event = ExecutionEvent(
                    run.execution_id,
                    _RUNNING,
                    planned.node_id,
                    now if attempt == 1 else time.time(),
                    None,
                    None,
                    None,
                    None,
                    None,
                    unit.index,
                    attempt,
                    None,
                    node.preview,
                )
                try:
                    run.on_event(event)
                except Exception:
                    log.exception(CALLBACK_FAILED)
            if run.timeout is not None:  # arm the timeout (see Run.check_deadlines)
                began = unit.t0 if attempt == 1 else time.perf_counter()
                unit.deadline = began + run.timeout
                if run.watchdog is None:
                    run.watchdog = run.loop.call_later(run.timeout, run.check_deadlines)
            try:
                try:
                    if node_type.is_async:
                        result = await node_type.implementation(context, dict(unit.inputs))  # type: ignore[misc]
                    else:
                        result = await invoke(planned, context, dict(unit.inputs))
                except asyncio.CancelledError:
                    if unit.expired and not run.cancelled and unit.task is not None:
                        unit.task.uncancel()
                        raise TimedOut from None
                    raise
                finally:
                    unit.deadline = None
                if type(result) is not dict or node_type.list_outputs:
                    if inspect.isawaitable(result):
                        result = await result
                    result = normalise_outputs(planned, result)
            except TransientNodeError as exc:
                failure = error_info(exc)
                delay = run.retry.delay(attempt, exc.retry_after)
            except TimedOut:
                unit.expired = False
                failure = NodeErrorInfo(
                    ErrorKind.TIMEOUT,
                    f"timed out after {run.timeout:g} s",
                    {"timeoutS": run.timeout},
                )
                if not run.retry.retry_timeouts:
                    raise Failure(failure) from None
                delay = run.retry.delay(attempt)
            except Exception as exc:
                if not isinstance(exc, NodeError):
                    log.warning("node %s crashed", planned.node_id, exc_info=exc)
                raise Failure(error_info(exc)) from exc
            else:
                values = result
                break
            if attempt >= run.retry.max_attempts:
                message = f"{failure.message} (gave up after {attempt} attempts)"
                raise Failure(NodeErrorInfo(failure.kind, message, failure.details))
            run.node_event(
                node,
                _RUNNING,
                item=unit.index,
                attempt=attempt + 1,
                message=f"attempt {attempt} failed ({failure.message}); retrying in {delay:.2g} s",
            )
            holding = False
            run.release_slot()
            await asyncio.sleep(delay)
            await run.acquire_slot()
            holding = True
    except asyncio.CancelledError:
        unit.finish(_CANCELLED)
    except Failure as failure:
        unit.error = failure.info
        unit.finish(_FAILED)
    except Exception as exc:  # a bug outside the node's code: fail the node, not the run
        log.exception("executor error while running node %s", planned.node_id)
        unit.error = error_info(exc)
        unit.finish(_FAILED)
    else:
        if reserved:
            run.charged += reserved
            unit.credits = reserved
        if unit is not node:
            unit.progress = 1.0
            unit.finish(_COMPLETED)
        if unit.key is not None and run.cache is not None:
            run.cache.put(unit.key, values, node_type=planned.type_name)
    finally:
        if reserved:
            run.reserved -= reserved
        if holding:
            if run.backlog or run.slot_waiters:
                run.release_slot()
            else:
                run.free += 1
    unit.task = None
    if unit is node and values is not None:  # the common case, inlined
        run.complete(node, values)
        run.settle(node)
    else:
        run.unit_done(node, unit, values)


def reserve(run: Run, node: NodeRun, unit: Unit) -> float:
    """Set aside the credits of one run of a priced node; refuse to overspend."""
    planned = node.planned
    # Inputs override params: a wired prompt is what a per-character price counts.
    price = planned.type.spec.pricing.estimate({**planned.params, **unit.inputs})
    if run.budget is not None and price:
        left = run.budget - run.charged - run.reserved
        if price > left + 1e-9:
            left = max(left, 0.0)
            raise Failure(
                NodeErrorInfo(
                    ErrorKind.PERMANENT,
                    f"not enough credits left to run this node: it needs {price:g}, "
                    f"{left:g} of the budget of {run.budget:g} remain",
                    {"requiredCredits": price, "availableCredits": left},
                )
            )
    run.reserved += price
    return price
