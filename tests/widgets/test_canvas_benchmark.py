"""``benchmarks/canvas_load.py`` runs (on a small graph) and loads equal graphs both ways."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pytestqt.qtbot import QtBot

from tests.conftest import REPO_ROOT


def _load_benchmark() -> ModuleType:
    path = Path(REPO_ROOT, "benchmarks", "canvas_load.py")
    spec = importlib.util.spec_from_file_location("canvas_load_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_workflow_has_the_requested_size_and_is_valid() -> None:
    from engine.validation import is_valid, validate

    bench = _load_benchmark()
    workflow = bench.generate(100, 500)

    assert (len(workflow.nodes), len(workflow.edges)) == (100, 500)
    assert is_valid(validate(workflow, bench.bench_catalog()))


def test_benchmark_script_prints_both_times_and_the_ratio(
    qtbot: QtBot, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _load_benchmark()

    assert bench.main(["--nodes", "12", "--edges", "30", "--runs", "1", "--paint"]) == 0

    out = capsys.readouterr().out
    assert "12 nodes, 30 edges" in out
    assert "editor (Patchbay canvas)" in out and "stock  (NodeGraphQt session)" in out
    ratio = float(out.strip().splitlines()[-1].split()[-1])
    assert ratio > 0
