"""Previews of video and audio outputs for the canvas: a first frame, a waveform.

Making one runs ffmpeg (:mod:`engine.media.thumbs`), which takes a good fraction
of a second, so :class:`MediaPreviews` does it in a small thread pool, never on
the GUI thread: :meth:`MediaPreviews.get` returns a preview already made, or
starts making it and returns ``None``; :attr:`MediaPreviews.ready` then names the
artifact whose preview arrived (or failed: a file ffmpeg cannot read gets no
preview and is not tried again). Previews are cached by artifact id, which is a
content hash, so a preview never goes stale.
"""

from __future__ import annotations

import itertools
import logging
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from engine.catalog.spec import PortType
from engine.errors import PatchbayError
from engine.media.thumbs import Waveform, audio_waveform, extract_frame_png
from engine.values import Artifact

log = logging.getLogger(__name__)

#: Frames are extracted at this height (twice what the canvas shows, for zoom).
FRAME_PIXELS = 152
#: Size of a waveform picture (three times as wide as high, twice the canvas size).
WAVE_SIZE = (360, 120)
#: Slices of a waveform: one bar per three pixels.
WAVE_BARS = WAVE_SIZE[0] // 3
WAVE_COLOR = QColor("#6cb6ff")
#: The most a quiet sound's waveform is scaled up.
MAX_GAIN = 8.0
#: Previews made at once (the machine's cores are shared with the run itself).
WORKERS = 2
_CACHE_LIMIT = 512


def waveform_image(waveform: Waveform, size: tuple[int, int] = WAVE_SIZE) -> QImage:
    """Draw ``waveform`` as mirrored bars (peak faint, RMS solid) on a transparent image.

    A quiet sound is scaled up (at most :data:`MAX_GAIN` times) so its shape reads
    at thumbnail size; silence stays a flat line. Safe to call from a worker thread
    (it paints on a ``QImage`` only).
    """
    width, height = size
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    middle = height / 2
    painter.setPen(QPen(QColor(255, 255, 255, 60), 1.0))
    painter.drawLine(QPointF(0, middle), QPointF(width, middle))
    count = len(waveform.peaks)
    top = max(waveform.peaks, default=0.0)
    gain = min(MAX_GAIN, 0.95 / top) if top > 0 else 1.0
    if count:
        step = width / count
        bar = max(1.0, step * 0.7)
        faint = QColor(WAVE_COLOR)
        faint.setAlpha(110)
        painter.setPen(Qt.PenStyle.NoPen)
        for index, (peak, rms) in enumerate(zip(waveform.peaks, waveform.rms, strict=True)):
            x = index * step + (step - bar) / 2
            half = max(0.5, min(1.0, peak * gain) * (middle - 1))
            painter.setBrush(faint)
            painter.drawRect(QRectF(x, middle - half, bar, 2 * half))
            half = max(0.5, min(1.0, rms * gain) * (middle - 1))
            painter.setBrush(WAVE_COLOR)
            painter.drawRect(QRectF(x, middle - half, bar, 2 * half))
    painter.end()
    return image


def make_preview(kind: PortType, path: Path) -> QImage | None:
    """The preview of the file at ``path`` (blocking: call it off the GUI thread)."""
    try:
        if kind == PortType.VIDEO:
            image = QImage()
            if not image.loadFromData(extract_frame_png(path, max_height=FRAME_PIXELS)):
                return None
            return image
        if kind == PortType.AUDIO:
            return waveform_image(audio_waveform(path, WAVE_BARS))
    except (PatchbayError, OSError) as exc:
        log.info("no preview of %s: %s", path.name, exc)
    return None


class _Relay(QObject):
    """Carries finished previews from worker threads to the GUI thread.

    One per process and never deleted, so a worker never emits on a QObject that
    the GUI thread may be destroying (a closing window's :class:`MediaPreviews`).
    """

    made = Signal(int, str, object)  # (previews key, artifact id, image)

    def __init__(self) -> None:
        super().__init__()
        self.receivers_by_key: weakref.WeakValueDictionary[int, MediaPreviews] = (
            weakref.WeakValueDictionary()
        )
        self.made.connect(self._route, Qt.ConnectionType.QueuedConnection)

    def _route(self, key: int, artifact_id: str, image: object) -> None:
        previews = self.receivers_by_key.get(key)
        if previews is not None and shiboken6.isValid(previews):  # type: ignore[no-untyped-call]
            previews._arrived(artifact_id, image)


_relay: _Relay | None = None
_keys = itertools.count(1)


def _the_relay() -> _Relay:
    global _relay
    if _relay is None:
        _relay = _Relay()  # made on the GUI thread, by the first MediaPreviews
    return _relay


class MediaPreviews(QObject):
    """First frames of videos and waveforms of sounds, made off the GUI thread and cached.

    Signals:
        ready(str): the preview of this artifact id arrived (or could not be made).
        idle(): nothing is being made any more.
    """

    ready = Signal(str)
    idle = Signal()

    def __init__(self, parent: QObject | None = None, workers: int = WORKERS) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="patchbay-preview")
        self._images: dict[str, QImage] = {}
        self._failed: set[str] = set()
        self._pending: dict[str, Future[QImage | None]] = {}
        self._relay = _the_relay()
        self._key = next(_keys)
        self._relay.receivers_by_key[self._key] = self
        pool = self._pool
        self.destroyed.connect(lambda *_: pool.shutdown(wait=False, cancel_futures=True))

    @staticmethod
    def handles(artifact: Artifact) -> bool:
        """Whether this kind of output gets a preview (video and audio)."""
        return artifact.kind in (PortType.VIDEO, PortType.AUDIO)

    def cached(self, artifact_id: str) -> QImage | None:
        """The preview made for ``artifact_id``, if any (never starts work)."""
        return self._images.get(artifact_id)

    def get(self, artifact: Artifact, path: Path | None) -> QImage | None:
        """The preview of ``artifact``; ``None`` while it is being made from ``path``.

        ``path`` is the artifact's local file (``None``: not on this machine, no
        preview). Each artifact is tried once.
        """
        image = self._images.get(artifact.id)
        if image is not None or path is None or not self.handles(artifact):
            return image
        if artifact.id in self._pending or artifact.id in self._failed:
            return None
        future = self._pool.submit(make_preview, artifact.kind, path)
        self._pending[artifact.id] = future
        future.add_done_callback(partial(self._deliver, artifact.id))
        return None

    def making(self, artifact_id: str) -> bool:
        """Whether the preview of ``artifact_id`` is being made now."""
        return artifact_id in self._pending

    @property
    def busy(self) -> bool:
        """Whether previews are being made."""
        return bool(self._pending)

    def _deliver(self, artifact_id: str, future: Future[QImage | None]) -> None:
        # On a worker thread: hand the result to the GUI thread through the relay,
        # which outlives every window (this object may be being destroyed now).
        image = None if future.cancelled() or future.exception() else future.result()
        self._relay.made.emit(self._key, artifact_id, image)

    def _arrived(self, artifact_id: str, image: object) -> None:
        self._pending.pop(artifact_id, None)
        if isinstance(image, QImage) and not image.isNull():
            if len(self._images) >= _CACHE_LIMIT:
                self._images.clear()
            self._images[artifact_id] = image
        else:
            self._failed.add(artifact_id)
        self.ready.emit(artifact_id)
        if not self._pending:
            self.idle.emit()
