"""Widgets modules import on their own, first thing in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["widgets.run", "widgets.run.history", "widgets.canvas"])
def test_a_widgets_module_imports_first_in_a_fresh_process(module: str) -> None:
    # PySide6's import hook used to break pydantic when a widgets module imported
    # pydantic before PySide6 and nothing had loaded the engine yet.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
