"""Turn run events and records into what the canvas draws for each node.

:class:`RunResults` keeps, per node id, the latest state of the current (or a
chosen past) run, outside the undo stack, so results survive undo and redo of
unrelated edits. It builds :class:`~widgets.canvas.NodeRunView` values, loading
image thumbnails from the artifact store here in the app layer (widgets do no
I/O) and caching them by artifact id; video frames and audio waveforms come from
:class:`~app.media_previews.MediaPreviews`, made off the GUI thread: a node whose
preview is not ready yet is listed by :meth:`RunResults.waiting_for`, to be
redrawn when it arrives.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage, QImageReader

from app.media_previews import MediaPreviews
from engine.artifacts import ArtifactStore
from engine.catalog.spec import PortType
from engine.executor import ExecutionEvent, ExecutionRecord, NodeErrorInfo, NodeState
from engine.values import Artifact, Batch, decode_value
from widgets.canvas import NodeRunView
from widgets.run.common import format_duration

#: Thumbnails are decoded at this height (twice what the canvas shows, for zoom).
THUMB_PIXELS = 152
_CACHE_LIMIT = 512


@dataclass(frozen=True)
class NodeLive:
    """One node's latest state in a run, as events report it."""

    state: NodeState
    progress: float | None = None
    duration_ms: float | None = None
    credits: float | None = None
    outputs: dict[str, Any] | None = None
    error: NodeErrorInfo | None = None
    message: str | None = None
    started_at: float | None = None


