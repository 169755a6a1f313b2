"""Tiers: rate-limit headers on every response, 429 with Retry-After, daily quota."""

from __future__ import annotations

import time

import httpx

from tests.server.conftest import Server, create_workflow, greeting_workflow

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def assert_rate_headers(response: httpx.Response) -> None:
    for name in (*RATE_HEADERS, "X-Request-Id"):
        assert name in response.headers, f"{name} missing on {response.status_code}"
    assert int(response.headers["X-RateLimit-Reset"]) > time.time() - 1


def fresh_window(needed: float = 15.0) -> None:
    """Avoid straddling a minute boundary, where every window starts again."""
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.1)


def test_headers_on_success_client_errors_and_unknown_routes(server: Server) -> None:
    key = server.create_key("headers", tier="pro")
    fresh_window(5.0)
    with server.client(key) as client:
        responses = [
            client.get("/api/v1/account"),  # 200
            client.get("/api/v1/workflows/wf_missing"),  # 404
            client.post("/api/v1/workflows", json={"nodes": 3}),  # 422
            client.get("/no/such/route"),  # 404 from the router
            client.delete("/api/v1/account"),  # 405
        ]
    assert [r.status_code for r in responses] == [200, 404, 422, 404, 405]
    for response in responses:
        assert_rate_headers(response)
        assert response.headers["X-RateLimit-Limit"] == "1200"  # the pro tier's default
        if response.status_code >= 400:
            error = response.json()["error"]
            assert {"type", "code", "message"} <= set(error)
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in responses]
    assert remaining == sorted(remaining, reverse=True)
    unauthenticated = httpx.get(f"{server.base_url}/api/v1/account")
    assert unauthenticated.status_code == 401
    assert_rate_headers(unauthenticated)
    request_ids = {r.headers["X-Request-Id"] for r in responses}
    assert len(request_ids) == len(responses)


def test_requests_per_minute_then_429_with_retry_after(server: Server) -> None:
    key = server.create_key("chatty", tier="free")  # 60 requests a minute by default
    fresh_window()
    with server.client(key) as client:
        allowed = [client.get("/api/v1/account") for _ in range(60)]
        assert all(r.status_code == 200 for r in allowed)
        assert allowed[-1].headers["X-RateLimit-Remaining"] == "0"
        limited = client.get("/api/v1/account")
        also_limited = client.get("/api/v1/workflows/wf_missing")
    assert limited.status_code == also_limited.status_code == 429
    assert_rate_headers(limited)
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert abs(int(limited.headers["X-RateLimit-Reset"]) - (time.time() + retry_after)) <= 2
    error = limited.json()["error"]
    assert (error["type"], error["code"], error["retryAfter"]) == (
        "rate_limit_error",
        "rate_limited",
        retry_after,
    )
    # Another account is not affected.
    other = server.create_key("quiet", tier="free")
    with server.client(other) as client:
        assert client.get("/api/v1/account").status_code == 200


def test_free_tier_runs_50_executions_a_day(server: Server) -> None:
    key = server.create_key("daily", tier="free")
    fresh_window()
    with server.client(key) as client:
        account = client.get("/api/v1/account").json()
        assert account["limits"] == {"executionsPerDay": 50, "requestsPerMinute": 60}
        workflow_id = create_workflow(client, greeting_workflow())
        url = f"/api/v1/workflows/{workflow_id}/execute"
        statuses = [client.post(url).status_code for _ in range(50)]
        assert statuses == [201] * 50
        refused = client.post(url)
        assert refused.status_code == 429
        assert_rate_headers(refused)
        error = refused.json()["error"]
        assert error["code"] == "daily_quota_exceeded"
        assert (error["limit"], error["used"]) == (50, 50)
        retry_after = int(refused.headers["Retry-After"])
        assert retry_after == error["retryAfter"]
        assert 0 < retry_after <= 86_400
        usage = client.get("/api/v1/account").json()["usage"]
        assert (usage["executions"], usage["executionsRemaining"]) == (50, 0)


def test_enterprise_has_no_daily_limit(server: Server) -> None:
    key = server.create_key("big", tier="enterprise")
    with server.client(key) as client:
        account = client.get("/api/v1/account").json()
    assert account["tier"] == "enterprise"
    assert account["limits"] == {"executionsPerDay": None, "requestsPerMinute": 6000}
    assert account["usage"]["executionsRemaining"] is None
