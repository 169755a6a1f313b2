"""Canvas load time: a workflow opened in the editor vs the same graph in stock NodeGraphQt.

Generates a workflow of ``--nodes`` nodes and ``--edges`` wires (default 100 and
500, the validator's limits) whose node type has four inputs (two single-value,
two list inputs) and two outputs, then, in one process and alternating:

- **editor**: builds a :class:`~widgets.document.WorkflowDocument` and opens it in
  a :class:`~widgets.canvas.CanvasView` (NodeGraphQt graph, restyled nodes, typed
  ports and wires, backdrops layer, minimap);
- **stock**: a plain ``NodeGraph`` loading the equivalent session dict with
  ``deserialize_session`` (NodeGraphQt's own way to open a graph), using a stock
  ``BaseNode`` subclass with the same ports and no embedded widgets.

Each run ends with ``processEvents()``; ``--paint`` also shows both views at
1280x800 framed on the whole graph and renders them once (``grab()``). Prints the
median seconds of each and the ratio editor/stock.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/canvas_load.py [--runs 7] [--paint]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication

from engine.catalog import Catalog, Category, NodeSpec, PortSpec, PortType
from engine.nodes.base import NodeContext, Outputs
from engine.workflow import Edge, Node, Position, Workflow
from widgets.canvas import CanvasView
from widgets.document import WorkflowDocument

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from NodeGraphQt import BaseNode, NodeGraph

TYPE_ID = "bench.mix"
INPUTS = (("a", PortType.TEXT, False), ("b", PortType.IMAGE, False))
LIST_INPUTS = (("c", PortType.TEXT, True), ("d", PortType.IMAGE, True))
OUTPUTS = (("x", PortType.TEXT), ("y", PortType.IMAGE))
FEEDS = {"a": "x", "b": "y", "c": "x", "d": "y"}  # input -> the output type that fits it


def _noop(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    return {}


def bench_catalog() -> Catalog:
    """One node type with two single-value inputs, two list inputs and two outputs."""
    catalog = Catalog()
    spec = NodeSpec(
        type=TYPE_ID,
        category=Category.UTILITY,
        display_name="Mix",
        inputs=tuple(
            PortSpec(name=n, type=t, is_list=lst, required=False)
            for n, t, lst in INPUTS + LIST_INPUTS
        ),
        outputs=tuple(PortSpec(name=n, type=t) for n, t in OUTPUTS),
    )
    catalog.register(spec, _noop)
    return catalog


def generate(nodes: int = 100, edges: int = 500, seed: int = 7) -> Workflow:
    """A DAG: every node after the first takes ``a`` and ``b`` from earlier nodes, the
    remaining wires go into the list inputs ``c`` and ``d``."""
    rnd = random.Random(seed)
    node_list = [
        Node(id=f"n{i}", type=TYPE_ID, position=Position(x=(i % 10) * 260.0, y=(i // 10) * 200.0))
        for i in range(nodes)
    ]
    wires: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str, str, str]] = set()

    def add(target: int, port: str) -> None:
        source = rnd.randrange(target)
        wire = (f"n{source}", FEEDS[port], f"n{target}", port)
        if wire not in seen:
            seen.add(wire)
            wires.append(wire)

    for target in range(1, nodes):
        for port in ("a", "b"):
            if len(wires) < edges:
                add(target, port)
    attempts = 0
    while len(wires) < edges and attempts < edges * 50 and nodes > 1:
        attempts += 1
        add(rnd.randrange(1, nodes), rnd.choice(("c", "d")))
    edge_list = [
        Edge(id=f"e{i + 1}", source=s, source_handle=sh, target=t, target_handle=th)
        for i, (s, sh, t, th) in enumerate(wires)
    ]
    return Workflow(name="canvas benchmark", nodes=node_list, edges=edge_list)


class StockNode(BaseNode):  # type: ignore[misc]
    """A stock NodeGraphQt node with the benchmark type's ports, no widgets."""

    __identifier__ = "bench"
    NODE_NAME = "Mix"

    def __init__(self) -> None:
        super().__init__()
        for name, _, _ in INPUTS:
            self.add_input(name)
        for name, _, _ in LIST_INPUTS:
            self.add_input(name, multi_input=True)
        for name, _ in OUTPUTS:
            self.add_output(name)


