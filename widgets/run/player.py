"""Audio and video playback for the inspector, with QtMultimedia (PySide6-Addons).

:class:`MediaPlayerView` plays the URL it is given (the app turns an artifact into
a local file URL; widgets read no files): a video picture for clips (the first
frame as soon as the file is loaded), play/pause, a position slider with the
time, volume and mute.

Frames are painted by :class:`VideoSurface` from a ``QVideoSink`` rather than by
``QVideoWidget``: that one renders into a native child window, which widget
grabs (the scripted screenshots, the offscreen platform) cannot see.

QtMultimedia is imported only when a player is first made, and it may be missing
or unable to play here: the module fails to load (no ``libpulse`` on a Linux
desktop without PulseAudio), no backend plugin loads, or the file does not
decode. The view then says "Playback unavailable", with the reason, and shows the
poster it was given (a video's first frame, a sound's waveform); the app offers
"Open with system player" next to it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QHideEvent, QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.node_header import muted
from widgets.run.common import format_position

#: The reason playback cannot work here, once checked (``""``: it can).
_problem: str | None = None


def playback_problem() -> str | None:
    """Why audio and video cannot play in this process, or ``None`` when they can.

    Checked once: QtMultimedia must import and offer a working backend.
    """
    global _problem
    if _problem is None:
        _problem = _check_backend()
    return _problem or None


def _check_backend() -> str:
    try:
        from PySide6.QtMultimedia import QMediaPlayer
    except ImportError as exc:
        return f"Qt Multimedia cannot be loaded ({exc})"
    player = QMediaPlayer()
    available = player.isAvailable()
    player.deleteLater()
    return "" if available else "no Qt Multimedia backend is available"


def poster_label(
    poster: QImage | None, parent: QWidget, size: tuple[int, int] = (360, 200)
) -> QLabel | None:
    """A still of a media output (first frame, waveform) fitted in ``size``; ``None``
    without one."""
    if poster is None or poster.isNull():
        return None
    label = QLabel(parent)
    label.setObjectName("mediaPoster")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setPixmap(
        QPixmap.fromImage(poster).scaled(
            *size,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    )
    return label


class VideoSurface(QWidget):
    """Paints the frames a ``QVideoSink`` receives, fitted and centred on black."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QVideoSink

        self.setObjectName("mediaVideo")
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._on_frame)
        self._image = QImage()
        self.frames = 0  # frames received

    def image(self) -> QImage:
        """The frame shown (null before the first one)."""
        return self._image

    def _on_frame(self, frame: Any) -> None:
        image = frame.toImage()
        if not image.isNull():
            self._image = image
            self.frames += 1
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        image = self._image
        if not image.isNull():
            size = image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - size.width()) // 2
            y = (self.height() - size.height()) // 2
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRect(x, y, size.width(), size.height()), image)
        painter.end()


