"""Patchbay engine: workflow model, validation, node catalog and executor.

The engine is pure Python and never imports Qt, so it runs headless on a server.
"""

from __future__ import annotations

__version__ = "0.1.0"
