"""Issue 8, acceptance 1: the PyInstaller bundle builds, and the frozen app checks itself.

Builds packaging/patchbay.spec into a temporary folder (a few minutes), then runs
the frozen executables the way a user or a packager would: ``--version``,
``patchbay-studio --self-test`` (every example loaded, validated and run,
offscreen) and the ``patchbay`` CLI on a bundled example. Marked slow; CI runs it
(``make test``: make's venv installs the ``bundle`` extra). Skipped where
PyInstaller is not installed (the headless venv).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import engine
from resources import gallery
from tests.conftest import REPO_ROOT

pytest.importorskip(
    "PyInstaller",
    reason="PyInstaller is not installed here: pip install -e '.[bundle]' (make's venv has it)",
)

pytestmark = pytest.mark.slow

SPEC = REPO_ROOT / "packaging" / "patchbay.spec"
BUILD_TIMEOUT_S = 3600
RUN_TIMEOUT_S = 1200

Frozen = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dist/patchbay-studio/`` built from the current sources into a temporary folder."""
    root = tmp_path_factory.mktemp("bundle")
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    command += ["--distpath", str(root / "dist"), "--workpath", str(root / "build"), str(SPEC)]
    built = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-6000:]
    folder = root / "dist" / "patchbay-studio"
    assert (folder / "patchbay-studio").is_file()
    assert (folder / "patchbay").is_file()
    return folder


@pytest.fixture
def run_frozen(tmp_path: Path, bundle: Path) -> Frozen:
    """Run a bundled executable in a clean environment: its own HOME, data and config."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "QT_", "XDG_", "PATCHBAY_"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PATCHBAY_DATA_DIR=str(tmp_path / "data"),
        PATCHBAY_DISABLE_KEYRING="1",
        QT_QPA_PLATFORM="offscreen",
    )

    def run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bundle / name), *args],
            cwd=home,  # nothing from the source tree can be imported by accident
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=RUN_TIMEOUT_S,
            check=False,
        )

    return run


def _files(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def test_both_executables_report_the_version(run_frozen: Frozen) -> None:
    studio = run_frozen("patchbay-studio", "--version")
    assert studio.returncode == 0, studio.stderr
    assert studio.stdout.strip() == f"Patchbay {engine.__version__}"
    cli = run_frozen("patchbay", "--version")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.strip() == f"patchbay {engine.__version__}"


def test_the_frozen_self_test_runs_every_example_on_the_bundled_ffmpeg(
    run_frozen: Frozen, bundle: Path
) -> None:
    before = _files(bundle)

    done = run_frozen("patchbay-studio", "--self-test")

    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    lines = done.stdout.splitlines()
    ffmpeg = Path(next(line for line in lines if line.startswith("ffmpeg: ")).split(": ", 1)[1])
    assert ffmpeg.is_relative_to(bundle)  # the bundle's own, not one on the PATH
    expected = [entry.id for entry in gallery.examples()]
    passed = [line.split()[1] for line in lines if line.startswith("PASS  ")]
    assert passed == expected
    assert lines[-1] == f"self-test PASS: {len(expected)} of {len(expected)} examples passed"
    assert _files(bundle) == before  # the examples saved their files elsewhere


def test_the_frozen_cli_validates_and_runs_a_bundled_example(
    run_frozen: Frozen, bundle: Path, tmp_path: Path
) -> None:
    examples = bundle / "_internal" / "resources" / "examples"
    sheet = examples / "contact-sheet.patchbay.json"
    valid = run_frozen("patchbay", "validate", str(sheet))
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert valid.stdout.strip().endswith("valid")

    video = examples / "product-to-video.patchbay.json"
    outputs = tmp_path / "outputs"
    ran = run_frozen("patchbay", "run", str(video), "--preview", "--output-dir", str(outputs))
    assert ran.returncode == 0, ran.stdout + ran.stderr[-4000:]