class MediaPlayerView(QWidget):
    """Plays one audio or video file (see the module docstring).

    Signals:
        duration_changed(int): the media's length in milliseconds became known.
        unavailable(str): playback stopped being possible (the reason).
    """

    duration_changed = Signal(int)
    unavailable = Signal(str)

    def __init__(
        self,
        source: QUrl,
        *,
        video: bool,
        poster: QImage | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mediaPlayer")
        self._source = QUrl(source)
        self._video = video
        self._poster = poster
        self._duration = 0
        self._dragging = False
        self.player: Any = None  # QMediaPlayer when playback works
        self.audio: Any = None  # QAudioOutput
        self.video_widget: VideoSurface | None = None
        self._problem = ""
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        problem = playback_problem()
        if problem is not None:
            self._show_unavailable(problem)
            return
        self._build_player()

    # -- public API ----------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether the file can be played here."""
        return self.player is not None and not self._problem

    def problem(self) -> str:
        """Why playback is unavailable (``""`` when it is available)."""
        return self._problem

    def source(self) -> QUrl:
        """The URL played."""
        return QUrl(self._source)

    def duration_ms(self) -> int:
        """The media's length in milliseconds (0 until it is known)."""
        return self._duration

    def is_playing(self) -> bool:
        """Whether it is playing now."""
        if self.player is None:
            return False
        from PySide6.QtMultimedia import QMediaPlayer

        return bool(self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState)

    def play(self) -> None:
        """Start or resume playing."""
        if self.available:
            self.player.play()

    def pause(self) -> None:
        """Pause (keeps the position)."""
        if self.player is not None:
            self.player.pause()

    def toggle_playback(self) -> None:
        """Play when paused, pause when playing."""
        if self.is_playing():
            self.pause()
        else:
            self.play()

    def set_volume(self, percent: int) -> None:
        """Set the volume, 0…100."""
        self.volume_slider.setValue(max(0, min(100, percent)))

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute."""
        self.mute_button.setChecked(muted)

    def time_text(self) -> str:
        """The time label: ``"0:03 / 0:05"``."""
        return self.time_label.text()

    # -- building --------------------------------------------------------------------

    def _build_player(self) -> None:
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        if self._video:
            self.video_widget = VideoSurface(self)
            self.player.setVideoSink(self.video_widget.sink)
            self._layout.addWidget(self.video_widget, 1)
        else:
            poster = poster_label(self._poster, self)
            if poster is not None:
                self._layout.addWidget(poster, 1)
        style = self.style()
        self.play_button = QToolButton(self)
        self.play_button.setObjectName("mediaPlay")
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play")
        self.play_button.clicked.connect(self.toggle_playback)
        self.position_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.position_slider.setObjectName("mediaPosition")
        self.position_slider.setRange(0, 0)
        self.position_slider.setToolTip("Position")
        self.position_slider.sliderPressed.connect(self._drag_started)
        self.position_slider.sliderReleased.connect(self._drag_ended)
        self.position_slider.sliderMoved.connect(self._seek_preview)
        self.time_label = muted(QLabel(self._time(0), self))
        self.time_label.setObjectName("mediaTime")
        self.mute_button = QToolButton(self)
        self.mute_button.setObjectName("mediaMute")
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip("Mute")
        self.mute_button.toggled.connect(self._set_muted)
        self.volume_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.volume_slider.setObjectName("mediaVolume")
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setFixedWidth(80)
        self.volume_slider.setToolTip("Volume")
        self.volume_slider.valueChanged.connect(self._set_volume)
        self.volume_slider.setValue(80)
        self._set_muted(False)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.play_button)
        bar.addWidget(self.position_slider, 1)
        bar.addWidget(self.time_label)
        bar.addSpacing(6)
        bar.addWidget(self.mute_button)
        bar.addWidget(self.volume_slider)
        self._layout.addLayout(bar)

        self.player.mediaStatusChanged.connect(self._on_status)
        self.player.durationChanged.connect(self._on_duration)
        self.player.positionChanged.connect(self._on_position)
        self.player.playbackStateChanged.connect(self._on_state)
        self.player.errorOccurred.connect(self._on_error)
        self.player.setSource(self._source)

    def _show_unavailable(self, reason: str) -> None:
        self._problem = reason
        poster = poster_label(self._poster, self)
        if poster is not None:
            self._layout.addWidget(poster, 1)
        note = QLabel(
            f"<b>Playback unavailable</b> — {reason}.<br>Open it with your system player instead.",
            self,
        )
        note.setObjectName("playbackUnavailable")
        note.setWordWrap(True)
        note.setTextFormat(Qt.TextFormat.RichText)
        self._layout.addWidget(note)

    # -- reactions ---------------------------------------------------------------------

    def _time(self, position: int) -> str:
        return f"{format_position(position)} / {format_position(self._duration)}"

    def _on_status(self, status: object) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        stopped = self.player.playbackState() == QMediaPlayer.PlaybackState.StoppedState
        if status == QMediaPlayer.MediaStatus.LoadedMedia and stopped and self._video:
            self.player.pause()  # paused at 0: the first frame shows before Play

    def _on_duration(self, duration: int) -> None:
        self._duration = int(duration)
        self.position_slider.setRange(0, max(0, self._duration))
        self.time_label.setText(self._time(self.player.position()))
        self.duration_changed.emit(self._duration)

    def _on_position(self, position: int) -> None:
        if not self._dragging:
            self.position_slider.setValue(int(position))
        self.time_label.setText(self._time(int(position)))

    def _on_state(self, _state: object) -> None:
        playing = self.is_playing()
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setToolTip("Pause" if playing else "Play")

    def _on_error(self, error: object, message: str) -> None:
        if self.player is None or self._problem:
            return
        self._problem = message or "the file cannot be played"
        for index in reversed(range(self._layout.count())):
            item = self._layout.takeAt(index)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
            elif item is not None and item.layout() is not None:
                _hide_layout(item.layout())
        self.player.stop()
        self._show_unavailable(self._problem)
        self.unavailable.emit(self._problem)

    def _drag_started(self) -> None:
        self._dragging = True

    def _drag_ended(self) -> None:
        self._dragging = False
        if self.player is not None:
            self.player.setPosition(self.position_slider.value())

    def _seek_preview(self, position: int) -> None:
        self.time_label.setText(self._time(position))

    def _set_volume(self, value: int) -> None:
        if self.audio is not None:
            self.audio.setVolume(value / 100)

    def _set_muted(self, muted: bool) -> None:
        if self.audio is not None:
            self.audio.setMuted(muted)
        icon = (
            QStyle.StandardPixmap.SP_MediaVolumeMuted
            if muted
            else QStyle.StandardPixmap.SP_MediaVolume
        )
        self.mute_button.setIcon(self.style().standardIcon(icon))
        self.mute_button.setToolTip("Unmute" if muted else "Mute")

    def hideEvent(self, event: QHideEvent) -> None:
        # Leaving the tab or the node stops the sound rather than playing on unseen.
        self.pause()
        super().hideEvent(event)


def _hide_layout(layout: Any) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()
            widget.deleteLater()
