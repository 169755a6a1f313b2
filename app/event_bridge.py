"""The one bridge from engine events to Qt signals, batched.

The executor calls :meth:`EventBridge.push` synchronously for every state
transition, possibly thousands of times a second when nodes report progress.
The bridge only appends to a list there; a single-shot ``QTimer`` flushes the
list to the GUI at most every :data:`FLUSH_INTERVAL_MS` as one :attr:`batch`
signal. Progress-only events of the same node (and batch item) waiting in the
list are coalesced: the newest replaces the older one in place, so a burst of
progress costs the GUI one repaint per node per flush, never one per event.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from engine.executor import ExecutionEvent, NodeState

#: The longest an event waits before the GUI hears about it.
FLUSH_INTERVAL_MS = 30

_Slot = tuple[str | None, int | None]


def _is_progress(event: ExecutionEvent) -> bool:
    return (
        event.state == NodeState.RUNNING
        and event.node_id is not None
        and event.attempt is None
        and event.progress is not None
    )


class EventBridge(QObject):
    """Collects engine events and emits them to the GUI in batches.

    Signals:
        batch(list[ExecutionEvent]): the events since the last flush, in order,
            with waiting progress events of one node coalesced.

    :meth:`push` must be called on the thread that owns the bridge: the executor
    delivers events on the loop's thread, which is the GUI thread with qasync.
    """

    batch = Signal(list)

    def __init__(self, parent: QObject | None = None, interval_ms: int = FLUSH_INTERVAL_MS) -> None:
        super().__init__(parent)
        self._pending: list[ExecutionEvent] = []
        self._progress_at: dict[_Slot, int] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self.received = 0  # events pushed (before coalescing)
        self.delivered = 0  # events emitted

    def push(self, event: ExecutionEvent) -> None:
        """Queue one event (cheap: this is on the engine's hot path)."""
        self.received += 1
        slot: _Slot = (event.node_id, event.item)
        if _is_progress(event):
            index = self._progress_at.get(slot)
            if index is not None:
                self._pending[index] = event
                return
            self._progress_at[slot] = len(self._pending)
        else:
            # A new state must not be overtaken by an older progress event.
            self._progress_at.pop(slot, None)
        self._pending.append(event)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Emit whatever is waiting now (the runner calls it when a run ends)."""
        self._timer.stop()
        if not self._pending:
            return
        events, self._pending = self._pending, []
        self._progress_at.clear()
        self.delivered += len(events)
        self.batch.emit(events)
