"""``patchbay-studio --self-test`` from the source tree (the frozen bundle: test_bundle.py)."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.main import main
from app.self_test import run_self_test
from resources import gallery
from resources.gallery import Example, example


def _copy(tmp_path: Path, example_id: str) -> Example:
    """The gallery example ``example_id``, read from a copy of the examples folder."""
    source = example(example_id)
    folder = tmp_path / "examples"
    if not folder.exists():
        folder.mkdir()
        shutil.copytree(source.path.parent / "assets", folder / "assets")
    target = folder / source.path.name
    shutil.copy(source.path, target)
    return dataclasses.replace(source, path=target)


def _files(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if "__pycache__" not in path.parts}


def test_a_good_example_passes_and_leaves_no_files_behind(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet = _copy(tmp_path, "contact-sheet")
    before = _files(sheet.path.parent)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # an untitled copy would save its files here
    out = io.StringIO()

    assert run_self_test(out, [sheet]) == 0

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Patchbay ") and "self-test" in lines[0]
    assert lines[1].startswith("ffmpeg: ") and Path(lines[1].removeprefix("ffmpeg: ")).is_file()
    assert lines[2].startswith("PASS  contact-sheet")
    assert "9 nodes completed" in lines[2]
    assert lines[-1] == "self-test PASS: 1 of 1 examples passed"
    # The example's "Save PNG" node wrote into the self-test's scratch folder.
    assert _files(sheet.path.parent) == before
    assert not any(cwd.iterdir())


def test_a_failing_run_and_an_invalid_example_fail_the_self_test(
    qapp: QApplication, tmp_path: Path
) -> None:
    broken = _copy(tmp_path, "contact-sheet")
    (broken.path.parent / "assets" / "ember.png").unlink()
    poster = _copy(tmp_path, "poster")
    document = json.loads(poster.path.read_text(encoding="utf-8"))
    document["edges"][0]["targetHandle"] = "no_such_port"
    poster.path.write_text(json.dumps(document), encoding="utf-8")
    out = io.StringIO()

    assert run_self_test(out, [broken, poster]) == 1

    lines = out.getvalue().splitlines()
    failed = {line.split()[1]: line for line in lines if line.startswith("FAIL  ")}
    assert set(failed) == {"contact-sheet", "poster"}
    assert "run failed" in failed["contact-sheet"]
    assert "validation error" in failed["poster"]
    assert lines[-1] == "self-test FAIL: 0 of 2 examples passed"


def test_the_command_line_flag_runs_the_self_test_on_the_gallery(
    qapp: QApplication,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sheet = _copy(tmp_path, "contact-sheet")
    monkeypatch.setattr(gallery, "examples", lambda: [sheet])

    assert main(["--self-test"]) == 0

    output = capsys.readouterr().out
    assert "PASS  contact-sheet" in output
    assert output.splitlines()[-1] == "self-test PASS: 1 of 1 examples passed"
