"""LocalRunner: the bundled engine in the app's qasync loop, behind the Runner interface."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app import runners
from app.runners import LocalRunner, RunHandle, install_event_loop
from engine.catalog.registry import default_catalog
from engine.executor import ExecutionEvent, ExecutionState, RunOptions
from engine.workflow import Node, Position, Workflow


def _workflow() -> Workflow:
    return Workflow(
        name="one",
        nodes=[Node(id="t", type="input.text", position=Position(x=0, y=0), data={"name": "t"})],
    )


def test_a_local_run_delivers_batched_events_and_the_final_record(
    qtbot: QtBot, qasync_loop: asyncio.AbstractEventLoop, data_dir: Path
) -> None:
    runner = LocalRunner(default_catalog(), data_dir)
    assert runner.estimate(_workflow(), RunOptions()).total == 0
    handle = runner.start(_workflow(), RunOptions(inputs={"t": "hello"}))
    assert isinstance(handle, RunHandle) and not handle.done
    batches: list[list[ExecutionEvent]] = []
    handle.events.connect(batches.append)
    with qtbot.waitSignal(handle.finished, timeout=5000) as blocker:
        pass
    record = blocker.args[0] if blocker.args else None
    assert handle.done and record is handle.record
    assert handle.record.status == ExecutionState.COMPLETED
    states = [e.state for batch in batches for e in batch if e.node_id is None]
    assert states[-1] == ExecutionState.COMPLETED  # every event arrived before `finished`


def test_the_loop_reports_uncaught_exceptions(
    qapp: object, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    install_event_loop()
    assert sys.excepthook is runners.report_exception
    with caplog.at_level(logging.ERROR, logger="app.runners"):
        try:
            raise RuntimeError("boom in a slot")
        except RuntimeError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    assert "boom in a slot" in caplog.text
