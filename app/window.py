"""The main window: the canvas in the centre, panels in docks, menus, status bar.

It wires the parts together and owns no editing logic of its own: the canvas and
panels edit the :class:`~widgets.document.WorkflowDocument` through undo commands,
:class:`~app.editing.CanvasEditing` adds nodes and talks to the clipboard,
:class:`~app.document_controller.DocumentController` handles files,
:class:`~app.autosave.Autosaver` keeps a crash copy and
:class:`~app.live_validation.LiveValidator` re-validates after each edit.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QPoint, QSettings, QSize, Qt
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from app import autosave
from app.actions import WindowActions
from app.chrome import NoticeBar, make_dock
from app.dialogs import ShortcutsDialog, show_about
from app.document_controller import DocumentController
from app.editing import CanvasEditing
from app.icons import action_icon, app_icon
from app.live_validation import DEFAULT_DELAY_MS, LiveValidator
from app.prompts import Prompts
from app.run_controller import RunController
from app.run_docks import RunDocks
from app.runners import Runner
from app.server_menu import ServerCommands
from app.servers import ServerStore
from app.settings import StudioSettings
from app.start_page import StartPageController
from app.status import StatusFields
from app.text_undo import DocumentUndoKeys
from app.theme import THEMES, ThemeName, apply_theme, theme_name
from engine.catalog.registry import Catalog, default_catalog
from engine.validation import Violation
from widgets.canvas import CanvasView
from widgets.document import WorkflowDocument
from widgets.palette import NodePalette
from widgets.problems import ProblemsPanel
from widgets.properties import PropertiesPanel

APP_NAME = "Patchbay Studio"
DEFAULT_SIZE = (1440, 900)
_open_windows: set[MainWindow] = set()  # windows made by New Window, kept alive until closed
_undo_keys: DocumentUndoKeys | None = None


class MainWindow(QMainWindow):
    """One Patchbay Studio window editing one workflow document.

    ``settings`` (default: the user's ``QSettings``) and ``prompts`` (default: real
    dialogs) are seams for tests; the autosave and validation timings are too.
    With ``remember_layout=False`` the window neither restores nor saves its
    geometry and docks, nor adds files to Open Recent (scripted screenshots).
    ``runner`` runs the document (default: the bundled engine, see
    :class:`~app.run_controller.RunController`).
    """

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        settings: QSettings | None = None,
        prompts: Prompts | None = None,
        autosave_interval_ms: int = autosave.DEFAULT_INTERVAL_MS,
        autosave_debounce_ms: int = autosave.DEFAULT_DEBOUNCE_MS,
        autosave_dir: Path | None = None,
        validation_delay_ms: int = DEFAULT_DELAY_MS,
        remember_layout: bool = True,
        runner: Runner | None = None,
    ) -> None:
        super().__init__()
        self._config: dict[str, Any] = {
            "autosave_interval_ms": autosave_interval_ms,
            "autosave_debounce_ms": autosave_debounce_ms,
            "autosave_dir": autosave_dir,
            "validation_delay_ms": validation_delay_ms,
            "remember_layout": remember_layout,
        }
        self._remember_layout = remember_layout
        self._theme = ThemeName.DARK
        self.catalog = catalog or default_catalog()
        self.settings = StudioSettings(settings)
        self.servers = ServerStore(self.settings, self)
        self.prompts = prompts or Prompts()
        # Not a child of the window: a dirty stack emits cleanChanged as it is
        # destroyed, which must not reach a window that is half torn down.
        self.undo_stack = QUndoStack()
        self.document = WorkflowDocument(parent=self)

        self.canvas = CanvasView(self.document, self.undo_stack, self.catalog)
        self.notice_bar = NoticeBar()
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.notice_bar)
        column.addWidget(self.canvas, 1)
        self.setCentralWidget(centre)
        self.editing = CanvasEditing(self.canvas, self.catalog, self)
        self.quick_add = self.editing.quick_add

        self.node_palette = NodePalette(self.catalog)
        self.properties = PropertiesPanel(self.document, self.undo_stack, self.catalog)
        self.problems = ProblemsPanel(self.document, self.catalog)
        self.history = QUndoView(self.undo_stack)
        self.history.setEmptyLabel("Opened")
        self._build_docks()

        self.controller = DocumentController(
            self, self.document, self.undo_stack, self.catalog, self.settings, self.prompts
        )
        self.controller.remember_files = remember_layout
        self.autosaver = autosave.Autosaver(
            self.document,
            self.undo_stack,
            self._current_path,
            directory=autosave_dir,
            interval_ms=autosave_interval_ms,
            debounce_ms=autosave_debounce_ms,
            parent=self,
        )
        self.validator = LiveValidator(
            self.document, self.catalog, delay_ms=validation_delay_ms, parent=self
        )
        self.status = StatusFields(self.statusBar())
        self.commands = WindowActions(self)
        self.runs = RunController(self, runner)
        self.run_docks = RunDocks(self)
        self.server_commands = ServerCommands(self)
        self._connect()
        self.start_page = StartPageController(self)
        _install_undo_keys()

        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.set_theme(theme_name(self.settings.theme()), remember=False)
        if remember_layout:
            self._restore_layout()
        self.commands["minimap"].setChecked(self.settings.minimap_visible())
        self.commands["legend"].setChecked(self.settings.legend_visible())
        self.canvas.set_minimap_visible(self.settings.minimap_visible())
        self._update_title()
        self._update_counts()
        self._on_selection_changed([])
        self.validator.run()

    # -- public API ---------------------------------------------------------------

    def action(self, name: str) -> QAction:
        """A window action by name (``"save"``, ``"undo"``, ``"zoom_fit"`` …)."""
        return self.commands[name]

    def violations(self) -> list[Violation]:
        """The violations found by the last validation run."""
        return self.validator.violations()

    def theme(self) -> ThemeName:
        return self._theme

    def set_theme(self, name: ThemeName, *, remember: bool = True) -> None:
        """Switch every window to the dark or light theme."""
        self._theme = name
        app = QApplication.instance()
        if isinstance(app, QApplication) and app.property("patchbayTheme") != name.value:
            apply_theme(app, name)
            app.setProperty("patchbayTheme", name.value)
        if remember:
            self.settings.set_theme(name.value)
        self.commands[f"theme_{name.value}"].setChecked(True)
        colors = THEMES[name]
        for action_name, icon in self.commands.icons.items():
            self.commands[action_name].setIcon(action_icon(icon, colors.icon, colors.icon_disabled))
        self._update_title()

    def show_notice(self, severity: str, text: str) -> None:
        """A message in the bar above the canvas (never modal)."""
        self.notice_bar.show_notice(severity, text)

    def new_window(self) -> MainWindow:
        """Another window with an empty document (closing it frees it)."""
        other = MainWindow(
            self.catalog, settings=self.settings.store, prompts=self.prompts, **self._config
        )
        other.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        _open_windows.add(other)
        other.destroyed.connect(lambda *_: _open_windows.discard(other))
        other.resize(self.size())
        other.move(self.pos() + QPoint(32, 32))
        other.show()
        return other

    def quit_application(self) -> None:
        """Close every window (each asks about its unsaved changes; Cancel stops)."""
        QApplication.closeAllWindows()

    def focus_palette_search(self) -> None:
        self.palette_dock.show()
        self.palette_dock.raise_()
        self.node_palette.focus_search()

    def show_problems(self) -> None:
        self.problems_dock.show()
        self.problems_dock.raise_()

    def toggle_full_screen(self) -> None:
        self.setWindowState(self.windowState() ^ Qt.WindowState.WindowFullScreen)

    def show_shortcuts(self) -> ShortcutsDialog:
        """The non-modal list of every shortcut."""
        dialog = ShortcutsDialog(self.commands.menus, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_start_page(self) -> None:
        """The start page instead of the canvas (File > Start Page; first run)."""
        self.start_page.show()

    def show_about(self) -> None:
        show_about(self)

    def show_getting_started(self) -> QDialog:
        """Help → Getting Started: the illustrated first steps (non-modal; one at a time)."""
        from app.help_commands import show_getting_started

        return show_getting_started(self)

    def open_log_folder(self) -> None:
        """Help → Open Log Folder: the folder of ``patchbay-studio.log`` in the file manager."""
        from app.help_commands import open_log_folder

        open_log_folder(self)

    def show_servers_dialog(self) -> QDialog:
        """The non-modal Servers dialog: add, remove and test Patchbay servers."""
        from app.server_dialogs import show_servers_dialog  # the dialog imports the window's parts

        return show_servers_dialog(self)

    def save_layout(self) -> None:
        """Remember geometry, docks and overlays for the next start."""
        self.settings.set_window(QByteArray(self.saveGeometry()), QByteArray(self.saveState()))
        self.settings.set_overlays(
            minimap=self.commands["minimap"].isChecked(),
            legend=self.commands["legend"].isChecked(),
        )
        self.settings.sync()

    # -- building -----------------------------------------------------------------

    def _build_docks(self) -> None:
        left, right, bottom = (
            Qt.DockWidgetArea.LeftDockWidgetArea,
            Qt.DockWidgetArea.RightDockWidgetArea,
            Qt.DockWidgetArea.BottomDockWidgetArea,
        )
        self.palette_dock = make_dock(self, "Nodes", "paletteDock", self.node_palette, left)
        self.properties_dock = make_dock(
            self, "Properties", "propertiesDock", self.properties, right
        )
        self.history_dock = make_dock(self, "Undo History", "historyDock", self.history, right)
        self.problems_dock = make_dock(self, "Problems", "problemsDock", self.problems, bottom)
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.history_dock.hide()
        self.resize(_first_size())
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        self.resizeDocks([self.palette_dock, self.properties_dock], [265, 320], horizontal)
        self.resizeDocks([self.problems_dock], [150], vertical)

    def _connect(self) -> None:
        canvas, controller = self.canvas, self.controller
        self.node_palette.node_chosen.connect(self.editing.add_node_at_centre)
        canvas.selection_changed.connect(self._on_selection_changed)
        canvas.node_double_clicked.connect(self._on_node_double_clicked)
        canvas.message.connect(self._show_message)
        canvas.viewer.viewport_changed.connect(self._update_zoom)
        self.document.changed.connect(self._update_counts)
        self.document.metadata_changed.connect(self._update_title)
        self.validator.validated.connect(self._on_validated)
        self.problems.violation_activated.connect(self._on_violation_activated)
        self.status.problems.clicked.connect(self.show_problems)
        controller.path_changed.connect(self._update_title)
        controller.dirty_changed.connect(self._update_title)
        controller.loaded.connect(self._on_loaded)
        controller.notice.connect(self.show_notice)
        controller.saved.connect(self._on_saved)
        self.autosaver.failed.connect(self._on_autosave_failed)

    # -- reactions ----------------------------------------------------------------

    def _current_path(self) -> Path | None:
        return self.controller.path

    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def _on_saved(self, path: Path) -> None:
        self.statusBar().showMessage(f"Saved {path}", 4000)

    def _on_autosave_failed(self, text: str) -> None:
        self.show_notice("warning", text)

    def _on_node_double_clicked(self, _node_id: str) -> None:
        self.properties_dock.show()
        self.properties_dock.raise_()

    def _update_title(self, *_: object) -> None:
        name, dirty = self.controller.display_name(), self.controller.is_dirty()
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(dirty)
        muted = THEMES[self._theme].muted
        where = name if self.controller.path is not None else "not saved"
        self.commands.title_label.setText(
            f"<b>{html.escape(self.document.name)}</b>{' •' if dirty else ''}&nbsp;&nbsp;"
            f"<span style='color:{muted}'>{html.escape(where)}</span>"
        )
        self.commands.title_label.setToolTip(str(self.controller.path or "Not saved yet"))
        self.commands["revert"].setEnabled(self.controller.path is not None and dirty)

    def _update_counts(self) -> None:
        self.status.show_counts(len(self.document.nodes()), len(self.document.edges()))

    def _update_zoom(self) -> None:
        self.status.show_zoom(self.canvas.zoom())

    def _on_selection_changed(self, node_ids: list[str]) -> None:
        self.properties.set_node(node_ids[0] if len(node_ids) == 1 else None)
        count = len(node_ids)
        for name, action in self.commands.by_name.items():
            if name in ("cut", "copy", "duplicate", "group"):
                action.setEnabled(count > 0)
            elif name.startswith("align_"):
                action.setEnabled(count >= 2)
            elif name.startswith("distribute_"):
                action.setEnabled(count >= 3)

    def _on_validated(self, violations: list[Violation]) -> None:
        self.canvas.set_violations(violations)
        self.problems.set_violations(violations)
        self.properties.set_violations(violations)
        self.status.show_violations(violations)

    def _on_violation_activated(self, node_id: object, edge_id: object) -> None:
        """Select and frame the node of a clicked problem (a wire's: its target node)."""
        if isinstance(edge_id, str) and node_id is None and self.document.has_edge(edge_id):
            node_id = self.document.edge(edge_id).target
        if isinstance(node_id, str) and self.document.has_node(node_id):
            self.canvas.frame_node(node_id)

    def _on_loaded(self) -> None:
        self.notice_bar.dismiss()
        self.canvas.clear_selection()
        self.properties.set_node(None)
        self.validator.run()

    # -- window events ------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.controller.confirm_discard("closing"):
            event.ignore()
            return
        if self._remember_layout:
            self.save_layout()
        self.autosaver.stop()
        self.runs.cancel()
        self.quick_add.hide()
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and urls[0].toLocalFile().endswith(".json"):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        event.acceptProposedAction()
        self.controller.open(Path(event.mimeData().urls()[0].toLocalFile()))


def _first_size() -> QSize:
    """1440x900, or less on a small screen (but never cramped below 1024x700)."""
    screen = QGuiApplication.primaryScreen()
    width, height = DEFAULT_SIZE
    if screen is not None:
        free = screen.availableGeometry()
        width = max(1024, min(width, free.width() - 40))
        height = max(700, min(height, free.height() - 40))
    return QSize(width, height)


def _install_undo_keys() -> None:
    """Route Undo keys in document panels to the document (once per application)."""
    global _undo_keys
    app = QApplication.instance()
    if _undo_keys is None and isinstance(app, QApplication):
        _undo_keys = DocumentUndoKeys(app)
