"""Progress while running, server-sent events, and cancellation."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.server.conftest import Server, create_workflow, slow_workflow, wait_until


def read_sse(response: httpx.Response) -> list[tuple[str | None, str, dict[str, Any]]]:
    """``(id, event, data)`` of every event until the server closes the stream."""
    events = []
    event_id: str | None = None
    kind = "message"
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            events.append((event_id, kind, json.loads(line[6:])))
        elif line == "":
            event_id, kind = None, "message"
    return events


def test_poll_shows_per_node_progress_and_sse_pushes_every_event(server: Server) -> None:
    key = server.create_key("events", credits=10)
    with server.client(key) as client:
        workflow_id = create_workflow(client, slow_workflow(seconds=1.0))
        execution_id = client.post(f"/api/v1/workflows/{workflow_id}/execute").json()["executionId"]
        with client.stream("GET", f"/api/v1/executions/{execution_id}/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert "X-RateLimit-Remaining" in stream.headers

            poll = client.get(f"/api/v1/executions/{execution_id}/poll").json()
            assert poll["status"] == "RUNNING"
            assert "outputs" not in poll or poll["outputs"] is None
            assert {n["nodeId"] for n in poll["nodes"]} == {"paint", "wait", "out"}

            def wait_reports_progress() -> bool:
                nodes = client.get(f"/api/v1/executions/{execution_id}/poll").json()["nodes"]
                wait = next(n for n in nodes if n["nodeId"] == "wait")
                return wait["status"] == "RUNNING" and 0 < (wait["progress"] or 0) < 1

            wait_until(wait_reports_progress)
            events = read_sse(stream)

    states = [(data.get("nodeId"), data["state"]) for _, _, data in events]
    assert states[0] == (None, "QUEUED")
    assert (None, "RUNNING") in states
    assert states[-1] == (None, "COMPLETED")
    assert ("wait", "COMPLETED") in states and ("paint", "COMPLETED") in states
    assert states.index(("wait", "COMPLETED")) < states.index(("out", "COMPLETED"))
    kinds = {kind for _, kind, data in events if "nodeId" in data}
    assert kinds == {"node"}
    progress = [
        d["progress"] for _, _, d in events if d.get("nodeId") == "wait" and "progress" in d
    ]
    assert any(0 < p < 1 for p in progress)
    ids = [int(i) for i, _, _ in events if i is not None]
    assert ids == sorted(ids) and len(ids) == len(events)
    assert all(d["executionId"] == execution_id for _, _, d in events)
    paint = next(
        d for _, _, d in events if d.get("nodeId") == "paint" and d["state"] == "COMPLETED"
    )
    assert paint["credits"] == 2.0 and "$artifact" in paint["outputs"]["image"]

    # After the end: a summary of the record, ending with the final state.
    url = f"/api/v1/executions/{execution_id}/events"
    with server.client(key) as client, client.stream("GET", url) as stream:
        summary = read_sse(stream)
    assert summary[-1][2]["state"] == "COMPLETED"
    assert {d["nodeId"]: d["state"] for _, _, d in summary[:-1]} == {
        "paint": "COMPLETED",
        "wait": "COMPLETED",
        "out": "COMPLETED",
    }


def test_reconnecting_with_last_event_id_resumes(server: Server) -> None:
    key = server.create_key("resume", credits=10)
    with server.client(key) as client:
        workflow_id = create_workflow(client, slow_workflow(seconds=0.5))
        execution_id = client.post(f"/api/v1/workflows/{workflow_id}/execute").json()["executionId"]
        url = f"/api/v1/executions/{execution_id}/events"
        with client.stream("GET", url) as stream:
            lines = stream.iter_lines()
            first_id = next(line for line in lines if line.startswith("id: "))[4:]
        with client.stream("GET", url, headers={"Last-Event-ID": first_id}) as stream:
            rest = read_sse(stream)
    assert rest and all(int(i) > int(first_id) for i, _, _ in rest if i is not None)
    assert rest[-1][2]["state"] == "COMPLETED"


def test_cancel_stops_the_run_and_is_idempotent(server: Server) -> None:
    key = server.create_key("canceller", credits=10)
    with server.client(key) as client:
        workflow_id = create_workflow(client, slow_workflow(seconds=30))
        execution_id = client.post(f"/api/v1/workflows/{workflow_id}/execute").json()["executionId"]
        with client.stream("GET", f"/api/v1/executions/{execution_id}/events") as stream:
            first = client.post(f"/api/v1/executions/{execution_id}/cancel")
            events = read_sse(stream)
        again = client.post(f"/api/v1/executions/{execution_id}/cancel")
        assert first.status_code == again.status_code == 200
        assert first.json()["status"] == again.json()["status"] == "CANCELLED"
        assert events[-1][2]["state"] == "CANCELLED"
        record = client.get(f"/api/v1/workflows/executions/{execution_id}").json()
        assert record["status"] == "CANCELLED"
        statuses = {n["nodeId"]: n["status"] for n in record["nodes"]}
        assert statuses["wait"] == "CANCELLED"
        assert statuses["out"] == "CANCELLED"
        poll = client.get(f"/api/v1/executions/{execution_id}/poll").json()
        assert poll["status"] == "CANCELLED" and poll["error"]


def test_an_output_named_by_an_event_downloads_at_once(server: Server) -> None:
    """A client that fetches an image as soon as its node's event arrives gets it
    (ownership is recorded before the event goes out), and another account does not."""
    key = server.create_key("eager", credits=10)
    stranger = server.create_key("stranger")
    with server.client(key) as client, server.client(stranger) as other:
        workflow_id = create_workflow(client, slow_workflow(seconds=0.3))
        execution_id = client.post(f"/api/v1/workflows/{workflow_id}/execute").json()["executionId"]
        url = f"/api/v1/executions/{execution_id}/events"
        answers: list[int] = []
        with client.stream("GET", url) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data: "):
                    continue
                data = json.loads(line[6:])
                if data.get("nodeId") == "paint" and data["state"] == "COMPLETED":
                    artifact_id = data["outputs"]["image"]["$artifact"]["id"]
                    answers.append(client.get(f"/api/v1/artifacts/{artifact_id}").status_code)
                    answers.append(other.get(f"/api/v1/artifacts/{artifact_id}").status_code)
                    break
    assert answers == [200, 404]
