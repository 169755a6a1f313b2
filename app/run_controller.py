"""The window's run commands: Run, Cancel, Run from here, Run only this node, Force re-run.

:class:`RunController` owns the Run menu and the run part of the toolbar (with
the preview toggle and the credit estimate), starts runs through a
:class:`~app.runners.Runner` and shows their live results on the canvas
(:class:`~app.run_results.RunResults`). Results are keyed by node id and kept
outside the undo stack, so they survive undo and redo of unrelated edits.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QToolButton

from app.media_previews import MediaPreviews
from app.remote_record import artifacts_in
from app.run_results import RunResults
from app.run_target import RunTargets
from app.runners import LocalRunner, RunHandle, Runner
from engine.artifacts import ArtifactStore
from engine.catalog.spec import ParamKind
from engine.credits import CreditEstimate
from engine.errors import PatchbayError
from engine.executor import (
    ExecutionEvent,
    ExecutionRecord,
    ExecutionState,
    RunOptions,
    RunScope,
)
from engine.paths import default_data_dir
from engine.workflow import Workflow
from widgets.run.common import format_credits, format_duration, format_number

if TYPE_CHECKING:
    from app.window import MainWindow

SEED_LIMIT = 2**31 - 1
#: How often the elapsed time of running nodes is redrawn.
ELAPSED_REFRESH_MS = 250
#: Workflows as run remembered for this session's runs (the history keeps them too).
WORKFLOWS_KEPT = 20


class RunController(QObject):
    """Runs the window's document and shows the results on its canvas.

    Signals:
        started(RunHandle): a run began (panels may subscribe to its events and to
            its ``failed`` signal: a run a server refused never sends ``finished``).
        finished(ExecutionRecord): the run ended.
    """

    started = Signal(object)
    finished = Signal(object)

    def __init__(self, window: MainWindow, runner: Runner | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._runner = runner
        self._remote: Runner | None = None  # the server chosen in "Run on", if any
        self.handle: RunHandle | None = None
        self.last_record: ExecutionRecord | None = None
        self.previews = MediaPreviews(self)  # video frames and waveforms, off the GUI thread
        self.previews.ready.connect(self._on_preview)
        self.results = RunResults(previews=self.previews)
        self._as_run: Workflow | None = None  # the workflow the current run started with
        self.workflows: dict[str, Workflow] = {}  # execution id -> workflow as run (recent)
        self.estimate: CreditEstimate | None = None
        self._build_actions()
        self._build_toolbar()
        self.targets = RunTargets(window, self)  # "Run on": this computer or a server
        self._clock = QTimer(self)  # elapsed time of running nodes
        self._clock.setInterval(ELAPSED_REFRESH_MS)
        self._clock.timeout.connect(self._tick)
        window.document.reset.connect(self._on_document_reset)
        window.validator.validated.connect(lambda _v: self.update_estimate())
        window.canvas.selection_changed.connect(self._update_enabled)
        self._update_enabled()

    # -- public API ---------------------------------------------------------------

    @property
    def runner(self) -> Runner:
        """The runner of the next run: the server chosen in "Run on", else :attr:`local_runner`."""
        return self._remote if self._remote is not None else self.local_runner

    @property
    def local_runner(self) -> Runner:
        """The "This computer" runner: the bundled engine (data in the Patchbay data dir)."""
        if self._runner is None:
            self._runner = LocalRunner(self._window.catalog, default_data_dir(), self._base_dir())
        return self._runner

    def set_runner(self, runner: Runner | None) -> None:
        """Run on ``runner`` from the next run on (``None``: on this computer)."""
        self._remote = runner
        self.update_estimate()

    @property
    def running(self) -> bool:
        return self.handle is not None and not self.handle.done

    def options(
        self, scope: RunScope = RunScope.ALL, target: str | None = None, *, force: bool = False
    ) -> RunOptions:
        """The options the toolbar's toggles ask for."""
        return RunOptions(
            scope=scope,
            target_node_id=target,
            use_cache=not force,
            preview=self.preview_action.isChecked(),
        )

    def run(
        self, scope: RunScope = RunScope.ALL, target: str | None = None, *, force: bool = False
    ) -> RunHandle | None:
        """Start a run of the document; ``None`` (with a notice) when it cannot start."""
        if self.running:
            return None
        workflow = self._window.document.workflow()
        if self.seeds_action.isChecked():
            workflow = randomise_seeds(workflow, self._window)
        runner = self.runner
        runner.set_base_dir(self._base_dir())
        try:
            handle = runner.start(workflow, self.options(scope, target, force=force))
        except (PatchbayError, ValueError) as exc:
            self._window.show_notice("error", f"Cannot run: {exc}")
            return None
        self._as_run = workflow  # seeds included: kept with the run's record
        self._follow(handle, runner, clear_canvas=scope == RunScope.ALL)
        return handle

    def watch(self, handle: RunHandle) -> None:
        """Show a run started outside Run (e.g. a webhook test trigger) like one started here."""
        self._as_run = None
        self._follow(handle, handle.runner or self.runner, clear_canvas=True)

    def _follow(self, handle: RunHandle, runner: Runner, *, clear_canvas: bool) -> None:
        previous = self.handle
        if previous is not None and not previous.done:  # watching another run instead
            previous.events.disconnect(self._on_events)
            previous.finished.disconnect(self._on_finished)
            previous.failed.disconnect(self._on_failed)
        self.handle = handle
        self.results.artifacts = runner.artifacts
        # Every node the run covers shows QUEUED at once; a partial run leaves the others.
        planned = [node.node_id for node in handle.record.nodes]
        queued = self.results.start_run(planned, keep_others=not clear_canvas)
        self._window.canvas.set_node_states(self.results.views(queued), replace=clear_canvas)
        handle.events.connect(self._on_events)
        handle.finished.connect(self._on_finished)
        handle.failed.connect(self._on_failed)
        self._clock.start()
        self._update_enabled()
        self._window.statusBar().showMessage("Running…")
        self.started.emit(handle)

    def run_from_selected(self) -> RunHandle | None:
        """Run the selected node and everything downstream of it."""
        target = self._selected()
        return self.run(RunScope.FROM_NODE, target) if target else None

    def run_only_selected(self) -> RunHandle | None:
        """Run the selected node (and what it needs, from the cache when possible)."""
        target = self._selected()
        return self.run(RunScope.ONLY_NODE, target) if target else None

    def force_run(self) -> RunHandle | None:
        """Run everything again, ignoring the cache."""
        return self.run(force=True)

    def cancel(self) -> None:
        if self.handle is not None and not self.handle.done:
            self.handle.cancel()
            self._window.statusBar().showMessage("Cancelling…")

    def show_record(self, record: ExecutionRecord) -> None:
        """Show a finished run (e.g. one chosen from history) on the canvas."""
        self.last_record = record
        self.runner.set_base_dir(self._base_dir())
        self.results.artifacts = self._store_for(record)
        self.results.apply_record(record)
        self._window.canvas.set_node_states(self.results.views(), replace=True)

    def workflow_as_run(self, execution_id: str) -> Workflow | None:
        """The workflow a run of this session started with (seeds as randomised), if known."""
        found = self.workflows.get(execution_id)
        if found is None and self.handle is not None and self.handle.execution_id == execution_id:
            found = self._as_run
        return found

    def when_previews_ready(self, then: Callable[[], object], timeout_ms: int = 15_000) -> None:
        """Call ``then`` once the video frames and waveforms being made have arrived.

        At once when none are being made; after ``timeout_ms`` at the latest.
        """
        if not self.previews.busy:
            then()
            return
        done = False

        def once() -> None:
            nonlocal done
            if not done:
                done = True
                self.previews.idle.disconnect(once)
                then()

        self.previews.idle.connect(once)
        QTimer.singleShot(timeout_ms, self, once)

    def update_estimate(self) -> CreditEstimate | None:
        """Recompute the credit estimate shown next to Run (``None`` when it cannot run)."""
        try:
            estimate = self.runner.estimate(self._window.document.workflow(), self.options())
        except (PatchbayError, ValueError):
            estimate = None
        self.estimate = estimate
        self.estimate_label.setText(_estimate_text(estimate))
        tip = _estimate_tooltip(estimate)
        self.estimate_label.setToolTip(tip)
        self.run_action.setToolTip(f"Run the workflow (F5)<br>{tip}")
        return estimate

    # -- building -----------------------------------------------------------------

    def _action(
        self, name: str, text: str, keys: list[str], slot: Callable[[], object] | None, tip: str
    ) -> QAction:
        return self._window.commands.add(None, name, text, slot, keys, tip=tip)

    def _build_actions(self) -> None:
        menu = QMenu("&Run", self._window)
        bar = self._window.menuBar()
        help_menu = self._window.commands.menus[-1]
        bar.insertMenu(help_menu.menuAction(), menu)
        self._window.commands.menus.insert(len(self._window.commands.menus) - 1, menu)
        self.run_action = self._action("run", "▶  &Run", ["F5"], self.run, "Run the workflow")
        self.cancel_action = self._action(
            "cancel_run", "■  &Cancel Run", ["Shift+F5", "Esc"], self.cancel, "Stop the run"
        )
        self.from_here_action = self._action(
            "run_from_here",
            "Run &From Here",
            ["Ctrl+Shift+F5"],
            self.run_from_selected,
            "Re-run the selected node and everything after it",
        )
        self.only_action = self._action(
            "run_only",
            "Run &Only This Node",
            ["Alt+F5"],
            self.run_only_selected,
            "Re-run the selected node, with what it needs from the cache",
        )
        self.force_action = self._action(
            "force_run",
            "Force &Re-run (Ignore Cache)",
            ["Ctrl+F5"],
            self.force_run,
            "Run every node again, ignoring cached results",
        )
        self.preview_action = self._action(
            "preview",
            "&Preview Mode",
            ["Ctrl+Shift+P"],
            None,
            "Preview: hosted nodes return offline stand-ins and cost nothing",
        )
        self.preview_action.setCheckable(True)
        self.preview_action.toggled.connect(self._on_preview_toggled)
        self.seeds_action = self._action(
            "randomise_seeds",
            "Randomise &Seeds on Run",
            [],
            None,
            "Give every seed parameter a new random value on each run",
        )
        self.seeds_action.setCheckable(True)
        for action in (self.run_action, self.cancel_action, self.force_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.from_here_action)
        menu.addAction(self.only_action)
        menu.addSeparator()
        menu.addAction(self.preview_action)
        menu.addAction(self.seeds_action)
        self._window.canvas.node_actions = [self.from_here_action, self.only_action]

    def _build_toolbar(self) -> None:
        bar = self._window.commands.toolbar
        before = bar.actions()[-2]  # the spacer before the document title
        bar.insertSeparator(before)
        for action in (self.run_action, self.cancel_action):
            bar.insertAction(before, action)
        self.estimate_label = QLabel(bar)
        self.estimate_label.setObjectName("runEstimate")
        bar.insertWidget(before, self.estimate_label)
        bar.insertSeparator(before)
        self.preview_button = QToolButton(bar)
        self.preview_button.setObjectName("previewToggle")
        self.preview_button.setDefaultAction(self.preview_action)
        self.preview_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.preview_button.setText("Preview: off")
        bar.insertWidget(before, self.preview_button)

    # -- reactions ----------------------------------------------------------------

    def _on_events(self, events: list[object]) -> None:
        batch = [e for e in events if isinstance(e, ExecutionEvent)]
        changed = self.results.apply_events(batch)
        if changed:
            self._window.canvas.set_node_states(self.results.views(changed))

    def _on_preview(self, artifact_id: str) -> None:
        waiting = self.results.waiting_for(artifact_id)
        if waiting:
            self._window.canvas.set_node_states(self.results.views(waiting))

    def _tick(self) -> None:
        running = self.results.running()
        if running:
            self._window.canvas.set_node_states(self.results.views(running))

    def _on_finished(self, record: object) -> None:
        assert isinstance(record, ExecutionRecord)
        self._clock.stop()
        self.last_record = record
        if self._as_run is not None:
            self.workflows[record.execution_id] = self._as_run
            while len(self.workflows) > WORKFLOWS_KEPT:
                self.workflows.pop(next(iter(self.workflows)))
        changed = self.results.apply_record(record, merge=True)
        self._window.canvas.set_node_states(self.results.views(changed))
        self._update_enabled()
        counts = ", ".join(f"{n} {s.value.lower()}" for s, n in record.counts().items())
        self._window.statusBar().showMessage(
            f"Run {record.status.value.lower()} in {format_duration(record.duration_ms)} · "
            f"{format_credits(record.credits)} · {counts}",
            15000,
        )
        if record.status == ExecutionState.FAILED and record.error:
            self._window.show_notice("error", f"Run failed: {record.error}")
        self.finished.emit(record)

    def _on_failed(self, _error: object) -> None:
        """The run could not start or be followed (the notice: :class:`RunTargets`)."""
        self._clock.stop()
        self._update_enabled()
        # Nodes that had not finished did not run here (or are no longer known to
        # run): they lose their QUEUED/RUNNING marks; finished ones keep theirs.
        for node_id, live in list(self.results.nodes.items()):
            if not live.state.is_final:
                del self.results.nodes[node_id]
        self._window.canvas.set_node_states(self.results.views(), replace=True)

    def _store_for(self, record: ExecutionRecord) -> ArtifactStore | None:
        """The local store holding a past run's pictures: this runner's, else the engine's."""
        stores = [s for s in (self.runner.artifacts, self.local_runner.artifacts) if s]
        wanted = [a for n in record.nodes for a in artifacts_in(n.outputs or {})]
        for store in stores:
            if any(store.exists(a) for a in wanted):
                return store
        return stores[0] if stores else None

    def _on_preview_toggled(self, on: bool) -> None:
        self.preview_button.setText("PREVIEW ON" if on else "Preview: off")
        self.preview_button.setProperty("active", on)
        self.preview_button.setStyleSheet(
            "QToolButton { background: #f5a524; color: #101216; font-weight: bold;"
            " border-radius: 4px; padding: 2px 8px; }"
            if on
            else ""
        )
        self.update_estimate()

    def _on_document_reset(self) -> None:
        if not self.running:
            self.results.clear()
            self._window.canvas.clear_node_states()

    def _update_enabled(self, *_: object) -> None:
        running = self.running
        one = len(self._window.canvas.selected_node_ids()) == 1
        self.run_action.setEnabled(not running)
        self.force_action.setEnabled(not running)
        self.cancel_action.setEnabled(running)
        self.from_here_action.setEnabled(one and not running)
        self.only_action.setEnabled(one and not running)

    def _selected(self) -> str | None:
        ids = self._window.canvas.selected_node_ids()
        return ids[0] if len(ids) == 1 else None

    def _base_dir(self) -> Path:
        path = self._window.controller.path
        return path.resolve().parent if path is not None else Path.cwd()


