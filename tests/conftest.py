"""Shared fixtures. Qt tests run offscreen; the test setup sets it, not the caller."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never read or write the developer's real OS keyring from a test; tests that need
# a keyring install an in-memory backend.
os.environ.setdefault("PATCHBAY_DISABLE_KEYRING", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "resources" / "examples"
#: The six examples issue 8 names, in its order: the gallery starts with them.
NAMED_EXAMPLES = (
    "contact-sheet",
    "product-to-video",
    "social-variants",
    "storyboard",
    "podcast-clip",
    "comfyui-txt2img",
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh Patchbay data directory, also exported as PATCHBAY_DATA_DIR."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("PATCHBAY_DATA_DIR", str(path))
    return path
