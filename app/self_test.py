"""``patchbay-studio --self-test``: check an installation (or a frozen bundle) without a display.

The self-test opens a real :class:`~app.window.MainWindow` on Qt's offscreen
platform, then for every bundled example: loads it into the window, validates it
(no error violations allowed) and runs it to completion on the bundled engine —
examples with hosted model nodes in preview mode, so nothing needs a key, a
network or credits. It prints one line per example and a summary, and returns 0
only if every example passed.

Nothing of the user's is touched: settings, autosaves, the artifact store and
the files the examples save go to a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

import engine
from app.autosave import AutosaveInfo
from app.prompts import Prompts, RecoveryChoice, UnsavedChoice
from app.runners import LocalRunner, close_event_loop, install_event_loop
from app.window import MainWindow
from engine.catalog import default_catalog
from engine.catalog.registry import Catalog
from engine.errors import PermanentNodeError, WorkflowFileError
from engine.executor import ExecutionRecord, ExecutionState, Executor, NodeState
from engine.media.ffmpeg import ffmpeg_exe
from engine.validation import Severity
from resources import gallery
from resources.gallery import Example

#: The longest one example may run before the self-test gives up on it.
RUN_TIMEOUT_S = 300.0
#: Where the report goes when the process has no stdout (windowed Windows builds).
FALLBACK_REPORT = Path(tempfile.gettempdir()) / "patchbay-self-test.txt"
#: Node states that count as "ran to completion".
_DONE = (NodeState.COMPLETED, NodeState.CACHED)


class Verdict(Enum):
    """The outcome of one check."""

    PASS = "PASS"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CaseResult:
    """What happened to one example."""

    example: Example
    verdict: Verdict
    detail: str

    def line(self) -> str:
        """``PASS  contact-sheet  Contact sheet: valid, 9 nodes completed in 1.2 s``."""
        return f"{self.verdict.value}  {self.example.id:<22} {self.example.title}: {self.detail}"


def ffmpeg_location() -> str:
    """Where the ffmpeg the engine uses lives, or why there is none."""
    try:
        return ffmpeg_exe()
    except PermanentNodeError as exc:
        return f"missing ({exc})"


def run_self_test(out: TextIO | None = None, examples: Sequence[Example] | None = None) -> int:
    """Run the self-test, report to ``out`` (default stdout); 0 only if every check passed.

    ``examples`` defaults to the whole gallery (:func:`resources.gallery.examples`).
    Makes its own offscreen ``QApplication`` unless one exists already.
    """
    if out is None and sys.stdout is None:  # a windowed build on Windows has no stdout
        with FALLBACK_REPORT.open("w", encoding="utf-8") as report:
            return run_self_test(report, examples)
    stream = out if out is not None else sys.stdout
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        qt_app = existing
    else:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a self-test never needs a display
        qt_app = QApplication([sys.argv[0]])
    _say(stream, f"Patchbay {engine.__version__} self-test on Qt {qt_app.platformName()}")
    ffmpeg = ffmpeg_location()
    _say(stream, f"ffmpeg: {ffmpeg}")
    failures = 0
    if not Path(ffmpeg).is_file():
        _say(stream, "FAIL  no ffmpeg binary: the video and audio nodes cannot run")
        failures += 1
    try:
        chosen = list(gallery.examples() if examples is None else examples)
    except (WorkflowFileError, OSError) as exc:  # a bundle missing its examples
        _say(stream, f"FAIL  the example gallery cannot be read: {exc}")
        chosen, failures = [], failures + 1
    if not chosen:
        _say(stream, "FAIL  no bundled examples found")
        failures += 1
    quit_on_close = qt_app.quitOnLastWindowClosed()
    qt_app.setQuitOnLastWindowClosed(False)  # no stray quit for a later event loop
    try:
        with tempfile.TemporaryDirectory(prefix="patchbay-self-test-") as scratch:
            results = _check_examples(Path(scratch), chosen, stream)
    finally:
        qt_app.setQuitOnLastWindowClosed(quit_on_close)
    failed = sum(1 for r in results if r.verdict == Verdict.FAIL)
    failures += failed
    verdict = Verdict.PASS if failures == 0 else Verdict.FAIL
    _say(
        stream,
        f"self-test {verdict.value}: {len(results) - failed} of {len(results)} examples passed",
    )
    return 0 if failures == 0 else 1


def _say(stream: TextIO, text: str) -> None:
    try:
        print(text, file=stream, flush=True)
    except UnicodeEncodeError:  # a console or pipe that cannot show "→" (Windows code pages)
        encoding = getattr(stream, "encoding", None) or "ascii"
        safe = text.encode(encoding, "replace").decode(encoding)
        print(safe, file=stream, flush=True)


def _check_examples(scratch: Path, chosen: Sequence[Example], stream: TextIO) -> list[CaseResult]:
    catalog = default_catalog()
    install_event_loop()
    runner = _ScratchRunner(catalog, scratch / "data", scratch / "outputs")
    settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        catalog,
        settings=settings,
        prompts=_SilentPrompts(),
        autosave_dir=scratch / "autosave",
        remember_layout=False,
        runner=runner,
    )
    window.show()
    results = []
    try:
        for example in chosen:
            result = _check(window, example)
            _say(stream, result.line())
            results.append(result)
    finally:
        window.undo_stack.setClean()  # nothing to ask about when closing
        window.close()
        window.deleteLater()
        QApplication.processEvents()
        close_event_loop()
    return results


def _check(window: MainWindow, example: Example) -> CaseResult:
    """Open one example in ``window`` as the start page does, validate it and run it."""

    def fail(detail: str) -> CaseResult:
        return CaseResult(example, Verdict.FAIL, detail)

    try:
        workflow = gallery.untitled_copy(example)
    except WorkflowFileError as exc:
        return fail(f"cannot be read: {exc}")
    window.controller.load(workflow, None)
    if len(window.document.nodes()) != len(workflow.nodes):
        return fail(
            f"the window shows {len(window.document.nodes())} of {len(workflow.nodes)} nodes"
        )
    errors = [v for v in window.validator.run() if v.severity == Severity.ERROR]
    if errors:
        return fail(f"{len(errors)} validation error(s), first: {errors[0].message}")
    record = _run(window, preview=example.needs_key)
    if isinstance(record, str):
        return fail(record)
    if record.status != ExecutionState.COMPLETED:
        return fail(f"run {record.status.value.lower()}: {_first_error(record)}")
    for node in record.nodes:
        shown = window.canvas.node_state(node.node_id)
        if shown is None or shown.state not in _DONE:
            return fail(f"node {node.node_id} finished but the canvas does not show it")
    mode = " in preview" if example.needs_key else ""
    seconds = (record.duration_ms or 0.0) / 1000
    return CaseResult(
        example,
        Verdict.PASS,
        f"valid, {len(record.nodes)} nodes completed{mode} in {seconds:.1f} s",
    )


def _run(window: MainWindow, *, preview: bool) -> ExecutionRecord | str:
    """Run the window's document and wait for the end: the record, or why it did not run."""
    window.runs.preview_action.setChecked(preview)
    handle = window.runs.run()
    if handle is None:
        return "the run did not start"
    if not handle.done:
        loop = QEventLoop()
        handle.finished.connect(loop.quit)
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(int(RUN_TIMEOUT_S * 1000))
        started = time.monotonic()
        loop.exec()
        timer.stop()
        if not handle.done:
            handle.cancel()
            waited = time.monotonic() - started
            return f"did not finish within {waited:.0f} s (cancelled)"
    record = handle.final
    assert record is not None
    return record


