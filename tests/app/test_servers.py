"""The Servers dialog against a real server: keys in the keyring only, connection tests."""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.logs import setup_logging, shutdown_logging
from app.server_dialogs import ServersDialog
from app.servers import KEYRING_SERVICE, KeyStorage, ServerProfile
from app.window import MainWindow
from engine.client import Account
from engine.workflow import Workflow
from tests.app.conftest import WindowFactory
from tests.server.conftest import (
    Key,
    Server,
    create_workflow,
    free_port,
    greeting_workflow,
    wait_for_end,
)

pytestmark = pytest.mark.usefixtures("qasync_loop")


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps secrets in a dict (never the developer's real keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


class RefusingKeyring(MemoryKeyring):
    """A keyring that cannot store anything (like the one a bare server session has)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringError("no secret service available")


def _use_keyring(monkeypatch: pytest.MonkeyPatch, backend: KeyringBackend) -> None:
    monkeypatch.delenv("PATCHBAY_DISABLE_KEYRING", raising=False)
    monkeypatch.setattr("keyring.core._keyring_backend", None)  # restored after the test
    keyring.set_keyring(backend)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    _use_keyring(monkeypatch, backend)
    return backend


def add_server(
    qtbot: QtBot, window: MainWindow, url: str, key: str, name: str = "Studio"
) -> tuple[ServersDialog, object]:
    """Add a server through the dialog's form; returns the dialog and the test's result."""
    dialog = window.show_servers_dialog()
    assert isinstance(dialog, ServersDialog)
    qtbot.keyClicks(dialog.url_edit, url)
    qtbot.keyClicks(dialog.key_edit, key)
    qtbot.keyClicks(dialog.name_edit, name)
    with qtbot.waitSignal(dialog.tested, timeout=20_000) as blocker:
        dialog.add_button.click()
    return dialog, blocker.args[0]


def _spend_on_a_run(server: Server, key: Key) -> None:
    """One run today on the account (free: credits are charged by priced nodes only)."""
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
        response = client.post(f"/api/v1/workflows/{workflow_id}/execute", json={})
        assert response.status_code == 201, response.text
        assert wait_for_end(client, response.json()["executionId"])["status"] == "COMPLETED"


def _assert_absent(secret: str, root: Path) -> list[Path]:
    """Every file under ``root`` (settings, documents, autosaves, data), none holding ``secret``."""
    written = [p for p in root.rglob("*") if p.is_file()]
    for path in written:
        assert secret.encode() not in path.read_bytes(), path
    return written


def test_added_server_keeps_its_key_in_the_keyring_and_nowhere_else(
    make_window: WindowFactory,
    qtbot: QtBot,
    server: Server,
    memory_keyring: MemoryKeyring,
    settings: QSettings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
) -> None:
    caplog.set_level(logging.DEBUG)
    log_file = setup_logging(level=logging.DEBUG)  # the studio's log, as main sets it up
    request.addfinalizer(shutdown_logging)
    key = server.create_key("keyring-owner", tier="starter", credits=25)
    _spend_on_a_run(server, key)
    window = make_window()
    dialog, result = add_server(qtbot, window, server.base_url + "/", key.secret)

    assert isinstance(result, Account)
    assert memory_keyring.secrets == {(KEYRING_SERVICE, server.base_url): key.secret}
    assert window.servers.profiles() == [ServerProfile("Studio", server.base_url)]
    assert window.servers.key_storage(server.base_url) is KeyStorage.KEYRING
    assert dialog.key_edit.text() == ""
    shown = dialog.account_view.text()
    assert "Starter" in shown
    assert "25 available" in shown and "25 balance, 0 reserved" in shown
    assert "1 execution (999 left today)" in shown and "0 credits charged" in shown
    assert "system keyring" in dialog.storage_note.text()
    assert dialog.server_list.topLevelItem(0).text(2) == "System keyring"

    # Everything the app writes: settings, a saved document, its autosave, the data dir.
    window.controller.load(Workflow.model_validate(greeting_workflow()), None)
    window.canvas.select_nodes(["greet"])
    window.canvas.delete_selection()
    assert window.autosaver.save_now()
    assert window.autosaver.document_path.is_file()
    _assert_absent(key.secret, tmp_path)
    assert window.controller.save_as(tmp_path / "greeting.patchbay.json")
    window.save_layout()
    settings.sync()
    written = _assert_absent(key.secret, tmp_path)
    assert Path(settings.fileName()) in written
    assert log_file in written and log_file.is_relative_to(tmp_path)
    assert tmp_path / "greeting.patchbay.json" in written
    assert server.base_url in Path(settings.fileName()).read_text()
    assert key.secret not in caplog.text

    # A new window (a restart) finds the server and its key again.
    again = make_window()
    assert again.servers.api_key(server.base_url) == key.secret


@pytest.mark.parametrize("keyring_kind", ["refusing", "disabled"])
def test_without_a_usable_keyring_the_key_is_kept_for_the_session_and_the_dialog_says_so(
    make_window: WindowFactory,
    qtbot: QtBot,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    settings: QSettings,
    keyring_kind: str,
) -> None:
    backend = RefusingKeyring()
    if keyring_kind == "refusing":
        _use_keyring(monkeypatch, backend)
    key = server.create_key("session-only", tier="free", credits=3)
    window = make_window()
    dialog, result = add_server(qtbot, window, server.base_url, key.secret, name="")

    assert isinstance(result, Account)
    assert window.servers.key_storage(server.base_url) is KeyStorage.SESSION
    assert window.servers.api_key(server.base_url) == key.secret
    assert backend.secrets == {}
    assert dialog.storage_note.severity == "warning"
    assert "kept for this session only" in dialog.storage_note.text()
    assert dialog.server_list.topLevelItem(0).text(2) == "This session only"
    assert window.servers.profiles()[0].name == f"127.0.0.1:{server.port}"  # from the URL
    settings.sync()
    assert key.secret not in Path(settings.fileName()).read_text()


def test_a_rejected_key_is_reported_inline(
    make_window: WindowFactory, qtbot: QtBot, server: Server
) -> None:
    window = make_window()
    dialog, result = add_server(qtbot, window, server.base_url, "pb_not-a-real-key")
    assert isinstance(result, str)
    assert "rejected the API key" in result
    assert dialog.message.severity == "error" and dialog.message.isVisible()
    assert dialog.account_view.isHidden()
    assert "pb_not-a-real-key" not in result


def test_an_unreachable_server_is_reported_inline(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()
    url = f"http://127.0.0.1:{free_port()}"
    dialog, result = add_server(qtbot, window, url, "pb_whatever")
    assert isinstance(result, str)
    assert result.startswith("Cannot reach Studio")
    assert dialog.message.text() == result


@pytest.fixture
def plain_web_server(tmp_path: Path) -> Iterator[str]:
    """A web server that is not Patchbay (serves an empty folder)."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<h1>hello</h1>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_a_web_server_that_is_not_patchbay_is_reported_as_such(
    make_window: WindowFactory, qtbot: QtBot, plain_web_server: str
) -> None:
    window = make_window()
    _dialog, result = add_server(qtbot, window, plain_web_server, "pb_whatever")
    assert isinstance(result, str)
    assert "does not answer like a Patchbay server" in result


