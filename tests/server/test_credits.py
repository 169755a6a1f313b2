"""Credits: estimate, 402 with a per-node breakdown, reservation, per-node charges."""

from __future__ import annotations

from tests.server.conftest import (
    Server,
    create_workflow,
    paint_workflow,
    slow_workflow,
    wait_for_end,
    wait_until,
)


def test_402_lists_every_node_and_charges_nothing(server: Server) -> None:
    key = server.create_key("poor", credits=5)
    with server.client(key) as client:
        workflow_id = create_workflow(client, paint_workflow(count=3))
        refused = client.post(
            f"/api/v1/workflows/{workflow_id}/execute", json={"inputs": {"brief": "x"}}
        )
        assert refused.status_code == 402
        body = refused.json()
        assert body["error"]["type"] == "insufficient_credits"
        assert body["error"]["code"] == "insufficient_credits"
        assert body["requiredCredits"] == body["error"]["requiredCredits"] == 6.0
        assert body["availableCredits"] == body["error"]["availableCredits"] == 5.0
        lines = {line["nodeId"]: line for line in body["breakdown"]}
        assert set(lines) == {"brief", "paint", "small", "out"}
        assert lines["paint"] == {
            "nodeId": "paint",
            "nodeLabel": "Painter",
            "type": "test.paint",
            "credits": 6.0,
            "preview": False,
        }
        assert lines["small"]["credits"] == 0.0
        assert lines["small"]["nodeLabel"] == "Resize Image"

        account = client.get("/api/v1/account").json()
        assert account["credits"] == {"balance": 5.0, "reserved": 0.0, "available": 5.0}
        assert account["usage"]["executions"] == 0
        assert [e["kind"] for e in client.get("/api/v1/account/ledger").json()["entries"]] == [
            "grant"
        ]


def test_estimate_says_whether_the_balance_suffices(server: Server) -> None:
    key = server.create_key("estimator", credits=5)
    with server.client(key) as client:
        workflow_id = create_workflow(client, paint_workflow(count=2))
        estimate = client.post(f"/api/v1/workflows/{workflow_id}/estimate").json()
        assert estimate["requiredCredits"] == 4.0
        assert estimate["availableCredits"] == 5.0
        assert estimate["sufficient"] is True
        assert {line["nodeId"]: line["credits"] for line in estimate["breakdown"]}["paint"] == 4.0
        # An unsaved edit is estimated as sent.
        edited = paint_workflow(count=4)
        estimate = client.post(
            f"/api/v1/workflows/{workflow_id}/estimate",
            json={"nodes": edited["nodes"], "edges": edited["edges"]},
        ).json()
        assert (estimate["requiredCredits"], estimate["sufficient"]) == (8.0, False)
        # A partial run only counts the target and what it needs.
        estimate = client.post(
            f"/api/v1/workflows/{workflow_id}/estimate",
            json={"targetNodeId": "brief", "scope": "only_node"},
        ).json()
        assert estimate["requiredCredits"] == 0.0


def test_running_runs_hold_their_estimate_and_charges_are_per_node(server: Server) -> None:
    key = server.create_key("reserver", credits=4)
    with server.client(key) as client:
        workflow_id = create_workflow(client, slow_workflow(seconds=30))
        first = client.post(f"/api/v1/workflows/{workflow_id}/execute")
        assert first.status_code == 201
        execution_id = first.json()["executionId"]

        def painted() -> bool:
            nodes = client.get(f"/api/v1/executions/{execution_id}/poll").json()["nodes"]
            return {n["nodeId"]: n["status"] for n in nodes}["paint"] == "COMPLETED"

        wait_until(painted)
        account = client.get("/api/v1/account").json()
        # 2 charged for the painter, 1 still held for the slow node.
        assert account["credits"] == {"balance": 2.0, "reserved": 1.0, "available": 1.0}
        second = client.post(f"/api/v1/workflows/{workflow_id}/execute")
        assert second.status_code == 402
        assert second.json()["availableCredits"] == 1.0

        cancelled = client.post(f"/api/v1/executions/{execution_id}/cancel")
        assert cancelled.json() == {"executionId": execution_id, "status": "CANCELLED"}
        record = client.get(f"/api/v1/workflows/executions/{execution_id}").json()
        assert record["credits"] == 2.0
        assert {n["nodeId"]: n["credits"] for n in record["nodes"]} == {
            "paint": 2.0,
            "wait": 0.0,
            "out": 0.0,
        }
        account = client.get("/api/v1/account").json()
        assert account["credits"] == {"balance": 2.0, "reserved": 0.0, "available": 2.0}
        entries = client.get("/api/v1/account/ledger").json()["entries"]
        assert [(e["kind"], e["amount"], e["nodeId"]) for e in entries] == [
            ("charge", -2.0, "paint"),
            ("grant", 4.0, None),
        ]


def test_cached_nodes_are_not_charged_again(server: Server) -> None:
    key = server.create_key("cacher", credits=10)
    with server.client(key) as client:
        workflow_id = create_workflow(client, paint_workflow())
        url = f"/api/v1/workflows/{workflow_id}/execute"
        first = client.post(url, json={"inputs": {"brief": "same"}}).json()["executionId"]
        assert wait_for_end(client, first)["status"] == "COMPLETED"
        second = client.post(url, json={"inputs": {"brief": "same"}}).json()["executionId"]
        assert wait_for_end(client, second)["status"] == "COMPLETED"
        record = client.get(f"/api/v1/workflows/executions/{second}").json()
        assert {n["nodeId"]: n["status"] for n in record["nodes"]}["paint"] == "CACHED"
        assert record["credits"] == 0.0
        forced = client.post(url, json={"inputs": {"brief": "same"}, "useCache": False})
        assert wait_for_end(client, forced.json()["executionId"])["status"] == "COMPLETED"
        assert client.get("/api/v1/account").json()["credits"]["balance"] == 6.0
