"""The heading of the properties panel: which node, what it does, what it costs."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.catalog.spec import NodeSpec, PricingUnit
from engine.validation import Severity, Violation
from engine.workflow import Node
from widgets.node_types import CATEGORY_LABELS, category_icon

SEVERITY_COLORS = {"error": "#e5534b", "warning": "#d29922"}
_SEVERITY_MARK = {Severity.ERROR: "✕", Severity.WARNING: "⚠"}
_UNIT_WORDS = {
    PricingUnit.PER_RUN: "per run",
    PricingUnit.PER_IMAGE: "per image",
    PricingUnit.PER_SECOND: "per second",
    PricingUnit.PER_1K_CHARS: "per 1,000 characters",
    PricingUnit.PER_MEGAPIXEL: "per megapixel",
}


def muted(label: QLabel) -> QLabel:
    """Draw ``label`` in the theme's secondary text colour (follows the palette)."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when narrower than its text, instead of
    widening its panel; :meth:`text` stays the whole text."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 48), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            rect,
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            text,
            self.foregroundRole(),
        )


def problem_line(violation: Violation) -> str:
    """A violation's message followed by its hint."""
    return violation.message + (f" — {violation.hint}" if violation.hint else "")


def worst_severity(violations: Sequence[Violation]) -> str | None:
    """``"error"``, ``"warning"`` or ``None`` for no violations."""
    if not violations:
        return None
    return "error" if any(v.is_error for v in violations) else "warning"


def set_severity_colour(label: QLabel, severity: str | None) -> None:
    """Colour ``label`` red or amber through its palette, so a stylesheet can override it."""
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor(SEVERITY_COLORS.get(severity or "", "")))
    label.setPalette(palette)
    label.setProperty("severity", severity or "")


def pricing_text(spec: NodeSpec, data: dict[str, Any]) -> str:
    """``"fal · 5 credits per image · ≈ 5 per run"``; empty for free nodes."""
    pricing = spec.pricing
    if pricing.unit == PricingUnit.FREE:
        return ""
    estimate = pricing.estimate(spec.resolved_params(data))
    rate = f"{pricing.credits:g} credits {_UNIT_WORDS[pricing.unit]}"
    return f"{spec.provider} · {rate} · ≈ {estimate:g} per run"


class NodeHeader(QWidget):
    """Title (label or type name), category and type id, description, pricing, problems."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("propertiesHeader")
        selectable = Qt.TextInteractionFlag.TextSelectableByMouse
        self.title = QLabel(self)
        self.title.setObjectName("propertiesTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(selectable)
        self._dot = QLabel(self)
        self.subtitle = muted(QLabel(self))
        self.subtitle.setObjectName("propertiesSubtitle")
        self.subtitle.setTextInteractionFlags(selectable)
        self.description = muted(QLabel(self))
        self.description.setObjectName("propertiesDescription")
        self.description.setWordWrap(True)
        self.pricing = muted(QLabel(self))
        self.pricing.setObjectName("propertiesPricing")
        self.problems = QLabel(self)
        self.problems.setObjectName("nodeProblems")
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.RichText)

        subtitle_row = QHBoxLayout()
        subtitle_row.setSpacing(6)
        subtitle_row.addWidget(self._dot)
        subtitle_row.addWidget(self.subtitle, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addLayout(subtitle_row)
        layout.addWidget(self.description)
        layout.addWidget(self.pricing)
        layout.addWidget(self.problems)
        self.problems.hide()

    def show_node(self, node: Node, spec: NodeSpec | None) -> None:
        """Describe ``node``; ``spec`` is ``None`` for a type the catalog lacks."""
        self.title.setText(node.label or (spec.display_name if spec else node.id))
        if spec is None:
            self._dot.clear()
            self.subtitle.setText(f"Unknown type · {node.type}")
            self.description.hide()
            self.pricing.hide()
            return
        self._dot.setPixmap(category_icon(spec.category).pixmap(16, 16))
        self.subtitle.setText(f"{CATEGORY_LABELS[spec.category]} · {spec.type}")
        self.description.setText(spec.description)
        self.description.setVisible(bool(spec.description))
        text = pricing_text(spec, node.data)
        self.pricing.setText(text)
        self.pricing.setVisible(bool(text))

    def set_problems(self, violations: Sequence[Violation]) -> None:
        """List problems of the node that belong to no field shown below."""
        lines = [f"{_SEVERITY_MARK[v.severity]} {html.escape(problem_line(v))}" for v in violations]
        self.problems.setText("<br>".join(lines))
        self.problems.setVisible(bool(lines))
        set_severity_colour(self.problems, worst_severity(violations))
