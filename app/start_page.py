"""The start page in a window: shown instead of the canvas when nothing is open.

:class:`StartPageController` puts a :class:`~widgets.start_page.StartPage` in the
canvas's place (a stack of the two, under the notice bar) and switches between
them. While the page is up the docks are put away (they have nothing to show)
and come back as they were when it goes. It goes when a document is opened or
created (or the document is edited); File → Start Page brings it back.

Choosing an example opens an untitled copy (:func:`resources.gallery.untitled_copy`):
no path, nothing to save yet, the files it uses named absolutely so it runs from
anywhere, and saving it never writes into the bundled examples.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDockWidget, QStackedWidget

from app.icons import app_icon
from engine.errors import WorkflowFileError
from resources.gallery import example, examples, untitled_copy
from widgets.start_page import ExampleCard, StartPage

if TYPE_CHECKING:
    from app.window import MainWindow


def example_cards() -> list[ExampleCard]:
    """The gallery as cards, thumbnails loaded."""
    cards = []
    for entry in examples():
        picture = QPixmap(str(entry.thumbnail)) if entry.thumbnail is not None else None
        cards.append(
            ExampleCard(
                id=entry.id,
                title=entry.title,
                summary=entry.summary,
                thumbnail=picture if picture is not None and not picture.isNull() else None,
                needs_key=entry.needs_key,
            )
        )
    return cards


class StartPageController(QObject):
    """Shows and hides one window's start page and acts on what is chosen there."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._docks: QByteArray | None = None  # the window's state before the page came up
        self._filled = False
        self.page = StartPage(app_icon())
        self.page.example_chosen.connect(self.open_example)
        self.page.recent_chosen.connect(self.open_recent)
        self.page.new_blank.connect(self._new_blank)
        self.page.open_file.connect(self._open_file)
        self.page.back.connect(self.hide)
        self.page.getting_started.connect(window.show_getting_started)
        # The page takes the canvas's place under the notice bar, which stays visible.
        centre = window.centralWidget()
        self.stack = QStackedWidget(centre)
        self.stack.setObjectName("centreStack")
        layout = centre.layout()
        assert layout is not None
        layout.replaceWidget(window.canvas, self.stack)
        self.stack.addWidget(window.canvas)
        self.stack.addWidget(self.page)
        window.controller.loaded.connect(self._on_loaded)
        window.undo_stack.indexChanged.connect(self._on_edited)
        window.installEventFilter(self)

    # -- showing --------------------------------------------------------------

    def is_shown(self) -> bool:
        """Whether the start page is up (instead of the canvas)."""
        return self.stack.currentWidget() is self.page

    def show(self) -> None:
        """Bring the page up with fresh recent files; the docks go away until it goes."""
        window = self._window
        if not self._filled:
            self.page.set_examples(example_cards())
            self._filled = True
        self.page.set_recent_files(window.settings.recent_files())
        pristine = window.controller.is_pristine()
        self.page.set_return_to(None if pristine else window.controller.display_name())
        if self.is_shown():
            return
        self._docks = window.saveState()
        for dock in window.findChildren(QDockWidget):
            dock.hide()
        self.stack.setCurrentWidget(self.page)
        self.page.setFocus()

    def hide(self) -> None:
        """Back to the canvas, with the docks as they were."""
        if not self.is_shown():
            return
        self.stack.setCurrentWidget(self._window.canvas)
        if self._docks is not None:
            self._window.restoreState(self._docks)
            self._docks = None
        self._window.canvas.setFocus()

    # -- choices --------------------------------------------------------------

    def open_example(self, example_id: str) -> bool:
        """Open the example as an untitled copy (after asking about unsaved changes)."""
        controller = self._window.controller
        try:
            entry = example(example_id)
            workflow = untitled_copy(entry)
        except (KeyError, WorkflowFileError) as exc:
            self._window.show_notice("error", f"Cannot open the example {example_id}: {exc}")
            return False
        if not controller.confirm_discard("opening an example"):
            return False
        controller.load(workflow, None)
        if entry.needs_key:
            # Runs at once without keys; the toolbar says so and the notice how to leave it.
            self._window.runs.preview_action.setChecked(True)
            self._window.show_notice(
                "info",
                f"{entry.title} uses models that run elsewhere (hosted services or a "
                "ComfyUI server), so preview mode is on: they return stand-in outputs "
                "offline and nothing is charged. Turn preview off in the Run menu to run "
                "them for real.",
            )
        return True

    def open_recent(self, path: Path) -> bool:
        """Open a recent file (after asking about unsaved changes)."""
        if not self._window.controller.confirm_discard("opening another workflow"):
            return False
        return self._window.controller.open_path(path)

    def _new_blank(self) -> None:
        controller = self._window.controller
        if controller.is_pristine():
            self.hide()  # already blank: nothing to replace
        else:
            controller.new()

    def _open_file(self) -> None:
        self._window.controller.open()

    # -- reactions ------------------------------------------------------------

    def _on_loaded(self) -> None:
        if self.is_shown():
            self.hide()
            # Fit once the canvas has its final size (the docks are back).
            QTimer.singleShot(0, self._window.canvas.zoom_to_fit)

    def _on_edited(self, _index: int) -> None:
        if self.is_shown() and self._window.document.nodes():
            self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The window saves its dock layout when it closes: put the docks back first.
        if watched is self._window and event.type() == QEvent.Type.Close and self._docks:
            self._window.restoreState(self._docks)
        return False
