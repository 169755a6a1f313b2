"""Widget tests need Qt; they are not collected where PySide6 is absent."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
