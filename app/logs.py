"""The studio's log file, with secrets kept out of it.

:func:`setup_logging` sends the root logger to
``<data dir>/logs/patchbay-studio.log`` (rotated at about 1 MB, five old files
kept) through :class:`RedactingFilter`, so an API key (``pb_…``), a bearer token
or a provider key header never reaches the file even when an exception message
or a URL carries one. Help → Open Log Folder shows the folder in the system's
file manager through :data:`url_opener`, a seam tests replace.
"""

from __future__ import annotations

import logging
import platform
import re
import sys
import traceback
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

import engine
from engine.paths import default_data_dir

__all__ = [
    "BACKUP_COUNT",
    "LOG_FILE_NAME",
    "MAX_BYTES",
    "RedactingFilter",
    "current_log_file",
    "log_dir",
    "open_log_folder",
    "redact",
    "setup_logging",
    "shutdown_logging",
    "url_opener",
]

LOG_FILE_NAME = "patchbay-studio.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

REDACTED = "[redacted]"

#: Secret-shaped text: Patchbay API keys, bearer/"Key" authorisation values,
#: provider key headers and ``key=`` query or form fields, OpenAI-style keys.
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bpb_[A-Za-z0-9_\-]{8,}"), f"pb_{REDACTED}"),
    (re.compile(r"\b(Bearer|Basic)(\s+)[^\s'\",;]+", re.IGNORECASE), rf"\1\2{REDACTED}"),
    (
        re.compile(r"\b(Authorization['\"]?\s*[:=]\s*['\"]?)(\w+\s+)?[^\s'\",;]+", re.IGNORECASE),
        rf"\1\2{REDACTED}",
    ),
    (
        re.compile(
            r"\b(x-api-key|xi-api-key|x-goog-api-key|api[_-]?key|access[_-]?token|"
            r"api[_-]?token|secret|password)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",;&]+",
            re.IGNORECASE,
        ),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"), f"sk-{REDACTED}"),
)

#: Opens a URL with the desktop (``QDesktopServices.openUrl``); tests replace it.
url_opener: Callable[[QUrl], bool] = QDesktopServices.openUrl

_handler: RotatingFileHandler | None = None
_root_level: int | None = None  # the root logger's level before setup_logging changed it


def redact(text: str) -> str:
    """``text`` with every secret-shaped value replaced by ``[redacted]``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack with :func:`redact`.

    Attached to a handler, it covers records from every logger that reaches it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad %-format: keep what can be shown
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def log_dir() -> Path:
    """``<data dir>/logs`` (honours ``PATCHBAY_DATA_DIR``)."""
    return default_data_dir() / "logs"


def current_log_file() -> Path | None:
    """The file :func:`setup_logging` writes to, or ``None`` before it ran."""
    return Path(_handler.baseFilename) if _handler is not None else None


def setup_logging(
    directory: Path | None = None,
    *,
    level: int = logging.INFO,
    max_bytes: int = MAX_BYTES,
    backup_count: int = BACKUP_COUNT,
) -> Path:
    """Log to ``directory/patchbay-studio.log`` (default :func:`log_dir`); returns the file.

    Calling it again replaces the previous file handler, so there is only ever one.
    If the folder cannot be created the studio runs without a log file.
    """
    global _handler, _root_level
    directory = directory or log_dir()
    path = directory / LOG_FILE_NAME
    shutdown_logging()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=False
        )
    except OSError as exc:
        print(f"patchbay-studio: no log file ({exc})", file=sys.stderr)
        return path
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    _root_level = root.level
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    _handler = handler
    logging.getLogger("app").info(
        "Patchbay Studio %s starting (Python %s, %s)",
        engine.__version__,
        platform.python_version(),
        platform.platform(terse=True),
    )
    return path


def shutdown_logging() -> None:
    """Detach and close the log file handler (if any); the root logger's level is restored."""
    global _handler, _root_level
    if _handler is not None:
        root = logging.getLogger()
        root.removeHandler(_handler)
        _handler.close()
        _handler = None
        if _root_level is not None:
            root.setLevel(_root_level)
            _root_level = None


def open_log_folder() -> tuple[bool, Path]:
    """Show the log folder in the file manager; ``(opened, folder)``."""
    folder = current_log_file()
    folder = folder.parent if folder is not None else log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False, folder
    return bool(url_opener(QUrl.fromLocalFile(str(folder)))), folder
