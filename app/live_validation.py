"""Live validation: the engine's validator, run shortly after each burst of edits."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from engine.catalog.registry import Catalog
from engine.validation import Violation, validate
from widgets.document import WorkflowDocument

DEFAULT_DELAY_MS = 150


class LiveValidator(QObject):
    """Validates a document ``delay_ms`` after its last change and announces the result."""

    #: The document was validated: ``list[Violation]``.
    validated = Signal(list)

    def __init__(
        self,
        document: WorkflowDocument,
        catalog: Catalog,
        *,
        delay_ms: int = DEFAULT_DELAY_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._catalog = catalog
        self._violations: list[Violation] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.run)
        document.changed.connect(self._timer.start)

    def violations(self) -> list[Violation]:
        """The result of the last run."""
        return list(self._violations)

    def pending(self) -> bool:
        """Whether a run is scheduled (the document changed since the last one)."""
        return self._timer.isActive()

    def run(self) -> list[Violation]:
        """Validate now (cancelling a scheduled run)."""
        self._timer.stop()
        self._violations = validate(self._document.workflow(), self._catalog)
        self.validated.emit(list(self._violations))
        return list(self._violations)
