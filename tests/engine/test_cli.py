"""The ``patchbay`` command line: validate, catalog, schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main
from engine.validation import ViolationCode

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def test_validate_reports_each_violation_with_its_own_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["validate", str(FIXTURES / "every_violation.patchbay.json"), "--json"])
    assert code == 2
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    codes = {v["code"] for v in report["violations"]}
    expected = set(ViolationCode) - {
        ViolationCode.UNSUPPORTED_SCHEMA_VERSION,
        ViolationCode.REQUIRED_PARAM_MISSING,
        ViolationCode.INTERNAL_ERROR,
    }
    assert codes == {c.value for c in expected}


def test_validate_text_output_names_nodes_and_hints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIXTURES / "every_violation.patchbay.json")]) == 2
    out = capsys.readouterr().out
    assert "unknown_port" in out
    assert "did you mean port `image`?" in out


def test_validate_a_valid_example_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    example = REPO / "resources" / "examples" / "contact-sheet.patchbay.json"
    assert main(["validate", str(example)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_broken_json_exits_two_with_the_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.patchbay.json"
    broken.write_text('{"nodes": [}', encoding="utf-8")
    assert main(["validate", str(broken)]) == 2
    assert "line 1, column 12" in capsys.readouterr().err


def test_catalog_json_lists_ports_params_and_pricing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--json"]) == 0
    catalog = json.loads(capsys.readouterr().out)
    resize = next(n for n in catalog["nodes"] if n["type"] == "image.resize")
    assert resize["inputs"][0]["type"] == "image"
    assert resize["pricing"]["unit"] == "free"
    assert resize["paramsSchema"]["properties"]["width"]["type"] == "integer"
    assert catalog["count"] == len(catalog["nodes"]) == sum(catalog["categories"].values())


def test_catalog_text_prints_a_count_per_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "category" in out and "node types" in out
    assert "image.resize" in out


def test_committed_json_schema_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    committed = (REPO / "docs" / "workflow.schema.json").read_text(encoding="utf-8")
    assert json.loads(capsys.readouterr().out) == json.loads(committed), (
        "docs/workflow.schema.json is stale: run `patchbay schema > docs/workflow.schema.json`"
    )


def test_console_script_runs_as_a_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.startswith("patchbay ")
