"""Qt widgets of Patchbay Studio. Widgets show models; they never start runs or do I/O."""

from __future__ import annotations

# PySide6 before pydantic: with pydantic half-loaded (a bare ``from pydantic import
# BaseModel``), PySide6's import hook breaks pydantic's lazy imports.
import PySide6.QtCore  # noqa: F401
