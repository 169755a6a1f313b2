"""Help dialogs: keyboard shortcuts and About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import engine

#: Canvas gestures that are not menu actions.
GESTURES: tuple[tuple[str, str], ...] = (
    ("Add a node at the cursor", "Tab"),
    ("Pick from the quick-add list", "Up / Down, Enter; Esc closes"),
    ("Connect two ports", "Drag from a port to a port"),
    ("Add a node wired to a port", "Drag a wire into empty space"),
    ("Disconnect or re-plug a wire", "Drag its end off the input or onto another"),
    ("Show a node's parameters", "Double-click the node"),
    ("Run from here / only this node", "Right-click a node"),
    ("Delete the selection", "Delete / Backspace"),
    ("Pan", "Middle drag / Alt+drag"),
    ("Zoom", "Wheel"),
    ("Cut wires", "Alt+Shift+drag"),
    ("Select several nodes", "Drag a box / Shift+click"),
    ("Rename a group", "Double-click its title"),
)


def shortcut_text(action: QAction) -> str:
    """All of an action's shortcuts, as the menus show them."""
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())


def menu_rows(menu: QMenu, prefix: str = "") -> list[tuple[str, str, str]]:
    """``(menu path, action, shortcut)`` for every action in ``menu`` and its submenus."""
    rows: list[tuple[str, str, str]] = []
    title = prefix + menu.title().replace("&", "")
    for action in menu.actions():
        if action.isSeparator():
            continue
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            rows += menu_rows(submenu, title + " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} ")
        elif action.text():
            rows.append((title, action.text().replace("&", ""), shortcut_text(action)))
    return rows


class ShortcutsDialog(QDialog):
    """Every menu action with its shortcut, plus the canvas gestures; searchable."""

    def __init__(self, menus: list[QMenu], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 640)
        self._search = QLineEdit(self)
        self._search.setPlaceholderText("Filter…")
        self._search.setClearButtonEnabled(True)
        self._search.textChanged.connect(self._filter)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        groups: dict[str, list[tuple[str, str]]] = {}
        for menu in menus:
            for path, text, keys in menu_rows(menu):
                groups.setdefault(path, []).append((text, keys))
        groups["Canvas"] = list(GESTURES)
        for path, rows in groups.items():
            section = QTreeWidgetItem([path, ""])
            font = section.font(0)
            font.setBold(True)
            section.setFont(0, font)
            section.setFirstColumnSpanned(True)
            section.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(section)
            for text, keys in rows:
                self.tree.addTopLevelItem(QTreeWidgetItem([f"    {text}", keys]))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def rows(self) -> list[tuple[str, str]]:
        """The visible ``(action, shortcut)`` rows (section headings excluded)."""
        return [
            (item.text(0).strip(), item.text(1))
            for item in self._items()
            if not item.isHidden() and item.text(0).startswith("    ")
        ]

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for item in self._items():
            if item.text(0).startswith("    "):
                hay = f"{item.text(0)} {item.text(1)}".lower()
                item.setHidden(bool(needle) and needle not in hay)


def show_about(parent: QWidget) -> None:
    """The About box."""
    box = QMessageBox(parent)
    box.setWindowTitle("About Patchbay Studio")
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    box.setText(f"<b>Patchbay Studio</b> {engine.__version__}")
    box.setInformativeText(
        "Draw multi-model AI pipelines as node graphs, run them locally or on a "
        "Patchbay server.<br><br>Licensed under the Apache License 2.0."
    )
    box.setTextFormat(Qt.TextFormat.RichText)
    label = box.findChild(QLabel, "qt_msgbox_informativelabel")
    if label is not None:
        label.setWordWrap(True)
    box.exec()
