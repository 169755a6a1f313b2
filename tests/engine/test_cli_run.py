"""``patchbay run`` on the bundled examples: real files, caching, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from engine.cli import main
from engine.workflow import load_workflow, save_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _statuses(record: dict[str, Any]) -> dict[str, str]:
    return {node["nodeId"]: node["status"] for node in record["nodes"]}


def test_contact_sheet_runs_offline_writes_a_png_and_prints_each_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    example = EXAMPLES / "contact-sheet.patchbay.json"
    code = main(["run", str(example), "--data-dir", str(data), "--output-dir", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    written = list(out.glob("*.png"))
    assert len(written) == 1
    with Image.open(written[0]) as image:
        assert image.format == "PNG"
        assert image.width > 600 and image.height > 300
    workflow = load_workflow(example).workflow
    for node in workflow.nodes:
        assert node.label in printed
    assert " ms " in printed and " cr" in printed
    assert "COMPLETED in" in printed
    assert "6 items" in printed  # the batch of six pictures


def test_second_run_is_all_cached_and_one_param_change_reruns_only_downstream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    workflow = load_workflow(EXAMPLES / "contact-sheet.patchbay.json").workflow
    original = EXAMPLES / "contact-sheet.patchbay.json"
    common = ["--data-dir", str(data), "--output-dir", str(tmp_path / "out")]

    code, first = _run_json(capsys, str(original), *common)
    assert code == 0 and set(_statuses(first).values()) == {"COMPLETED"}
    code, second = _run_json(capsys, str(original), *common)
    assert code == 0 and set(_statuses(second).values()) == {"CACHED"}

    # Change one parameter of the grid node: it and its descendants re-run, nothing else.
    grid = next(n for n in workflow.nodes if n.type == "image.grid")
    changed = workflow.model_copy(deep=True)
    changed.node(grid.id).data["gap"] = 3
    edited = tmp_path / "edited.patchbay.json"
    save_workflow(changed, edited)
    (tmp_path / "assets").symlink_to(EXAMPLES / "assets")
    code, third = _run_json(capsys, str(edited), *common)
    assert code == 0
    downstream = {grid.id}
    while True:
        reached = {e.target for e in changed.edges if e.source in downstream}
        if reached <= downstream:
            break
        downstream |= reached
    statuses = _statuses(third)
    assert {n for n, s in statuses.items() if s == "COMPLETED"} == downstream
    assert {n for n, s in statuses.items() if s == "CACHED"} == set(statuses) - downstream


def test_bad_input_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = EXAMPLES / "contact-sheet.patchbay.json"
    assert main(["run", str(example), "--input", "novalue", "--data-dir", str(tmp_path)]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_failed_run_exits_one_and_names_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = EXAMPLES / "contact-sheet.patchbay.json"
    code = main(
        ["run", str(example), "--input", "files=assets/missing.png", "--data-dir", str(tmp_path)]
    )
    captured = capsys.readouterr().out
    assert code == 1
    assert "FAILED" in captured
    assert "missing.png" in captured
    assert "skipped" in captured


def test_image_input_path_is_taken_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.workflow import Edge, Node, Workflow

    workflow = Workflow(
        name="Photo",
        nodes=[
            Node(id="photo", type="input.image", data={"name": "photo"}),
            Node(id="out", type="output.image", data={"name": "result"}),
        ],
        edges=[
            Edge(id="e1", source="photo", sourceHandle="image", target="out", targetHandle="image")
        ],
    )
    (tmp_path / "flows").mkdir()
    save_workflow(workflow, tmp_path / "flows" / "photo.patchbay.json")
    Image.new("RGB", (40, 30), "red").save(tmp_path / "me.png")
    monkeypatch.chdir(tmp_path)
    code, record = _run_json(
        capsys, "flows/photo.patchbay.json", "--input", "photo=me.png", "--data-dir", "data"
    )
    assert code == 0
    assert record["outputs"]["result"]["$artifact"]["metadata"]["width"] == 40
