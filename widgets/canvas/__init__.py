"""The node-graph canvas: the only package that imports NodeGraphQt.

:class:`CanvasView` shows a :class:`~widgets.document.WorkflowDocument` and edits
it through undo commands; :class:`PortLegend` explains the port glyphs.
"""

from __future__ import annotations

from widgets.canvas.layout import Align, Axis
from widgets.canvas.legend import PortLegend
from widgets.canvas.rules import PortRef, Verdict
from widgets.canvas.run_overlay import STATE_COLORS, NodeRunView
from widgets.canvas.view import CanvasView
from widgets.node_types import NODE_TYPE_MIME

__all__ = [
    "NODE_TYPE_MIME",
    "STATE_COLORS",
    "Align",
    "Axis",
    "CanvasView",
    "NodeRunView",
    "PortLegend",
    "PortRef",
    "Verdict",
]
