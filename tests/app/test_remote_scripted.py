"""``patchbay-studio FILE --run --server URL --screenshot OUT.png --quit`` against a real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from app.remote_runner import remote_cache_dir
from tests.conftest import EXAMPLES_DIR, REPO_ROOT
from tests.server.conftest import Server

pytestmark = pytest.mark.slow


def _studio(path: Path, shot: Path, data_dir: Path, key: str, *extra: str) -> int:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PATCHBAY_DATA_DIR": str(data_dir),
        "PATCHBAY_API_KEY": key,
    }
    command = [sys.executable, "-m", "app.main", str(path), "--run", *extra]
    command += ["--screenshot", str(shot), "--quit"]
    done = subprocess.run(
        command, env=env, capture_output=True, timeout=180, check=False, cwd=REPO_ROOT
    )
    return done.returncode


def _distinct_colours(picture: QImage, step: int = 12) -> int:
    return len(
        {
            picture.pixel(x, y)
            for x in range(0, picture.width(), step)
            for y in range(0, picture.height(), step)
        }
    )


def test_a_run_on_the_server_exits_0_and_saves_the_picture(
    tmp_path: Path, data_dir: Path, server: Server
) -> None:
    path = tmp_path / "product-to-video.patchbay.json"
    shutil.copy(EXAMPLES_DIR / "product-to-video.patchbay.json", path)
    key = server.create_key("scripted")
    shot = tmp_path / "remote.png"
    code = _studio(path, shot, data_dir, key.secret, "--preview", "--server", server.base_url)
    assert code == 0
    picture = QImage(str(shot))
    assert (picture.width(), picture.height()) == (1440, 900)
    assert _distinct_colours(picture) > 50  # a window with nodes and thumbnails, not a blank
    # The pictures were downloaded from the server for the thumbnails.
    assert any(remote_cache_dir(data_dir, server.base_url).rglob("*.json"))
    # Nothing the app wrote holds the key.
    for file in data_dir.rglob("*"):
        if file.is_file():
            assert key.secret.encode() not in file.read_bytes(), file


def test_a_refused_run_exits_1(tmp_path: Path, data_dir: Path, server: Server) -> None:
    path = tmp_path / "product-to-video.patchbay.json"
    shutil.copy(EXAMPLES_DIR / "product-to-video.patchbay.json", path)
    shot = tmp_path / "refused.png"
    code = _studio(path, shot, data_dir, "pb_" + "n" * 43, "--preview", "--server", server.base_url)
    assert code == 1
    assert not QImage(str(shot)).isNull()
