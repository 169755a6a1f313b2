"""The node inspector: one node of a run in full — state, timing, credits, error, inputs, outputs.

The inspector does no I/O. The app hands it a :class:`~engine.executor.record.NodeRecord`,
optionally the inputs the node received (encoded values, as in records), a
*resolver*: a callable that turns an artifact id into a ``QImage`` (or ``None`` when
the picture is not available), e.g. reading the local artifact store or a cache of
images downloaded from a server, a *media resolver* turning an audio or video
artifact id into a URL to play, and the seeds the node ran with. Saving and opening
media and reusing a seed are requests the app fulfils
(:attr:`NodeInspector.save_requested`, :attr:`NodeInspector.open_requested`,
:attr:`NodeInspector.seed_requested`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QFont, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.catalog.spec import PortType
from engine.executor.events import NodeState
from engine.executor.record import ItemRecord, NodeRecord
from engine.values import Artifact, Batch, decode_value
from widgets.node_header import muted
from widgets.run.common import (
    format_clock,
    format_credits,
    format_duration,
    state_color,
    state_icon,
    state_label,
)
from widgets.run.seeds import RunSeed, SeedRows
from widgets.run.viewers import ImageViewer, JsonViewer, MediaInfoViewer, TextViewer

#: Turns an artifact id into a picture; ``None`` when it is not available.
ImageResolver = Callable[[str], QImage | None]
#: Turns an audio or video artifact id into a URL to play; ``None`` when it cannot.
MediaResolver = Callable[[str], QUrl | None]


_IMAGE_KINDS = (PortType.IMAGE, PortType.MASK)
_THUMB = QSize(112, 64)
_FACTS = ("Started", "Finished", "Duration", "Attempts", "Credits", "Items")


def _badge_style(color: str) -> str:
    return (
        f"background: {color}; color: #ffffff; border-radius: 8px; padding: 1px 8px;"
        " font-weight: 600;"
    )


def _credits_text(node: NodeRecord) -> str:
    if node.cached:
        return "Free — reused from cache"
    if node.credits == 0 and not node.preview:
        if node.status in (NodeState.FAILED, NodeState.CANCELLED):
            return "None charged"
        return "Free" if node.status == NodeState.COMPLETED else "—"
    text = format_credits(node.credits)
    return f"{text} · preview — not charged" if node.preview else text


def _duration_text(node: NodeRecord) -> str:
    if node.status == NodeState.RUNNING:
        return (
            f"running · {round(node.progress * 100)} %" if node.progress is not None else "running"
        )
    return format_duration(node.duration_ms)


def _attempts_text(attempts: int) -> str:
    if attempts <= 1:
        return str(attempts) if attempts else "—"
    retries = attempts - 1
    return f"{attempts} ({retries} retr{'y' if retries == 1 else 'ies'})"


def _items_text(items: list[ItemRecord]) -> str:
    if not items:
        return ""
    counts: dict[NodeState, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    parts = ", ".join(f"{n} {state_label(s).lower()}" for s, n in counts.items())
    return f"{len(items)} ({parts})"


class BatchViewer(QWidget):
    """A batch: a strip of thumbnails (or text snippets); the chosen item shown below."""

    def __init__(
        self,
        batch: Batch,
        make_viewer: Callable[[Any, str], QWidget],
        resolve: ImageResolver | None,
        items: list[ItemRecord],
        stem: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("batchViewer")
        self.strip = QListWidget(self)
        self.strip.setObjectName("batchStrip")
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListWidget.Movement.Static)
        self.strip.setIconSize(_THUMB)
        self.strip.setUniformItemSizes(True)
        self.strip.setSpacing(4)
        self.strip.setFixedHeight(_THUMB.height() + 52)
        self.detail = QStackedWidget(self)
        self._values = list(batch.items)
        self._make_viewer = make_viewer
        self._stem = stem
        by_index = {item.index: item for item in items}
        for index, value in enumerate(self._values):
            entry = QListWidgetItem(f"#{index + 1}")
            record = by_index.get(index)
            tooltip = f"Item {index + 1}"
            if record is not None:
                tooltip += (
                    f" · {state_label(record.status)} · {format_duration(record.duration_ms)}"
                )
                if record.error is not None:
                    tooltip += f"\n{record.error.kind.value}: {record.error.message}"
            entry.setToolTip(tooltip)
            entry.setIcon(self._thumbnail(value, resolve, record))
            entry.setSizeHint(QSize(_THUMB.width() + 20, _THUMB.height() + 34))
            self.strip.addItem(entry)
            self.detail.addWidget(QWidget())  # built on first view
        self._built: set[int] = set()
        self.strip.currentRowChanged.connect(self.show_item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.strip)
        layout.addWidget(self.detail, 1)
        if self._values:
            self.strip.setCurrentRow(0)

    def count(self) -> int:
        """How many items the batch has."""
        return len(self._values)

    def show_item(self, index: int) -> None:
        """Show item ``index`` below the strip."""
        if not 0 <= index < len(self._values):
            return
        if index not in self._built:
            viewer = self._make_viewer(self._values[index], f"{self._stem}-{index + 1}")
            old = self.detail.widget(index)
            self.detail.insertWidget(index, viewer)
            if old is not None:
                self.detail.removeWidget(old)
                old.deleteLater()
            self._built.add(index)
        self.detail.setCurrentIndex(index)

    def _thumbnail(
        self, value: Any, resolve: ImageResolver | None, record: ItemRecord | None
    ) -> QIcon:
        if isinstance(value, Artifact) and value.kind in _IMAGE_KINDS and resolve is not None:
            image = resolve(value.id)
            if image is not None and not image.isNull():
                return QIcon(
                    QPixmap.fromImage(image).scaled(
                        _THUMB,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )
        if record is not None:
            return state_icon(record.status)
        return QIcon()


class NodeInspector(QWidget):
    """Everything about the selected node of a run (see the module docstring)."""

    #: "Save as…" on a media output: ``(artifact_id, suggested_name)``.
    save_requested = Signal(str, str)
    #: "Open with system player" on audio/video: ``artifact_id``.
    open_requested = Signal(str)
    #: "Use this seed": ``(node_id, param, value)``; the app sets it (an undo step).
    seed_requested = Signal(str, str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nodeInspector")
        self._node: NodeRecord | None = None
        self._resolve: ImageResolver | None = None
        self._media: MediaResolver | None = None
        self._inputs: dict[str, Any] | None = None
        self._viewers: dict[str, QWidget] = {}

        self._title = QLabel(self)
        self._title.setObjectName("inspectorTitle")
        font = QFont(self._title.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self._title.setFont(font)
        self._subtitle = muted(QLabel(self))
        self._state = QLabel(self)
        self._state.setObjectName("inspectorState")
        self._preview = QLabel("PREVIEW", self)
        self._preview.setObjectName("inspectorPreview")
        self._preview.setStyleSheet(_badge_style("#8957e5"))
        self._preview.setToolTip("Run in preview mode: offline output, credits not charged")
        head = QGridLayout()
        head.setHorizontalSpacing(8)
        head.addWidget(self._title, 0, 0)
        head.addWidget(self._preview, 0, 1)
        head.addWidget(self._state, 0, 2)
        head.addWidget(self._subtitle, 1, 0, 1, 3)
        head.setColumnStretch(0, 1)

        self._fact_values: dict[str, QLabel] = {}
        self._fact_keys: dict[str, QLabel] = {}
        facts = QGridLayout()
        facts.setHorizontalSpacing(10)
        facts.setVerticalSpacing(3)
        for index, name in enumerate(_FACTS):
            key = muted(QLabel(name, self))
            value = QLabel(self)
            value.setObjectName(f"fact{name}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            row, column = divmod(index, 2)
            facts.addWidget(key, row, column * 2)
            facts.addWidget(value, row, column * 2 + 1)
            self._fact_keys[name] = key
            self._fact_values[name] = value
        facts.setColumnMinimumWidth(1, 150)
        facts.setColumnStretch(4, 1)

        self._seed_box = SeedRows(self)
        self._seed_box.seed_requested.connect(self._request_seed)

        self._message = muted(QLabel(self))
        self._message.setWordWrap(True)
        self._error = QFrame(self)
        self._error.setObjectName("inspectorError")
        self._error.setStyleSheet(
            "QFrame#inspectorError { background: rgba(229, 83, 75, 0.13);"
            " border: 1px solid rgba(229, 83, 75, 0.55); border-radius: 6px; }"
        )
        self._error_kind = QLabel(self._error)
        self._error_kind.setObjectName("errorKind")
        self._error_kind.setStyleSheet(_badge_style("#e5534b"))
        self._error_message = QLabel(self._error)
        self._error_message.setObjectName("errorMessage")
        self._error_message.setWordWrap(True)
        self._error_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._error_details = QLabel(self._error)
        self._error_details.setObjectName("errorDetails")
        self._error_details.setWordWrap(True)
        self._error_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self._error_details.setFont(mono)
        error_layout = QVBoxLayout(self._error)
        error_layout.setContentsMargins(10, 8, 10, 8)
        kind_row = QHBoxLayout()
        kind_row.addWidget(self._error_kind)
        kind_row.addStretch(1)
        error_layout.addLayout(kind_row)
        error_layout.addWidget(self._error_message)
        error_layout.addWidget(self._error_details)

        self._tabs = QTabWidget(self)
        self._tabs.setObjectName("inspectorTabs")
        self._tabs.setDocumentMode(True)
        self._empty = muted(QLabel("Select a node to see its run results.", self))
        self._empty.setObjectName("inspectorEmpty")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._no_outputs = muted(QLabel(self))
        self._no_outputs.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self._body = QWidget(self)
        body = QVBoxLayout(self._body)
        body.setContentsMargins(10, 8, 10, 8)
        body.setSpacing(8)
        body.addLayout(head)
        body.addLayout(facts)
        body.addWidget(self._seed_box)
        body.addWidget(self._message)
        body.addWidget(self._error)
        body.addWidget(self._tabs, 1)
        body.addWidget(self._no_outputs, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._body, 1)
        layout.addWidget(self._empty, 1)
        self.set_node(None)

    # -- public API --------------------------------------------------------------

    def set_node(
        self,
        node: NodeRecord | None,
        resolve: ImageResolver | None = None,
        inputs: Mapping[str, Any] | None = None,
        *,
        media: MediaResolver | None = None,
        seeds: Sequence[RunSeed] = (),
    ) -> None:
        """Show ``node`` (``None``: nothing selected).

        ``resolve`` maps an artifact id to a ``QImage`` for image outputs and batch
        thumbnails, and to a poster for audio and video (a first frame, a waveform).
        ``media`` maps an audio or video artifact id to the URL the player plays.
        ``inputs`` are the values the node received, port name to encoded value (as in
        records); the Inputs tabs are left out when it is ``None``. ``seeds`` are the
        seed parameters the node ran with, each offered with "Use this seed".

        Showing a newer record of the same node with the same outputs, inputs and
        resolvers (a live run) updates state, timing and error but keeps the viewers, so
        zoom, scroll, playback and the chosen tab survive.
        """
        previous, previous_inputs = self._node, self._inputs
        previous_resolve, previous_media = self._resolve, self._media
        self._node = node
        self._resolve = resolve
        self._media = media
        self._inputs = dict(inputs) if inputs is not None else None
        self._body.setVisible(node is not None)
        self._empty.setVisible(node is None)
        keep = (
            node is not None
            and previous is not None
            and previous.node_id == node.node_id
            and previous.outputs == node.outputs
            and previous_inputs == self._inputs
            and previous_resolve == resolve
            and previous_media == media
        )
        if not keep:
            self._clear_viewers()
        self._seed_box.set_seeds(tuple(seeds) if node is not None else ())
        if node is None:
            return
        self._title.setText(node.label or node.node_id)
        self._subtitle.setText(f"{node.type} · {node.node_id}")
        self._state.setText(state_label(node.status))
        self._state.setStyleSheet(_badge_style(state_color(node.status).name()))
        self._preview.setVisible(node.preview)
        self._fill_facts(node)
        self._message.setText(node.message or "")
        self._message.setVisible(bool(node.message))
        self._fill_error(node)
        if not keep:
            self._fill_viewers(node, inputs)
        has_tabs = self._tabs.count() > 0
        self._tabs.setVisible(has_tabs)
        self._no_outputs.setVisible(not has_tabs)
        self._no_outputs.setText(self._no_outputs_text(node))

    def node(self) -> NodeRecord | None:
        """The node shown."""
        return self._node

    def viewers(self) -> dict[str, QWidget]:
        """The viewer of each output port; inputs are keyed ``"input:<port>"``."""
        return dict(self._viewers)

    def state_text(self) -> str:
        """The state badge's text."""
        return self._state.text()

    def fact(self, name: str) -> str:
        """A fact's shown text: ``"Started"``, ``"Finished"``, ``"Duration"``, ``"Attempts"``,
        ``"Credits"`` or ``"Items"``."""
        return self._fact_values[name].text()

    def error_text(self) -> str:
        """``"kind: message"`` of the error shown, or ``""``."""
        if self._error.isHidden():
            return ""
        return f"{self._error_kind.text()}: {self._error_message.text()}"

    def seeds(self) -> SeedRows:
        """The seed rows ("Use this seed")."""
        return self._seed_box

    def error_details_text(self) -> str:
        """The error's details as shown (JSON), or ``""``."""
        return self._error_details.text() if not self._error.isHidden() else ""

    # -- internals ---------------------------------------------------------------

    def _fill_viewers(self, node: NodeRecord, inputs: Mapping[str, Any] | None) -> None:
        for port, value in (node.outputs or {}).items():
            viewer = self._viewer(decode_value(value), f"{node.node_id}-{port}", node.items)
            self._viewers[port] = viewer
            self._tabs.addTab(viewer, port)
        for port, value in (inputs or {}).items():
            viewer = self._viewer(decode_value(value), f"{node.node_id}-{port}", [])
            self._viewers[f"input:{port}"] = viewer
            self._tabs.addTab(viewer, f"← {port}")

    def _clear_viewers(self) -> None:
        self._viewers = {}
        while self._tabs.count():
            page = self._tabs.widget(0)
            self._tabs.removeTab(0)
            if page is not None:
                page.deleteLater()

    def _request_seed(self, param: str, value: int) -> None:
        if self._node is not None:
            self.seed_requested.emit(self._node.node_id, param, value)

    def _fill_facts(self, node: NodeRecord) -> None:
        values = {
            "Started": format_clock(node.started_at, millis=True),
            "Finished": format_clock(node.finished_at, millis=True),
            "Duration": _duration_text(node),
            "Attempts": _attempts_text(node.attempts),
            "Credits": _credits_text(node),
            "Items": _items_text(node.items),
        }
        for name, text in values.items():
            self._fact_values[name].setText(text)
            shown = name != "Items" or bool(text)
            self._fact_values[name].setVisible(shown)
            self._fact_keys[name].setVisible(shown)

    def _fill_error(self, node: NodeRecord) -> None:
        error = node.error
        self._error.setVisible(error is not None)
        if error is None:
            return
        self._error_kind.setText(error.kind.value)
        self._error_message.setText(error.message)
        details = json.dumps(error.details, indent=2, ensure_ascii=False, default=str)
        self._error_details.setText(details if error.details else "")
        self._error_details.setVisible(bool(error.details))

    @staticmethod
    def _no_outputs_text(node: NodeRecord) -> str:
        if node.status == NodeState.SKIPPED:
            return "Skipped: an upstream node failed."
        if node.status == NodeState.FAILED:
            return "No outputs: the node failed."
        if not node.status.is_final:
            return "Outputs appear here when the node finishes."
        return "This node has no outputs."

    def _viewer(self, value: Any, stem: str, items: list[ItemRecord]) -> QWidget:
        if isinstance(value, Batch):
            return BatchViewer(value, self._single_viewer, self._resolve, items, stem, self)
        return self._single_viewer(value, stem)

    def _single_viewer(self, value: Any, stem: str) -> QWidget:
        if isinstance(value, Artifact):
            if value.kind in _IMAGE_KINDS:
                image = self._resolve(value.id) if self._resolve is not None else None
                viewer = ImageViewer(value, image, stem)
                viewer.save_requested.connect(self.save_requested)
                return viewer
            # a resolver may offer a poster: a video's frame, a sound's waveform
            poster = source = None
            if value.kind in (PortType.VIDEO, PortType.AUDIO):
                poster = self._resolve(value.id) if self._resolve is not None else None
                source = self._media(value.id) if self._media is not None else None
            media = MediaInfoViewer(value, stem, poster, source=source)
            media.save_requested.connect(self.save_requested)
            media.open_requested.connect(self.open_requested)
            return media
        if isinstance(value, Batch):
            return JsonViewer([repr(v) for v in value.items])
        if isinstance(value, dict | list):
            return JsonViewer(value)
        if isinstance(value, str):
            return TextViewer(value)
        return TextViewer(json.dumps(value))
