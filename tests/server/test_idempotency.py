"""Idempotency-Key on execute and trigger, exactly as DESIGN §5 says."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.server.conftest import (
    Server,
    StartServer,
    cli,
    create_workflow,
    greeting_workflow,
    paint_workflow,
    wait_until,
)

SLOW_ACCEPT = """
[limits]
idempotency_ttl_s = 2

[testing]
accept_delay_s = 1.5
"""


def claims(server: Server, key: str) -> list[str]:
    """States of the stored idempotency records with this key."""
    with sqlite3.connect(server.data_dir / "server.sqlite3", timeout=5) as db:
        rows = db.execute("SELECT state FROM idempotency WHERE key = ?", (key,)).fetchall()
    return [str(row[0]) for row in rows]


def executions_today(client: httpx.Client) -> int:
    count: int = client.get("/api/v1/account").json()["usage"]["executions"]
    return count


def test_same_key_same_body_replays_the_original_response(server: Server) -> None:
    key = server.create_key("idem-replay")
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
        url = f"/api/v1/workflows/{workflow_id}/execute"
        body = {"inputs": {"who": "Ada"}}
        first = client.post(url, json=body, headers={"Idempotency-Key": "k1"})
        # Key order and whitespace do not make another body.
        again = client.post(
            url,
            content=b'{ "inputs" : {"who":"Ada"} }',
            headers={"Idempotency-Key": "k1", "Content-Type": "application/json"},
        )
        assert first.status_code == again.status_code == 201
        assert "Idempotent-Replayed" not in first.headers
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["Location"] == first.headers["Location"]
        assert executions_today(client) == 1


def test_same_key_with_another_body_is_refused(server: Server) -> None:
    key = server.create_key("idem-mismatch")
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
        url = f"/api/v1/workflows/{workflow_id}/execute"
        assert client.post(url, json={"inputs": {"who": "a"}}, headers={"Idempotency-Key": "k"})
        other = client.post(url, json={"inputs": {"who": "b"}}, headers={"Idempotency-Key": "k"})
        assert other.status_code == 422
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        # Another workflow with the same key is another request too.
        second = create_workflow(client, greeting_workflow("Other"))
        elsewhere = client.post(
            f"/api/v1/workflows/{second}/execute",
            json={"inputs": {"who": "a"}},
            headers={"Idempotency-Key": "k"},
        )
        assert elsewhere.status_code == 422
        assert executions_today(client) == 1


def test_keys_are_scoped_to_the_api_key(server: Server) -> None:
    first_key = server.create_key("idem-scope")
    second_key = server.create_key("idem-scope-2", account=first_key.account_id)
    with server.client(first_key) as one, server.client(second_key) as two:
        workflow_id = create_workflow(one, greeting_workflow())
        url = f"/api/v1/workflows/{workflow_id}/execute"
        a = one.post(url, json={}, headers={"Idempotency-Key": "shared"})
        b = two.post(url, json={}, headers={"Idempotency-Key": "shared"})
        assert a.status_code == b.status_code == 201
        assert a.json()["executionId"] != b.json()["executionId"]
        assert "Idempotent-Replayed" not in b.headers


def test_concurrent_identical_requests_create_exactly_one_execution(server: Server) -> None:
    key = server.create_key("idem-race")
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
    url = f"{server.base_url}/api/v1/workflows/{workflow_id}/execute"

    def send(_: int) -> httpx.Response:
        return httpx.post(
            url, json={"inputs": {"who": "race"}}, headers={**key.headers, "Idempotency-Key": "r"}
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    originals = [
        r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    ]
    assert len(originals) == 1
    ids = {r.json()["executionId"] for r in responses if r.status_code == 201}
    assert ids == {originals[0].json()["executionId"]}
    with server.client(key) as client:
        assert executions_today(client) == 1


def test_in_flight_conflict_and_expiry(start_server: StartServer) -> None:
    server = start_server(SLOW_ACCEPT)
    key = server.create_key("idem-409")
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
    url = f"{server.base_url}/api/v1/workflows/{workflow_id}/execute"
    headers = {**key.headers, "Idempotency-Key": "slow"}

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, url, json={}, headers=headers, timeout=10)
        # Wait until the first request holds the key (it is then held for 1.5 s).
        wait_until(lambda: claims(server, "slow") == ["in_flight"], timeout=5)
        during = httpx.post(url, json={}, headers=headers)
        accepted = first.result()
    assert during.status_code == 409
    assert during.json()["error"]["code"] == "idempotency_request_in_flight"
    assert during.headers["Retry-After"] == "1"
    assert accepted.status_code == 201

    replay = httpx.post(url, json={}, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["executionId"] == accepted.json()["executionId"]

    time.sleep(2.1)  # past the configured retention (24 h by default)
    fresh = httpx.post(url, json={}, headers=headers)
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh.headers
    assert fresh.json()["executionId"] != accepted.json()["executionId"]


def test_a_refused_request_can_be_retried_with_the_same_key(server: Server) -> None:
    key = server.create_key("idem-402", credits=1)
    with server.client(key) as client:
        workflow_id = create_workflow(client, paint_workflow())
        url = f"/api/v1/workflows/{workflow_id}/execute"
        refused = client.post(url, json={}, headers={"Idempotency-Key": "pay"})
        assert refused.status_code == 402
        assert cli("credits", "add", key.account_id, "5", data_dir=server.data_dir).returncode == 0
        retried = client.post(url, json={}, headers={"Idempotency-Key": "pay"})
        assert retried.status_code == 201
        assert "Idempotent-Replayed" not in retried.headers


def test_trigger_keys_are_scoped_to_the_webhook(server: Server) -> None:
    key = server.create_key("idem-hook")
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
        hook = client.post(f"/api/v1/workflows/{workflow_id}/publish").json()
    headers = {"Idempotency-Key": "form-1"}
    first = httpx.post(hook["webhookUrl"], data={"who": "Ada"}, headers=headers)
    again = httpx.post(hook["webhookUrl"], data={"who": "Ada"}, headers=headers)
    other = httpx.post(hook["webhookUrl"], data={"who": "Bob"}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["executionId"] == first.json()["executionId"]
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
