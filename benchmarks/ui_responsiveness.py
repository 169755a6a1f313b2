"""UI responsiveness during a run: how late a 10 ms timer fires, idle vs. running.

Builds a 100-node workflow (ten independent chains of ten nodes) of a benchmark
node type registered here, whose implementation reports progress ``--events``
times per node at a high rate (in bursts, with a short ``asyncio.sleep`` between
them). It opens the workflow in a real :class:`~app.window.MainWindow` (offscreen
unless ``QT_QPA_PLATFORM`` says otherwise) and, in one process:

1. **idle**: runs a precise 10 ms repeating ``QTimer`` for ``--idle`` seconds and
   records how late each tick fires;
2. **run**: starts the run from the window (``LocalRunner`` on the qasync loop,
   events through the batching ``EventBridge``, node overlays painted on the
   canvas) and records the same lateness until 0.3 s after the run ends.

Prints the p50, p99 and maximum stall of the idle baseline and of each run, the
number of engine events and how many reached the GUI after coalescing.
Target: maximum stall under 50 ms (exit status 1 otherwise).

    .venv/bin/python benchmarks/ui_responsiveness.py [--events 400] [--idle 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.runners import close_event_loop, install_event_loop
from app.window import MainWindow
from engine.catalog import Catalog, Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.catalog.registry import default_catalog
from engine.executor import ExecutionRecord
from engine.nodes.base import NodeContext, Outputs
from engine.workflow import Edge, Node, Position, Workflow

TYPE_ID = "bench.chatty"
TICK_MS = 10
CHAINS, LENGTH = 10, 10


async def _chatty(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    """Report progress ``events`` times, in bursts of 50, yielding between bursts."""
    events = int(context.params.get("events", 400))
    for index in range(events):
        context.report_progress(index / events)
        if index % 50 == 49:
            await asyncio.sleep(0.002)
    return {"text": f"{context.node_id} done"}


def bench_catalog() -> Catalog:
    shipped = default_catalog()
    catalog = Catalog(shipped.entry(spec.type) for spec in shipped)
    spec = NodeSpec(
        type=TYPE_ID,
        category=Category.UTILITY,
        display_name="Chatty",
        inputs=(PortSpec(name="text", type=PortType.TEXT, required=False),),
        outputs=(PortSpec(name="text", type=PortType.TEXT),),
        params=(ParamSpec(name="events", kind=ParamKind.INTEGER, default=400),),
    )
    catalog.register(spec, _chatty)
    return catalog


def generate(events: int) -> Workflow:
    nodes: list[Node] = []
    edges: list[Edge] = []
    for chain in range(CHAINS):
        for step in range(LENGTH):
            node_id = f"c{chain}n{step}"
            position = Position(x=step * 260.0, y=chain * 200.0)
            nodes.append(Node(id=node_id, type=TYPE_ID, position=position, data={"events": events}))
            if step:
                source = f"c{chain}n{step - 1}"
                edges.append(
                    Edge(
                        id=f"e{len(edges) + 1}",
                        source=source,
                        source_handle="text",
                        target=node_id,
                        target_handle="text",
                    )
                )
    return Workflow(name="responsiveness benchmark", nodes=nodes, edges=edges)


class Ticker:
    """A precise repeating 10 ms timer that records how late each tick fires (ms)."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self.late.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> list[float]:
        self._timer.stop()
        return list(self.late)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now


def _spin(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def summary(name: str, late: list[float]) -> str:
    ordered = sorted(late)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"{name:<5} ticks {len(late):>5}  p50 {statistics.median(late):6.2f} ms  "
        f"p99 {p99:6.2f} ms  max {max(late):6.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400, help="progress events per node")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds of idle baseline")
    parser.add_argument("--repeat", type=int, default=3, help="runs to measure")
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    install_event_loop()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PATCHBAY_DATA_DIR"] = str(Path(folder) / "data")
        settings = QSettings(str(Path(folder) / "studio.ini"), QSettings.Format.IniFormat)
        window = MainWindow(bench_catalog(), settings=settings, remember_layout=False)
        window.resize(1440, 900)
        window.show()
        window.controller.load(generate(args.events), None)
        _spin(0.5)

        ticker = Ticker()
        ticker.start()
        _spin(args.idle)
        idle = ticker.stop()

        results = []
        for _ in range(args.repeat):
            done = QEventLoop()
            finished: list[ExecutionRecord] = []

            def ended(record: object, into: list[Any] = finished, loop: Any = done) -> None:
                into.append(record)
                loop.quit()

            window.runs.finished.connect(ended)
            started = time.perf_counter()
            ticker.start()
            handle = window.runs.run(force=True)
            assert handle is not None
            done.exec()
            _spin(0.3)  # the panels show the final record just after the end
            running = ticker.stop()
            window.runs.finished.disconnect(ended)
            wall = time.perf_counter() - started
            bridge = getattr(handle, "bridge", None)
            counts = (bridge.received, bridge.delivered) if bridge is not None else (0, 0)
            results.append((finished[0], wall, counts, running))
            _spin(0.3)
        window.close()

    print(f"workflow: {CHAINS * LENGTH} nodes, {args.events} progress events each")
    print(summary("idle", idle))
    worst = 0.0
    for index, (record, wall, (received, delivered), running) in enumerate(results, 1):
        print(
            f"run {index}: {record.status.value} in {wall:.2f} s, "
            f"{received} engine events -> {delivered} delivered to the GUI"
        )
        print(summary("run", running))
        worst = max(worst, max(running))
    close_event_loop()
    del app
    return 0 if worst < 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
