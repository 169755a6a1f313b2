"""Qt widgets of Patchbay Studio. Widgets show models; they never start runs or do I/O."""

from __future__ import annotations
