"""Publishing to a real server: webhook URL, curl example, test trigger, rotate, unpublish,
the "changed since publish" indicator and Open from Server."""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.open_from_server import OpenFromServerDialog
from app.publish_dialog import CHANGED_TEXT, PublishDialog
from app.servers import ServerProfile, server_link
from app.window import MainWindow
from engine.executor import ExecutionRecord, ExecutionState, NodeState
from engine.workflow import Position, Workflow
from tests.app.conftest import ScriptedPrompts, WindowFactory
from tests.server.conftest import Key, Server, create_workflow, greeting_workflow
from widgets.commands import MoveNodesCommand, SetParamCommand

pytestmark = pytest.mark.usefixtures("qasync_loop")


def _window(make_window: WindowFactory, server: Server, key: Key) -> MainWindow:
    window = make_window()
    window.servers.add(ServerProfile("Studio", server.base_url), key.secret)
    window.controller.load(Workflow.model_validate(greeting_workflow()), None)
    return window


def _do(qtbot: QtBot, dialog: PublishDialog, button_name: str) -> str:
    """Click one of the dialog's buttons; the operation that succeeded, or the error shown."""
    outcome: list[str] = []
    dialog.succeeded.connect(outcome.append)
    dialog.failed.connect(outcome.append)
    try:
        getattr(dialog, button_name).click()
        qtbot.waitUntil(lambda: bool(outcome), timeout=20_000)
    finally:
        dialog.succeeded.disconnect(outcome.append)
        dialog.failed.disconnect(outcome.append)
    return outcome[0]


def _publish(qtbot: QtBot, window: MainWindow) -> PublishDialog:
    dialog = window.server_commands.publish()
    assert _do(qtbot, dialog, "publish_button") == "publish"
    return dialog


def _trigger_status(url: str) -> int:
    return httpx.post(url, json={"who": "x"}, timeout=10).status_code


