"""Running on a real Patchbay server (a subprocess on 127.0.0.1) from the window.

Through the UI: the server is added to the window's store, chosen in the toolbar's
"Run on" combo and run with the Run action; the canvas must end up showing what a
local run of the same workflow shows.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from app.remote_record import artifacts_in
from app.remote_runner import RemoteRunner, remote_cache_dir
from app.servers import ServerProfile, server_link
from app.window import MainWindow
from engine.catalog import Catalog, Category, NodeSpec, PortSpec, PortType
from engine.catalog.registry import default_catalog
from engine.client import ClientRetry
from engine.executor import ExecutionRecord, ExecutionState, NodeState
from engine.nodes.base import NodeContext, Outputs
from engine.validation import ViolationCode
from engine.workflow import Workflow
from tests.app.conftest import ScriptedPrompts
from tests.app.support import write_json
from tests.conftest import EXAMPLES_DIR
from tests.server import nodes_plugin
from tests.server.conftest import (
    Key,
    Server,
    StartServer,
    free_port,
    paint_workflow,
    slow_workflow,
)
from widgets.canvas import NodeRunView
from widgets.canvas.run_overlay import overlay_of
from widgets.commands import SetParamCommand

pytestmark = pytest.mark.usefixtures("qasync_loop")

SERVER_NAME = "test-server"
RUN_TIMEOUT_MS = 30_000


# -- a window wired to a server -------------------------------------------------------


def _local_only(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    return {"text": str(inputs.get("text", ""))}


#: A node type this app has and the server does not (a plugin installed locally only).
LOCAL_ONLY = NodeSpec(
    type="test.local_only",
    category=Category.TEXT,
    display_name="Local only (test)",
    inputs=(PortSpec(name="text", type=PortType.TEXT, required=False),),
    outputs=(PortSpec(name="text", type=PortType.TEXT),),
)


def _catalog() -> Catalog:
    """The shipped nodes plus the server's test plugin (test.paint) and a local-only node."""
    shipped = default_catalog()
    catalog = Catalog(shipped.entry(spec.type) for spec in shipped)
    nodes_plugin.register(catalog)
    catalog.register(LOCAL_ONLY, _local_only)
    return catalog


@pytest.fixture
def window(qtbot: QtBot, settings: QSettings, prompts: ScriptedPrompts) -> MainWindow:
    shown = MainWindow(
        _catalog(),
        settings=settings,
        prompts=prompts,
        autosave_interval_ms=60_000,
        autosave_debounce_ms=20,
        validation_delay_ms=10,
    )
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def _add_server(window: MainWindow, url: str, secret: str) -> None:
    window.servers.add(ServerProfile(SERVER_NAME, url), secret)