def randomise_seeds(workflow: Workflow, window: MainWindow) -> Workflow:
    """A copy of ``workflow`` with every seed parameter set to a new random value."""
    nodes = []
    for node in workflow.nodes:
        spec = window.catalog.get(node.type)
        seeds = [p.name for p in spec.params if p.kind == ParamKind.SEED] if spec else []
        if seeds:
            data = {**node.data, **{name: random.randint(0, SEED_LIMIT) for name in seeds}}
            node = node.model_copy(update={"data": data})
        nodes.append(node)
    return workflow.model_copy(update={"nodes": nodes})


def _estimate_text(estimate: CreditEstimate | None) -> str:
    if estimate is None:
        return "  ≈ — credits  "
    return f"  ≈ {format_credits(estimate.total)}  "


def _estimate_tooltip(estimate: CreditEstimate | None) -> str:
    if estimate is None:
        return "No estimate: the workflow cannot run as it is (see Problems)."
    rows = "".join(
        f"<tr><td>{html.escape(n.node_label)}</td><td align=right>"
        f"{'preview' if n.preview else format_number(n.credits)}</td></tr>"
        for n in estimate.nodes
        if n.credits or n.preview
    )
    table = f"<table>{rows}</table>" if rows else "Every node is free."
    return f"<b>Estimated: {format_credits(estimate.total)}</b>{table}"
