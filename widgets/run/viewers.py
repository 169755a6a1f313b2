"""Output viewers for the node inspector: image (zoom and pan), text, JSON and media.

Viewers show what they are given and never read files: images arrive as ``QImage``
through the resolver the app passes to :class:`~widgets.run.inspector.NodeInspector`,
audio and video as a URL the app resolved (played by
:class:`~widgets.run.player.MediaPlayerView`, with QtMultimedia from PySide6-Addons).
Saving and opening in a system player are requests (signals) the app carries out.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QFontDatabase, QImage, QPainter, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.catalog.spec import PortType
from engine.values import Artifact
from widgets.node_header import muted
from widgets.run.common import format_duration, format_number
from widgets.run.player import MediaPlayerView, poster_label

_MIN_ZOOM = 0.02
_MAX_ZOOM = 32.0
_WHEEL_STEP = 1.25
#: Children shown per JSON object or array; huge outputs stay responsive.
_JSON_CHILDREN = 500


def format_size(size: int) -> str:
    """``"512 B"``, ``"14.2 KB"``, ``"3.1 MB"``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def artifact_facts(artifact: Artifact) -> list[tuple[str, str]]:
    """What is known about a media artifact, as ``(label, value)`` rows."""
    meta = artifact.metadata
    rows: list[tuple[str, str]] = [("Type", artifact.media_type)]
    width, height = meta.get("width"), meta.get("height")
    if isinstance(width, int) and isinstance(height, int):
        rows.append(("Dimensions", f"{width} \N{MULTIPLICATION SIGN} {height}"))
    for key in ("duration_s", "durationS", "duration"):
        duration = meta.get(key)
        if isinstance(duration, int | float):
            rows.append(("Duration", format_duration(float(duration) * 1000)))
            break
    for key, label in (("codec", "Codec"), ("fps", "Frame rate"), ("sample_rate", "Sample rate")):
        value = meta.get(key)
        if value is not None:
            text = format_number(value) if isinstance(value, int | float) else str(value)
            suffix = {"fps": " fps", "sample_rate": " Hz"}.get(key, "")
            rows.append((label, text + suffix))
    rows.append(("Size", format_size(artifact.size)))
    if artifact.filename:
        rows.append(("File name", artifact.filename))
    rows.append(("Artifact", artifact.id[:12] + "…"))
    return rows


def suggested_name(artifact: Artifact, fallback_stem: str) -> str:
    """A file name for "Save as…": the artifact's own, or ``stem.ext`` from its media type."""
    if artifact.filename:
        return artifact.filename
    subtype = artifact.media_type.split("/")[-1].split(";")[0].strip() or "bin"
    extension = {"jpeg": "jpg", "mpeg": "mp3", "quicktime": "mov", "plain": "txt"}.get(
        subtype, subtype
    )
    return f"{fallback_stem}.{extension}"


class ImageView(QGraphicsView):
    """An image with fit-to-view, 100 %, wheel zoom (about the cursor) and drag to pan."""

    #: The zoom factor changed (1.0 is 100 %).
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runImageView")
        self._scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._item)
        self.setScene(self._scene)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(Qt.GlobalColor.transparent)
        self._fitting = True

    def set_image(self, image: QImage) -> None:
        """Show ``image``, fitted to the view."""
        self._item.setPixmap(QPixmap.fromImage(image))
        self._scene.setSceneRect(QRectF(self._item.boundingRect()))
        self.fit()

    @property
    def fitting(self) -> bool:
        """Whether the image follows the view's size (Fit mode)."""
        return self._fitting

    def zoom(self) -> float:
        """The current zoom factor."""
        return self.transform().m11()

    def fit(self) -> None:
        """Scale the image to fit the view (never above 100 %) and keep fitting on resize."""
        self._fitting = True
        self._apply_fit()

    def actual_size(self) -> None:
        """Show the image at 100 %."""
        self._fitting = False
        self._set_zoom(1.0)

    def zoom_by(self, factor: float) -> None:
        """Multiply the zoom by ``factor`` (clamped to 2 %…3200 %)."""
        self._fitting = False
        self._set_zoom(self.zoom() * factor)

    def _apply_fit(self) -> None:
        rect = self._item.boundingRect()
        if rect.isEmpty():
            return
        view = self.viewport().rect()
        factor = min(view.width() / rect.width(), view.height() / rect.height(), 1.0)
        self._set_zoom(max(factor, _MIN_ZOOM))
        self.centerOn(self._item)

    def _set_zoom(self, factor: float) -> None:
        factor = min(max(factor, _MIN_ZOOM), _MAX_ZOOM)
        self.resetTransform()
        self.scale(factor, factor)
        self.zoom_changed.emit(factor)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(_WHEEL_STEP**steps)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitting:
            self._apply_fit()


def _zoom_button(text: str, name: str, tooltip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tooltip)
    button.setCheckable(True)
    button.setAutoExclusive(False)
    return button


