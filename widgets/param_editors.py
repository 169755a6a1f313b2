"""Editor widgets for parameters: the base class and the text, number and choice kinds.

The colour, file and JSON editors and the factory are in :mod:`widgets.param_fields`.

An editor shows a value (``set_value``, which never emits) and reports the
user's edits with :attr:`ParamEditor.committed` ``(value, merge)``: ``value`` is
what goes into the node's ``data`` (``None`` clears the key so the default
applies) and ``merge`` says whether the edit may merge with the previous one
into a single undo step (typing, dragging) or is a discrete action (a click).
"""

from __future__ import annotations

import math
import random
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QSlider,
    QToolButton,
    QWidget,
)

from engine.catalog.spec import ParamKind, ParamSpec

_WRAP = int(Qt.TextFlag.TextWordWrap)

#: The largest integer a double-backed spin box holds exactly (2**53 - 1).
MAX_EXACT_INT = 9_007_199_254_740_991


class _WheelGuard(QObject):
    """Ignore the mouse wheel on unfocused fields, so scrolling the panel never edits."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        unfocused = isinstance(watched, QWidget) and not watched.hasFocus()
        if event.type() == QEvent.Type.Wheel and unfocused:
            event.ignore()
            return True
        return False


_wheel_guard: _WheelGuard | None = None


def guard_wheel(widget: QWidget) -> None:
    """Make ``widget`` take wheel events only once it has keyboard focus."""
    global _wheel_guard
    if _wheel_guard is None:
        _wheel_guard = _WheelGuard()
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_wheel_guard)


def row_layout(parent: QWidget, *widgets: QWidget, stretch_first: bool = True) -> QHBoxLayout:
    """A margin-less row of ``widgets`` set on ``parent``; the first one stretches."""
    layout = QHBoxLayout(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if (index == 0 and stretch_first) else 0)
    return layout


def display_text(value: Any) -> str:
    """How a value appears in a text field (``None``: empty)."""
    return "" if value is None else str(value)


class ParamEditor(QWidget):
    """Base class: edits one value of a node's ``data``."""

    #: ``(value, merge)``: the user changed the value; ``None`` clears it.
    committed = Signal(object, bool)

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName(f"param_{spec.name}")

    def set_value(self, value: Any) -> None:
        """Show ``value`` (``None``: the default) without emitting :attr:`committed`."""
        raise NotImplementedError

    def focus_widget(self) -> QWidget:
        """The widget that takes the keyboard focus for this field."""
        return self

    def set_problem(self, severity: str | None) -> None:
        """Mark the field (``"error"``, ``"warning"`` or ``None``) for the stylesheet."""
        target = self.focus_widget()
        target.setProperty("problem", severity or "")
        target.style().unpolish(target)
        target.style().polish(target)

    def _emit(self, value: Any, merge: bool) -> None:
        self.committed.emit(value, merge)


class LineEditor(ParamEditor):
    """STRING: one line of text; an empty field clears the value."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line = QLineEdit(self)
        self.line.setPlaceholderText(display_text(spec.default))
        self.line.textEdited.connect(lambda text: self._emit(text or None, True))
        row_layout(self, self.line)

    def set_value(self, value: Any) -> None:
        text = display_text(value)
        if self.line.text() != text:
            self.line.setText(text)

    def focus_widget(self) -> QWidget:
        return self.line


class AutoHeightTextEdit(QPlainTextEdit):
    """A plain-text editor that grows with its content between two line counts."""

    def __init__(self, min_lines: int = 2, max_lines: int = 12, parent: QWidget | None = None):
        super().__init__(parent)
        self._min_lines = min_lines
        self._max_lines = max_lines
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.textChanged.connect(self._fit)
        self._fit()

    def line_count(self) -> int:
        """Lines the text takes when wrapped at the editor's width (no scroll bar)."""
        margin = int(self.document().documentMargin())
        # The width without a scroll bar: sizing to fit makes the scroll bar go away.
        width = self.width() - 2 * self.frameWidth() - 2 * margin - 4
        metrics = self.fontMetrics()
        lines = 0
        block = self.document().begin()
        while block.isValid():
            text = block.text()
            if text and width > 20:
                bounds = metrics.boundingRect(QRect(0, 0, width, 1_000_000), _WRAP, text)
                lines += max(1, round(bounds.height() / metrics.lineSpacing()))
            else:
                lines += 1
            block = block.next()
        return lines

    def _fit(self) -> None:
        shown = min(max(self.line_count(), self._min_lines), self._max_lines)
        margins = self.contentsMargins()
        height = (
            shown * self.fontMetrics().lineSpacing()
            + 2 * self.document().documentMargin()
            + 2 * self.frameWidth()
            + margins.top()
            + margins.bottom()
            + 2
        )
        self.setFixedHeight(math.ceil(height))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()


