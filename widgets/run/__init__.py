"""Run widgets: node inspector, timeline, run panel and run history (no I/O, no runs)."""

from __future__ import annotations

from widgets.run.history import RunHistoryList, RunSummary
from widgets.run.inspector import ImageResolver, NodeInspector
from widgets.run.run_panel import RunPanel, RunTotals, run_totals
from widgets.run.timeline import RunTimeline, critical_path, slowest_node

__all__ = [
    "ImageResolver",
    "NodeInspector",
    "RunHistoryList",
    "RunPanel",
    "RunSummary",
    "RunTimeline",
    "RunTotals",
    "critical_path",
    "run_totals",
    "slowest_node",
]
