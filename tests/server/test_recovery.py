"""Durability: kill -9 mid-run, restart, and nothing is lost or left RUNNING."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.server.conftest import (
    SHARED_CONFIG,
    Server,
    _make_server,
    create_workflow,
    greeting_workflow,
    slow_workflow,
    wait_for_end,
    wait_until,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own: the tests kill and restart it."""
    instance = _make_server(tmp_path_factory.mktemp("recovery"), SHARED_CONFIG)
    yield instance
    instance.stop()


def test_a_run_killed_mid_way_is_failed_interrupted_after_restart(server: Server) -> None:
    key = server.create_key("crash", credits=10)
    with server.client(key) as client:
        workflow_id = create_workflow(client, slow_workflow(seconds=60))
        url = f"/api/v1/workflows/{workflow_id}/execute"
        body = {"callbackUrl": "http://127.0.0.1:9/never"}
        started = client.post(url, json=body, headers={"Idempotency-Key": "before-crash"})
        assert started.status_code == 201
        execution_id = started.json()["executionId"]

        def slow_node_running() -> bool:
            poll = client.get(f"/api/v1/executions/{execution_id}/poll").json()
            states = {n["nodeId"]: n["status"] for n in poll["nodes"]}
            return states["paint"] == "COMPLETED" and states["wait"] == "RUNNING"

        wait_until(slow_node_running)
        # Let the periodic flush store the RUNNING snapshot.
        wait_until(lambda: _stored_status(server.data_dir, execution_id) == "RUNNING")

    server.kill()
    server.start()

    with server.client(key) as client:
        poll = client.get(f"/api/v1/executions/{execution_id}/poll").json()
        assert poll["status"] == "FAILED"
        assert "interrupted" in poll["error"]
        record = client.get(f"/api/v1/workflows/executions/{execution_id}").json()
        assert record["status"] == "FAILED"
        assert record["finishedAt"] is not None
        nodes = {n["nodeId"]: n for n in record["nodes"]}
        assert nodes["paint"]["status"] == "COMPLETED"
        assert nodes["paint"]["credits"] == 2.0
        for node_id in ("wait", "out"):
            assert nodes[node_id]["status"] == "FAILED"
            assert nodes[node_id]["error"]["kind"] == "interrupted"

        # The ledger kept the charge of the node that ran; the reservation is released.
        account = client.get("/api/v1/account").json()
        assert account["credits"] == {"balance": 8.0, "reserved": 0.0, "available": 8.0}
        assert account["usage"] == {
            "day": account["usage"]["day"],
            "executions": 1,
            "executionsRemaining": account["usage"]["executionsRemaining"],
            "creditsCharged": 2.0,
            "running": 0,
        }
        entries = client.get("/api/v1/account/ledger").json()["entries"]
        assert [(e["kind"], e["amount"]) for e in entries] == [("charge", -2.0), ("grant", 10.0)]

        # The idempotency record survived: the same request replays the same run.
        replay = client.post(url, json=body, headers={"Idempotency-Key": "before-crash"})
        assert replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json()["executionId"] == execution_id

        # The server works normally after the restart.
        fresh = create_workflow(client, greeting_workflow())
        run = client.post(f"/api/v1/workflows/{fresh}/execute").json()["executionId"]
        assert wait_for_end(client, run)["status"] == "COMPLETED"
        # The interrupted run's callback is still attempted (to a closed port here).
        wait_until(
            lambda: (
                client.get(f"/api/v1/workflows/executions/{execution_id}").json()["callback"][
                    "attempts"
                ]
                >= 1
            )
        )


def test_graceful_stop_records_running_runs_as_interrupted(server: Server) -> None:
    key = server.create_key("graceful", credits=10)
    with server.client(key) as client:
        workflow_id = create_workflow(client, slow_workflow(seconds=60))
        execution_id = client.post(f"/api/v1/workflows/{workflow_id}/execute").json()["executionId"]
    server.stop()
    assert server.process is not None and server.process.returncode is not None
    server.start()
    with httpx.Client(base_url=server.base_url, headers=key.headers) as client:
        poll = client.get(f"/api/v1/executions/{execution_id}/poll").json()
    assert poll["status"] == "FAILED"
    assert "interrupted" in poll["error"]


def _stored_status(data_dir: object, execution_id: str) -> str | None:
    import sqlite3
    from pathlib import Path

    database = Path(str(data_dir)) / "server.sqlite3"
    with sqlite3.connect(database, timeout=5) as db:
        row = db.execute("SELECT status FROM executions WHERE id = ?", (execution_id,)).fetchone()
    return str(row[0]) if row else None
