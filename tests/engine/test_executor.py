"""The executor's core semantics: concurrency, data flow, failures, retries, timeouts,
cancellation, budget, progress and the events and records consumers see."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from engine.errors import BudgetExceededError, InputError, UnknownNodeTypeError
from engine.executor import (
    ErrorKind,
    ExecutionEvent,
    ExecutionRecord,
    ExecutionState,
    NodeState,
    PlanError,
    RetryPolicy,
    RunOptions,
)
from tests.engine.conftest import ExecKit, make_workflow

FAST_RETRY = RetryPolicy(initial_delay_s=0.001, max_delay_s=0.01, jitter=0.0)


def node_events(events: list[ExecutionEvent], node_id: str) -> list[ExecutionEvent]:
    return [e for e in events if e.node_id == node_id]


async def test_independent_branches_run_concurrently(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow(
        {"left": ("x.sleep", {"seconds": 0.2}), "right": ("x.sleep", {"seconds": 0.2})}
    )
    started = time.perf_counter()
    record = await exec_kit.executor(data_dir).run(workflow)
    elapsed_ms = (time.perf_counter() - started) * 1000

    assert record.status is ExecutionState.COMPLETED
    assert [n.status for n in record.nodes] == [NodeState.COMPLETED, NodeState.COMPLETED]
    assert all(n.duration_ms is not None and n.duration_ms >= 190 for n in record.nodes)
    assert elapsed_ms < 330, f"two 200 ms branches took {elapsed_ms:.0f} ms"
    assert record.duration_ms is not None and record.duration_ms < 330


async def test_outputs_flow_along_edges_and_become_run_outputs(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    workflow = make_workflow(
        {
            "answer": ("x.const", {"value": 42}),
            "relay": ("x.sleep", {}),
            "out": ("output.value", {"name": "result"}),
        },
        "answer.value->relay.value",
        "relay.value->out.value",
    )
    record = await exec_kit.executor(data_dir).run(workflow)

    assert record.node("relay").outputs == {"value": 42}
    assert record.outputs == {"result": 42}


async def test_sink_outputs_are_the_run_outputs_without_output_nodes(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    workflow = make_workflow(
        {"a": ("x.const", {"value": "a"}), "b": ("x.sleep", {}), "c": ("x.const", {"value": 3})},
        "a.value->b.value",
    )
    record = await exec_kit.executor(data_dir).run(workflow)
    assert record.outputs == {"b": "a", "c": 3}


async def test_unwired_input_takes_its_value_from_data(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow({"shout": ("x.upper", {"text": "quiet"})})
    record = await exec_kit.executor(data_dir).run(workflow)
    assert record.node("shout").outputs == {"text": "QUIET"}


async def test_run_inputs_reach_input_nodes(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow(
        {"brief": ("input.value", {"name": "brief"}), "shout": ("x.upper", {})},
        "brief.value->shout.text",
    )
    record = await exec_kit.executor(data_dir).run(
        workflow, RunOptions(inputs={"brief": "a red shoe"})
    )
    assert record.outputs == {"shout": "A RED SHOE"}


async def test_unknown_run_input_is_refused(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow({"brief": ("input.value", {"name": "brief"})})
    with pytest.raises(InputError, match=r"'brefi'.*inputs are: brief"):
        exec_kit.executor(data_dir).start(workflow, RunOptions(inputs={"brefi": "x"}))


async def test_events_describe_every_transition(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow({"a": ("x.const", {"value": 1})})
    events: list[ExecutionEvent] = []
    record = await exec_kit.executor(data_dir).run(workflow, on_event=events.append)

    run_states = [e.state for e in events if e.node_id is None]
    assert run_states == [ExecutionState.QUEUED, ExecutionState.RUNNING, ExecutionState.COMPLETED]
    queued, running, completed = node_events(events, "a")
    assert (queued.state, running.state, completed.state) == (
        NodeState.QUEUED,
        NodeState.RUNNING,
        NodeState.COMPLETED,
    )
    assert running.attempt == 1
    assert completed.outputs == {"value": 1}
    assert completed.credits == 0
    assert completed.duration_ms is not None and completed.duration_ms >= 0
    assert {e.execution_id for e in events} == {record.execution_id}
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert events[-1].to_json()["outputs"] == {"a": 1}


async def test_failing_node_skips_descendants_while_sibling_branch_completes(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    workflow = make_workflow(
        {
            "refused": ("x.fail", {}),
            "after": ("x.sleep", {}),
            "later": ("x.sleep", {}),
            "sibling": ("x.sleep", {"seconds": 0.05, "value": "fine"}),
            "sibling_child": ("x.sleep", {}),
        },
        "refused.value->after.value",
        "after.value->later.value",
        "sibling.value->sibling_child.value",
    )
    events: list[ExecutionEvent] = []
    record = await exec_kit.executor(data_dir).run(workflow, on_event=events.append)

    assert record.status is ExecutionState.FAILED
    refused = record.node("refused")
    assert refused.status is NodeState.FAILED
    assert refused.error is not None
    assert refused.error.kind is ErrorKind.PERMANENT
    assert refused.error.message == "the prompt was refused"
    assert refused.error.details == {"code": "refused"}
    for skipped in ("after", "later"):
        node = record.node(skipped)
        assert node.status is NodeState.SKIPPED
        assert node.message == "skipped because upstream node 'refused' failed"
        assert exec_kit.calls[skipped] == 0
    assert record.node("sibling_child").status is NodeState.COMPLETED
    assert record.node("sibling_child").outputs == {"value": "fine"}
    assert record.error is not None and "'refused'" in record.error
    assert [e.state for e in node_events(events, "after")] == [
        NodeState.QUEUED,
        NodeState.SKIPPED,
    ]


async def test_every_node_of_the_run_is_queued_when_it_starts(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    workflow = make_workflow(
        {
            "first": ("x.sleep", {"seconds": 0.01, "value": "a"}),
            "second": ("x.sleep", {}),
            "third": ("x.sleep", {}),
        },
        "first.value->second.value",
        "second.value->third.value",
    )
    events: list[ExecutionEvent] = []
    handle = exec_kit.executor(data_dir).start(workflow, on_event=events.append)
    await handle.wait()
    node_states = [(e.node_id, e.state) for e in events if e.node_id is not None]
    # Before any node runs, the whole chain is announced QUEUED, in plan order.
    assert node_states[:4] == [
        ("first", NodeState.QUEUED),
        ("second", NodeState.QUEUED),
        ("third", NodeState.QUEUED),
        ("first", NodeState.RUNNING),
    ]
    for node_id in ("first", "second", "third"):
        assert [e.state for e in node_events(events, node_id)].count(NodeState.QUEUED) == 1


async def test_unexpected_exception_is_a_crash(exec_kit: ExecKit, data_dir: Path) -> None:
    record = await exec_kit.executor(data_dir).run(make_workflow({"bug": ("x.crash", {})}))
    error = record.node("bug").error
    assert error is not None
    assert (error.kind, error.message) == (ErrorKind.CRASH, "ValueError: bad pixel")


async def test_transient_error_is_retried_then_succeeds(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow({"api": ("x.flaky", {"failures": 1})})
    events: list[ExecutionEvent] = []
    record = await exec_kit.executor(data_dir).run(
        workflow, RunOptions(retry=FAST_RETRY), events.append
    )

    node = record.node("api")
    assert (node.status, node.attempts, node.outputs) == (NodeState.COMPLETED, 2, {"value": "ok"})
    running = [e for e in node_events(events, "api") if e.state is NodeState.RUNNING]
    assert [e.attempt for e in running] == [1, 2, 2]
    assert running[1].message is not None
    assert "HTTP 503 from provider" in running[1].message
    assert "retrying in 0.01 s" in running[1].message  # the error's retry_after wins


async def test_transient_error_gives_up_after_the_last_attempt(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    workflow = make_workflow({"api": ("x.flaky", {"failures": 10})})
    record = await exec_kit.executor(data_dir).run(
        workflow, RunOptions(retry=FAST_RETRY.model_copy(update={"max_attempts": 3}))
    )
    node = record.node("api")
    assert node.status is NodeState.FAILED
    assert node.attempts == 3 == exec_kit.calls["api"]
    assert node.error is not None and node.error.kind is ErrorKind.TRANSIENT
    assert node.error.message == "HTTP 503 from provider (gave up after 3 attempts)"


async def test_permanent_error_is_not_retried(exec_kit: ExecKit, data_dir: Path) -> None:
    record = await exec_kit.executor(data_dir).run(
        make_workflow({"refused": ("x.fail", {})}), RunOptions(retry=FAST_RETRY)
    )
    assert record.node("refused").attempts == 1 == exec_kit.calls["refused"]


async def test_timeout_fails_the_node_with_a_clear_error(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow(
        {"stuck": ("x.hang", {}), "next": ("x.sleep", {}), "other": ("x.const", {"value": 1})},
        "stuck.value->next.value",
    )
    started = time.perf_counter()
    record = await exec_kit.executor(data_dir).run(workflow, RunOptions(node_timeout_s=0.05))

    assert time.perf_counter() - started < 1.0
    stuck = record.node("stuck")
    assert stuck.status is NodeState.FAILED
    assert stuck.error is not None
    assert (stuck.error.kind, stuck.error.message) == (ErrorKind.TIMEOUT, "timed out after 0.05 s")
    assert stuck.attempts == 1  # timeouts are not retried by default
    assert record.node("next").status is NodeState.SKIPPED
    assert record.node("other").status is NodeState.COMPLETED


async def test_timeouts_are_retried_when_the_policy_says_so(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    policy = FAST_RETRY.model_copy(update={"retry_timeouts": True, "max_attempts": 2})
    record = await exec_kit.executor(data_dir).run(
        make_workflow({"stuck": ("x.hang", {})}), RunOptions(node_timeout_s=0.02, retry=policy)
    )
    stuck = record.node("stuck")
    assert stuck.attempts == 2 == exec_kit.calls["stuck"]
    assert stuck.error is not None
    assert stuck.error.message == "timed out after 0.02 s (gave up after 2 attempts)"


async def test_node_raising_its_own_timeout_error_is_a_crash(data_dir: Path) -> None:
    kit = ExecKit()

    async def own_timeout(ctx: object, inputs: object) -> dict[str, object]:
        raise TimeoutError("socket read timed out")

    kit.catalog.register(
        kit.catalog.spec("x.const").model_copy(update={"type": "x.t"}), own_timeout
    )
    record = await kit.executor(data_dir).run(make_workflow({"t": ("x.t", {})}))
    error = record.node("t").error
    assert error is not None
    assert (error.kind, error.message) == (ErrorKind.CRASH, "TimeoutError: socket read timed out")


async def test_cancel_stops_running_nodes_and_records_cancelled(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    workflow = make_workflow(
        {
            "slow": ("x.sleep", {"seconds": 30}),
            "thread": ("x.sync_sleep", {"seconds": 0.3}),
            "after": ("x.sleep", {}),
            "done": ("x.const", {"value": 1}),
        },
        "slow.value->after.value",
    )
    events: list[ExecutionEvent] = []
    handle = exec_kit.executor(data_dir).start(workflow, on_event=events.append)
    while not any(e.node_id == "slow" and e.state is NodeState.RUNNING for e in events):
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.02)  # let "done" finish
    assert handle.record.node("slow").status is NodeState.RUNNING

    started = time.perf_counter()
    handle.cancel()
    handle.cancel()  # idempotent
    record = await asyncio.wait_for(handle.wait(), 5)

    assert time.perf_counter() - started < 1.0
    assert record.status is ExecutionState.CANCELLED
    assert record.node("slow").status is NodeState.CANCELLED
    assert record.node("thread").status is NodeState.CANCELLED
    assert record.node("after").status is NodeState.CANCELLED
    assert record.node("after").message == "the run was cancelled before this node started"
    assert record.node("done").status is NodeState.COMPLETED
    assert events[-1].state is ExecutionState.CANCELLED
    handle.cancel()  # after the end: still harmless
    assert handle.record is record


async def test_cancel_from_another_thread(exec_kit: ExecKit, data_dir: Path) -> None:
    handle = exec_kit.executor(data_dir).start(make_workflow({"slow": ("x.hang", {})}))
    await asyncio.sleep(0.02)
    canceller = threading.Thread(target=handle.cancel)
    canceller.start()
    canceller.join()
    record = await asyncio.wait_for(handle.wait(), 5)
    assert record.node("slow").status is NodeState.CANCELLED


async def test_cancelling_the_caller_of_run_cancels_the_run(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    events: list[ExecutionEvent] = []
    executor = exec_kit.executor(data_dir)
    task = asyncio.create_task(
        executor.run(make_workflow({"slow": ("x.hang", {})}), on_event=events.append)
    )
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if events[-1].state is ExecutionState.CANCELLED:
            break
        await asyncio.sleep(0.01)
    assert events[-1].state is ExecutionState.CANCELLED


async def test_concurrency_is_bounded(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow({f"n{i}": ("x.sleep", {"seconds": 0.05}) for i in range(4)})
    events: list[ExecutionEvent] = []
    started = time.perf_counter()
    record = await exec_kit.executor(data_dir).run(
        workflow, RunOptions(max_concurrency=2), events.append
    )
    assert time.perf_counter() - started >= 0.1
    assert record.status is ExecutionState.COMPLETED
    running = 0
    peak = 0
    for event in events:
        if event.node_id and event.state is NodeState.RUNNING:
            running += 1
        elif event.node_id and event.state is NodeState.COMPLETED:
            running -= 1
        peak = max(peak, running)
    assert peak == 2


async def test_budget_check_refuses_before_anything_runs(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow(
        {
            "hero": ("x.priced", {"count": 2}),
            "extra": ("x.priced", {}),
            "text": ("x.const", {"value": "free"}),
        },
        "text.value->extra.value",
    )
    events: list[ExecutionEvent] = []
    with pytest.raises(BudgetExceededError) as refused:
        exec_kit.executor(data_dir).start(workflow, RunOptions(budget=6), events.append)

    assert events == []
    assert not exec_kit.calls
    assert refused.value.available == 6
    estimate = refused.value.estimate
    assert estimate.total == 7.5
    assert [(n.node_id, n.credits) for n in estimate.nodes] == [
        ("hero", 5.0),
        ("extra", 2.5),
        ("text", 0.0),
    ]
    assert "needs 7.5 credits but only 6 are available" in str(refused.value)


async def test_credits_are_charged_per_node_and_in_total(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow({"hero": ("x.priced", {"count": 2}), "extra": ("x.priced", {})})
    record = await exec_kit.executor(data_dir).run(workflow, RunOptions(budget=7.5))
    assert [n.credits for n in record.nodes] == [5.0, 2.5]
    assert record.credits == 7.5
    assert record.estimated_credits == 7.5


async def test_preview_runs_hosted_nodes_without_charging(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    workflow = make_workflow({"hero": ("x.priced", {"count": 2}), "text": ("x.const", {})})
    events: list[ExecutionEvent] = []
    executor = exec_kit.executor(data_dir)
    options = RunOptions(preview=True, budget=0)
    estimate = executor.estimate(workflow, options)
    record = await executor.run(workflow, options, events.append)

    assert estimate.total == 0
    assert [(n.node_id, n.credits, n.preview) for n in estimate.nodes] == [
        ("hero", 5.0, True),
        ("text", 0.0, False),
    ]
    hero = record.node("hero")
    assert (hero.credits, hero.preview, hero.outputs) == (0.0, True, {"value": "preview=True"})
    assert record.node("text").preview is False
    assert record.credits == 0 and record.preview
    assert all(e.preview for e in node_events(events, "hero"))


async def test_sync_node_progress_reported_from_its_thread_arrives_as_events(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    events: list[ExecutionEvent] = []
    record = await exec_kit.executor(data_dir).run(
        make_workflow({"work": ("x.progress", {})}), on_event=events.append
    )
    assert exec_kit.progress_threads and exec_kit.progress_threads[0] != threading.get_ident()
    progress = [(e.progress, e.message) for e in node_events(events, "work") if e.progress]
    assert progress == [(0.25, "warming up"), (0.5, None), (1.0, "done")]
    assert record.node("work").status is NodeState.COMPLETED


async def test_a_raising_event_callback_does_not_break_the_run(
    exec_kit: ExecKit, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(event: ExecutionEvent) -> None:
        raise RuntimeError("consumer bug")

    record = await exec_kit.executor(data_dir).run(
        make_workflow({"a": ("x.const", {"value": 1})}), on_event=explode
    )
    assert record.status is ExecutionState.COMPLETED
    assert "callback raised" in caplog.text


async def test_graphs_that_cannot_run_are_refused_before_anything_runs(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    executor = exec_kit.executor(data_dir)
    cycle = make_workflow(
        {"a": ("x.sleep", {}), "b": ("x.sleep", {}), "c": ("x.sleep", {})},
        "a.value->b.value",
        "b.value->c.value",
        "c.value->a.value",
    )
    with pytest.raises(PlanError, match="cycle: a → b → c → a"):
        executor.start(cycle)
    with pytest.raises(
        UnknownNodeTypeError, match=r"node 'n': unknown node type 'x\.slep'.*x\.sleep"
    ):
        executor.start(make_workflow({"n": ("x.slep", {})}))
    with pytest.raises(PlanError, match="no input 'txt'"):
        executor.start(
            make_workflow({"a": ("x.const", {}), "b": ("x.upper", {})}, "a.value->b.txt")
        )
    assert not exec_kit.calls


async def test_record_serialises_to_camel_case_json_and_back(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    record = await exec_kit.executor(data_dir).run(
        make_workflow({"fails": ("x.fail", {}), "ok": ("x.const", {"value": [1, 2]})})
    )
    data = record.to_json()
    assert {"executionId", "workflowName", "startedAt", "finishedAt", "durationMs"} <= set(data)
    node = data["nodes"][0]
    assert {"nodeId", "startedAt", "finishedAt", "durationMs", "attempts", "items"} <= set(node)
    assert node["error"] == {
        "kind": "permanent",
        "message": "the prompt was refused",
        "details": {"code": "refused"},
    }
    assert ExecutionRecord.model_validate(data) == record


async def test_interrupted_record_becomes_failed(exec_kit: ExecKit, data_dir: Path) -> None:
    handle = exec_kit.executor(data_dir).start(
        make_workflow({"slow": ("x.hang", {}), "quick": ("x.const", {"value": 1})})
    )
    await asyncio.sleep(0.02)
    live = ExecutionRecord.model_validate(handle.record.to_json())
    handle.cancel()
    await handle.wait()

    interrupted = live.mark_interrupted("the server stopped", at=123.0)
    assert interrupted.status is ExecutionState.FAILED
    slow = interrupted.node("slow")
    assert slow.status is NodeState.FAILED
    assert slow.error is not None and slow.error.kind is ErrorKind.INTERRUPTED
    assert interrupted.node("quick").status is NodeState.COMPLETED
    assert interrupted.error == "the server stopped"


async def test_live_record_shows_progress(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow(
        {"quick": ("x.const", {"value": 1}), "slow": ("x.sleep", {"seconds": 0.1})}
    )
    handle = exec_kit.executor(data_dir).start(workflow)
    assert handle.record.status is ExecutionState.QUEUED
    assert [n.status for n in handle.record.nodes] == [NodeState.PENDING, NodeState.PENDING]
    await asyncio.sleep(0.03)
    live = handle.record
    assert live.status is ExecutionState.RUNNING
    assert live.node("quick").status is NodeState.COMPLETED
    assert live.node("slow").status is NodeState.RUNNING
    assert live.progress == 0.5
    assert (await handle.wait()).progress == 1.0
