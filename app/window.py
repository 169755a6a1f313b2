"""The main window (an overview until the node editor lands)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.catalog import Catalog
from engine.workflow import Workflow


class MainWindow(QMainWindow):
    """Catalog browser on the left, the opened workflow's nodes in the centre."""

    def __init__(self, catalog: Catalog, workflow: Workflow | None, path: Path | None) -> None:
        super().__init__()
        title = path.name if path is not None else "No workflow"
        self.setWindowTitle(f"{title} — Patchbay Studio")

        self.catalog_tree = QTreeWidget()
        self.catalog_tree.setHeaderLabels(["Node", "Type"])
        for category in catalog.counts_by_category():
            parent = QTreeWidgetItem([category.value.capitalize(), ""])
            for spec in catalog:
                if spec.category == category:
                    child = QTreeWidgetItem([spec.display_name, spec.type])
                    child.setToolTip(0, spec.description)
                    parent.addChild(child)
            self.catalog_tree.addTopLevelItem(parent)
        self.catalog_tree.expandAll()
        self.catalog_tree.resizeColumnToContents(0)

        self.node_tree = QTreeWidget()
        self.node_tree.setHeaderLabels(["Node", "Type", "Inputs from"])
        if workflow is not None:
            sources: dict[str, list[str]] = {}
            for edge in workflow.edges:
                sources.setdefault(edge.target, []).append(f"{edge.source}.{edge.source_handle}")
            for node in workflow.nodes:
                row = [node.label or node.id, node.type, ", ".join(sources.get(node.id, []))]
                self.node_tree.addTopLevelItem(QTreeWidgetItem(row))
            for column in range(3):
                self.node_tree.resizeColumnToContents(column)

        heading = QLabel(workflow.name if workflow is not None else "Open a workflow to begin")
        heading.setStyleSheet("font-size: 18px; font-weight: 600; padding: 8px;")
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.addWidget(heading)
        layout.addWidget(self.node_tree)

        splitter = QSplitter()
        splitter.addWidget(self.catalog_tree)
        splitter.addWidget(centre)
        splitter.setSizes([360, 920])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage(f"{len(catalog)} node types available")
