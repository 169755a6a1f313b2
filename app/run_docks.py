"""The run docks of a window: run panel (timeline, totals, log), inspector, run history.

:class:`RunDocks` wires the pure widgets of :mod:`widgets.run` to the window's
:class:`~app.run_controller.RunController`: a live run feeds the log with every
batch of events and refreshes the timeline, totals and inspector from the run's
record at most every :data:`REFRESH_MS`; a finished run is stored in the
:class:`~app.run_history.RunHistory` of the data directory, and choosing a past
run shows its record on the canvas and in the panels. Image outputs reach the
inspector through a resolver reading the local artifact store (widgets do no I/O).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import QFileDialog

from app.chrome import make_dock
from app.remote_record import find_artifact
from app.run_history import RunHistory
from app.run_seeds import RunSeeds
from app.runners import LocalRunner, RunHandle, install_event_loop
from engine.artifacts import ArtifactStore
from engine.executor import ExecutionEvent, ExecutionRecord
from engine.paths import default_data_dir
from widgets.run import NodeInspector, RunHistoryList, RunPanel, RunSummary

if TYPE_CHECKING:
    from app.window import MainWindow

#: How often a live run's record is re-read for the timeline, totals and inspector.
REFRESH_MS = 500
#: How long after the end of a run the panels show its final record.
FINISH_DELAY_MS = 60


class RunDocks(QObject):
    """Builds the Run, Inspector and Runs docks and keeps them in step with runs."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._runs = window.runs
        self._handle: RunHandle | None = None
        self._record: ExecutionRecord | None = None
        self._first = False  # the live run's timeline has not been drawn yet
        self._downloads: set[asyncio.Task[Path | None]] = set()  # outputs fetched from a server
        self._asked: set[str] = set()  # outputs the player asked a server for
        self.panel = RunPanel()
        self.inspector = NodeInspector()
        self.history_list = RunHistoryList()
        bottom, right = (
            Qt.DockWidgetArea.BottomDockWidgetArea,
            Qt.DockWidgetArea.RightDockWidgetArea,
        )
        self.panel_dock = make_dock(window, "Run", "runDock", self.panel, bottom)
        self.inspector_dock = make_dock(window, "Inspector", "inspectorDock", self.inspector, right)
        self.history_dock = make_dock(window, "Runs", "runHistoryDock", self.history_list, right)
        window.tabifyDockWidget(window.problems_dock, self.panel_dock)
        window.tabifyDockWidget(window.properties_dock, self.inspector_dock)
        window.tabifyDockWidget(self.inspector_dock, self.history_dock)
        window.problems_dock.raise_()
        window.properties_dock.raise_()
        for name, dock, key in (
            ("dock_run", self.panel_dock, "Ctrl+4"),
            ("dock_inspector", self.inspector_dock, "Ctrl+5"),
            ("dock_runs", self.history_dock, "Ctrl+6"),
        ):
            window.commands.add_panel_toggle(name, dock, key)
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._refresh_live)

        self._runs.started.connect(self._on_started)
        self._runs.finished.connect(self._on_finished)
        window.canvas.selection_changed.connect(lambda _ids: self._show_selected())
        window.controller.loaded.connect(self._on_loaded)
        window.controller.path_changed.connect(self._list_history)
        self.panel.node_clicked.connect(self._frame)
        self.history_list.run_chosen.connect(self.choose_run)
        self.inspector.save_requested.connect(self._save_artifact)
        self.inspector.open_requested.connect(self._open_artifact)
        self.seeds = RunSeeds(window, lambda: self.history)
        self.inspector.seed_requested.connect(self.seeds.use)
        window.document.node_changed.connect(self._on_node_changed)
        self._list_history()

    # -- public API ---------------------------------------------------------------

    @property
    def history(self) -> RunHistory:
        """The document's past runs, local and remote alike (in the engine's data dir)."""
        runner = self._runs.local_runner
        data_dir = runner.data_dir if isinstance(runner, LocalRunner) else default_data_dir()
        return RunHistory(data_dir)

    def choose_run(self, execution_id: str) -> ExecutionRecord | None:
        """Show a past run of the document on the canvas and in the panels."""
        record = self.history.record(self._window.controller.path, execution_id)
        if record is None:
            self._window.show_notice("warning", "That run's record can no longer be read.")
            return None
        self._record = record
        self._runs.show_record(record)
        self.panel.clear_log()
        self.panel.set_record(record, self._dependencies())
        self._show_selected()
        return record

    # -- reactions ----------------------------------------------------------------

    def _on_started(self, handle: object) -> None:
        assert isinstance(handle, RunHandle)
        self._handle = handle
        self.panel.clear_log()
        self.panel.set_record(None)
        handle.events.connect(self._on_events)
        handle.failed.connect(lambda _error: self._on_failed(handle))
        self.panel_dock.show()
        self.panel_dock.raise_()
        # The timeline is drawn from the first refresh on, not while the canvas
        # draws the first state of a hundred nodes.
        self._first = True
        self._refresh.start()

    def _on_events(self, events: list[object]) -> None:
        self.panel.append_events(e for e in events if isinstance(e, ExecutionEvent))
        if not self._refresh.isActive():
            self._refresh.start()

    def _refresh_live(self) -> None:
        if self._handle is None or self._handle.done:
            return
        self._record = self._handle.record
        if self._first:
            self._first = False
            self.panel.set_record(self._record, self._dependencies())
        else:
            self.panel.update_record(self._record)
        self._show_selected()

    def _on_failed(self, handle: RunHandle) -> None:
        """A run a server refused (or lost): show what its events told, keep no history."""
        if handle is not self._handle:
            return
        self._refresh.stop()
        self._handle = None
        self._record = handle.record if handle.execution_id else None
        if self._record is not None:
            self._first = False
            self.panel.set_record(self._record, self._dependencies())
        self._show_selected()

    def _on_finished(self, record: object) -> None:
        assert isinstance(record, ExecutionRecord)
        self._refresh.stop()
        self._handle = None
        self._record = record
        # A moment later, so the timeline and the canvas's last redraw do not
        # land in the same event-loop iteration.
        QTimer.singleShot(FINISH_DELAY_MS, self, lambda: self._show_final(record))

    def _show_final(self, record: ExecutionRecord) -> None:
        QTimer.singleShot(0, self, lambda: self._keep(record))
        if self._handle is not None:  # another run started meanwhile
            return
        if self._first:
            self._first = False
            self.panel.set_record(record, self._dependencies())
        else:
            self.panel.update_record(record)
        self._show_selected()

    def _keep(self, record: ExecutionRecord) -> None:
        try:
            as_run = self._runs.workflow_as_run(record.execution_id)
            self.history.add(self._window.controller.path, record, as_run)
        except OSError as exc:
            self._window.show_notice("warning", f"Could not keep the run in history: {exc}")
        runs = [r for r in self.history_list.runs() if r.execution_id != record.execution_id]
        self.history_list.set_runs([RunSummary.from_record(record), *runs])
        self.history_list.set_current(record.execution_id)

    def _on_loaded(self) -> None:
        """A document was opened: show its latest run, if it has one."""
        if self._handle is None:
            records = self.history.records(self._window.controller.path)
            self._record = records[0] if records else None
            self.panel.clear_log()
            self.panel.set_record(self._record, self._dependencies())
            if self._record is not None:
                self._runs.show_record(self._record)
        self._list_history()
        if self._record is not None:
            self.history_list.set_current(self._record.execution_id)
        self._show_selected()

    def _list_history(self) -> None:
        records = self.history.records(self._window.controller.path)
        self.history_list.set_runs(RunSummary.from_record(r) for r in records)

    def _show_selected(self) -> None:
        ids = self._window.canvas.selected_node_ids()
        node = None
        if len(ids) == 1 and self._record is not None:
            try:
                node = self._record.node(ids[0])
            except KeyError:
                node = None
        inputs = self._inputs_of(node.node_id) if node is not None else None
        seeds = self.seeds.seeds(self._record, node.node_id) if node is not None else []
        self.inspector.set_node(node, self._resolve, inputs, media=self._media_url, seeds=seeds)

    def _on_node_changed(self, node_id: str) -> None:
        """A seed put back (or any edit) of the node shown: its "Use this seed" follows."""
        shown = self.inspector.node()
        if shown is not None and shown.node_id == node_id:
            self._show_selected()

    def _inputs_of(self, node_id: str) -> dict[str, Any] | None:
        """What the node received: its wired inputs, read from the upstream outputs."""
        record = self._record
        if record is None or not self._window.document.has_node(node_id):
            return None
        found: dict[str, list[Any]] = {}
        outputs = {n.node_id: n.outputs or {} for n in record.nodes}
        for edge in self._window.document.edges():
            if edge.target == node_id and edge.source_handle in outputs.get(edge.source, {}):
                found.setdefault(edge.target_handle, []).append(
                    outputs[edge.source][edge.source_handle]
                )
        return {port: values[0] if len(values) == 1 else values for port, values in found.items()}

    def _frame(self, node_id: str) -> None:
        if self._window.document.has_node(node_id):
            self._window.canvas.frame_node(node_id)

    def _dependencies(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for edge in self._window.document.edges():
            found.setdefault(edge.target, []).append(edge.source)
        return found

    # -- artifacts ----------------------------------------------------------------

    def _store(self) -> ArtifactStore | None:
        return self._runs.results.artifacts

    def _resolve(self, artifact_id: str) -> QImage | None:
        preview = self._runs.previews.cached(artifact_id)  # a video's frame, a waveform
        if preview is not None:
            return preview
        path = self._artifact_path(artifact_id)
        if path is None:
            return None
        image = QImage(str(path))
        return None if image.isNull() else image

    def _media_url(self, artifact_id: str) -> QUrl | None:
        """The local file of an audio or video output, for the inspector's player."""
        path = self._artifact_path(artifact_id)
        if path is None:
            self._fetch_for_player(artifact_id)
        return QUrl.fromLocalFile(str(path)) if path is not None else None

    def _fetch_for_player(self, artifact_id: str) -> None:
        """A server's output the player asks for: download it, then show the node again."""
        runner = self._runs.runner
        artifact = find_artifact(self._record, artifact_id)
        if artifact is None or runner is self._runs.local_runner or artifact_id in self._asked:
            return
        self._asked.add(artifact_id)  # once: a failed download is not retried in a loop
        task = install_event_loop().create_task(runner.fetch(artifact))
        self._downloads.add(task)

        def done(task: asyncio.Task[Path | None]) -> None:
            self._downloads.discard(task)
            if task.cancelled() or task.exception() is not None or task.result() is None:
                return
            self.inspector.set_node(None)  # rebuild the viewers: the player has a file now
            self._show_selected()

        task.add_done_callback(done)

    def _artifact_path(self, artifact_id: str) -> Path | None:
        store = self._store()
        if store is None or not store.exists(artifact_id):
            return None
        return store.path(artifact_id)

    def _with_file(self, artifact_id: str, then: Callable[[Path], object]) -> None:
        """Call ``then`` with the output's local file, downloading it first if need be."""
        path = self._artifact_path(artifact_id)
        if path is not None:
            then(path)
            return
        artifact = find_artifact(self._record, artifact_id)
        runner = self._runs.runner
        if artifact is None or runner.artifacts is None:
            self._window.show_notice("warning", "That output is no longer stored.")
            return
        self._window.statusBar().showMessage(f"Downloading {artifact.filename or 'the output'}…")
        task = install_event_loop().create_task(runner.fetch(artifact))
        self._downloads.add(task)

        def done(task: asyncio.Task[Path | None]) -> None:
            self._downloads.discard(task)
            if task.cancelled():
                return
            error = task.exception()
            found = task.result() if error is None else None
            if found is None:
                reason = f": {error}" if error is not None else ""
                self._window.show_notice("warning", f"Could not get that output{reason}")
                return
            self._window.statusBar().clearMessage()
            then(found)

        task.add_done_callback(done)

    def _save_artifact(self, artifact_id: str, suggested: str) -> None:
        self._with_file(artifact_id, lambda source: self._save_file(source, suggested))

    def _save_file(self, source: Path, suggested: str) -> None:
        target, _ = QFileDialog.getSaveFileName(self._window, "Save Output As", suggested)
        if target:
            try:
                shutil.copyfile(source, target)
            except OSError as exc:
                self._window.show_notice("error", f"Cannot save {Path(target).name}: {exc}")

    def _open_artifact(self, artifact_id: str) -> None:
        self._with_file(
            artifact_id, lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        )
