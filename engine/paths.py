"""Where Patchbay keeps its data (artifacts, cache, history, server database)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "PATCHBAY_DATA_DIR"


def default_data_dir() -> Path:
    """``$PATCHBAY_DATA_DIR`` or the platform's per-user data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("patchbay", "Patchbay"))
