"""Credit estimates: per-node breakdown, preview, scope and the API's JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.credits import estimate_credits
from engine.errors import UnknownNodeTypeError
from engine.executor import RunOptions, RunScope
from engine.workflow import Workflow
from tests.engine.conftest import ExecKit, make_workflow


def priced_workflow() -> Workflow:
    return make_workflow(
        {
            "prompt": ("x.const", {"value": "shoe"}),
            "hero": ("x.priced", {"count": 4}),
            "detail": ("x.priced", {}),
        },
        "prompt.value->hero.value",
        "hero.value->detail.value",
    )


def test_estimate_lists_every_node_with_its_credits(exec_kit: ExecKit) -> None:
    estimate = estimate_credits(priced_workflow(), exec_kit.catalog)
    assert estimate.total == 12.5
    assert [(n.node_id, n.node_label, n.type, n.credits) for n in estimate.nodes] == [
        ("prompt", "X.Const", "x.const", 0.0),
        ("hero", "X.Priced", "x.priced", 10.0),
        ("detail", "X.Priced", "x.priced", 2.5),
    ]
    assert estimate.covered_by(12.5) and not estimate.covered_by(12.4)


def test_preview_keeps_estimates_but_charges_nothing(exec_kit: ExecKit) -> None:
    estimate = estimate_credits(priced_workflow(), exec_kit.catalog, preview=True)
    assert estimate.total == 0
    assert [n.preview for n in estimate.nodes] == [False, True, True]
    assert estimate.nodes[1].credits == 10.0


def test_estimate_json_is_the_api_breakdown(exec_kit: ExecKit) -> None:
    estimate = estimate_credits(
        priced_workflow(),
        exec_kit.catalog,
        node_ids={"hero"},
    )
    assert estimate.to_json() == {
        "total": 10.0,
        "breakdown": [
            {
                "nodeId": "hero",
                "nodeLabel": "X.Priced",
                "type": "x.priced",
                "credits": 10.0,
                "preview": False,
            }
        ],
    }


def test_executor_estimate_follows_the_run_scope(exec_kit: ExecKit, data_dir: Path) -> None:
    executor = exec_kit.executor(data_dir)
    only = executor.estimate(
        priced_workflow(),
        RunOptions(scope=RunScope.ONLY_NODE, target_node_id="hero"),
    )
    assert [n.node_id for n in only.nodes] == ["prompt", "hero"]
    assert only.total == 10.0


def test_unknown_types_are_reported(exec_kit: ExecKit) -> None:
    with pytest.raises(UnknownNodeTypeError, match=r"x\.pricd"):
        estimate_credits(make_workflow({"a": ("x.pricd", {})}), exec_kit.catalog)
