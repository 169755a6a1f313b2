"""``patchbay run``: run a workflow on the bundled engine with live progress.

Without ``--json`` each finished node gets one line (state, time, credits) and a
progress bar is drawn on a terminal; a summary table and the run's outputs follow.
With ``--json`` the full execution record is printed on stdout and the node lines
go to stderr. The first Ctrl+C cancels the run and still prints the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from engine.catalog import default_catalog
from engine.cli import render
from engine.cli.commands import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from engine.errors import BudgetExceededError, InputError, InvalidWorkflowError, PatchbayError
from engine.executor import (
    ExecutionEvent,
    ExecutionRecord,
    ExecutionState,
    Executor,
    NodeState,
    RunOptions,
)
from engine.paths import default_data_dir
from engine.validation import check_workflow
from engine.values import Artifact, Batch, decode_value
from engine.workflow import Workflow

_STATE_MARK = {
    NodeState.COMPLETED: "done",
    NodeState.CACHED: "cached",
    NodeState.FAILED: "FAILED",
    NodeState.SKIPPED: "skipped",
    NodeState.CANCELLED: "cancelled",
}


def parse_inputs(pairs: list[str], workflow: Workflow) -> dict[str, str]:
    """``["brief=a red shoe", ...]`` as a mapping; raises :class:`InputError`.

    A file input (``input.image``) given as a relative path that exists from the
    current directory is made absolute, as a shell user expects; otherwise the
    node resolves it against the workflow's folder.
    """
    from engine.nodes.inputs import input_name

    file_inputs = {
        input_name(node.id, node.data) for node in workflow.nodes if node.type == "input.image"
    }
    inputs: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"--input needs NAME=VALUE, got {pair!r}")
        if name in file_inputs and value and Path(value).expanduser().exists():
            value = str(Path(value).expanduser().resolve())
        inputs[name] = value
    return inputs


class ProgressPrinter:
    """Turns the event stream into node lines and a redrawn progress bar."""

    def __init__(self, workflow: Workflow, lines: TextIO, bar: TextIO | None) -> None:
        self._labels = {node.id: node.label or node.id for node in workflow.nodes}
        self._width = max((len(label) for label in self._labels.values()), default=8)
        self._lines = lines
        self._bar = bar
        self._total = 0
        self._finished = 0
        self._started = time.perf_counter()

    def __call__(self, event: ExecutionEvent) -> None:
        if event.node_id is None:
            return
        if event.item is None and isinstance(event.state, NodeState) and event.state.is_final:
            self._finished += 1
            self._clear_bar()
            self._lines.write(self._node_line(event) + "\n")
            self._lines.flush()
        self._draw_bar()

    def set_total(self, total: int) -> None:
        self._total = total

    def _node_line(self, event: ExecutionEvent) -> str:
        state = NodeState(event.state)
        label = self._labels.get(event.node_id or "", event.node_id or "")
        parts = [f"  {_STATE_MARK.get(state, state.value):<9}", label.ljust(self._width)]
        if state in (NodeState.COMPLETED, NodeState.CACHED, NodeState.FAILED):
            parts.append(render.duration(event.duration_ms).rjust(8))
            parts.append(f"{render.credits(event.credits or 0)} cr".rjust(10))
        if event.preview:
            parts.append("[preview]")
        line = "  ".join(parts)
        if event.error is not None:
            line += f"\n             {event.error.message}"
        elif state == NodeState.SKIPPED and event.message:
            line += f"  ({event.message})"
        return line

    def _draw_bar(self) -> None:
        if self._bar is None or not self._total:
            return
        filled = round(24 * self._finished / self._total)
        elapsed = time.perf_counter() - self._started
        self._bar.write(
            f"\r  [{'#' * filled}{'.' * (24 - filled)}] "
            f"{self._finished}/{self._total} nodes  {elapsed:5.1f} s"
        )
        self._bar.flush()

    def _clear_bar(self) -> None:
        if self._bar is not None and self._total:
            self._bar.write("\r" + " " * 60 + "\r")

    def close(self) -> None:
        self._clear_bar()


def _summary(record: ExecutionRecord, executor: Executor) -> str:
    rows = []
    for node in record.nodes:
        attempts = str(node.attempts) if node.attempts > 1 else ""
        items = f"{len(node.items)} items" if node.items else ""
        rows.append(
            [
                node.label,
                node.type,
                node.status.value + (" (preview)" if node.preview else ""),
                render.duration(node.duration_ms),
                render.credits(node.credits),
                attempts,
                items,
            ]
        )
    headers = ["node", "type", "status", "time", "credits", "retries", "batch"]
    lines = ["", render.table(headers, rows), ""]
    counts = ", ".join(f"{n} {state.value.lower()}" for state, n in record.counts().items())
    lines.append(
        f"{record.status.value} in {render.duration(record.duration_ms)}: "
        f"{render.plural(len(record.nodes), 'node')} ({counts}), "
        f"{render.credits(record.credits)} credits"
        + (" (preview: hosted nodes not charged)" if record.preview else "")
    )
    if record.error:
        lines.append(f"error: {record.error}")
    for name, value in record.outputs.items():
        lines.append(f"output {name}: {_describe_output(decode_value(value), executor)}")
    return "\n".join(lines)


def _describe_output(value: Any, executor: Executor) -> str:
    if isinstance(value, Artifact):
        size = value.metadata
        dims = f" {size['width']}x{size['height']}" if "width" in size and "height" in size else ""
        return f"{value.kind.value}{dims} {executor.artifacts.path(value)}"
    if isinstance(value, Batch):
        return f"batch of {len(value)}: " + "; ".join(
            _describe_output(item, executor) for item in value.items[:5]
        )
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."


async def _run(
    executor: Executor, workflow: Workflow, options: RunOptions, printer: ProgressPrinter
) -> ExecutionRecord:
    handle = executor.start(workflow, options, printer)
    printer.set_total(len(handle.record.nodes))
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, handle.cancel)
    try:
        return await handle.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)


def run_workflow(workflow: Workflow, args: argparse.Namespace) -> int:
    """Validate, run and report; returns the exit code."""
    try:
        workflow = check_workflow(workflow)
        inputs = parse_inputs(args.input, workflow)
        options = RunOptions(
            inputs=inputs, use_cache=not args.no_cache, preview=args.preview, budget=args.budget
        )
    except InvalidWorkflowError as exc:
        for violation in exc.violations:
            print(render.violation_line(violation), file=sys.stderr)
        return EXIT_INVALID
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID

    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    output_dir = Path(args.output_dir) if args.output_dir else data_dir / "outputs"
    executor = Executor.for_data_dir(
        default_catalog(),
        data_dir,
        base_dir=Path(args.file).resolve().parent,
        output_dir=output_dir,
    )
    lines = sys.stderr if args.json else sys.stdout
    printer = ProgressPrinter(workflow, lines, sys.stderr if sys.stderr.isatty() else None)
    try:
        record = asyncio.run(_run(executor, workflow, options, printer))
    except BudgetExceededError as exc:
        print(f"error: {exc}", file=sys.stderr)
        rows = [[n.node_label, n.type, render.credits(n.credits)] for n in exc.estimate.nodes]
        print(render.table(["node", "type", "credits"], rows), file=sys.stderr)
        return EXIT_INVALID
    except PatchbayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    finally:
        printer.close()

    if args.json:
        render.print_json(record.to_json())
    else:
        print(_summary(record, executor))
    return EXIT_OK if record.status == ExecutionState.COMPLETED else EXIT_FAILED