class TextEditor(ParamEditor):
    """TEXT: a multi-line prompt that grows with its content."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = AutoHeightTextEdit(parent=self)
        self.edit.setPlaceholderText(display_text(spec.default))
        self._updating = False
        self.edit.textChanged.connect(self._changed)
        row_layout(self, self.edit)

    def _changed(self) -> None:
        if not self._updating:
            self._emit(self.edit.toPlainText() or None, True)

    def set_value(self, value: Any) -> None:
        text = display_text(value)
        if self.edit.toPlainText() != text:
            self._updating = True
            self.edit.setPlainText(text)
            self._updating = False

    def focus_widget(self) -> QWidget:
        return self.edit


class IntSpinBox(QDoubleSpinBox):
    """An integer spin box backed by a double: exact up to 2**53, beyond int32."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(0)

    def int_value(self) -> int:
        return round(self.value())


def _nice_step(spec: ParamSpec, integer: bool) -> float:
    if spec.step:
        return spec.step
    if integer:
        return 1.0
    if spec.minimum is not None and spec.maximum is not None and spec.maximum > spec.minimum:
        return float(10 ** math.floor(math.log10((spec.maximum - spec.minimum) / 100)))
    return 0.1


def _bounds(spec: ParamSpec) -> tuple[float, float] | None:
    """``(minimum, maximum)`` when both are set and differ: the range a slider covers."""
    if spec.minimum is None or spec.maximum is None or spec.maximum <= spec.minimum:
        return None
    return spec.minimum, spec.maximum


def _decimals(step: float) -> int:
    return min(6, max(0, -math.floor(math.log10(step)) if step < 1 else 0))


