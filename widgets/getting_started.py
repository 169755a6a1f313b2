"""Help → Getting Started: six illustrated steps from an empty canvas to a webhook URL.

:class:`GettingStartedDialog` shows the steps one at a time (a list on the left
jumps to any of them) with a "Don't show again" box. It reads and writes nothing:
the app passes the current shortcut keys and the box's initial state, and stores
the box's state when :attr:`GettingStartedDialog.dont_show_again_changed` fires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.getting_started_art import GuideArt, GuideArtView

__all__ = ["DEFAULT_KEYS", "GettingStartedDialog", "GuideArt", "GuideStep", "default_steps"]

#: Shortcut texts used when the app does not pass its own (action name -> keys).
DEFAULT_KEYS: dict[str, str] = {
    "add_node": "Tab",
    "find_type": "Ctrl+F",
    "undo": "Ctrl+Z",
    "run": "F5",
    "cancel_run": "Shift+F5",
    "preview": "Ctrl+Shift+P",
    "publish": "Ctrl+Alt+P",
    "shortcuts": "Ctrl+/",
}


@dataclass(frozen=True)
class GuideStep:
    """One page: a title, a few sentences (rich text) and a picture."""

    title: str
    text: str
    art: GuideArt


def _key(keys: Mapping[str, str], name: str) -> str:
    text = keys.get(name) or DEFAULT_KEYS.get(name, "")
    return f"<b>{escape(text.split(',')[0].strip())}</b>" if text else ""


def default_steps(keys: Mapping[str, str] | None = None) -> tuple[GuideStep, ...]:
    """The six steps, naming the given shortcut keys (``action name -> "F5"``)."""
    k = dict(keys or {})
    return (
        GuideStep(
            "Add nodes",
            f"Press {_key(k, 'add_node')} over the canvas and type what you need "
            "(<i>flux</i>, <i>upscale</i>, <i>voice</i>), or drag a node type from the "
            f"<b>Nodes</b> palette on the left ({_key(k, 'find_type')} searches it). Start "
            "with a <b>Text Input</b> for your prompt: it becomes a field of the webhook "
            "form later.",
            GuideArt.ADD,
        ),
        GuideStep(
            "Connect typed ports",
            "Drag from an output on the right of a node to an input on the left of the "
            "next. Ports are coloured and shaped by type (text, image, video, audio …) and "
            "a wire only fits a port that takes its type; while you drag, a refused wire "
            "turns red and the status bar says why. Drop a wire on empty canvas to add a "
            "node that fits it.",
            GuideArt.CONNECT,
        ),
        GuideStep(
            "Set parameters",
            "Select a node to edit it in the <b>Properties</b> panel: prompt, size, "
            "duration, seed. Hover any port or field for what it does. An input that is "
            "not wired can take a typed-in value. Every edit is one undo step "
            f"({_key(k, 'undo')}).",
            GuideArt.PARAMS,
        ),
        GuideStep(
            "Run, or preview first",
            f"Press <b>Run</b> ({_key(k, 'run')}); {_key(k, 'cancel_run')} cancels. Next to "
            "Run the toolbar shows the credits the run will cost. <b>Preview mode</b> "
            f"({_key(k, 'preview')}) runs hosted models offline with stand-in results and "
            "charges nothing: shape the pipeline first, then run it for real. Nodes whose "
            "inputs did not change are reused from the cache.",
            GuideArt.RUN,
        ),
        GuideStep(
            "Read the results",
            "Each node shows its state, time, credits and a thumbnail as it runs. Select a "
            "node to see its full outputs in the <b>Inspector</b>; the <b>Run</b> panel shows "
            "the timeline with the critical path, and <b>Runs</b> keeps every past run. "
            "Right-click a node to run from it or only it.",
            GuideArt.RESULTS,
        ),
        GuideStep(
            "Publish",
            "Add your Patchbay server in <b>Server → Servers…</b> (its API key stays in your "
            f"system keyring), then <b>Server → Publish…</b> ({_key(k, 'publish')}) uploads "
            "the workflow and gives you a webhook URL that a form, a CI job or Zapier can "
            "call, with a ready curl example and a test trigger. Help → Keyboard Shortcuts "
            f"({_key(k, 'shortcuts')}) lists every key.",
            GuideArt.PUBLISH,
        ),
    )


class GettingStartedDialog(QDialog):
    """The illustrated steps, Back / Next, and "Don't show again".

    Signals:
        dont_show_again_changed(bool): the box was ticked or cleared.
    """

    dont_show_again_changed = Signal(bool)

    def __init__(
        self,
        steps: Sequence[GuideStep] | None = None,
        *,
        keys: Mapping[str, str] | None = None,
        dont_show_again: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("gettingStarted")
        self.setWindowTitle("Getting Started with Patchbay Studio")
        self.steps: tuple[GuideStep, ...] = tuple(steps or default_steps(keys))
        self._index = 0

        self.step_list = QListWidget()
        self.step_list.setObjectName("gettingStartedSteps")
        self.step_list.setFixedWidth(200)
        self.step_list.setSpacing(3)
        for number, step in enumerate(self.steps, start=1):
            self.step_list.addItem(f"{number}.  {step.title}")
        self.step_list.currentRowChanged.connect(self._on_row)

        self.art = GuideArtView()
        self.art.keys = dict(keys or {})
        self.title = QLabel()
        self.title.setObjectName("gettingStartedTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        self.body = QLabel()
        self.body.setObjectName("gettingStartedText")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setMinimumHeight(96)
        self.counter = QLabel()
        self.counter.setObjectName("gettingStartedCounter")

        self.dont_show = QCheckBox("Don't show again at start-up")
        self.dont_show.setObjectName("gettingStartedDontShow")
        self.dont_show.setChecked(dont_show_again)
        self.dont_show.toggled.connect(self.dont_show_again_changed)
        self.back_button = QPushButton("Back")
        self.back_button.setObjectName("gettingStartedBack")
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("Next")
        self.next_button.setObjectName("gettingStartedNext")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self._next_or_close)

        content = QVBoxLayout()
        content.setSpacing(10)
        content.addWidget(self.art, 1)
        content.addWidget(self.title)
        content.addWidget(self.body)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        columns.addWidget(self.step_list)
        columns.addLayout(content, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.dont_show)
        footer.addStretch(1)
        footer.addWidget(self.counter)
        footer.addSpacing(12)
        footer.addWidget(self.back_button)
        footer.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(footer)
        self.resize(820, 540)
        self.go_to(0)

    @property
    def index(self) -> int:
        """The step on show (0-based)."""
        return self._index

    def dont_show_again(self) -> bool:
        return self.dont_show.isChecked()

    def go_to(self, index: int) -> None:
        """Show step ``index`` (clamped to the steps there are)."""
        self._index = max(0, min(index, len(self.steps) - 1))
        step = self.steps[self._index]
        self.art.show_art(step.art)
        self.title.setText(step.title)
        self.body.setText(step.text)
        last = self._index == len(self.steps) - 1
        self.counter.setText(f"{self._index + 1} of {len(self.steps)}")
        self.back_button.setEnabled(self._index > 0)
        self.next_button.setText("Start Building" if last else "Next")
        if self.step_list.currentRow() != self._index:
            self.step_list.setCurrentRow(self._index)

    def next(self) -> None:
        self.go_to(self._index + 1)

    def back(self) -> None:
        self.go_to(self._index - 1)

    def _next_or_close(self) -> None:
        if self._index == len(self.steps) - 1:
            self.accept()
        else:
            self.next()

    def _on_row(self, row: int) -> None:
        if row >= 0 and row != self._index:
            self.go_to(row)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Right:
            self.next()
        elif event.key() == Qt.Key.Key_Left:
            self.back()
        else:
            super().keyPressEvent(event)
