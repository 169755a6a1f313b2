"""The engine runs on a server where Qt is not installed (DESIGN §1)."""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import subprocess
import sys

import pytest

import engine


def _engine_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(engine.__path__, prefix="engine.")
        if not info.name.endswith("__main__")
    )


def test_importing_every_engine_module_loads_no_qt() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {_engine_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "from engine.catalog import default_catalog\n"
        "default_catalog()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'PySide6', 'shiboken6', 'NodeGraphQt', 'qasync', 'widgets', 'app'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


@pytest.mark.skipif(
    os.environ.get("PATCHBAY_EXPECT_NO_QT") != "1", reason="only in the Qt-free environment"
)
def test_this_environment_really_has_no_qt() -> None:
    assert importlib.util.find_spec("PySide6") is None
    assert importlib.util.find_spec("NodeGraphQt") is None