class ImageViewer(QWidget):
    """An :class:`ImageView` with a zoom bar and "Save as…"."""

    #: "Save as…" was pressed: ``(artifact_id, suggested_name)``.
    save_requested = Signal(str, str)

    def __init__(
        self, artifact: Artifact, image: QImage | None, stem: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("imageViewer")
        self.setStyleSheet("QPushButton:checked { border-color: #4c8dff; color: #6cb6ff; }")
        self.artifact = artifact
        self.view = ImageView(self)
        self.fit_button = _zoom_button("Fit", "zoomFit", "Fit the image to the view")
        self.actual_button = _zoom_button("100 %", "zoomActual", "Show the image at actual size")
        self.zoom_label = QLabel("", self)
        self.zoom_label.setObjectName("zoomLabel")
        muted(self.zoom_label)
        self.save_button = QPushButton("Save as…", self)
        self.save_button.setObjectName("saveArtifact")
        name = suggested_name(artifact, stem)
        self.save_button.clicked.connect(lambda: self.save_requested.emit(artifact.id, name))
        self.fit_button.clicked.connect(self.view.fit)
        self.actual_button.clicked.connect(self.view.actual_size)
        self.view.zoom_changed.connect(self._zoomed)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.actual_button)
        bar.addWidget(self.zoom_label)
        bar.addStretch(1)
        facts = [value for label, value in artifact_facts(artifact) if label in ("Dimensions",)]
        info = QLabel(" · ".join([*facts, artifact.media_type]), self)
        muted(info)
        bar.addWidget(info)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        if image is not None and not image.isNull():
            self.view.set_image(image)
            layout.addWidget(self.view, 1)
        else:
            self.view.hide()
            missing = QLabel("The image is not available on this machine.", self)
            missing.setObjectName("imageMissing")
            missing.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(missing, 1)
        layout.addLayout(bar)

    def _zoomed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{round(zoom * 100)} %")
        self.fit_button.setChecked(self.view.fitting)
        self.actual_button.setChecked(not self.view.fitting and abs(zoom - 1.0) < 1e-6)

    @property
    def has_image(self) -> bool:
        """Whether a picture is shown (the resolver found it)."""
        return not self.view.isHidden()


class MediaInfoViewer(QWidget):
    """Audio, video or 3D output: a player (audio, video), its facts, "Open with system
    player" and "Save as…".

    ``source`` is the file's URL for playback (``None``: not on this machine);
    ``poster`` a picture shown when the file cannot be played here (a video's
    first frame; for audio, its waveform, also shown while it plays).
    """

    #: "Open with system player" was pressed: ``artifact_id``.
    open_requested = Signal(str)
    #: "Save as…" was pressed: ``(artifact_id, suggested_name)``.
    save_requested = Signal(str, str)

    def __init__(
        self,
        artifact: Artifact,
        stem: str,
        poster: QImage | None = None,
        parent: QWidget | None = None,
        *,
        source: QUrl | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mediaViewer")
        self.artifact = artifact
        self.player: MediaPlayerView | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        playable = artifact.kind in (PortType.AUDIO, PortType.VIDEO)
        if playable and source is not None:
            self.player = MediaPlayerView(
                source, video=artifact.kind == PortType.VIDEO, poster=poster, parent=self
            )
            layout.addWidget(self.player, 1)
        elif (picture := poster_label(poster, self, (320, 180))) is not None:
            layout.addWidget(picture)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for label, value in artifact_facts(artifact):
            key = QLabel(label, self)
            muted(key)
            text = QLabel(value, self)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(key, text)
        layout.addLayout(form)
        if playable and source is None:
            note = muted(QLabel("The file is not on this machine: it cannot play here.", self))
            note.setObjectName("mediaNote")
            layout.addWidget(note)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open with system player", self)
        self.open_button.setObjectName("openArtifact")
        self.open_button.clicked.connect(lambda: self.open_requested.emit(artifact.id))
        self.save_button = QPushButton("Save as…", self)
        self.save_button.setObjectName("saveArtifact")
        name = suggested_name(artifact, stem)
        self.save_button.clicked.connect(lambda: self.save_requested.emit(artifact.id, name))
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        if self.player is None:
            layout.addStretch(1)


class TextViewer(QWidget):
    """Read-only, selectable text with a monospace toggle."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("textViewer")
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("textOutput")
        self.editor.setReadOnly(True)
        self.editor.setPlainText(text)
        self.editor.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.monospace = QCheckBox("Monospace", self)
        self.monospace.setObjectName("monospaceToggle")
        self.monospace.toggled.connect(self._set_monospace)
        count = QLabel(f"{len(text):,} characters", self)
        muted(count)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(count)
        bar.addStretch(1)
        bar.addWidget(self.monospace)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.editor, 1)
        layout.addLayout(bar)

    def text(self) -> str:
        """The text shown."""
        return self.editor.toPlainText()

    def _set_monospace(self, on: bool) -> None:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if on else self.font()
        self.editor.setFont(font)


def _scalar_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class JsonViewer(QTreeWidget):
    """JSON data as a collapsible tree of keys and values (two levels open)."""

    def __init__(self, data: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jsonViewer")
        self.setColumnCount(2)
        self.setHeaderLabels(["Key", "Value"])
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        root = QTreeWidgetItem(["(root)", _summary(data)])
        self._fill(root, data)
        if isinstance(data, dict | list):
            self.addTopLevelItems(root.takeChildren())
        else:
            self.addTopLevelItem(root)
        self.expandToDepth(1)
        self.resizeColumnToContents(0)

    def _fill(self, parent: QTreeWidgetItem, data: Any) -> None:
        pairs: list[tuple[str, Any]]
        if isinstance(data, dict):
            pairs = [(str(k), v) for k, v in data.items()]
        elif isinstance(data, list):
            pairs = [(f"[{i}]", v) for i, v in enumerate(data)]
        else:
            return
        for key, value in pairs[:_JSON_CHILDREN]:
            item = QTreeWidgetItem(parent, [key, _summary(value)])
            item.setToolTip(1, _scalar_text(value)[:2000])
            self._fill(item, value)
        if len(pairs) > _JSON_CHILDREN:
            QTreeWidgetItem(parent, ["…", f"{len(pairs) - _JSON_CHILDREN:,} more not shown"])


def _summary(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{…}} {len(value)} key{'s' if len(value) != 1 else ''}"
    if isinstance(value, list):
        return f"[…] {len(value)} item{'s' if len(value) != 1 else ''}"
    return _scalar_text(value)
