"""Caching through the executor: CACHED re-runs, forced re-runs and partial runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from engine.cache import NodeCache
from engine.catalog import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.executor import ExecutionState, Executor, NodeState, RunOptions, RunScope
from engine.nodes.base import NodeContext, Outputs
from engine.workflow import Workflow
from tests.engine.conftest import ExecKit, make_workflow


def pipeline(greeting: str = "hello") -> Workflow:
    """source → middle → sink, plus an unrelated branch other → other_child."""
    return make_workflow(
        {
            "source": ("x.const", {"value": greeting}),
            "middle": ("x.upper", {}),
            "sink": ("x.sleep", {}),
            "other": ("x.const", {"value": 1}),
            "other_child": ("x.sleep", {}),
        },
        "source.value->middle.text",
        "middle.text->sink.value",
        "other.value->other_child.value",
    )


def states(record: Any) -> dict[str, NodeState]:
    return {node.node_id: node.status for node in record.nodes}


async def test_second_run_reports_every_node_cached(exec_kit: ExecKit, data_dir: Path) -> None:
    executor = exec_kit.executor(data_dir)
    first = await executor.run(pipeline())
    calls = dict(exec_kit.calls)
    second = await executor.run(pipeline())

    assert set(states(first).values()) == {NodeState.COMPLETED}
    assert set(states(second).values()) == {NodeState.CACHED}
    assert dict(exec_kit.calls) == calls
    assert second.status is ExecutionState.COMPLETED
    assert all(n.cached and n.duration_ms == 0 and n.credits == 0 for n in second.nodes)
    assert second.node("sink").outputs == first.node("sink").outputs == {"value": "HELLO"}
    assert second.outputs == first.outputs


async def test_cache_survives_a_new_executor(exec_kit: ExecKit, data_dir: Path) -> None:
    await exec_kit.executor(data_dir).run(pipeline())
    record = await exec_kit.executor(data_dir).run(pipeline())
    assert set(states(record).values()) == {NodeState.CACHED}


async def test_changing_a_param_reruns_only_that_node_and_its_descendants(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    executor = exec_kit.executor(data_dir)
    await executor.run(pipeline("hello"))
    record = await executor.run(pipeline("bonjour"))
    assert states(record) == {
        "source": NodeState.COMPLETED,
        "middle": NodeState.COMPLETED,
        "sink": NodeState.COMPLETED,
        "other": NodeState.CACHED,
        "other_child": NodeState.CACHED,
    }
    assert record.node("sink").outputs == {"value": "BONJOUR"}


async def test_a_rerun_with_identical_outputs_lets_descendants_hit_the_cache(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    executor = exec_kit.executor(data_dir)
    await executor.run(pipeline("hello"))
    # "HeLLo" upper-cases to the same text, so the sink's input is unchanged.
    record = await executor.run(pipeline("HeLLo"))
    assert record.node("middle").status is NodeState.COMPLETED
    assert record.node("sink").status is NodeState.CACHED


async def test_use_cache_false_forces_every_node_to_rerun(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    executor = exec_kit.executor(data_dir)
    await executor.run(pipeline())
    record = await executor.run(pipeline(), RunOptions(use_cache=False))
    assert set(states(record).values()) == {NodeState.COMPLETED}
    assert exec_kit.calls["source"] == 2


async def test_run_from_node_reruns_it_and_its_descendants_only(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    executor = exec_kit.executor(data_dir)
    await executor.run(pipeline())
    record = await executor.run(
        pipeline(), RunOptions(scope=RunScope.FROM_NODE, target_node_id="middle")
    )
    assert states(record) == {
        "source": NodeState.CACHED,
        "middle": NodeState.COMPLETED,
        "sink": NodeState.COMPLETED,
    }
    assert record.scope is RunScope.FROM_NODE and record.target_node_id == "middle"
    assert exec_kit.calls["other"] == 1


async def test_run_from_node_runs_uncached_ancestors(exec_kit: ExecKit, data_dir: Path) -> None:
    record = await exec_kit.executor(data_dir).run(
        pipeline(), RunOptions(scope=RunScope.FROM_NODE, target_node_id="middle")
    )
    assert set(states(record).values()) == {NodeState.COMPLETED}
    assert set(states(record)) == {"source", "middle", "sink"}


async def test_run_only_node_runs_it_and_what_it_needs(exec_kit: ExecKit, data_dir: Path) -> None:
    executor = exec_kit.executor(data_dir)
    first = await executor.run(
        pipeline(), RunOptions(scope=RunScope.ONLY_NODE, target_node_id="middle")
    )
    assert states(first) == {"source": NodeState.COMPLETED, "middle": NodeState.COMPLETED}
    assert first.outputs == {"middle": "HELLO"}

    again = await executor.run(
        pipeline(), RunOptions(scope=RunScope.ONLY_NODE, target_node_id="middle")
    )
    assert states(again) == {"source": NodeState.CACHED, "middle": NodeState.COMPLETED}
    assert exec_kit.calls["sink"] == 0


async def test_changing_a_run_input_reruns_the_input_node(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    executor = exec_kit.executor(data_dir)
    workflow = make_workflow(
        {"brief": ("input.value", {"name": "brief"}), "shout": ("x.upper", {})},
        "brief.value->shout.text",
    )
    await executor.run(workflow, RunOptions(inputs={"brief": "a"}))
    same = await executor.run(workflow, RunOptions(inputs={"brief": "a"}))
    other = await executor.run(workflow, RunOptions(inputs={"brief": "b"}))
    assert set(states(same).values()) == {NodeState.CACHED}
    assert set(states(other).values()) == {NodeState.COMPLETED}


def _file_catalog_kit() -> ExecKit:
    kit = ExecKit()

    def read(ctx: NodeContext, inputs: dict[str, Any]) -> Outputs:
        kit.calls[ctx.node_id] += 1
        data = ctx.existing_file(str(ctx.params["path"])).read_bytes()
        artifact = ctx.artifacts.put_bytes(data, kind=PortType.IMAGE, media_type="image/png")
        return {"image": artifact}

    kit.catalog.register(
        NodeSpec(
            type="x.read",
            category=Category.IMAGE,
            display_name="Read",
            params=(ParamSpec(name="path", kind=ParamKind.FILE),),
            outputs=(PortSpec(name="image", type=PortType.IMAGE),),
        ),
        read,
    )
    return kit


async def test_editing_a_file_named_by_a_param_reruns_the_node(data_dir: Path) -> None:
    kit = _file_catalog_kit()
    picture = data_dir / "picture.png"
    picture.write_bytes(b"one")
    executor = kit.executor(data_dir)
    workflow = make_workflow({"read": ("x.read", {"path": "picture.png"})})

    await executor.run(workflow)
    assert (await executor.run(workflow)).node("read").status is NodeState.CACHED
    picture.write_bytes(b"two!")
    os.utime(picture, ns=(1, 1))
    record = await executor.run(workflow)
    assert record.node("read").status is NodeState.COMPLETED
    assert kit.calls["read"] == 2


async def test_a_cache_entry_whose_artifact_is_gone_is_a_miss(data_dir: Path) -> None:
    kit = _file_catalog_kit()
    (data_dir / "picture.png").write_bytes(b"pixels")
    executor = kit.executor(data_dir)
    workflow = make_workflow({"read": ("x.read", {"path": "picture.png"})})
    first = await executor.run(workflow)
    artifact_id = first.node("read").outputs["image"]["$artifact"]["id"]  # type: ignore[index]
    executor.artifacts.path(artifact_id).unlink()

    record = await executor.run(workflow)
    assert record.node("read").status is NodeState.COMPLETED
    assert executor.artifacts.exists(artifact_id)


async def test_preview_outputs_are_never_served_to_a_real_run(
    exec_kit: ExecKit, data_dir: Path
) -> None:
    executor = exec_kit.executor(data_dir)
    workflow = make_workflow({"hero": ("x.priced", {})})
    await executor.run(workflow, RunOptions(preview=True))
    real = await executor.run(workflow)
    assert real.node("hero").status is NodeState.COMPLETED
    assert real.node("hero").outputs == {"value": "preview=False"}
    assert real.credits == 2.5


async def test_without_a_cache_nothing_is_cached(exec_kit: ExecKit, data_dir: Path) -> None:
    executor = Executor(exec_kit.catalog, artifacts=exec_kit.executor(data_dir).artifacts)
    await executor.run(pipeline())
    record = await executor.run(pipeline())
    assert set(states(record).values()) == {NodeState.COMPLETED}
    assert not (data_dir / "cache").exists() or not any((data_dir / "cache").iterdir())


async def test_memory_only_cache(exec_kit: ExecKit, data_dir: Path) -> None:
    executor = Executor(
        exec_kit.catalog, artifacts=exec_kit.executor(data_dir).artifacts, cache=NodeCache()
    )
    await executor.run(pipeline())
    assert set(states(await executor.run(pipeline())).values()) == {NodeState.CACHED}