class NumberEditor(ParamEditor):
    """INTEGER / NUMBER: a spin box, plus a slider kept in step when both bounds are set."""

    _SLIDER_STEPS = 10_000
    _with_slider = True

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.integer = spec.kind in (ParamKind.INTEGER, ParamKind.SEED)
        self.spin: QDoubleSpinBox = IntSpinBox(self) if self.integer else QDoubleSpinBox(self)
        step = _nice_step(spec, self.integer)
        if not self.integer:
            self.spin.setDecimals(_decimals(step))
        limit = float(MAX_EXACT_INT if self.integer else 1e15)
        low = spec.minimum if spec.minimum is not None else -limit
        high = spec.maximum if spec.maximum is not None else limit
        self._range = (max(low, -limit), min(high, limit))
        self.spin.setRange(*self._range)
        self.spin.setSingleStep(step)
        self.spin.setKeyboardTracking(False)
        self.spin.setAccelerated(True)
        self.spin.setMinimumWidth(84)
        guard_wheel(self.spin)
        self.spin.valueChanged.connect(self._spin_changed)
        self.slider: QSlider | None = None
        widgets: list[QWidget] = [self.spin]
        self._bounds = _bounds(spec) if self._with_slider else None
        if self._bounds is not None:
            low, high = self._bounds
            slider = QSlider(Qt.Orientation.Horizontal, self)
            slider.setRange(0, max(1, min(round((high - low) / step), self._SLIDER_STEPS)))
            slider.setPageStep(max(1, slider.maximum() // 10))
            guard_wheel(slider)
            slider.valueChanged.connect(self._slider_moved)
            self.slider = slider
            widgets = [slider, self.spin]
            self.spin.setMaximumWidth(110)
        row_layout(self, *widgets)
        self.set_value(None)

    def value(self) -> int | float:
        """The value shown."""
        spin = self.spin
        return spin.int_value() if isinstance(spin, IntSpinBox) else spin.value()

    def set_value(self, value: Any) -> None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            value = self.spec.default
        if not isinstance(value, int | float) or isinstance(value, bool):
            value = self.spec.minimum if self.spec.minimum is not None else 0
        self.spin.blockSignals(True)
        # An out-of-range value (from a file) is shown as it is, not clamped: the
        # validator marks it and the user fixes it knowingly.
        low, high = self._range
        self.spin.setRange(min(low, value), max(high, value))
        if self.spin.value() != value:
            self.spin.setValue(float(value))
        self.spin.blockSignals(False)
        self._sync_slider()

    def focus_widget(self) -> QWidget:
        return self.spin

    def _sync_slider(self) -> None:
        if self.slider is None or self._bounds is None:
            return
        low, high = self._bounds
        position = round((self.spin.value() - low) / (high - low) * self.slider.maximum())
        self.slider.blockSignals(True)
        self.slider.setValue(position)
        self.slider.blockSignals(False)

    def _slider_moved(self, position: int) -> None:
        if self.slider is None or self._bounds is None:
            return
        low, high = self._bounds
        step = self.spin.singleStep()
        value = low + (high - low) * position / self.slider.maximum()
        self.spin.setValue(low + round((value - low) / step) * step)  # emits -> commit

    def _spin_changed(self, _value: float) -> None:
        if self.slider is not None and not self.slider.isSliderDown():
            self._sync_slider()
        self._emit(self.value(), True)


class SeedEditor(NumberEditor):
    """SEED: an integer with a button that draws a random one within the range."""

    _with_slider = False

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.rng = random.Random()
        self.randomise_button = QToolButton(self)
        self.randomise_button.setObjectName("randomiseButton")
        self.randomise_button.setText("⚄")
        font = self.randomise_button.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.randomise_button.setFont(font)
        self.randomise_button.setToolTip("Randomise: draw a new random seed")
        self.randomise_button.setAutoRaise(True)
        self.randomise_button.clicked.connect(self.randomise)
        layout = self.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.addWidget(self.randomise_button)

    def randomise(self) -> None:
        """Commit a random seed within the parameter's range (a new undo step)."""
        low = int(self.spin.minimum())
        high = int(self.spin.maximum())
        if self.spec.maximum is None:
            high = min(high, 2**32 - 1)
        value = self.rng.randint(max(low, 0) if high > 0 else low, high)
        self.spin.blockSignals(True)
        self.spin.setValue(float(value))
        self.spin.blockSignals(False)
        self._sync_slider()
        self._emit(value, False)


class EnumEditor(ParamEditor):
    """ENUM: a drop-down of the allowed values."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.choices = list(spec.choices or ())
        self.combo = QComboBox(self)
        self.combo.addItems([str(choice) for choice in self.choices])
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(6)
        guard_wheel(self.combo)
        self.combo.activated.connect(lambda index: self._emit(self.choices[index], False))
        row_layout(self, self.combo)
        self.set_value(None)

    def set_value(self, value: Any) -> None:
        if value is None:
            value = self.spec.default
        index = next(
            (i for i, c in enumerate(self.choices) if c == value and type(c) is type(value)), -1
        )
        # Only a value outside the choices needs it; a placeholder widens the combo.
        outside = value is not None and index < 0
        self.combo.setPlaceholderText(f"{value} (not allowed)" if outside else "")
        if self.combo.currentIndex() != index:
            self.combo.setCurrentIndex(index)

    def focus_widget(self) -> QWidget:
        return self.combo


class BoolEditor(ParamEditor):
    """BOOLEAN: a check box."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.check = QCheckBox(self)
        self.check.clicked.connect(self._clicked)
        row_layout(self, self.check, stretch_first=False).addStretch(1)
        self.set_value(None)

    def _clicked(self) -> None:
        self._emit(self.check.isChecked(), False)

    def set_value(self, value: Any) -> None:
        if not isinstance(value, bool):
            value = bool(self.spec.default) if isinstance(self.spec.default, bool) else False
        self.check.setChecked(value)

    def focus_widget(self) -> QWidget:
        return self.check
