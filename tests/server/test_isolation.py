"""Tenant isolation: another account's resources are 404, never 403."""

from __future__ import annotations

import httpx

from tests.server.conftest import Server, cli, create_workflow, paint_workflow, wait_for_end


def test_one_account_never_sees_another_accounts_resources(server: Server) -> None:
    alice = server.create_key("alice", credits=10)
    mallory = server.create_key("mallory", credits=10)
    with server.client(alice) as a:
        workflow_id = create_workflow(a, paint_workflow())
        execution_id = a.post(f"/api/v1/workflows/{workflow_id}/execute").json()["executionId"]
        final = wait_for_end(a, execution_id)
        artifact = final["outputs"]["poster"]["$artifact"]
        a.post(f"/api/v1/workflows/{workflow_id}/publish")

    with server.client(mallory) as m:
        attempts = {
            "read": m.get(f"/api/v1/workflows/{workflow_id}"),
            "replace": m.put(f"/api/v1/workflows/{workflow_id}", json=paint_workflow()),
            "execute": m.post(f"/api/v1/workflows/{workflow_id}/execute"),
            "estimate": m.post(f"/api/v1/workflows/{workflow_id}/estimate"),
            "publish": m.post(f"/api/v1/workflows/{workflow_id}/publish"),
            "unpublish": m.delete(f"/api/v1/workflows/{workflow_id}/publish"),
            "delete": m.delete(f"/api/v1/workflows/{workflow_id}"),
            "poll": m.get(f"/api/v1/executions/{execution_id}/poll"),
            "record": m.get(f"/api/v1/workflows/executions/{execution_id}"),
            "events": m.get(f"/api/v1/executions/{execution_id}/events"),
            "cancel": m.post(f"/api/v1/executions/{execution_id}/cancel"),
            "download": m.get(f"/api/v1/artifacts/{artifact['id']}"),
        }
        for action, response in attempts.items():
            assert response.status_code == 404, (action, response.status_code)
            assert response.json()["error"]["type"] == "not_found_error"
        # The same answer as for ids that do not exist at all.
        assert (
            m.get("/api/v1/workflows/wf_000000000000000000000000").json()["error"]["code"]
            == (attempts["read"].json()["error"]["code"])
        )
        assert m.get("/api/v1/workflows").json()["items"] == []

        # Nor can a run of Mallory's use Alice's artifact by reference.
        own = create_workflow(
            m,
            {
                "schemaVersion": 1,
                "nodes": [{"id": "photo", "type": "input.image", "data": {"name": "photo"}}],
                "edges": [],
            },
        )
        stolen = m.post(
            f"/api/v1/workflows/{own}/execute",
            json={"inputs": {"photo": {"$artifact": artifact}}},
        )
        assert stolen.status_code == 422
        assert stolen.json()["error"]["code"] == "invalid_inputs"
        assert m.get("/api/v1/account").json()["credits"]["balance"] == 10.0

    with server.client(alice) as a:  # untouched, and still Alice's
        assert a.get(f"/api/v1/workflows/{workflow_id}").json()["published"] is True
        assert a.get(f"/api/v1/executions/{execution_id}/poll").json()["status"] == "COMPLETED"
        assert a.get(artifact["url"]).status_code == 200
        reuse = a.post(
            f"/api/v1/workflows/{workflow_id}/execute", json={"inputs": {"brief": "again"}}
        )
        assert reuse.status_code == 201


def test_revoked_and_unknown_keys_are_401(server: Server) -> None:
    key = server.create_key("revoked")
    with server.client(key) as client:
        assert client.get("/api/v1/account").status_code == 200
    assert cli("keys", "revoke", key.prefix, data_dir=server.data_dir).returncode == 0
    with server.client(key) as client:
        response = client.get("/api/v1/account")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    missing = httpx.get(f"{server.base_url}/api/v1/workflows")
    assert missing.json()["error"]["code"] == "missing_api_key"
    wrong_scheme = httpx.get(
        f"{server.base_url}/api/v1/workflows", headers={"Authorization": f"Basic {key.secret}"}
    )
    assert wrong_scheme.status_code == 401
