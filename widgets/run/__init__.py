"""Run widgets: node inspector, timeline, run panel and run history (no I/O, no runs)."""

from __future__ import annotations

from widgets.run.history import RunHistoryList, RunSummary
from widgets.run.inspector import ImageResolver, MediaResolver, NodeInspector
from widgets.run.player import MediaPlayerView, playback_problem
from widgets.run.run_panel import RunPanel, RunTotals, run_totals
from widgets.run.seeds import RunSeed
from widgets.run.timeline import RunTimeline, critical_path, slowest_node

__all__ = [
    "ImageResolver",
    "MediaPlayerView",
    "MediaResolver",
    "NodeInspector",
    "RunHistoryList",
    "RunPanel",
    "RunSeed",
    "RunSummary",
    "RunTimeline",
    "RunTotals",
    "critical_path",
    "playback_problem",
    "run_totals",
    "slowest_node",
]