def _choose(window: MainWindow, url: str | None) -> None:
    """Pick an entry of the toolbar's "Run on" combo as a user does."""
    combo = window.runs.targets.combo
    index = combo.findData(url or "")
    assert index >= 0, f"{url} is not offered in 'Run on'"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def _run(qtbot: QtBot, window: MainWindow) -> ExecutionRecord:
    with qtbot.waitSignal(window.runs.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.action("run").trigger()
    record = blocker.args[0] if blocker.args else None
    assert isinstance(record, ExecutionRecord)
    return record


def _fail(qtbot: QtBot, window: MainWindow) -> Exception:
    """Trigger Run and wait for the remote run to be refused."""
    failures: list[Exception] = []

    def hook(handle: object) -> None:
        handle.failed.connect(failures.append)  # type: ignore[attr-defined]

    window.runs.started.connect(hook)
    window.action("run").trigger()
    qtbot.waitUntil(lambda: bool(failures), timeout=RUN_TIMEOUT_MS)
    window.runs.started.disconnect(hook)
    assert not window.runs.running
    return failures[0]


def _view(window: MainWindow, node_id: str) -> NodeRunView | None:
    card = window.canvas.mapper.card(node_id)
    overlay = overlay_of(card) if card is not None else None
    return overlay.view if overlay is not None else None


def _badges(window: MainWindow) -> dict[str, tuple[NodeState, str, bool, bool]]:
    """What each node's card shows: state, credits badge, a time badge, thumbnails."""
    found = {}
    for node in window.document.nodes():
        view = _view(window, node.id)
        assert view is not None, f"{node.id} shows no run result"
        found[node.id] = (
            view.state,
            view.credits_text(),
            bool(view.time_text()),
            bool(view.thumbnails) and not view.thumbnails[0].isNull(),
        )
    return found


def _example(tmp_path: Path) -> Path:
    target = tmp_path / "product-to-video.patchbay.json"
    shutil.copy(EXAMPLES_DIR / "product-to-video.patchbay.json", target)
    return target


# -- the same badges as a local run ---------------------------------------------------


@pytest.mark.parametrize("example", ["product-to-video (preview)", "priced paint"])
def test_a_remote_run_shows_the_same_badges_and_thumbnails_as_a_local_run(
    window: MainWindow, qtbot: QtBot, server: Server, tmp_path: Path, example: str
) -> None:
    if example.startswith("product"):
        path, preview = _example(tmp_path), True
    else:
        path, preview = write_json(tmp_path / "poster.patchbay.json", paint_workflow()), False
    assert window.controller.open_path(path)
    window.runs.preview_action.setChecked(preview)
    key = server.create_key("remote-badges", credits=100)
    _add_server(window, server.base_url, key.secret)

    local = _run(qtbot, window)
    assert local.status == ExecutionState.COMPLETED
    qtbot.waitUntil(lambda: not window.runs.previews.busy, timeout=RUN_TIMEOUT_MS)
    local_badges = _badges(window)

    _choose(window, server.base_url)
    assert window.runs.targets.combo.currentText() == SERVER_NAME
    assert isinstance(window.runs.runner, RemoteRunner)
    with qtbot.waitSignal(window.runs.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.action("run").trigger()
        assert window.statusBar().currentMessage() == f"Running on {SERVER_NAME}…"
    remote = blocker.args[0]
    assert isinstance(remote, ExecutionRecord)
    assert remote.status == ExecutionState.COMPLETED
    assert remote.execution_id.startswith("ex_")  # the server's id: it really ran there
    # Video frames and waveforms follow their downloads, as they follow ffmpeg locally.
    with contextlib.suppress(qtbot.TimeoutError):
        qtbot.waitUntil(lambda: _badges(window) == local_badges, timeout=RUN_TIMEOUT_MS)
    assert _badges(window) == local_badges
    assert any(thumb for *_, thumb in local_badges.values())
    if not preview:
        assert local_badges["paint"][1] == "2 cr"
        assert remote.credits == local.credits == 2.0

    # The pictures came from the server into the runner's cache, not the local store.
    cache = remote_cache_dir(tmp_path / "data", server.base_url)
    assert window.runs.results.artifacts is not None
    assert window.runs.results.artifacts.root == cache
    assert any(cache.rglob("*.json"))


def test_a_run_followed_by_polling_shows_the_same_badges(
    window: MainWindow, qtbot: QtBot, server: Server, tmp_path: Path
) -> None:
    assert window.controller.open_path(write_json(tmp_path / "p.patchbay.json", paint_workflow()))
    _add_server(window, server.base_url, server.create_key("polling", credits=10).secret)
    local = _run(qtbot, window)
    local_badges = _badges(window)
    window.runs.targets.retry = ClientRetry(poll_initial_s=0.05, poll_max_s=0.2)
    _choose(window, server.base_url)
    runner = window.runs.runner
    assert isinstance(runner, RemoteRunner)
    runner.use_sse = False  # as with a proxy that does not pass server-sent events
    remote = _run(qtbot, window)
    assert remote.status == local.status == ExecutionState.COMPLETED
    assert _badges(window) == local_badges


def test_a_run_started_elsewhere_is_followed_on_the_canvas(
    window: MainWindow, qtbot: QtBot, server: Server, tmp_path: Path
) -> None:
    assert window.controller.open_path(write_json(tmp_path / "p.patchbay.json", paint_workflow()))
    key = server.create_key("attach", credits=10)
    _add_server(window, server.base_url, key.secret)
    _choose(window, server.base_url)
    with server.client(key) as http:
        workflow_id = http.post("/api/v1/workflows", json=paint_workflow()).json()["id"]
        started = http.post(f"/api/v1/workflows/{workflow_id}/execute", json={}).json()
    runner = window.runs.runner
    assert isinstance(runner, RemoteRunner)
    with qtbot.waitSignal(window.runs.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.runs.watch(runner.attach(started["executionId"]))
    assert blocker.args[0].execution_id == started["executionId"]
    assert _badges(window)["paint"] == (NodeState.COMPLETED, "2 cr", True, True)


def test_cancel_stops_the_run_on_the_server(
    window: MainWindow, qtbot: QtBot, server: Server, tmp_path: Path
) -> None:
    path = write_json(tmp_path / "slow.patchbay.json", slow_workflow(seconds=60))
    assert window.controller.open_path(path)
    key = server.create_key("cancel", credits=10)
    _add_server(window, server.base_url, key.secret)
    _choose(window, server.base_url)
    window.action("run").trigger()
    qtbot.waitUntil(
        lambda: (view := _view(window, "wait")) is not None and view.state == NodeState.RUNNING,
        timeout=RUN_TIMEOUT_MS,
    )
    with qtbot.waitSignal(window.runs.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.action("cancel_run").trigger()
    record = blocker.args[0]
    assert record.status == ExecutionState.CANCELLED
    assert _view(window, "wait").state == NodeState.CANCELLED  # type: ignore[union-attr]
    with server.client(key) as http:
        answer = http.get(f"/api/v1/executions/{record.execution_id}/poll").json()
    assert answer["status"] == "CANCELLED"


def test_the_document_is_linked_and_each_click_is_a_new_run(
    window: MainWindow, qtbot: QtBot, server: Server, tmp_path: Path
) -> None:
    assert window.controller.open_path(write_json(tmp_path / "p.patchbay.json", paint_workflow()))
    key = server.create_key("remote-link", credits=100)
    _add_server(window, server.base_url, key.secret)
    _choose(window, server.base_url)

    first = _run(qtbot, window)
    link = server_link(window.document.workflow())
    assert link is not None and link.url == server.base_url
    # An edit that is not saved still runs: the current graph goes with the request.
    window.undo_stack.push(SetParamCommand(window.document, "paint", "color", "#00aa55"))
    assert window.controller.is_dirty()
    second = _run(qtbot, window)
    assert second.execution_id != first.execution_id  # a fresh Idempotency-Key per click
    assert server_link(window.document.workflow()) == link  # the same server workflow
    with server.client(key) as http:
        listed = http.get("/api/v1/workflows").json()
        assert [w["id"] for w in listed["items"]] == [link.workflow_id]
        record = http.get(f"/api/v1/workflows/executions/{second.execution_id}").json()
    assert record["workflowId"] == link.workflow_id
    first_image = first.node("paint").outputs
    assert first_image is not None and second.node("paint").outputs != first_image

    # Both runs are in the document's history; choosing the first shows it again.
    def runs() -> list[str]:
        return [r.execution_id for r in window.run_docks.history_list.runs()]

    qtbot.waitUntil(lambda: len(runs()) == 2, timeout=5000)
    assert runs() == [second.execution_id, first.execution_id]
    assert window.run_docks.choose_run(first.execution_id) is not None
    assert _badges(window)["paint"] == (NodeState.COMPLETED, "2 cr", True, True)


def test_large_media_are_downloaded_only_when_saved_or_played(
    window: MainWindow,
    qtbot: QtBot,
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert window.controller.open_path(_example(tmp_path))
    window.runs.preview_action.setChecked(True)
    _add_server(window, server.base_url, server.create_key("remote-lazy").secret)
    _choose(window, server.base_url)
    runner = window.runs.runner
    assert isinstance(runner, RemoteRunner)
    runner.media_prefetch_bytes = 1000  # the clip and the voice-over are "large" here
    record = _run(qtbot, window)
    (clip,) = artifacts_in(record.node("mux").outputs)
    (voice,) = artifacts_in(record.node("voice").outputs)
    store = window.runs.results.artifacts
    assert store is not None
    assert not store.exists(clip) and not store.exists(voice)  # not fetched for the canvas
    assert _view(window, "voice").thumbnails == ()  # type: ignore[union-attr]

    target = tmp_path / "clip.mp4"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.run_docks.inspector.save_requested.emit(clip.id, "clip.mp4")  # Save As…
    qtbot.waitUntil(target.exists, timeout=RUN_TIMEOUT_MS)
    assert target.read_bytes() == store.read_bytes(clip)
    assert not store.exists(voice)

    window.canvas.select_nodes(["voice"])  # the inspector's player asks for the sound
    qtbot.waitUntil(lambda: store.exists(voice), timeout=RUN_TIMEOUT_MS)


# -- the server's answers -------------------------------------------------------------


def test_402_shows_the_per_node_breakdown_and_the_balance(
    window: MainWindow, qtbot: QtBot, server: Server, tmp_path: Path
) -> None:
    window.controller.open_path(write_json(tmp_path / "p.patchbay.json", paint_workflow(3)))
    _add_server(window, server.base_url, server.create_key("broke", credits=1).secret)
    _choose(window, server.base_url)
    _fail(qtbot, window)
    dialog = window.runs.targets.credits_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == f"Not enough credits on {SERVER_NAME}"
    rows = dialog.rows()
    assert ("Painter", "test.paint", "6") in rows
    assert rows[-1] == ("Total", "", "6")
    assert (dialog.required, dialog.available) == (6.0, 1.0)
    assert window.runs.last_record is None  # nothing ran, and no node says otherwise
    assert all(_view(window, node.id) is None for node in window.document.nodes())
    dialog.close()


def test_429_says_how_long_it_waits(
    qtbot: QtBot,
    start_server: StartServer,
    settings: QSettings,
    prompts: ScriptedPrompts,
    tmp_path: Path,
) -> None:
    limited = start_server(
        "[tiers.pro]\nexecutions_per_day = -1\nrequests_per_minute = 1\n", name="limited"
    )
    key = limited.create_key("limited")
    window = MainWindow(_catalog(), settings=settings, prompts=prompts, validation_delay_ms=10)
    qtbot.addWidget(window)
    window.show()
    window.controller.open_path(write_json(tmp_path / "p.patchbay.json", paint_workflow()))
    _add_server(window, limited.base_url, key.secret)
    _choose(window, limited.base_url)
    _use_up_the_minute(limited, key)

    window.action("run").trigger()
    expected = f"Rate limited by {SERVER_NAME}: waiting "
    qtbot.waitUntil(lambda: expected in window.notice_bar.text(), timeout=RUN_TIMEOUT_MS)
    assert window.statusBar().currentMessage().startswith(expected)
    assert window.statusBar().currentMessage().endswith(" s")
    with qtbot.waitSignal(window.runs.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.action("cancel_run").trigger()
    assert blocker.args[0].status == ExecutionState.CANCELLED
    assert expected not in window.notice_bar.text()  # the wait is over


def _use_up_the_minute(server: Server, key: Key) -> None:
    with server.client(key) as http:
        while http.get("/api/v1/account").status_code != 429:
            pass


def test_401_says_the_key_was_rejected_and_offers_the_servers_dialog(
    window: MainWindow, qtbot: QtBot, server: Server, tmp_path: Path
) -> None:
    window.controller.open_path(write_json(tmp_path / "p.patchbay.json", paint_workflow()))
    _add_server(window, server.base_url, "pb_" + "x" * 43)
    _choose(window, server.base_url)
    _fail(qtbot, window)
    assert f"API key rejected by {SERVER_NAME}" in window.notice_bar.text()
    assert window.notice_bar.severity() == "error"
    (action,) = window.notice_bar.notice_actions()
    action.trigger()
    assert any(d.isVisible() for d in window.findChildren(QDialog))
    assert "pb_xxxx" not in window.notice_bar.text()


def test_422_shows_the_servers_violations_on_the_canvas_and_in_problems(
    window: MainWindow, qtbot: QtBot, server: Server, tmp_path: Path
) -> None:
    document = {
        "schemaVersion": 1,
        "name": "Local plugin",
        "nodes": [
            {"id": "who", "type": "input.text", "data": {"name": "who", "default": "x"}},
            {"id": "local", "type": "test.local_only", "data": {}},
            {"id": "out", "type": "output.text", "data": {"name": "result"}},
        ],
        "edges": [
            {"id": "e1", "source": "who", "sourceHandle": "text", "target": "local",
             "targetHandle": "text"},
            {"id": "e2", "source": "local", "sourceHandle": "text", "target": "out",
             "targetHandle": "text"},
        ],
    }  # fmt: skip
    window.controller.open_path(write_json(tmp_path / "l.patchbay.json", document))
    qtbot.waitUntil(lambda: window.validator.violations() == [], timeout=5000)
    _add_server(window, server.base_url, server.create_key("plugins").secret)
    _choose(window, server.base_url)
    _fail(qtbot, window)
    codes = {(v.code, v.node_id) for v in window.problems.violations()}
    assert (ViolationCode.UNKNOWN_NODE_TYPE, "local") in codes
    card = window.canvas.mapper.card("local")
    assert card is not None and card.flagged
    assert f"{SERVER_NAME} refused the workflow" in window.notice_bar.text()


def test_publishing_a_workflow_the_server_refuses_shows_its_violations_on_the_canvas(
    window: MainWindow, qtbot: QtBot, server: Server
) -> None:
    document = {
        "schemaVersion": 1,
        "name": "Local plugin",
        "nodes": [
            {"id": "who", "type": "input.text", "data": {"name": "who", "default": "x"}},
            {"id": "local", "type": "test.local_only", "data": {}},
        ],
        "edges": [
            {"id": "e1", "source": "who", "sourceHandle": "text", "target": "local",
             "targetHandle": "text"},
        ],
    }  # fmt: skip
    window.controller.load(Workflow.model_validate(document), None)
    qtbot.waitUntil(lambda: window.validator.violations() == [], timeout=5000)
    _add_server(window, server.base_url, server.create_key("publish-422").secret)
    dialog = window.server_commands.publish()
    failures: list[str] = []
    dialog.failed.connect(failures.append)
    dialog.publish_button.click()
    qtbot.waitUntil(lambda: bool(failures), timeout=20_000)
    codes = {(v.code, v.node_id) for v in window.problems.violations()}
    assert (ViolationCode.UNKNOWN_NODE_TYPE, "local") in codes
    card = window.canvas.mapper.card("local")
    assert card is not None and card.flagged
    dialog.close()


def test_an_unreachable_server_keeps_the_choice_and_local_runs_still_work(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window.controller.open_path(_example(tmp_path))
    window.runs.preview_action.setChecked(True)
    url = f"http://127.0.0.1:{free_port()}"
    _add_server(window, url, "pb_" + "y" * 43)
    window.runs.targets.retry = ClientRetry(attempts=2, initial_backoff_s=0.01)
    _choose(window, url)
    _fail(qtbot, window)
    assert f"{SERVER_NAME} is unreachable — runs on this computer still work" in (
        window.notice_bar.text()
    )
    assert window.runs.targets.combo.currentText() == SERVER_NAME  # the choice is kept
    assert window.action("run").isEnabled()

    _choose(window, None)
    assert window.runs.targets.combo.currentText() == "This computer"
    assert _run(qtbot, window).status == ExecutionState.COMPLETED


def test_choosing_a_server_without_a_key_opens_the_servers_dialog(
    window: MainWindow, server: Server
) -> None:
    window.servers.add(ServerProfile(SERVER_NAME, server.base_url), "pb_" + "z" * 43)
    import app.servers

    app.servers._session_keys.clear()  # the key is gone (e.g. removed from the keyring)
    _choose(window, server.base_url)
    assert window.runs.targets.combo.currentText() == "This computer"
    assert window.runs.targets.profile is None
    assert any(d.isVisible() for d in window.findChildren(QDialog))


def test_the_combo_follows_the_servers_added_and_removed(window: MainWindow) -> None:
    combo = window.runs.targets.combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "This computer",
        "",
        "Manage servers…",
    ]
    window.servers.add(ServerProfile("studio", "http://127.0.0.1:9"), "pb_" + "k" * 43)
    assert combo.findText("studio") == 1
    _choose(window, "http://127.0.0.1:9")
    assert isinstance(window.runs.runner, RemoteRunner)
    window.servers.remove("http://127.0.0.1:9")
    assert combo.findText("studio") == -1
    assert combo.currentText() == "This computer"
    assert not isinstance(window.runs.runner, RemoteRunner)
