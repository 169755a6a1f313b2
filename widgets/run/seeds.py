"""The seeds a node ran with, each with "Use this seed" (for the node inspector).

"Randomise seeds on run" gives seed parameters new values without editing the
document; the app keeps the workflow as run with the run's record. The inspector
shows the seeds of the selected node's run and asks the app (a signal) to put one
back into the document, which it does as an undo step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from widgets.node_header import muted


@dataclass(frozen=True, slots=True)
class RunSeed:
    """A seed parameter a node ran with, and the value the document holds now.

    ``current`` is ``None`` when the document has no value (or no such node).
    """

    param: str
    value: int
    current: int | None = None

    @property
    def in_use(self) -> bool:
        """Whether the document already holds this seed."""
        return self.current == self.value


class SeedRows(QWidget):
    """One row per seed: name, value and "Use this seed" (hidden when there are none).

    Signals:
        seed_requested(str, int): "Use this seed" on ``(param, value)``.
    """

    seed_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspectorSeeds")
        self._seeds: tuple[RunSeed, ...] = ()
        self._buttons: dict[str, QPushButton] = {}
        self._rows = QGridLayout(self)
        self._rows.setContentsMargins(0, 0, 0, 0)
        self._rows.setHorizontalSpacing(10)
        self._rows.setColumnStretch(3, 1)
        self.hide()

    def set_seeds(self, seeds: Sequence[RunSeed]) -> None:
        """Show ``seeds`` (rebuilt only when they changed)."""
        seeds = tuple(seeds)
        self.setVisible(bool(seeds))
        if seeds == self._seeds:
            return
        self._seeds = seeds
        self._buttons = {}
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for row, seed in enumerate(seeds):
            name = "Seed" if seed.param == "seed" else f"Seed ({seed.param})"
            value = QLabel(str(seed.value), self)
            value.setObjectName(f"seedValue_{seed.param}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            button = QPushButton("In use" if seed.in_use else "Use this seed", self)
            button.setObjectName(f"useSeed_{seed.param}")
            button.setEnabled(not seed.in_use)
            button.setToolTip(_tooltip(seed))
            button.clicked.connect(
                lambda _checked=False, s=seed: self.seed_requested.emit(s.param, s.value)
            )
            self._rows.addWidget(muted(QLabel(name, self)), row, 0)
            self._rows.addWidget(value, row, 1)
            self._rows.addWidget(button, row, 2)
            self._buttons[seed.param] = button

    def seeds(self) -> tuple[RunSeed, ...]:
        """The seeds shown."""
        return self._seeds

    def button(self, param: str) -> QPushButton | None:
        """The "Use this seed" button of ``param`` (``None``: not shown)."""
        return self._buttons.get(param)


def _tooltip(seed: RunSeed) -> str:
    if seed.in_use:
        return "The document already has this seed"
    now = f" (now {seed.current})" if seed.current is not None else ""
    return f"Set {seed.param} to {seed.value} in the document{now}, to get this result again"
