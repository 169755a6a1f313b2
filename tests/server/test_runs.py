"""Runs beyond the happy path: failures, unsaved edits, partial runs, the sandbox."""

from __future__ import annotations

from typing import Any

from tests.server.conftest import (
    Server,
    StartServer,
    create_workflow,
    greeting_workflow,
    paint_workflow,
    slow_workflow,
    wait_for_end,
)


def load_workflow(path: str) -> dict[str, Any]:
    """image.load -> image.resize -> output.image, next to an independent text branch."""
    document = greeting_workflow("Loader")
    document["nodes"] += [
        {"id": "load", "type": "image.load", "data": {"path": path}},
        {"id": "small", "type": "image.resize", "data": {"width": 8}},
        {"id": "shown", "type": "output.image", "data": {"name": "image"}},
    ]
    document["edges"] += [
        {"id": "e3", "source": "load", "sourceHandle": "image", "target": "small",
         "targetHandle": "image"},
        {"id": "e4", "source": "small", "sourceHandle": "image", "target": "shown",
         "targetHandle": "image"},
    ]  # fmt: skip
    return document


def test_server_runs_cannot_read_the_servers_files(server: Server) -> None:
    key = server.create_key("sandbox")
    with server.client(key) as client:
        workflow_id = create_workflow(client, load_workflow("/etc/hostname"))
        execution_id = client.post(f"/api/v1/workflows/{workflow_id}/execute").json()["executionId"]
        final = wait_for_end(client, execution_id)
        assert final["status"] == "FAILED"
        assert "load" in final["error"]
        nodes = {n["nodeId"]: n for n in final["nodes"]}
        assert nodes["load"]["status"] == "FAILED"
        assert nodes["load"]["error"]["kind"] == "permanent"
        assert "may only read files inside" in nodes["load"]["error"]["message"]
        assert nodes["small"]["status"] == nodes["shown"]["status"] == "SKIPPED"
        # The independent branch still finished.
        assert nodes["out"]["status"] == "COMPLETED"
        record = client.get(f"/api/v1/workflows/executions/{execution_id}").json()
        assert record["outputs"] == {"greeting": "hello world"}
        failed = next(n for n in record["nodes"] if n["nodeId"] == "load")
        assert failed["error"]["kind"] == "permanent" and failed["finishedAt"] is not None

        relative = create_workflow(client, load_workflow("../../server.sqlite3"))
        run = client.post(f"/api/v1/workflows/{relative}/execute").json()["executionId"]
        assert wait_for_end(client, run)["status"] == "FAILED"


def test_an_unsaved_edit_runs_without_changing_the_stored_workflow(server: Server) -> None:
    key = server.create_key("edits")
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
        edited = greeting_workflow()
        edited["nodes"][1]["data"]["template"] = "goodbye {a}"
        response = client.post(
            f"/api/v1/workflows/{workflow_id}/execute",
            json={"nodes": edited["nodes"], "edges": edited["edges"], "inputs": {"who": "Ada"}},
        )
        assert response.status_code == 201
        final = wait_for_end(client, response.json()["executionId"])
        assert final["outputs"] == {"greeting": "goodbye Ada"}
        stored = client.get(f"/api/v1/workflows/{workflow_id}").json()["workflow"]
        assert stored["nodes"][1]["data"]["template"] == "hello {a}"


def test_partial_runs_cover_the_target_and_what_it_needs(server: Server) -> None:
    key = server.create_key("partial", credits=10)
    with server.client(key) as client:
        workflow_id = create_workflow(client, paint_workflow())
        url = f"/api/v1/workflows/{workflow_id}/execute"
        only = client.post(url, json={"targetNodeId": "paint", "scope": "only_node"})
        assert only.status_code == 201
        final = wait_for_end(client, only.json()["executionId"])
        assert {n["nodeId"] for n in final["nodes"]} == {"brief", "paint"}
        from_here = client.post(url, json={"targetNodeId": "small"})
        final = wait_for_end(client, from_here.json()["executionId"])
        statuses = {n["nodeId"]: n["status"] for n in final["nodes"]}
        assert statuses["small"] == statuses["out"] == "COMPLETED"
        assert set(final["outputs"]) == {"poster"}
        unknown = client.post(url, json={"targetNodeId": "nope"})
        assert unknown.status_code == 422
        assert unknown.json()["error"]["code"] == "invalid_run"
        wrong_scope = client.post(url, json={"scope": "only_node"})
        assert wrong_scope.status_code == 422