def _first_error(record: ExecutionRecord) -> str:
    for node in record.nodes:
        if node.error is not None:
            return f"{node.node_id}: {node.error.message}"
    return record.error or "no error message"


class _SilentPrompts(Prompts):
    """Answers every question without a dialog: discard, cancel, keep autosaves for later."""

    def unsaved_changes(self, parent: QWidget, name: str, before: str) -> UnsavedChoice:
        return UnsavedChoice.DISCARD

    def open_path(self, parent: QWidget, directory: Path | None) -> Path | None:
        return None

    def save_path(self, parent: QWidget, suggested: Path) -> Path | None:
        return None

    def confirm_revert(self, parent: QWidget, name: str) -> bool:
        return False

    def restore_autosave(self, parent: QWidget | None, info: AutosaveInfo) -> RecoveryChoice:
        return RecoveryChoice.LATER


class _ScratchRunner(LocalRunner):
    """The bundled engine with artifacts, cache and saved files in a scratch folder."""

    def __init__(self, catalog: Catalog, data_dir: Path, output_dir: Path) -> None:
        self._output_dir = output_dir
        super().__init__(catalog, data_dir)

    def _make_executor(self) -> Executor:
        return Executor.for_data_dir(
            self.catalog, self.data_dir, base_dir=self._base_dir, output_dir=self._output_dir
        )