def stock_session(workflow: Workflow) -> dict[str, Any]:
    """The workflow as a NodeGraphQt session dict (what ``save_session`` writes)."""
    return {
        "nodes": {
            n.id: {"type_": StockNode.type_, "name": n.id, "pos": [n.position.x, n.position.y]}
            for n in workflow.nodes
        },
        "connections": [
            {"in": [e.target, e.target_handle], "out": [e.source, e.source_handle]}
            for e in workflow.edges
        ],
    }


def open_in_editor(app: QApplication, workflow: Workflow, catalog: Catalog, paint: bool) -> float:
    """Seconds to open ``workflow`` in a new canvas."""
    start = time.perf_counter()
    view = CanvasView(WorkflowDocument(workflow), QUndoStack(), catalog)
    if paint:
        view.resize(1280, 800)
        view.show()
        view.zoom_to_fit()
        view.grab()
    app.processEvents()
    elapsed = time.perf_counter() - start
    shown = (len(view.graph.all_nodes()), len(view.viewer.all_pipes()))
    assert shown == (len(workflow.nodes), len(workflow.edges)), shown
    view.close()
    view.deleteLater()
    app.processEvents()
    return elapsed


def open_stock(
    app: QApplication, session: dict[str, Any], expected: tuple[int, int], paint: bool
) -> float:
    """Seconds for NodeGraphQt to load the equivalent session in a new graph."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = NodeGraph()
    graph.register_node(StockNode)
    graph.deserialize_session(session)
    viewer = graph.viewer()
    if paint:
        viewer.resize(1280, 800)
        viewer.show()
        graph.fit_to_selection()
        viewer.grab()
    app.processEvents()
    elapsed = time.perf_counter() - start
    shown = (len(graph.all_nodes()), len(viewer.all_pipes()))
    assert shown == expected, shown
    viewer.close()
    viewer.deleteLater()
    graph.deleteLater()
    app.processEvents()
    return elapsed


@dataclass(frozen=True)
class Result:
    nodes: int
    edges: int
    runs: int
    editor: float
    stock: float

    @property
    def ratio(self) -> float:
        return self.editor / self.stock


def measure(nodes: int = 100, edges: int = 500, runs: int = 7, paint: bool = False) -> Result:
    """Median load times of editor and stock, alternating which goes first."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    workflow = generate(nodes, edges)
    catalog = bench_catalog()
    session = stock_session(workflow)
    expected = (len(workflow.nodes), len(workflow.edges))
    open_in_editor(app, workflow, catalog, paint)  # warm-up: imports, fonts, caches
    open_stock(app, session, expected, paint)
    editor: list[float] = []
    stock: list[float] = []
    for run in range(runs):
        if run % 2:
            stock.append(open_stock(app, session, expected, paint))
            editor.append(open_in_editor(app, workflow, catalog, paint))
        else:
            editor.append(open_in_editor(app, workflow, catalog, paint))
            stock.append(open_stock(app, session, expected, paint))
    return Result(
        nodes=expected[0],
        edges=expected[1],
        runs=runs,
        editor=statistics.median(editor),
        stock=statistics.median(stock),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--edges", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--paint", action="store_true", help="also show and render both views")
    args = parser.parse_args(argv)
    result = measure(args.nodes, args.edges, args.runs, args.paint)
    mode = "build + first paint" if args.paint else "build"
    size = f"{result.nodes} nodes, {result.edges} edges"
    print(f"canvas load ({mode}): {size}, median of {result.runs} runs")
    print(f"  editor (Patchbay canvas)       {result.editor:8.3f} s")
    print(f"  stock  (NodeGraphQt session)   {result.stock:8.3f} s")
    print(f"  ratio editor/stock             {result.ratio:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
