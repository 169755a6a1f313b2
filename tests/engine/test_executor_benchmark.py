"""The engine overhead benchmark keeps working (its figures are in docs/performance.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "engine_overhead.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("engine_overhead", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shapes_have_the_documented_size() -> None:
    bench = load_benchmark()
    for build, edges in ((bench.chain, 99), (bench.layered, 450), (bench.fan, 196)):
        dag = build()
        assert len(dag) == 100
        assert sum(len(parents) for parents in dag.values()) == edges


def test_benchmark_runs_and_reports_every_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_benchmark().main(["--runs", "1", "--warmup", "0"]) == 0
    out = capsys.readouterr().out
    for shape in ("chain", "layered", "fan"):
        assert f"\n{shape} " in out
    assert "worst ratio" in out