def test_publish_shows_a_webhook_url_to_copy_and_a_curl_call_that_works(
    make_window: WindowFactory, qtbot: QtBot, server: Server
) -> None:
    key = server.create_key("publisher")
    window = _window(make_window, server, key)
    dialog = _publish(qtbot, window)

    url = dialog.url_edit.text()
    assert url.startswith(f"{server.base_url}/workflow/wh_") and url.endswith("/trigger")
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == url
    assert httpx.get(url, timeout=10).json()["active"] is True

    curl = dialog.curl_view.toPlainText()
    assert f"'{url}'" in curl
    assert """-d '{"who": "world"}'""" in curl  # the input's real name and its default
    if shutil.which("curl"):
        answer = subprocess.run(
            ["sh", "-c", curl.replace("curl ", "curl -s ", 1)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert json.loads(answer.stdout)["executionId"].startswith("ex_")

    link = server_link(window.document.workflow())
    assert link is not None and link.webhook_url == url and link.url == server.base_url
    with server.client(key) as client:
        stored = client.get(f"/api/v1/workflows/{link.workflow_id}").json()
    assert stored["published"] is True and stored["webhookUrl"] == url
    assert "server" not in stored["workflow"].get("metadata", {})  # the link stays local
    assert window.server_commands.indicator.text() == "Published · up to date"
    assert dialog.changes.isHidden()


def test_send_test_trigger_runs_the_webhook_and_shows_the_run_on_the_canvas(
    make_window: WindowFactory, qtbot: QtBot, server: Server
) -> None:
    key = server.create_key("trigger")
    window = _window(make_window, server, key)
    dialog = _publish(qtbot, window)
    with qtbot.waitSignal(window.runs.finished, timeout=30_000) as finished:
        assert _do(qtbot, dialog, "trigger_button") == "trigger"
    record = finished.args[0]
    assert isinstance(record, ExecutionRecord)
    assert record.status == ExecutionState.COMPLETED
    assert record.execution_id == dialog.last_execution_id
    for node_id in ("who", "greet", "out"):
        view = window.canvas.node_state(node_id)
        assert view is not None and view.state == NodeState.COMPLETED, node_id
    with server.client(key) as client:
        full = client.get(f"/api/v1/workflows/executions/{record.execution_id}").json()
    assert full["trigger"] == "webhook"
    assert full["outputs"]["greeting"] == "hello world"


def test_rotate_gives_a_new_url_and_the_old_one_stops_working(
    make_window: WindowFactory, qtbot: QtBot, server: Server
) -> None:
    key = server.create_key("rotate")
    window = _window(make_window, server, key)
    dialog = _publish(qtbot, window)
    old = dialog.url_edit.text()
    assert _do(qtbot, dialog, "rotate_button") == "rotate"
    new = dialog.url_edit.text()
    assert new and new != old
    assert _trigger_status(old) == 410
    assert _trigger_status(new) == 202
    link = server_link(window.document.workflow())
    assert link is not None and link.webhook_url == new


def test_unpublish_turns_the_webhook_off_and_keeps_the_link(
    make_window: WindowFactory, qtbot: QtBot, server: Server
) -> None:
    key = server.create_key("unpublish")
    window = _window(make_window, server, key)
    dialog = _publish(qtbot, window)
    url = dialog.url_edit.text()
    assert _do(qtbot, dialog, "unpublish_button") == "unpublish"
    assert dialog.url_edit.text() == ""
    assert dialog.curl_view.toPlainText() == ""
    assert not dialog.trigger_button.isEnabled() and not dialog.rotate_button.isEnabled()
    assert dialog.publish_button.text() == "&Publish"
    assert _trigger_status(url) == 410
    link = server_link(window.document.workflow())
    assert link is not None and link.webhook_url is None and link.workflow_id
    assert window.server_commands.indicator.text() == f"On {server.base_url}"


def test_changes_since_publishing_are_flagged_until_published_again(
    make_window: WindowFactory, qtbot: QtBot, server: Server
) -> None:
    key = server.create_key("changes")
    window = _window(make_window, server, key)
    dialog = _publish(qtbot, window)
    url = dialog.url_edit.text()
    indicator = window.server_commands.indicator

    moved = {"greet": (Position(), Position(x=400, y=80))}
    window.undo_stack.push(MoveNodesCommand(window.document, moved))
    assert indicator.text() == "Published · up to date"  # a layout change runs the same

    window.undo_stack.push(SetParamCommand(window.document, "greet", "template", "hi {a}"))
    assert indicator.text() == "Published · changed"
    assert dialog.changes.isVisible() and dialog.changes.text() == CHANGED_TEXT
    assert dialog.publish_button.text() == "&Publish Again"

    assert _do(qtbot, dialog, "publish_button") == "publish"
    assert indicator.text() == "Published · up to date"
    assert dialog.changes.isHidden()
    assert dialog.url_edit.text() == url  # updating keeps the URL
    link = server_link(window.document.workflow())
    assert link is not None and link.published_version == 2
    with server.client(key) as client:
        stored = client.get(f"/api/v1/workflows/{link.workflow_id}").json()
    assert stored["version"] == 2
    assert stored["workflow"]["nodes"][1]["data"]["template"] == "hi {a}"


def test_open_from_server_lists_the_workflows_and_opens_one_linked_to_it(
    make_window: WindowFactory, qtbot: QtBot, server: Server, prompts: ScriptedPrompts
) -> None:
    key = server.create_key("opener")
    with server.client(key) as client:
        create_workflow(client, greeting_workflow("First"))
        second = create_workflow(client, greeting_workflow("Second"))
        hook = client.post(f"/api/v1/workflows/{second}/publish").json()["webhookUrl"]
    window = _window(make_window, server, key)
    window.undo_stack.push(SetParamCommand(window.document, "greet", "template", "unsaved"))

    dialog = window.server_commands.open_from_server()
    assert isinstance(dialog, OpenFromServerDialog)
    with qtbot.waitSignal(dialog.listed, timeout=20_000) as listed:
        pass
    assert listed.args == [2]
    items = [dialog.table.topLevelItem(i) for i in range(dialog.table.topLevelItemCount())]
    rows = {item.text(0): item for item in items if item is not None}
    assert set(rows) == {"First", "Second"}
    assert rows["Second"].text(1) == "3" and rows["Second"].text(3) == "Yes"
    assert rows["First"].text(3) == "—"
    dialog.table.clearSelection()
    rows["Second"].setSelected(True)
    with qtbot.waitSignal(dialog.opened, timeout=20_000) as opened:
        dialog.open_button.click()

    assert opened.args == [second]
    assert prompts.asked == ["unsaved:Untitled:opening another workflow"]
    assert window.document.name == "Second"
    assert window.controller.path is None and not window.controller.is_dirty()
    link = server_link(window.document.workflow())
    assert link is not None and link.workflow_id == second and link.webhook_url == hook
    assert window.server_commands.indicator.text() == "Published · up to date"
