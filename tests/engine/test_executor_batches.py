"""Batches: a list on a one-item input fans the node out, one run per item."""

from __future__ import annotations

import time
from pathlib import Path

from engine.executor import ErrorKind, ExecutionEvent, NodeState, RunOptions
from engine.values import Batch, decode_value
from tests.engine.conftest import ExecKit, make_workflow


def three_lines(**upper: object) -> dict[str, tuple[str, dict[str, object]]]:
    return {
        "lines": ("x.split", {"items": ["red", "green", "blue"]}),
        "shout": ("x.upper", dict(upper)),
        "joined": ("x.join", {}),
    }


WIRES = ("lines.items->shout.text", "shout.text->joined.items")


async def test_three_item_list_fans_a_node_out_three_times(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    events: list[ExecutionEvent] = []
    record = await exec_kit.executor(data_dir).run(
        make_workflow(three_lines(), *WIRES), on_event=events.append
    )

    shout = record.node("shout")
    assert exec_kit.calls["shout"] == 3
    assert shout.status is NodeState.COMPLETED
    assert [(i.index, i.status, i.attempts) for i in shout.items] == [
        (0, NodeState.COMPLETED, 1),
        (1, NodeState.COMPLETED, 1),
        (2, NodeState.COMPLETED, 1),
    ]
    assert all(i.duration_ms is not None and i.started_at for i in shout.items)
    assert decode_value(shout.outputs) == {"text": Batch(("RED", "GREEN", "BLUE"))}
    # An is_list input receives the whole batch as a Python list.
    assert record.node("joined").outputs == {"text": "RED+GREEN+BLUE"}
    assert record.node("joined").items == []

    item_events = [(e.item, e.state) for e in events if e.node_id == "shout" and e.item is not None]
    for index in range(3):
        assert (index, NodeState.RUNNING) in item_events
        assert (index, NodeState.COMPLETED) in item_events
    completed = [e for e in events if e.node_id == "shout" and e.state is NodeState.COMPLETED]
    assert [e.outputs for e in completed if e.item is not None] != []
    node_progress = [e.progress for e in events if e.node_id == "shout" and e.item is None]
    assert [p for p in node_progress if p is not None] == [1 / 3, 2 / 3]


async def test_items_run_concurrently_within_the_bound(exec_kit: ExecKit, data_dir: Path) -> None:
    executor = exec_kit.executor(data_dir, cache=False)
    workflow = make_workflow(three_lines(seconds=0.1), *WIRES)

    started = time.perf_counter()
    await executor.run(workflow)
    concurrent = time.perf_counter() - started
    started = time.perf_counter()
    await executor.run(workflow, RunOptions(max_concurrency=1))
    one_at_a_time = time.perf_counter() - started

    assert concurrent < 0.25
    assert one_at_a_time >= 0.3


async def test_batches_zip_and_scalars_broadcast(data_dir: Path) -> None:
    kit = ExecKit()
    spec = kit.catalog.spec("x.join").model_copy(
        update={
            "type": "x.pair",
            "inputs": (
                kit.catalog.spec("x.upper").inputs[0],
                kit.catalog.spec("x.upper").inputs[0].model_copy(update={"name": "other"}),
                kit.catalog.spec("x.upper").inputs[0].model_copy(update={"name": "suffix"}),
            ),
        }
    )

    async def pair(ctx: object, inputs: dict[str, object]) -> dict[str, object]:
        return {"text": f"{inputs['text']}-{inputs['other']}{inputs['suffix']}"}

    kit.catalog.register(spec, pair)
    workflow = make_workflow(
        {
            "a": ("x.split", {"items": ["1", "2"]}),
            "b": ("x.split", {"items": ["x", "y"]}),
            "p": ("x.pair", {"suffix": "!"}),
        },
        "a.items->p.text",
        "b.items->p.other",
    )
    record = await kit.executor(data_dir).run(workflow)
    assert decode_value(record.node("p").outputs) == {"text": Batch(("1-x!", "2-y!"))}


async def test_batches_of_different_lengths_fail_clearly(exec_kit: ExecKit, data_dir: Path) -> None:
    spec = exec_kit.catalog.spec("x.upper")
    exec_kit.catalog.register(
        spec.model_copy(
            update={
                "type": "x.two",
                "inputs": (spec.inputs[0], spec.inputs[0].model_copy(update={"name": "more"})),
            }
        ),
        exec_kit.catalog.entry("x.upper").implementation,
    )
    workflow = make_workflow(
        {
            "a": ("x.split", {"items": ["1", "2", "3"]}),
            "b": ("x.split", {"items": ["x", "y"]}),
            "two": ("x.two", {}),
        },
        "a.items->two.text",
        "b.items->two.more",
    )
    record = await exec_kit.executor(data_dir).run(workflow)
    error = record.node("two").error
    assert error is not None and error.kind is ErrorKind.PERMANENT
    assert error.message == (
        "batch inputs have different lengths (text has 3, more has 2); "
        "feed lists of the same length"
    )
    assert exec_kit.calls["two"] == 0


async def test_a_failing_item_fails_the_node_and_the_record_says_which(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    nodes = three_lines()
    nodes["lines"] = ("x.split", {"items": ["ok", "boom", "fine"]})
    record = await exec_kit.executor(data_dir).run(make_workflow(nodes, *WIRES))

    shout = record.node("shout")
    assert shout.status is NodeState.FAILED
    assert [i.status for i in shout.items] == [
        NodeState.COMPLETED,
        NodeState.FAILED,
        NodeState.COMPLETED,
    ]
    assert shout.items[1].error is not None
    assert shout.items[1].error.message == "cannot shout 'boom'"
    assert shout.error is not None
    assert shout.error.message == "1 of 3 items failed; item 1: cannot shout 'boom'"
    assert shout.error.details["failedItems"] == [1]
    assert record.node("joined").status is NodeState.SKIPPED


async def test_credits_are_counted_per_item_and_in_total(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow(
        {"lines": ("x.split", {"items": ["a", "b", "c"]}), "paid": ("x.priced", {})},
        "lines.items->paid.value",
    )
    record = await exec_kit.executor(data_dir).run(workflow)
    paid = record.node("paid")
    assert [i.credits for i in paid.items] == [2.5, 2.5, 2.5]
    assert paid.credits == 7.5 == record.credits


async def test_items_beyond_the_budget_are_refused(exec_kit: ExecKit, data_dir: Path) -> None:
    workflow = make_workflow(
        {"lines": ("x.split", {"items": ["a", "b", "c"]}), "paid": ("x.priced", {})},
        "lines.items->paid.value",
    )
    # The estimate (one run, 2.5) fits; the fan-out to three items does not.
    record = await exec_kit.executor(data_dir).run(workflow, RunOptions(budget=5))
    paid = record.node("paid")
    assert exec_kit.calls["paid"] == 2
    assert record.credits == 5
    assert [i.status for i in paid.items].count(NodeState.FAILED) == 1
    assert paid.error is not None and "not enough credits left" in paid.error.message


async def test_an_empty_batch_completes_with_empty_outputs(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    nodes = three_lines()
    nodes["lines"] = ("x.split", {"items": []})
    record = await exec_kit.executor(data_dir).run(make_workflow(nodes, *WIRES))
    assert exec_kit.calls["shout"] == 0
    assert decode_value(record.node("shout").outputs) == {"text": Batch(())}
    assert record.node("joined").outputs == {"text": ""}


async def test_items_are_cached_one_by_one(exec_kit: ExecKit, data_dir: Path) -> None:
    executor = exec_kit.executor(data_dir)
    await executor.run(make_workflow(three_lines(), *WIRES))
    nodes = three_lines()
    nodes["lines"] = ("x.split", {"items": ["red", "teal", "blue"]})

    record = await executor.run(make_workflow(nodes, *WIRES))
    shout = record.node("shout")
    assert [i.cached for i in shout.items] == [True, False, True]
    assert exec_kit.calls["shout[1]"] == 2 and exec_kit.calls["shout[0]"] == 1
    assert shout.status is NodeState.COMPLETED
    assert record.node("joined").outputs == {"text": "RED+TEAL+BLUE"}

    again = await executor.run(make_workflow(nodes, *WIRES))
    assert again.node("shout").status is NodeState.CACHED
    assert all(i.status is NodeState.CACHED for i in again.node("shout").items)
