"""The window's menus, toolbar and keyboard shortcuts.

Every command is a ``QAction`` with its shortcut, so the menus show the keys and
the shortcuts dialog can list them all. Canvas commands with bare-key or editing
shortcuts (F, L, Tab, Ctrl+C …) only answer while the canvas has the keyboard
focus, so typing in a panel never moves nodes; the menus trigger them anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMenu, QSizePolicy, QToolBar, QWidget

from app.theme import ThemeName
from widgets.canvas import Align, Axis

if TYPE_CHECKING:
    from app.window import MainWindow

Keys = Sequence[str | QKeySequence.StandardKey]
Std = QKeySequence.StandardKey

ALIGN_ITEMS: tuple[tuple[Align, str, str], ...] = (
    (Align.LEFT, "Align &Left Edges", "Ctrl+Shift+Left"),
    (Align.H_CENTER, "Align &Horizontal Centres", "Ctrl+Alt+H"),
    (Align.RIGHT, "Align &Right Edges", "Ctrl+Shift+Right"),
    (Align.TOP, "Align &Top Edges", "Ctrl+Shift+Up"),
    (Align.V_CENTER, "Align &Vertical Centres", "Ctrl+Alt+V"),
    (Align.BOTTOM, "Align &Bottom Edges", "Ctrl+Shift+Down"),
)

DISTRIBUTE_ITEMS: tuple[tuple[Axis, str, str], ...] = (
    (Axis.HORIZONTAL, "Distribute H&orizontally", "Ctrl+Alt+Shift+H"),
    (Axis.VERTICAL, "Distribute V&ertically", "Ctrl+Alt+Shift+V"),
)


class WindowActions:
    """Builds and owns the menus, toolbar and actions of one :class:`MainWindow`.

    ``by_name`` maps a stable name (``"save"``, ``"zoom_fit"`` …) to its action.
    """

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self.by_name: dict[str, QAction] = {}
        self.menus: list[QMenu] = []
        self.icons: dict[str, str] = {}  # action name -> icon name
        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.theme_group = QActionGroup(window)
        self._build_file()
        self._build_edit()
        self._build_arrange()
        self._build_view()
        self._build_help()
        self.toolbar = self._build_toolbar()

    def __getitem__(self, name: str) -> QAction:
        return self.by_name[name]

    # -- helpers -----------------------------------------------------------------

    def add(
        self,
        menu: QMenu | None,
        name: str,
        text: str,
        slot: Callable[[], object] | None,
        keys: Keys = (),
        *,
        canvas: bool = False,
        icon: str | None = None,
        tip: str = "",
        action: QAction | None = None,
    ) -> QAction:
        """A window action named ``name`` (``window.action(name)``), in ``menu`` if given.

        Its tooltip is ``tip`` (or the text) with the shortcut; ``canvas`` actions
        only fire while the canvas has focus.
        """
        action = action or QAction(text, self._window)
        action.setObjectName(f"action_{name}")
        action.setShortcuts([QKeySequence(k) for k in keys])
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        if canvas:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self._window.canvas.addAction(action)
        else:
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self._window.addAction(action)
        shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        plain = (tip or text).replace("&", "").rstrip("…")
        action.setToolTip(f"{plain} ({shortcut})" if shortcut else plain)
        action.setStatusTip(tip)
        if icon:
            self.icons[name] = icon
        if menu is not None:
            menu.addAction(action)
        self.by_name[name] = action
        return action

    def add_panel_toggle(self, name: str, dock: QDockWidget, key: str) -> QAction:
        """List ``dock`` under View > Panels with a shortcut (also for docks made later)."""
        toggle = dock.toggleViewAction()
        return self.add(self.panels_menu, name, dock.windowTitle(), None, [key], action=toggle)

    def _menu(self, title: str) -> QMenu:
        menu = self._window.menuBar().addMenu(title)
        self.menus.append(menu)
        return menu

    # -- menus -------------------------------------------------------------------

    def _build_file(self) -> None:
        w = self._window
        m = self._menu("&File")
        self.add(m, "new", "&New", w.controller.new, [Std.New], icon="new")
        self.add(m, "new_window", "New &Window", w.new_window, ["Ctrl+Shift+N"])
        self.add(m, "open", "&Open…", w.controller.open, [Std.Open], icon="open")
        m.addMenu(self.recent_menu)
        self.add(m, "start_page", "Start &Page", w.show_start_page, [])
        m.addSeparator()
        self.add(m, "save", "&Save", w.controller.save, [Std.Save], icon="save")
        self.add(m, "save_as", "Save &As…", w.controller.save_as, ["Ctrl+Shift+S"])
        self.add(m, "revert", "Re&vert to Saved", w.controller.revert, [])
        m.addSeparator()
        self.add(m, "close", "&Close Window", w.close, [Std.Close])
        self.add(m, "quit", "&Quit", w.quit_application, ["Ctrl+Q"])

    def _build_edit(self) -> None:
        w = self._window
        m = self._menu("&Edit")
        undo = w.undo_stack.createUndoAction(w, "&Undo")
        redo = w.undo_stack.createRedoAction(w, "&Redo")
        self.add(m, "undo", "&Undo", None, [Std.Undo], icon="undo", action=undo)
        self.add(m, "redo", "&Redo", None, ["Ctrl+Shift+Z", "Ctrl+Y"], icon="redo", action=redo)
        history = w.history_dock.toggleViewAction()
        history.setText("Undo &History")
        self.add(m, "history", "Undo &History", None, ["Ctrl+H"], action=history)
        m.addSeparator()
        self.add(m, "cut", "Cu&t", w.editing.cut, [Std.Cut], canvas=True)
        self.add(m, "copy", "&Copy", w.editing.copy, [Std.Copy], canvas=True)
        self.add(m, "paste", "&Paste", w.editing.paste, [Std.Paste], canvas=True)
        self.add(m, "duplicate", "D&uplicate", w.canvas.duplicate, ["Ctrl+D"], canvas=True)
        self.add(m, "delete", "&Delete", w.canvas.delete_selection, ["Del"], canvas=True)
        m.addSeparator()
        self.add(m, "select_all", "Select &All", w.canvas.select_all, [Std.SelectAll], canvas=True)
        self.add(
            m, "deselect", "Select &None", w.canvas.clear_selection, ["Ctrl+Shift+A"], canvas=True
        )
        m.addSeparator()
        quick_add, tip = w.editing.quick_add_at_cursor, "Add a node at the cursor"
        self.add(
            m, "add_node", "Add &Node…", quick_add, ["Tab"], canvas=True, icon="add-node", tip=tip
        )
        self.add(m, "find_type", "&Find Node Type…", w.focus_palette_search, [Std.Find])
        m.addSeparator()
        self.add(
            m, "group", "&Group", w.canvas.group_selection, ["Ctrl+G"], canvas=True, icon="group"
        )
        self.add(m, "ungroup", "U&ngroup", w.canvas.ungroup, ["Ctrl+Shift+G"], canvas=True)

    def _build_arrange(self) -> None:
        w = self._window
        m = self._menu("&Arrange")
        for mode, text, key in ALIGN_ITEMS:
            align = partial(w.canvas.align, mode)
            self.add(m, f"align_{mode.value}", text, align, [key], canvas=True)
        m.addSeparator()
        for axis, text, key in DISTRIBUTE_ITEMS:
            spread = partial(w.canvas.distribute, axis)
            self.add(m, f"distribute_{axis.value}", text, spread, [key], canvas=True)
        m.addSeparator()
        layout, tip = w.canvas.auto_layout, "Lay out the selection (or the whole graph)"
        self.add(
            m,
            "auto_layout",
            "Auto-&Layout",
            layout,
            ["L"],
            canvas=True,
            icon="auto-layout",
            tip=tip,
        )

    def _build_view(self) -> None:
        w = self._window
        m = self._menu("&View")
        c = w.canvas
        self.add(m, "zoom_fit", "Zoom to &Fit", c.zoom_to_fit, ["F"], canvas=True, icon="zoom-fit")
        self.add(
            m, "zoom_selection", "Zoom to &Selection", c.zoom_to_selection, ["Shift+F"], canvas=True
        )
        self.add(m, "zoom_in", "Zoom &In", c.zoom_in, [Std.ZoomIn, "Ctrl+="], icon="zoom-in")
        self.add(m, "zoom_out", "Zoom &Out", c.zoom_out, [Std.ZoomOut], icon="zoom-out")
        self.add(m, "zoom_reset", "&Actual Size", c.zoom_reset, ["Ctrl+0"])
        m.addSeparator()
        minimap = self.add(m, "minimap", "&Minimap", None, ["Ctrl+Shift+M"], icon="minimap")
        minimap.setCheckable(True)
        minimap.toggled.connect(w.canvas.set_minimap_visible)
        legend = self.add(m, "legend", "Port &Legend", None, ["Ctrl+Shift+L"], icon="legend")
        legend.setCheckable(True)
        legend.toggled.connect(w.canvas.set_legend_visible)
        m.addSeparator()
        self.panels_menu = m.addMenu("&Panels")
        for name, dock, key in (
            ("dock_palette", w.palette_dock, "Ctrl+1"),
            ("dock_properties", w.properties_dock, "Ctrl+2"),
            ("dock_problems", w.problems_dock, "Ctrl+3"),
        ):
            self.add_panel_toggle(name, dock, key)
        themes = m.addMenu("&Theme")
        for theme, text in ((ThemeName.DARK, "&Dark"), (ThemeName.LIGHT, "&Light")):
            action = self.add(themes, f"theme_{theme.value}", text, partial(w.set_theme, theme))
            action.setCheckable(True)
            self.theme_group.addAction(action)
        m.addSeparator()
        full = self.add(m, "full_screen", "F&ull Screen", w.toggle_full_screen, [Std.FullScreen])
        full.setCheckable(True)

    def _build_help(self) -> None:
        w = self._window
        m = self._menu("&Help")
        self.add(m, "getting_started", "&Getting Started", w.show_getting_started)
        self.add(m, "shortcuts", "&Keyboard Shortcuts", w.show_shortcuts, ["Ctrl+/", "F1"])
        m.addSeparator()
        self.add(m, "open_log_folder", "Open &Log Folder", w.open_log_folder)
        m.addSeparator()
        self.add(m, "about", "&About Patchbay Studio", w.show_about)

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar("Toolbar", self._window)
        bar.setObjectName("mainToolbar")  # saveState needs it
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        bar.setIconSize(QSize(18, 18))
        groups = (
            ("new", "open", "save"),
            ("undo", "redo"),
            ("add_node", "group", "auto_layout"),
            ("zoom_out", "zoom_in", "zoom_fit"),
            ("minimap", "legend"),
        )
        for index, names in enumerate(groups):
            if index:
                bar.addSeparator()
            for name in names:
                bar.addAction(self.by_name[name])
        spacer = QWidget(bar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.title_label = QLabel(bar)
        self.title_label.setObjectName("documentTitle")
        self.title_label.setTextFormat(Qt.TextFormat.RichText)
        bar.addWidget(self.title_label)
        self._window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        return bar

    def _open(self, path: Path, *_: object) -> None:
        self._window.controller.open(path)

    def _fill_recent(self) -> None:
        menu = self.recent_menu
        menu.clear()
        recent = self._window.settings.recent_files()
        for index, path in enumerate(recent):
            label = f"&{index + 1}  {path.name}" if index < 9 else f"{index + 1}  {path.name}"
            action = menu.addAction(label)
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(partial(self._open, path))
        if not recent:
            menu.addAction("No recent files").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear Recent Files")
        clear.setEnabled(bool(recent))
        clear.triggered.connect(self._window.settings.clear_recent_files)
