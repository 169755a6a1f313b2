"""Runners: where a workflow runs, behind one interface the UI talks to.

:class:`Runner` starts a run and returns a :class:`RunHandle`, a ``QObject``
whose :attr:`RunHandle.events` carries the engine's events in batches (through
the one :class:`~app.event_bridge.EventBridge`) and whose :attr:`RunHandle.finished`
carries the final :class:`~engine.executor.ExecutionRecord`. :class:`LocalRunner`
runs the bundled engine inside the app's asyncio loop (qasync, installed on the
running ``QApplication`` by :func:`install_event_loop`); a remote runner (a
Patchbay server) plugs into the same UI by implementing :class:`Runner`.

PySide6 is imported before qasync on purpose (DESIGN §7: qasync picks the Qt
binding it finds first).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication
from qasync import QEventLoop  # after PySide6: see the module docstring

from app.event_bridge import EventBridge
from engine.artifacts import ArtifactStore
from engine.catalog.registry import Catalog
from engine.credits import CreditEstimate
from engine.executor import ExecutionHandle, ExecutionRecord, Executor, RunOptions
from engine.values import Artifact
from engine.workflow import Workflow

log = logging.getLogger(__name__)


class RunHandle(QObject):
    """A run in flight, as the UI sees it.

    Signals:
        events(list[ExecutionEvent]): a batch of events, in order.
        finished(ExecutionRecord): the run ended (completed, failed or cancelled).
        failed(Exception): the run could not be started or followed to its end (a
            remote runner's :class:`~engine.client.ClientError`); ``finished`` is
            not emitted then, and :attr:`error` holds the exception.
    """

    events = Signal(list)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.final: ExecutionRecord | None = None
        self.error: Exception | None = None
        self.runner: Runner | None = None  # the runner that started (or follows) the run

    @property
    def execution_id(self) -> str:
        raise NotImplementedError

    @property
    def record(self) -> ExecutionRecord:
        """A snapshot of the run right now (the final record once it ended)."""
        raise NotImplementedError

    @property
    def done(self) -> bool:
        """Whether the run ended (``finished``) or was given up on (``failed``)."""
        return self.final is not None or self.error is not None

    def cancel(self) -> None:
        """Stop the run: running nodes end CANCELLED, nothing else starts."""
        raise NotImplementedError


class Runner(ABC):
    """Something that runs workflows: the bundled engine or a server."""

    @property
    def artifacts(self) -> ArtifactStore | None:
        """Where this runner's media outputs can be read locally (``None``: nowhere).

        The bundled engine's own store, or a remote runner's cache of downloads;
        thumbnails, the inspector and Save As read outputs from here.
        """
        return None

    def set_base_dir(self, base_dir: str | Path) -> None:  # noqa: B027 - optional hook
        """Resolve relative input paths against ``base_dir`` (runners reading local files)."""

    async def fetch(self, artifact: Artifact) -> Path | None:
        """A local file holding ``artifact`` (downloading it if the runner can), else ``None``."""
        store = self.artifacts
        return store.path(artifact) if store is not None and store.exists(artifact) else None

    @abstractmethod
    def start(self, workflow: Workflow, options: RunOptions) -> RunHandle:
        """Start a run and return its handle at once.

        Raises (before any event) for a workflow that cannot run: see
        :meth:`engine.executor.Executor.start`.
        """

    @abstractmethod
    def estimate(self, workflow: Workflow, options: RunOptions) -> CreditEstimate:
        """The per-node credit estimate of running ``workflow`` with ``options``."""


class _LocalHandle(RunHandle):
    def __init__(self, handle: ExecutionHandle, bridge: EventBridge) -> None:
        super().__init__()
        self._handle = handle
        self._bridge = bridge
        bridge.setParent(self)
        bridge.batch.connect(self.events)

    @property
    def execution_id(self) -> str:
        return self._handle.execution_id

    @property
    def bridge(self) -> EventBridge:
        """The bridge delivering this run's events (its counters show the coalescing)."""
        return self._bridge

    @property
    def record(self) -> ExecutionRecord:
        return self.final if self.final is not None else self._handle.record

    def cancel(self) -> None:
        self._handle.cancel()

    async def _watch(self) -> None:
        record = await self._handle.wait()
        self._bridge.flush()
        self.final = record
        self.finished.emit(record)


class LocalRunner(Runner):
    """Runs workflows on the bundled engine, in the app's event loop.

    Artifacts and the cache live in ``data_dir``; relative input paths resolve
    against ``base_dir`` (the workflow file's folder), see :meth:`set_base_dir`.
    """

    def __init__(
        self, catalog: Catalog, data_dir: str | Path, base_dir: str | Path | None = None
    ) -> None:
        self.catalog = catalog
        self.data_dir = Path(data_dir)
        self._base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self._executor = self._make_executor()
        self._tasks: set[asyncio.Task[None]] = set()

    def _make_executor(self) -> Executor:
        return Executor.for_data_dir(self.catalog, self.data_dir, base_dir=self._base_dir)

    @property
    def executor(self) -> Executor:
        return self._executor

    @property
    def artifacts(self) -> ArtifactStore:
        return self._executor.artifacts

    def set_base_dir(self, base_dir: str | Path) -> None:
        """Resolve relative paths against ``base_dir`` from the next run on."""
        if Path(base_dir) != self._base_dir:
            self._base_dir = Path(base_dir)
            self._executor = self._make_executor()

    def estimate(self, workflow: Workflow, options: RunOptions) -> CreditEstimate:
        return self._executor.estimate(workflow, options)

    def start(self, workflow: Workflow, options: RunOptions) -> RunHandle:
        loop = install_event_loop()
        bridge = EventBridge()
        handle = self._executor.start(workflow, options, bridge.push)
        run = _LocalHandle(handle, bridge)
        run.runner = self
        task = loop.create_task(run._watch())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run


# -- the event loop ----------------------------------------------------------------

_loop: QEventLoop | None = None
_previous_hooks: tuple[object, object] | None = None


def install_event_loop() -> asyncio.AbstractEventLoop:
    """The asyncio loop running inside the ``QApplication``'s own event loop.

    Created on first use (qasync, ``already_running``: Qt's ``exec()`` drives it)
    and made this thread's running loop; also installs :func:`report_exception`
    as ``sys.excepthook`` so exceptions in ``asyncSlot`` coroutines are reported.
    """
    global _loop, _previous_hooks
    if _loop is not None and not _loop.is_closed():
        asyncio.events._set_running_loop(_loop)
        return loop_of(_loop)
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("install_event_loop needs a QApplication")
    _loop = QEventLoop(app, already_running=True)
    asyncio.set_event_loop(_loop)
    # What BaseEventLoop.run_forever does and qasync's already-running loop does not:
    # an async generator left unfinished (e.g. an HTTP stream) is closed on the loop,
    # not by the garbage collector in whatever code happens to run then.
    _previous_hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(
        firstiter=_loop._asyncgen_firstiter_hook, finalizer=_loop._asyncgen_finalizer_hook
    )
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = report_exception
    return loop_of(_loop)


def loop_of(loop: object) -> asyncio.AbstractEventLoop:
    assert isinstance(loop, asyncio.AbstractEventLoop)
    return loop


def close_event_loop() -> None:
    """Stop and close the loop made by :func:`install_event_loop` (tests, app exit)."""
    global _loop, _previous_hooks
    loop, _loop = _loop, None
    if _previous_hooks is not None:
        sys.set_asyncgen_hooks(*_previous_hooks)  # type: ignore[arg-type]
        _previous_hooks = None
    if loop is None or loop.is_closed():
        return
    for task in asyncio.all_tasks(loop):
        task.cancel()
    # Not loop.stop(): that calls QApplication.exit(), which would also end any
    # local Qt event loop started later (a dialog, a test's wait).
    loop._QEventLoop__is_running = False
    loop.close()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


def report_exception(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> None:
    """``sys.excepthook``: log an uncaught exception (qasync sends ``asyncSlot`` ones here)."""
    text = "".join(traceback.format_exception(kind, error, tb))
    log.error("Uncaught exception:\n%s", text)
    if sys.__stderr__ is not None:
        sys.__stderr__.write(text)