class RunResults:
    """Per-node results of the run on show, and the views the canvas draws from them."""

    def __init__(
        self, artifacts: ArtifactStore | None = None, previews: MediaPreviews | None = None
    ) -> None:
        self.artifacts = artifacts
        self.previews = previews
        self.nodes: dict[str, NodeLive] = {}
        self._thumbs: dict[str, QImage] = {}
        self._waiting: dict[str, set[str]] = {}  # artifact id -> nodes waiting for its preview

    def clear(self) -> None:
        self.nodes.clear()

    def start_run(self, node_ids: Iterable[str], *, keep_others: bool) -> list[str]:
        """A run of ``node_ids`` starts: each is QUEUED now; returns them.

        With ``keep_others`` (a partial run) nodes outside the run keep their
        results; otherwise they are dropped.
        """
        if not keep_others:
            self.nodes.clear()
        queued = list(node_ids)
        for node_id in queued:
            self.nodes[node_id] = NodeLive(state=NodeState.QUEUED)
        return queued

    def waiting_for(self, artifact_id: str) -> set[str]:
        """The nodes shown without the preview of ``artifact_id`` (forgotten once asked)."""
        return {i for i in self._waiting.pop(artifact_id, set()) if i in self.nodes}

    def apply_events(self, events: Iterable[ExecutionEvent]) -> set[str]:
        """Fold a batch of events in; returns the ids of the nodes that changed."""
        changed: set[str] = set()
        for event in events:
            node_id = event.node_id
            if node_id is None or event.item is not None:
                continue
            state = event.state
            assert isinstance(state, NodeState)
            old = self.nodes.get(node_id)
            if old is not None and state == old.state == NodeState.RUNNING:
                new = replace(
                    old, progress=event.progress if event.progress is not None else old.progress
                )
            else:
                new = NodeLive(
                    state=state,
                    progress=event.progress,
                    duration_ms=event.duration_ms,
                    credits=event.credits,
                    outputs=event.outputs,
                    error=event.error,
                    message=event.message,
                    started_at=event.at if state == NodeState.RUNNING else None,
                )
            self.nodes[node_id] = new
            changed.add(node_id)
        return changed

    def apply_record(self, record: ExecutionRecord, *, merge: bool = False) -> set[str]:
        """Show a whole record (a past run chosen from history); returns the changed ids.

        With ``merge`` (the end of the run the events came from) a node the events
        already showed in the same final state is left as it is, so the end of a
        run only redraws what the last events missed.
        """
        fresh = {
            node.node_id: NodeLive(
                state=node.status,
                progress=node.progress,
                duration_ms=node.duration_ms,
                credits=node.credits if node.status.is_final else None,
                outputs=node.outputs,
                error=node.error,
                message=node.message,
                started_at=node.started_at if node.status == NodeState.RUNNING else None,
            )
            for node in record.nodes
        }
        if not merge:
            self.nodes = fresh
            return set(fresh)
        changed: set[str] = set()
        for node_id, live in fresh.items():
            old = self.nodes.get(node_id)
            if old is None or old.state != live.state or not old.state.is_final:
                self.nodes[node_id] = live
                changed.add(node_id)
        return changed

    def views(self, node_ids: Iterable[str] | None = None) -> dict[str, NodeRunView]:
        """The canvas views of some (default: all) nodes."""
        ids = self.nodes if node_ids is None else [i for i in node_ids if i in self.nodes]
        return {node_id: self.view(node_id) for node_id in ids}

    def running(self) -> list[str]:
        """The nodes running now (their elapsed time needs refreshing)."""
        return [i for i, live in self.nodes.items() if live.state == NodeState.RUNNING]

    def view(self, node_id: str) -> NodeRunView:
        live = self.nodes[node_id]
        duration = live.duration_ms
        if live.state == NodeState.RUNNING and live.started_at is not None:
            duration = max(0.0, (time.time() - live.started_at) * 1000)
        caption, more = "", 0
        thumbs: tuple[QImage, ...] = ()
        if live.state == NodeState.FAILED and live.error is not None:
            caption = live.error.message
        elif live.state in (NodeState.SKIPPED, NodeState.CANCELLED) and live.message:
            caption = live.message
        elif live.outputs:
            caption, thumbs, more = self._summarise(node_id, live.outputs)
        credits = live.credits
        if credits is None and live.state in (NodeState.COMPLETED, NodeState.CACHED):
            credits = 0.0
        if live.state == NodeState.SKIPPED:
            credits = None  # never ran: nothing to say about its cost
        return NodeRunView(
            state=live.state,
            progress=live.progress,
            duration_ms=duration,
            credits=credits,
            caption=caption.splitlines()[0] if caption else "",
            thumbnails=thumbs,
            more=more,
        )

    # -- outputs ---------------------------------------------------------------

    def _summarise(
        self, node_id: str, outputs: dict[str, Any]
    ) -> tuple[str, tuple[QImage, ...], int]:
        values = list(_leaves(decode_value(outputs)))
        images = [v for v in values if isinstance(v, Artifact) and v.kind in _PICTURES]
        thumbs = tuple(t for t in (self._thumbnail(a) for a in images[:4]) if t is not None)
        more = max(0, len(images) - len(thumbs))
        if not images:
            media = [v for v in values if isinstance(v, Artifact) and v.kind in _MEDIA]
            thumbs = tuple(t for t in (self._preview(node_id, a) for a in media[:4]) if t)
        caption = f"{len(images)} images" if len(images) > 1 else ""
        for value in values if not caption else ():
            if isinstance(value, Artifact) and value.kind == PortType.VIDEO:
                caption = f"clip {_seconds(value)}{_size(value)}"
            elif isinstance(value, Artifact) and value.kind == PortType.AUDIO:
                caption = f"audio {_seconds(value)}"
            elif isinstance(value, Artifact) and value.kind not in _PICTURES:
                caption = f"{value.kind.value} · {value.filename or value.media_type}"
            elif isinstance(value, str) and value.strip():
                caption = value.strip().splitlines()[0]
            elif isinstance(value, bool | int | float):
                caption = str(value)
            if caption:
                break
        return caption, thumbs, more

    def _preview(self, node_id: str, artifact: Artifact) -> QImage | None:
        """A video's frame or a sound's waveform; ``None`` while it is being made."""
        if self.previews is None:
            return None
        path = None
        if self.previews.cached(artifact.id) is None and self.artifacts is not None:
            path = self.artifacts.path(artifact) if self.artifacts.exists(artifact) else None
        image = self.previews.get(artifact, path)
        if image is None and self.previews.making(artifact.id):
            self._waiting.setdefault(artifact.id, set()).add(node_id)
        return image

    def _thumbnail(self, artifact: Artifact) -> QImage | None:
        cached = self._thumbs.get(artifact.id)
        if cached is not None:
            return cached
        if self.artifacts is None or not self.artifacts.exists(artifact):
            return None
        reader = QImageReader(str(self.artifacts.path(artifact)))
        size = reader.size()
        if size.isValid() and size.height() > THUMB_PIXELS:
            width = max(1, round(size.width() * THUMB_PIXELS / size.height()))
            reader.setScaledSize(QSize(width, THUMB_PIXELS))
        image = reader.read()
        if image.isNull():
            return None
        if len(self._thumbs) >= _CACHE_LIMIT:
            self._thumbs.clear()
        self._thumbs[artifact.id] = image
        return image


_PICTURES = (PortType.IMAGE, PortType.MASK)
_MEDIA = (PortType.VIDEO, PortType.AUDIO)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, Batch):
        for item in value.items:
            yield from _leaves(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _seconds(artifact: Artifact) -> str:
    duration = artifact.metadata.get("duration_s")
    return format_duration(float(duration) * 1000) if isinstance(duration, int | float) else ""


def _size(artifact: Artifact) -> str:
    width, height = artifact.metadata.get("width"), artifact.metadata.get("height")
    return f" · {width}\u00d7{height}" if width and height else ""
