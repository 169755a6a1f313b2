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
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QToolButton

from app.run_results import RunResults
from app.runners import LocalRunner, RunHandle, Runner
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

if TYPE_CHECKING:
    from app.window import MainWindow

SEED_LIMIT = 2**31 - 1
#: How often the elapsed time of running nodes is redrawn.
ELAPSED_REFRESH_MS = 250


class RunController(QObject):
    """Runs the window's document and shows the results on its canvas.

    Signals:
        started(RunHandle): a run began (panels may subscribe to its events).
        finished(ExecutionRecord): the run ended.
    """

    started = Signal(object)
    finished = Signal(object)

    def __init__(self, window: MainWindow, runner: Runner | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._runner = runner
        self.handle: RunHandle | None = None
        self.last_record: ExecutionRecord | None = None
        self.results = RunResults()
        self.estimate: CreditEstimate | None = None
        self._build_actions()
        self._build_toolbar()
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
        """The runner (default: the bundled engine, data in the Patchbay data dir)."""
        if self._runner is None:
            self._runner = LocalRunner(self._window.catalog, default_data_dir(), self._base_dir())
        return self._runner

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
        if isinstance(runner, LocalRunner):
            runner.set_base_dir(self._base_dir())
            self.results.artifacts = runner.executor.artifacts
        try:
            handle = runner.start(workflow, self.options(scope, target, force=force))
        except (PatchbayError, ValueError) as exc:
            self._window.show_notice("error", f"Cannot run: {exc}")
            return None
        self.handle = handle
        self.results.clear()
        if scope == RunScope.ALL:
            self._window.canvas.clear_node_states()
        handle.events.connect(self._on_events)
        handle.finished.connect(self._on_finished)
        self._clock.start()
        self._update_enabled()
        self._window.statusBar().showMessage("Running…")
        self.started.emit(handle)
        return handle

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
        runner = self.runner
        if isinstance(runner, LocalRunner):
            runner.set_base_dir(self._base_dir())
            self.results.artifacts = runner.executor.artifacts
        self.results.apply_record(record)
        self._window.canvas.set_node_states(self.results.views(), replace=True)

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

    def _action(self, name: str, text: str, keys: list[str], slot: object, tip: str) -> QAction:
        action = QAction(text, self._window)
        action.setObjectName(f"action_{name}")
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        if callable(slot):
            action.triggered.connect(lambda _checked=False: slot())
        self._window.addAction(action)
        self._window.commands.by_name[name] = action
        return action

    def _build_actions(self) -> None:
        menu = QMenu("&Run", self._window)
        bar = self._window.menuBar()
        help_menu = self._window.commands.menus[-1]
        bar.insertMenu(help_menu.menuAction(), menu)
        self._window.commands.menus.insert(len(self._window.commands.menus) - 1, menu)
        self.run_action = self._action("run", "▶  &Run", ["F5"], self.run, "Run the workflow (F5)")
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

    def _tick(self) -> None:
        running = self.results.running()
        if running:
            self._window.canvas.set_node_states(self.results.views(running))

    def _on_finished(self, record: object) -> None:
        assert isinstance(record, ExecutionRecord)
        self._clock.stop()
        self.last_record = record
        changed = self.results.apply_record(record, merge=True)
        self._window.canvas.set_node_states(self.results.views(changed))
        self._update_enabled()
        seconds = (record.duration_ms or 0.0) / 1000
        counts = ", ".join(f"{n} {s.value.lower()}" for s, n in record.counts().items())
        self._window.statusBar().showMessage(
            f"Run {record.status.value.lower()} in {seconds:.1f} s · "
            f"{record.credits:g} credits · {counts}",
            15000,
        )
        if record.status == ExecutionState.FAILED and record.error:
            self._window.show_notice("error", f"Run failed: {record.error}")
        self.finished.emit(record)

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
    return f"  ≈ {estimate.total:g} credits  "


def _estimate_tooltip(estimate: CreditEstimate | None) -> str:
    if estimate is None:
        return "No estimate: the workflow cannot run as it is (see Problems)."
    rows = "".join(
        f"<tr><td>{html.escape(n.node_label)}</td><td align=right>"
        f"{'preview' if n.preview else f'{n.credits:g}'}</td></tr>"
        for n in estimate.nodes
        if n.credits or n.preview
    )
    table = f"<table>{rows}</table>" if rows else "Every node is free."
    return f"<b>Estimated credits: {estimate.total:g}</b>{table}"