def test_a_bad_url_is_refused_before_anything_is_stored(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    dialog = window.show_servers_dialog()
    assert isinstance(dialog, ServersDialog)
    qtbot.keyClicks(dialog.url_edit, "ftp://example.com")
    qtbot.keyClicks(dialog.key_edit, "pb_whatever")
    dialog.add_button.click()
    assert "not an http(s) URL" in dialog.add_message.text()
    assert window.servers.profiles() == []
    assert dialog.key_edit.text() == "pb_whatever"  # kept to fix the URL and retry


def test_removing_a_server_deletes_its_key(
    make_window: WindowFactory,
    qtbot: QtBot,
    server: Server,
    memory_keyring: MemoryKeyring,
) -> None:
    key = server.create_key("removed")
    window = make_window()
    dialog, _ = add_server(qtbot, window, server.base_url, key.secret)
    assert memory_keyring.secrets
    dialog.remove_button.click()
    assert memory_keyring.secrets == {}
    assert window.servers.profiles() == []
    assert dialog.server_list.topLevelItemCount() == 0
    assert window.servers.api_key(server.base_url) is None


def test_the_server_menu_sits_before_help(make_window: WindowFactory) -> None:
    window = make_window()
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-2:] == ["&Server", "&Help"]
    window.action("servers").trigger()
    assert window.findChild(ServersDialog).isVisible()
