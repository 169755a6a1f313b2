"""``patchbay-studio FILE --run --screenshot OUT.png --quit``: exit 0 only for a completed run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.conftest import EXAMPLES_DIR

pytestmark = pytest.mark.slow


def _example(tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    folder.mkdir()
    shutil.copy(EXAMPLES_DIR / "contact-sheet.patchbay.json", folder)
    shutil.copytree(EXAMPLES_DIR / "assets", folder / "assets")
    return folder / "contact-sheet.patchbay.json"


def _studio(path: Path, shot: Path, data_dir: Path, *extra: str) -> int:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PATCHBAY_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "app.main", str(path), "--run", *extra]
    command += ["--screenshot", str(shot), "--quit"]
    done = subprocess.run(command, env=env, capture_output=True, timeout=120, check=False)
    return done.returncode


def test_a_completed_run_exits_0_and_saves_the_picture(tmp_path: Path, data_dir: Path) -> None:
    shot = tmp_path / "run.png"
    assert _studio(_example(tmp_path), shot, data_dir, "--preview") == 0
    picture = QImage(str(shot))
    assert (picture.width(), picture.height()) == (1440, 900)
    assert (tmp_path / "example" / "contact-sheet.png").is_file()


def test_a_failed_run_exits_1_and_still_saves_the_picture(tmp_path: Path, data_dir: Path) -> None:
    path = _example(tmp_path)
    (path.parent / "assets" / "ember.png").unlink()
    shot = tmp_path / "failed.png"
    assert _studio(path, shot, data_dir) == 1
    assert not QImage(str(shot)).isNull()
