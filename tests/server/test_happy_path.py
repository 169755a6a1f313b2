"""Acceptance 1, the happy path: create, execute, poll, record, download, publish, trigger."""

from __future__ import annotations

import io
import time

import httpx
from PIL import Image

from tests.server.conftest import Server, paint_workflow, wait_for_end


def poll_with_backoff(client: httpx.Client, poll_url: str, timeout: float = 30.0) -> dict:
    """Poll as a client should: first after 1 s, then doubling."""
    delay = 1.0
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(delay)
        body = client.get(poll_url).json()
        if body["status"] not in ("RUNNING", "QUEUED"):
            return body
        assert time.monotonic() < deadline
        delay = min(delay * 2, 8.0)


def test_create_execute_poll_record_download_publish_trigger(server: Server) -> None:
    key = server.create_key("happy", tier="pro", credits=100)
    with server.client(key) as client:
        created = client.post("/api/v1/workflows", json=paint_workflow())
        assert created.status_code == 201
        workflow = created.json()
        assert workflow["id"].startswith("wf_")
        assert workflow["name"] == "Poster"
        assert created.headers["Location"].endswith(f"/api/v1/workflows/{workflow['id']}")

        started = client.post(
            f"/api/v1/workflows/{workflow['id']}/execute",
            json={"inputs": {"brief": "a red sneaker"}},
            headers={"Idempotency-Key": "happy-1"},
        )
        assert started.status_code == 201, started.text
        accepted = started.json()
        assert accepted["status"] == "RUNNING"
        assert accepted["estimatedCredits"] == 2.0
        assert started.headers["Location"] == accepted["pollUrl"]
        assert accepted["pollUrl"].endswith(f"/api/v1/executions/{accepted['executionId']}/poll")

        final = poll_with_backoff(client, accepted["pollUrl"])
        assert final["status"] == "COMPLETED"
        assert final["progress"] == 1.0
        assert {n["nodeId"]: n["status"] for n in final["nodes"]} == {
            "brief": "COMPLETED",
            "paint": "COMPLETED",
            "small": "COMPLETED",
            "out": "COMPLETED",
        }
        poster = final["outputs"]["poster"]["$artifact"]
        assert poster["mediaType"] == "image/png"

        record = client.get(f"/api/v1/workflows/executions/{accepted['executionId']}").json()
        assert record["status"] == "COMPLETED"
        assert record["workflowId"] == workflow["id"]
        assert record["credits"] == 2.0
        nodes = {n["nodeId"]: n for n in record["nodes"]}
        paint = nodes["paint"]
        assert paint["credits"] == 2.0
        assert paint["attempts"] == 1
        assert paint["error"] is None
        assert paint["startedAt"] <= paint["finishedAt"]
        assert paint["durationMs"] >= 0
        assert "$artifact" in paint["outputs"]["image"]
        assert nodes["small"]["credits"] == 0.0

        download = client.get(poster["url"])
        assert download.status_code == 200
        assert download.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(download.content)).size == (32, 24)

        account = client.get("/api/v1/account").json()
        assert account["credits"]["balance"] == 98.0
        assert account["credits"]["available"] == 98.0
        assert account["usage"]["executions"] == 1
        assert account["usage"]["creditsCharged"] == 2.0
        ledger = client.get("/api/v1/account/ledger").json()["entries"]
        charge = ledger[0]
        assert charge["kind"] == "charge"
        assert charge["amount"] == -2.0
        assert (charge["executionId"], charge["nodeId"]) == (accepted["executionId"], "paint")

        published = client.post(f"/api/v1/workflows/{workflow['id']}/publish")
        assert published.status_code == 200
        hook = published.json()
        assert len(hook["webhookId"]) >= 3 + 32  # "wh_" + 24 random bytes, base64url
        assert hook["webhookUrl"].endswith(f"/workflow/{hook['webhookId']}/trigger")

    with httpx.Client(timeout=30.0) as anonymous:
        status = anonymous.get(hook["webhookUrl"])
        assert status.status_code == 200
        assert status.json() == {"webhookId": hook["webhookId"], "active": True, "signed": False}
        triggered = anonymous.post(hook["webhookUrl"], json={"brief": "a blue boot"})
        assert triggered.status_code == 202, triggered.text
        run = triggered.json()
        assert run["status"] in ("RUNNING", "QUEUED")
        assert anonymous.get(run["pollUrl"]).status_code == 401

    with server.client(key) as client:
        final = wait_for_end(client, run["executionId"])
        assert final["status"] == "COMPLETED"
        record = client.get(f"/api/v1/workflows/executions/{run['executionId']}").json()
        assert record["trigger"] == "webhook"
        assert record["inputs"] == {"brief": "a blue boot"}
        assert client.get("/api/v1/account").json()["credits"]["balance"] == 96.0
