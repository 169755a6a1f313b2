"""The rotating log file: created in the data directory, rotated, and free of API keys."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl

from app import logs
from app.logs import LOG_FILE_NAME, current_log_file, redact, setup_logging, shutdown_logging
from tests.app.conftest import WindowFactory

KEY = "pb_Xq3kV9aR2mH8u1Yb0wJ4cN7tL6eQ5sZ3pD9fG2hK1jA"


@pytest.fixture(autouse=True)
def _no_log_file_left_open() -> Iterator[None]:
    yield
    shutdown_logging()


def _read_all(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob(f"{LOG_FILE_NAME}*")))


def test_the_log_file_is_created_in_the_data_directory(data_dir: Path) -> None:
    path = setup_logging()
    assert path == data_dir / "logs" / LOG_FILE_NAME == current_log_file()
    logging.getLogger("app.test").warning("the canvas could not draw node %s", "shot")
    text = path.read_text(encoding="utf-8")
    assert "Patchbay Studio" in text and "starting" in text
    assert "WARNING app.test: the canvas could not draw node shot" in text


def test_the_log_rotates_and_keeps_five_old_files(tmp_path: Path) -> None:
    path = setup_logging(tmp_path, max_bytes=2_000, backup_count=5)
    log = logging.getLogger("app.test")
    for index in range(400):
        log.info("line %04d %s", index, "x" * 60)
    rotated = sorted(p.name for p in tmp_path.glob(f"{LOG_FILE_NAME}.*"))
    assert rotated == [f"{LOG_FILE_NAME}.{n}" for n in range(1, 6)]
    assert path.stat().st_size <= 2_000
    assert "line 0399" in path.read_text(encoding="utf-8")
    assert "line 0000" not in _read_all(tmp_path)  # the oldest went with the sixth rotation


def test_setting_up_again_keeps_one_handler(tmp_path: Path) -> None:
    setup_logging(tmp_path / "a")
    setup_logging(tmp_path / "b")
    ours = [h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler)]
    assert [Path(h.baseFilename).parent.name for h in ours] == ["b"]


def test_api_keys_and_tokens_never_reach_the_file(tmp_path: Path) -> None:
    path = setup_logging(tmp_path)
    log = logging.getLogger("app.servers")
    log.info("added server with key %s", KEY)
    log.warning("request failed: headers={'Authorization': 'Bearer %s'}", KEY)
    log.info("fal call with Authorization: Key fal-secret-123:abc")
    log.info("GET https://example.com/v1/models?api_key=sk-live-777&page=2")
    try:
        raise PermissionError(f"401 for key {KEY}")
    except PermissionError:
        log.exception("remote run refused")
    text = path.read_text(encoding="utf-8")
    for secret in (KEY, KEY[3:], "fal-secret-123", "sk-live-777"):
        assert secret not in text
    assert text.count("[redacted]") >= 5
    assert "PermissionError: 401 for key pb_[redacted]" in text  # the traceback too
    assert "page=2" in text and "remote run refused" in text


def test_redact_leaves_ordinary_words_alone() -> None:
    assert redact("API key rejected by studio.example.com") == (
        "API key rejected by studio.example.com"
    )
    assert redact("token expired; Bearer abc.def") == "token expired; Bearer [redacted]"


def test_help_open_log_folder_opens_the_folder(
    make_window: WindowFactory, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    answer = [True]

    def opener(url: QUrl) -> bool:
        opened.append(url)
        return answer[0]

    monkeypatch.setattr(logs, "url_opener", opener)
    window = make_window()
    window.action("open_log_folder").trigger()
    assert [url.toLocalFile() for url in opened] == [str(data_dir / "logs")]
    assert (data_dir / "logs").is_dir()

    setup_logging(data_dir / "elsewhere")
    answer[0] = False
    window.action("open_log_folder").trigger()
    assert opened[-1].toLocalFile() == str(data_dir / "elsewhere")
    assert "Could not open the log folder" in window.notice_bar.text()
