"""What the user sees when the studio hits an error nobody caught.

:class:`CrashHandler` is installed as ``sys.excepthook`` (qasync also sends the
exceptions of ``asyncSlot`` coroutines there). For each uncaught exception it

1. autosaves the document of every open window first (the autosave is what crash
   recovery offers at the next start, see :mod:`app.autosave`),
2. hands the exception to the previous hook, :func:`app.runners.report_exception`
   by default, which writes it to the log,
3. shows one :class:`CrashDialog`: the error, its traceback behind "Details",
   "Copy Details", the log file's path, and Continue or Quit. While the dialog is
   open, later exceptions only add to its count and details; no second dialog.

Quit leaves every autosave on disk and ends the event loop without the usual
"save changes?" questions: the next start offers to restore the work.
"""

from __future__ import annotations

import platform
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import engine
from app.logs import current_log_file, redact

if TYPE_CHECKING:
    from app.window import MainWindow

__all__ = [
    "AutosaveOutcome",
    "CrashDialog",
    "CrashHandler",
    "CrashReport",
    "autosave_all",
    "keep_all_autosaves",
]

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]

_MAX_SUMMARY = 300
_MAX_DETAILS = 200_000


@dataclass(frozen=True)
class CrashReport:
    """One uncaught exception, secrets removed."""

    summary: str  # "RuntimeError: boom"
    details: str  # the traceback

    @classmethod
    def from_exception(
        cls, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> CrashReport:
        text = "".join(traceback.format_exception(kind, error, tb)).rstrip()
        message = str(error).strip().splitlines()
        summary = f"{kind.__name__}: {message[0]}" if message else kind.__name__
        if len(summary) > _MAX_SUMMARY:
            summary = summary[: _MAX_SUMMARY - 1] + "…"
        return cls(summary=redact(summary), details=redact(text))


@dataclass(frozen=True)
class AutosaveOutcome:
    """What autosaving the open windows did: documents saved, and failures with reasons."""

    saved: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    paths: tuple[Path, ...] = field(default=(), compare=False)


def _main_windows() -> list[MainWindow]:
    from app.window import MainWindow  # the window is built long before anything can crash

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return []
    return [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]


def autosave_all() -> AutosaveOutcome:
    """Write the autosave of every open window with unsaved changes, now."""
    saved: list[str] = []
    failed: list[tuple[str, str]] = []
    paths: list[Path] = []
    for window in _main_windows():
        if not window.controller.is_dirty():
            continue
        name = window.controller.display_name()
        reasons: list[str] = []
        window.autosaver.failed.connect(reasons.append)
        try:
            written = window.autosaver.save_now()
        except Exception as exc:  # the document itself may be what is broken
            written, reasons = False, [f"{type(exc).__name__}: {exc}"]
        finally:
            window.autosaver.failed.disconnect(reasons.append)
        if written:
            saved.append(name)
            paths.append(window.autosaver.document_path)
        else:
            failed.append((name, reasons[0] if reasons else "the file could not be written"))
    return AutosaveOutcome(tuple(saved), tuple(failed), tuple(paths))


def _environment() -> str:
    return (
        f"Patchbay Studio {engine.__version__} · Python {platform.python_version()} · "
        f"PySide6 {pyside_version} · {platform.platform(terse=True)}"
    )


def _autosave_text(outcome: AutosaveOutcome) -> str:
    if outcome.failed:
        names = ", ".join(f"{name} ({why})" for name, why in outcome.failed)
        return (
            f"<b>Autosave failed</b> for {names}. Choose Continue and save your work with "
            "File → Save As before anything else."
        )
    if outcome.saved:
        names = ", ".join(outcome.saved)
        return (
            f"Your unsaved work ({names}) was autosaved first: nothing is lost. Continue and "
            "save it, or Quit: the next start offers to restore it."
        )
    return "No open document had unsaved changes: nothing is lost."


class CrashDialog(QDialog):
    """The error, its details, the log file, and Continue or Quit.

    Signals:
        quit_requested(): the user chose Quit.
    """

    quit_requested = Signal()

    def __init__(
        self,
        report: CrashReport,
        outcome: AutosaveOutcome,
        log_file: Path | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("Patchbay Studio ran into a problem")
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.count = 1
        self._reports: list[CrashReport] = [report]

        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        heading = QLabel("<b>Something went wrong inside Patchbay Studio.</b>")
        self.summary_label = QLabel(report.summary)
        self.summary_label.setObjectName("crashSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.autosave_label = QLabel(_autosave_text(outcome))
        self.autosave_label.setObjectName("crashAutosave")
        self.autosave_label.setWordWrap(True)
        self.repeat_label = QLabel()
        self.repeat_label.setObjectName("crashRepeats")
        self.repeat_label.hide()
        where = str(log_file) if log_file is not None else "no log file this session"
        self.log_label = QLabel(f"Log file: {where}")
        self.log_label.setObjectName("crashLogFile")
        self.log_label.setTextFormat(Qt.TextFormat.PlainText)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.details_button = QToolButton()
        self.details_button.setObjectName("crashDetailsToggle")
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAutoRaise(True)
        self.details_button.toggled.connect(self._show_details)
        self.details = QPlainTextEdit()
        self.details.setObjectName("crashDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMinimumHeight(220)
        self.details.hide()
        self._fill_details()

        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy Details")
        self.copy_button.setObjectName("crashCopy")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy_details)
        self.quit_button = buttons.addButton("Quit", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.quit_button.setObjectName("crashQuit")
        self.quit_button.setAutoDefault(False)
        self.continue_button = buttons.addButton("Continue", QDialogButtonBox.ButtonRole.AcceptRole)
        self.continue_button.setObjectName("crashContinue")
        self.continue_button.setDefault(True)
        self.quit_button.clicked.connect(self._quit)
        buttons.accepted.connect(self.accept)

        text = QVBoxLayout()
        text.setSpacing(8)
        for widget in (heading, self.summary_label, self.autosave_label, self.repeat_label):
            text.addWidget(widget)
        text.addWidget(self.log_label)
        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.copy_button)
        footer.addStretch(1)
        footer.addWidget(buttons)
        layout.addLayout(footer)
        self.setMinimumWidth(560)

    def details_text(self) -> str:
        """What "Copy Details" copies: the environment and every traceback seen."""
        blocks = [_environment(), *(r.details for r in self._reports)]
        if self.count > len(self._reports):
            blocks.append(f"({self.count} errors in all; repeats of the same error not shown)")
        return "\n\n".join(blocks)[:_MAX_DETAILS]

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())
        self.copy_button.setText("Copied")

    def add_occurrence(self, report: CrashReport, outcome: AutosaveOutcome) -> None:
        """Another uncaught exception while the dialog is open: count it, keep its details."""
        self.count += 1
        if report.details not in (r.details for r in self._reports):
            self._reports.append(report)
            self._fill_details()
        self.repeat_label.setText(f"This happened again: {self.count} errors so far.")
        self.repeat_label.show()
        self.autosave_label.setText(_autosave_text(outcome))

    def _fill_details(self) -> None:
        self.details.setPlainText(self.details_text())

    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.adjustSize()

    def _quit(self) -> None:
        self.quit_requested.emit()
        self.done(QDialog.DialogCode.Rejected)


def keep_all_autosaves() -> None:
    """Leave every open window's autosave on disk for recovery at the next start."""
    for window in _main_windows():
        window.autosaver.keep()


def _quit_keeping_autosaves() -> None:
    keep_all_autosaves()
    QApplication.exit(1)  # no closeEvent: no "save changes?" questions after a crash


class CrashHandler(QObject):
    """``sys.excepthook`` that autosaves, logs through ``previous`` and shows one dialog.

    ``log_file`` names the file shown in the dialog (default: the current log file);
    ``quit_app`` runs when the user chooses Quit (default: keep every autosave and
    end the event loop). Exceptions raised in other threads are logged at once and
    shown from the GUI thread.
    """

    #: A dialog was shown (tests and the scripted mode may react to it).
    dialog_shown = Signal(object)
    _report = Signal(object)

    def __init__(
        self,
        previous: ExceptHook | None = None,
        *,
        log_file: Callable[[], Path | None] = current_log_file,
        quit_app: Callable[[], None] = _quit_keeping_autosaves,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._previous = previous
        self._log_file = log_file
        self._quit_app = quit_app
        self._handling = False
        self._installed_over: ExceptHook | None = None
        self.dialog: CrashDialog | None = None
        self._report.connect(self._on_report, Qt.ConnectionType.QueuedConnection)

    def install(self) -> CrashHandler:
        """Become ``sys.excepthook``; the hook found there is chained (logged through)."""
        from app.runners import report_exception

        current = sys.excepthook
        self._installed_over = current
        if self._previous is None:
            self._previous = report_exception if current is sys.__excepthook__ else current
        sys.excepthook = self
        return self

    def uninstall(self) -> None:
        """Put back the hook :meth:`install` replaced (if nobody replaced this one since)."""
        if sys.excepthook is self:
            sys.excepthook = self._installed_over or sys.__excepthook__

    def __call__(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        quiet = issubclass(kind, KeyboardInterrupt | SystemExit)
        app = QApplication.instance()
        gui = isinstance(app, QApplication) and QThread.currentThread() is app.thread()
        if quiet or not gui or self._handling:
            self._chain(kind, error, tb)
            if not quiet and not self._handling and app is not None:
                self._report.emit((CrashReport.from_exception(kind, error, tb), None))
            return
        self._handling = True
        try:
            outcome = autosave_all()  # first: whatever happens next, the work is on disk
            self._chain(kind, error, tb)
            self._show(CrashReport.from_exception(kind, error, tb), outcome)
        except Exception:  # never let the hook itself fail: fall back to the plain report
            sys.__excepthook__(*sys.exc_info())
        finally:
            self._handling = False

    def _chain(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        hook = self._previous or sys.__excepthook__
        try:
            hook(kind, error, tb)
        except Exception:
            sys.__excepthook__(kind, error, tb)

    def _on_report(self, payload: object) -> None:
        assert isinstance(payload, tuple)
        report, _ = payload
        self._show(report, autosave_all())

    def _show(self, report: CrashReport, outcome: AutosaveOutcome) -> None:
        if self.dialog is not None:
            self.dialog.add_occurrence(report, outcome)
            return
        app = QApplication.instance()
        parent = app.activeWindow() if isinstance(app, QApplication) else None
        dialog = CrashDialog(report, outcome, self._log_file(), parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.quit_requested.connect(self._quit_app)
        dialog.finished.connect(self._on_closed)
        dialog.destroyed.connect(self._on_closed)
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        self.dialog_shown.emit(dialog)

    def _on_closed(self, *_: object) -> None:
        self.dialog = None