def test_workflow_crud_and_paging(server: Server) -> None:
    key = server.create_key("crud")
    with server.client(key) as client:
        ids = [create_workflow(client, greeting_workflow(f"W{i}")) for i in range(5)]
        page = client.get("/api/v1/workflows", params={"limit": 2}).json()
        assert [w["id"] for w in page["items"]] == ids[:2]
        assert (page["total"], page["limit"], page["nextOffset"]) == (5, 2, 2)
        last = client.get("/api/v1/workflows", params={"limit": 2, "offset": 4}).json()
        assert [w["id"] for w in last["items"]] == ids[4:] and last["nextOffset"] is None
        assert client.get("/api/v1/workflows", params={"limit": 0}).status_code == 422

        replaced = client.put(f"/api/v1/workflows/{ids[0]}", json=greeting_workflow("Renamed"))
        assert replaced.status_code == 200
        assert (replaced.json()["name"], replaced.json()["version"]) == ("Renamed", 2)

        run = client.post(f"/api/v1/workflows/{ids[1]}/execute").json()["executionId"]
        wait_for_end(client, run)
        assert client.delete(f"/api/v1/workflows/{ids[1]}").json() == {
            "id": ids[1],
            "deleted": True,
        }
        assert client.get(f"/api/v1/workflows/{ids[1]}").status_code == 404
        assert client.delete(f"/api/v1/workflows/{ids[1]}").status_code == 404
        # Past executions stay readable.
        assert client.get(f"/api/v1/executions/{run}/poll").json()["status"] == "COMPLETED"
        assert client.get("/api/v1/workflows").json()["total"] == 4

        catalog = client.get("/api/v1/nodes").json()
        types = {node["type"] for node in catalog["nodes"]}
        assert {"input.text", "image.resize", "test.paint"} <= types
        assert catalog["count"] == len(catalog["nodes"])

        schema = client.get("/openapi.json").json()
        assert "/api/v1/workflows/{workflow_id}/execute" in schema["paths"]
        assert "Workflow" in schema["components"]["schemas"]


QUEUE_CONFIG = """
[limits]
max_concurrent_runs = 1
max_queued_runs = 1
"""


def test_runs_queue_behind_the_concurrency_limit(start_server: StartServer) -> None:
    server = start_server(QUEUE_CONFIG)
    key = server.create_key("queue", credits=10)
    with server.client(key) as client:
        slow = create_workflow(client, slow_workflow(seconds=30))
        quick = create_workflow(client, greeting_workflow())
        running = client.post(f"/api/v1/workflows/{slow}/execute").json()
        waiting = client.post(f"/api/v1/workflows/{quick}/execute").json()
        assert (running["status"], waiting["status"]) == ("RUNNING", "QUEUED")
        poll = client.get(f"/api/v1/executions/{waiting['executionId']}/poll").json()
        assert poll["status"] == "QUEUED"
        assert {n["status"] for n in poll["nodes"]} == {"PENDING"}

        busy = client.post(f"/api/v1/workflows/{quick}/execute")
        assert busy.status_code == 503
        assert busy.json()["error"]["code"] == "server_busy"
        assert busy.headers["Retry-After"] == "5"

        # Cancelling the running one lets the queued one run.
        client.post(f"/api/v1/executions/{running['executionId']}/cancel")
        assert wait_for_end(client, waiting["executionId"])["status"] == "COMPLETED"

        # A queued run can be cancelled before it starts.
        blocker = client.post(f"/api/v1/workflows/{slow}/execute").json()["executionId"]
        queued = client.post(f"/api/v1/workflows/{quick}/execute").json()["executionId"]
        cancelled = client.post(f"/api/v1/executions/{queued}/cancel").json()
        assert cancelled == {"executionId": queued, "status": "CANCELLED"}
        record = client.get(f"/api/v1/workflows/executions/{queued}").json()
        assert {n["status"] for n in record["nodes"]} == {"CANCELLED"}
        client.post(f"/api/v1/executions/{blocker}/cancel")
        account = client.get("/api/v1/account").json()
        assert account["credits"]["reserved"] == 0.0
        assert account["usage"]["running"] == 0
