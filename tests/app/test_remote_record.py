"""A record rebuilt from a run's events matches the record the engine itself keeps."""

from __future__ import annotations

from pathlib import Path

from app.remote_record import LiveRecord, artifacts_in, find_artifact
from engine.catalog.registry import default_catalog
from engine.executor import (
    ExecutionEvent,
    ExecutionState,
    Executor,
    NodeState,
    RunOptions,
)
from engine.workflow import Workflow
from tests.conftest import EXAMPLES_DIR


async def test_folding_a_runs_events_gives_the_engines_record(tmp_path: Path) -> None:
    workflow = Workflow.model_validate_json(
        (EXAMPLES_DIR / "product-to-video.patchbay.json").read_text(encoding="utf-8")
    )
    catalog = default_catalog()
    executor = Executor.for_data_dir(catalog, tmp_path, base_dir=tmp_path)
    options = RunOptions(preview=True)
    live = LiveRecord.planned(workflow, options, catalog, [n.id for n in workflow.nodes])
    assert {n.status for n in live.snapshot().nodes} == {NodeState.PENDING}
    seen: list[ExecutionEvent] = []
    handle = executor.start(workflow, options, seen.append)
    record = await handle.wait()
    live.execution_id = record.execution_id
    for event in seen:
        live.apply(event)

    rebuilt = live.snapshot()
    assert rebuilt.status == record.status == ExecutionState.COMPLETED
    assert rebuilt.credits == record.credits
    assert rebuilt.duration_ms is not None and rebuilt.duration_ms > 0
    for node in record.nodes:
        mine = rebuilt.node(node.node_id)
        assert (mine.status, mine.credits, mine.outputs, mine.preview, mine.label) == (
            node.status,
            node.credits,
            node.outputs,
            node.preview,
            node.label,
        ), node.node_id
        assert mine.duration_ms == node.duration_ms
    video = record.node("mux").outputs
    assert video is not None
    (clip,) = artifacts_in(video)
    assert find_artifact(rebuilt, clip.id) == clip


def test_a_run_stopped_before_it_started_is_cancelled_node_by_node() -> None:
    workflow = Workflow.model_validate_json(
        (EXAMPLES_DIR / "product-to-video.patchbay.json").read_text(encoding="utf-8")
    )
    live = LiveRecord.planned(workflow, RunOptions(), default_catalog(), ["brief", "shot"])
    record = live.cancelled()
    assert record.status == ExecutionState.CANCELLED
    assert [(n.node_id, n.status) for n in record.nodes] == [
        ("brief", NodeState.CANCELLED),
        ("shot", NodeState.CANCELLED),
    ]
