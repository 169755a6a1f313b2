"""The problems panel: the validator's violations, errors first."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QIcon,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.catalog.registry import Catalog
from engine.validation import Severity, Violation
from widgets.document import WorkflowDocument
from widgets.node_header import SEVERITY_COLORS

#: Item data role holding the index of the row's violation in :meth:`ProblemsPanel.violations`.
VIOLATION_ROLE = Qt.ItemDataRole.UserRole

COLUMNS = ("Message", "Node", "Code", "Hint")
_WRAP = int(Qt.TextFlag.TextWordWrap)
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1}
_icons: dict[Severity, QIcon] = {}


def _round_pen(color: str) -> QPen:
    pen = QPen(QColor(color), 3.2)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def severity_icon(severity: Severity) -> QIcon:
    """A red round error mark or an amber warning triangle (16 px, cached)."""
    icon = _icons.get(severity)
    if icon is not None:
        return icon
    scale = 2
    size = 16 * scale
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(SEVERITY_COLORS[severity.value]))
    if severity == Severity.ERROR:
        painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
        painter.setPen(_round_pen("white"))
        inset = size * 0.34
        painter.drawLine(QPointF(inset, inset), QPointF(size - inset, size - inset))
        painter.drawLine(QPointF(size - inset, inset), QPointF(inset, size - inset))
    else:
        path = QPainterPath()
        path.moveTo(size / 2, 2)
        path.lineTo(size - 2, size - 3)
        path.lineTo(2, size - 3)
        path.closeSubpath()
        painter.drawPath(path)
        painter.setPen(_round_pen("#1f1f1f"))
        painter.drawLine(QPointF(size / 2, size * 0.36), QPointF(size / 2, size * 0.62))
        painter.drawPoint(QPointF(size / 2, size * 0.78))
    painter.end()
    pixmap.setDevicePixelRatio(scale)
    icon = _icons[severity] = QIcon(pixmap)
    return icon


class _WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text at the current column widths."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self._tree = tree

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        text = index.data()
        if not isinstance(text, str) or not text:
            return size
        icon = 24 if index.column() == 0 else 0
        width = max(40, self._tree.columnWidth(index.column()) - icon - 10)
        bounds = QRect(0, 0, width, 100_000)
        height = option.fontMetrics.boundingRect(bounds, _WRAP, text).height()
        return QSize(size.width(), max(size.height(), height + 8))


def summary_text(violations: Iterable[Violation]) -> str:
    """``"3 errors, 1 warning"``, ``"1 error"`` or ``"No problems"``."""
    items = list(violations)
    errors = sum(1 for v in items if v.is_error)
    warnings = len(items) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) or "No problems"


class ProblemsPanel(QWidget):
    """A table of violations with a count summary; clicking a row reports where it is.

    ``document`` and ``catalog`` are optional: with them the Node column shows node
    labels (or type names) rather than bare ids, and follows renames.
    """

    #: A row was clicked or Enter was pressed on it: ``(node_id | None, edge_id | None)``.
    violation_activated = Signal(object, object)

    def __init__(
        self,
        document: WorkflowDocument | None = None,
        catalog: Catalog | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("problemsPanel")
        self._document = document
        self._catalog = catalog
        self._violations: list[Violation] = []

        self._summary_icon = QLabel(self)
        self._summary = QLabel("No problems", self)
        self._summary.setObjectName("problemsSummary")
        font = QFont(self._summary.font())
        font.setBold(True)
        self._summary.setFont(font)
        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 2)
        top.setSpacing(6)
        top.addWidget(self._summary_icon)
        top.addWidget(self._summary, 1)

        self._tree = QTreeWidget(self)
        self._tree.setObjectName("problemsList")
        self._tree.setColumnCount(len(COLUMNS))
        self._tree.setHeaderLabels(list(COLUMNS))
        self._tree.setRootIsDecorated(False)
        self._tree.setWordWrap(True)  # long messages wrap rather than hide behind "…"
        self._tree.setItemDelegate(_WrappingDelegate(self._tree))
        self._tree.setAllColumnsShowFocus(True)
        self._tree.setAlternatingRowColors(True)
        self._tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self._tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        header.sectionResized.connect(self._hint_resized)
        self._hint_width_chosen = False
        self._sizing = False
        # Wrapped rows change height with their column's width; Qt only measures
        # rows when they are laid out, so lay them out again after a resize.
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self._tree.doItemsLayout)
        self._tree.itemClicked.connect(self._activate)
        self._tree.installEventFilter(self)

        self._placeholder = QLabel("No problems found in this workflow.", self)
        self._placeholder.setObjectName("problemsEmpty")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self._tree, 1)
        layout.addWidget(self._placeholder, 1)
        if document is not None:
            document.node_changed.connect(lambda _id: self._fill())
            document.reset.connect(self._fill)
        self.set_violations([])

    # -- public API --------------------------------------------------------------

    @property
    def view(self) -> QTreeWidget:
        """The table of violations."""
        return self._tree

    def set_violations(self, violations: Iterable[Violation]) -> None:
        """Show ``violations``: errors first, otherwise in the validator's order."""
        indexed = list(enumerate(violations))
        indexed.sort(key=lambda pair: (_SEVERITY_ORDER[pair[1].severity], pair[0]))
        self._violations = [v for _, v in indexed]
        self._fill()

    def violations(self) -> list[Violation]:
        """The violations in display order."""
        return list(self._violations)

    def summary(self) -> str:
        """The count summary shown above the table."""
        return self._summary.text()

    # -- internals ---------------------------------------------------------------

    def _fill(self) -> None:
        tree = self._tree
        current = tree.currentItem()
        keep = current.data(0, VIOLATION_ROLE) if current is not None else None
        tree.setUpdatesEnabled(False)
        tree.clear()
        for index, violation in enumerate(self._violations):
            row = [violation.message, self._where(violation), violation.code.value]
            item = QTreeWidgetItem([*row, violation.hint or ""])
            item.setIcon(0, severity_icon(violation.severity))
            item.setData(0, VIOLATION_ROLE, index)
            tooltip = f"{violation.severity.value.capitalize()}: {violation.message}"
            if violation.hint:
                tooltip += f"\nHint: {violation.hint}"
            if violation.field:
                tooltip += f"\nField: {violation.field}"
            for column in range(len(COLUMNS)):
                item.setToolTip(column, tooltip)
            tree.addTopLevelItem(item)
            if index == keep:
                tree.setCurrentItem(item)
        tree.setUpdatesEnabled(True)
        self._fit_hint_column()
        text = summary_text(self._violations)
        self._summary.setText(text)
        worst = self._violations[0].severity if self._violations else None
        icon = severity_icon(worst) if worst is not None else QIcon()
        self._summary_icon.setPixmap(icon.pixmap(16, 16))
        self._summary_icon.setVisible(worst is not None)
        tree.setVisible(bool(self._violations))
        self._placeholder.setVisible(not self._violations)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_hint_column()

    def _fit_hint_column(self) -> None:
        """The Hint column takes a quarter of the width until the user sizes it."""
        if self._hint_width_chosen:
            return
        self._sizing = True
        self._tree.setColumnWidth(3, max(140, self._tree.viewport().width() // 4))
        self._sizing = False

    def _hint_resized(self, column: int, _old: int, _new: int) -> None:
        if column == 3 and not self._sizing:
            self._hint_width_chosen = True
        self._relayout.start()

    def _where(self, violation: Violation) -> str:
        if violation.node_id is None:
            return f"wire {violation.edge_id}" if violation.edge_id else "workflow"
        node_id = violation.node_id
        document = self._document
        if document is None or not document.has_node(node_id):
            return node_id
        node = document.node(node_id)
        spec = self._catalog.get(node.type) if self._catalog is not None else None
        name = node.label or (spec.display_name if spec is not None else None)
        return f"{name} ({node_id})" if name and name != node_id else node_id

    def _activate(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        index = item.data(0, VIOLATION_ROLE)
        if isinstance(index, int) and 0 <= index < len(self._violations):
            violation = self._violations[index]
            self.violation_activated.emit(violation.node_id, violation.edge_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._tree
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._activate(self._tree.currentItem())
            return True
        return super().eventFilter(watched, event)
