"""engine.client against a real server subprocess: workflows, runs, errors, webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

import engine
from engine.artifacts import ArtifactStore
from engine.client import (
    ApiError,
    AuthenticationFailed,
    ClientRetry,
    InsufficientCredits,
    InvalidRequest,
    NotFoundError,
    PatchbayClient,
    RateLimited,
    ServerUnreachable,
    WaitNotice,
    WaitReason,
)
from engine.executor import ExecutionEvent, ExecutionState, NodeState
from engine.validation import ViolationCode
from engine.values import Artifact, decode_value
from engine.workflow import Workflow
from tests.server.conftest import (
    Server,
    StartServer,
    free_port,
    greeting_workflow,
    paint_workflow,
    slow_workflow,
)

#: Two requests a minute for free accounts: the third is answered 429.
TINY_RATE_LIMIT = """
[tiers.free]
requests_per_minute = 2
"""

FAST = ClientRetry(initial_backoff_s=0.01, max_backoff_s=0.05, poll_initial_s=0.05, poll_max_s=0.2)


class Recorder(httpx.AsyncBaseTransport):
    """A real transport that remembers every request it sends."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = await self.inner.handle_async_request(request)
        self.responses.append(response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


class DropFirstAnswer(Recorder):
    """Lets the first request to a path ending in ``suffix`` reach the server, then
    loses its answer (as a connection reset would)."""

    def __init__(self, suffix: str) -> None:
        super().__init__()
        self.suffix = suffix
        self.dropped = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.url.path.endswith(self.suffix) and not self.dropped:
            self.dropped = True
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


class CutStream(Recorder):
    """Breaks the first event stream after a few chunks."""

    def __init__(self, chunks: int) -> None:
        super().__init__()
        self.chunks = chunks
        self.cut = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if not request.url.path.endswith("/events") or self.cut:
            return response
        self.cut = True
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        inner: httpx.AsyncByteStream = stream
        limit = self.chunks

        class Broken(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                count = 0
                async for chunk in inner:
                    yield chunk
                    count += 1
                    if count >= limit:
                        raise httpx.ReadError("stream cut", request=request)

            async def aclose(self) -> None:
                await inner.aclose()

        return httpx.Response(
            response.status_code, headers=response.headers, stream=Broken(), request=request
        )


class FakeSleep:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def set_tier(server: Server, account_id: str, tier: str) -> None:
    """Change an account's tier in the server's database (read on every request)."""
    with closing(sqlite3.connect(server.data_dir / "server.sqlite3", timeout=5)) as db, db:
        db.execute("UPDATE accounts SET tier = ? WHERE id = ?", (tier, account_id))


def states(events: list[ExecutionEvent]) -> list[tuple[str | None, str]]:
    return [(e.node_id, e.state.value) for e in events]


def assert_hidden(secret: str, *things: object) -> None:
    for thing in things:
        assert secret not in str(thing)
        assert secret not in repr(thing)


async def test_health_account_and_workflow_crud(server: Server) -> None:
    key = server.create_key("client-crud", credits=7)
    async with PatchbayClient(server.base_url + "/api/v1/", key.secret) as client:
        assert client.base_url == server.base_url
        assert await client.health() == engine.__version__
        account = await client.account()
        assert (account.tier, account.credits.available, account.usage.executions) == (
            "pro",
            7.0,
            0,
        )
        assert account.requests_per_minute == 1200 and account.key_prefix == key.prefix

        created = await client.create_workflow(Workflow.model_validate(greeting_workflow("One")))
        assert (created.name, created.version, created.node_count, created.edge_count) == (
            "One",
            1,
            3,
            2,
        )
        assert created.workflow.node("greet").type == "text.template"
        assert not created.published and created.webhook_url is None
        second = await client.create_workflow(greeting_workflow("Two"))

        page = await client.list_workflows(limit=1)
        assert ([w.id for w in page.items], page.total, page.next_offset) == ([created.id], 2, 1)
        assert [w.name for w in await client.all_workflows()] == ["One", "Two"]

        renamed = created.workflow.model_copy(update={"name": "Renamed"})
        updated = await client.update_workflow(created.id, renamed)
        assert (updated.id, updated.name, updated.version) == (created.id, "Renamed", 2)
        assert (await client.get_workflow(created.id)).workflow == renamed

        await client.delete_workflow(second.id)
        with pytest.raises(NotFoundError) as missing:
            await client.get_workflow(second.id)
    assert (missing.value.status, missing.value.code) == (404, "workflow_not_found")
    assert missing.value.request_id
    assert_hidden(key.secret, client, missing.value)


async def test_execute_and_follow_by_events_then_fetch_the_artifact(
    server: Server, tmp_path: Path
) -> None:
    key = server.create_key("client-sse", credits=10)
    recorder = Recorder()
    async with PatchbayClient(server.base_url, key.secret, transport=recorder) as client:
        stored = await client.create_workflow(paint_workflow())
        estimate = await client.estimate(stored.id, inputs={"brief": "a kite"})
        assert (estimate.required_credits, estimate.sufficient) == (2.0, True)
        accepted = await client.execute(stored.id, inputs={"brief": "a kite"})
        assert accepted.status in (ExecutionState.RUNNING, ExecutionState.QUEUED)
        assert not accepted.replayed and accepted.estimated_credits == 2.0

        events: list[ExecutionEvent] = []
        record = await client.follow(accepted.execution_id, events.append)

        assert record.status is ExecutionState.COMPLETED
        assert record.execution_id == accepted.execution_id
        assert record.credits == 2.0 and record.node("paint").credits == 2.0
        seen = states(events)
        assert seen[-1] == (None, "COMPLETED")
        finished = [node for node, state in seen if state == "COMPLETED" and node]
        assert finished == ["brief", "paint", "small", "out"]
        paint = next(e for e in events if e.node_id == "paint" and e.state is NodeState.COMPLETED)
        assert paint.credits == 2.0 and paint.duration_ms is not None
        assert "$artifact" in (paint.outputs or {})["image"]
        assert all(e.execution_id == accepted.execution_id for e in events)
        assert any(p.endswith("/events") for p in recorder.paths())
        assert not any(p.endswith("/poll") for p in recorder.paths())

        poster = decode_value(record.outputs["poster"])
        assert isinstance(poster, Artifact)
        store = ArtifactStore(tmp_path / "artifacts")
        path = await client.fetch_artifact(poster, store)
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == poster.id
        assert data == await client.download_artifact(poster.id)
        described = store.describe(poster.id)
        assert (described.media_type, described.metadata) == ("image/png", poster.metadata)
        downloads = recorder.paths().count(f"/api/v1/artifacts/{poster.id}")
        assert await client.fetch_artifact(poster, store) == path  # already there
        assert recorder.paths().count(f"/api/v1/artifacts/{poster.id}") == downloads


async def test_follow_by_polling(server: Server) -> None:
    key = server.create_key("client-poll")
    recorder = Recorder()
    async with PatchbayClient(server.base_url, key.secret, retry=FAST, transport=recorder) as c:
        stored = await c.create_workflow(greeting_workflow())
        accepted = await c.execute(stored.id, inputs={"who": "poller"})
        events: list[ExecutionEvent] = []
        record = await c.follow(accepted.execution_id, events.append, use_sse=False)
    assert record.status is ExecutionState.COMPLETED
    assert record.outputs == {"greeting": "hello poller"}
    assert not any(p.endswith("/events") for p in recorder.paths())
    final = events[-1]
    assert (final.node_id, final.state, final.outputs) == (
        None,
        ExecutionState.COMPLETED,
        {"greeting": "hello poller"},
    )
    ends = {e.node_id: e for e in events if e.node_id and e.state.is_final}
    assert set(ends) == {"who", "greet", "out"}
    assert all(e.state is NodeState.COMPLETED and e.duration_ms is not None for e in ends.values())
    assert ends["greet"].outputs == {"text": "hello poller"}


async def test_a_dropped_event_stream_resumes_after_the_last_event(server: Server) -> None:
    key = server.create_key("client-cut", credits=5)
    notices: list[WaitNotice] = []
    transport = CutStream(chunks=3)
    async with PatchbayClient(
        server.base_url,
        key.secret,
        retry=FAST,
        transport=transport,
        on_wait=notices.append,
        sleep=FakeSleep(),
    ) as client:
        stored = await client.create_workflow(slow_workflow(seconds=2.0))
        accepted = await client.execute(stored.id)
        events: list[ExecutionEvent] = []
        record = await client.follow(accepted.execution_id, events.append)
    assert record.status is ExecutionState.COMPLETED
    streams = [r for r in transport.requests if r.url.path.endswith("/events")]
    assert len(streams) == 2
    assert "last-event-id" not in streams[0].headers
    assert int(streams[1].headers["last-event-id"]) >= 0
    # Nothing twice, nothing lost: every event is distinct, and all ten progress steps came.
    seen = [(e.node_id, e.state.value, e.progress, e.attempt) for e in events]
    assert len(set(seen)) == len(seen)
    assert seen[0][:2] == (None, "QUEUED") and seen[-1][:2] == (None, "COMPLETED")
    steps = [p for node, state, p, _ in seen if node == "wait" and p is not None]
    assert steps == [round(0.1 * i, 1) for i in range(10)]
    assert [n.reason for n in notices] == [WaitReason.RECONNECTING]


async def test_automatic_retry_reuses_the_idempotency_key(server: Server) -> None:
    key = server.create_key("client-idem")
    transport = DropFirstAnswer("/execute")
    notices: list[WaitNotice] = []
    async with PatchbayClient(
        server.base_url,
        key.secret,
        retry=FAST,
        transport=transport,
        on_wait=notices.append,
        sleep=FakeSleep(),
    ) as client:
        stored = await client.create_workflow(greeting_workflow())
        accepted = await client.execute(stored.id, inputs={"who": "once"})
        assert accepted.replayed  # the run the lost answer announced, not a second one
        assert (await client.account()).usage.executions == 1
        record = await client.follow(accepted.execution_id)
        assert record.outputs == {"greeting": "hello once"}

        fresh = await client.execute(stored.id, inputs={"who": "once"})
        chosen = await client.execute(stored.id, idempotency_key="order-42")
        again = await client.execute(stored.id, idempotency_key="order-42")
        assert (await client.account()).usage.executions == 3
    executes = [r for r in transport.requests if r.url.path.endswith("/execute")]
    keys = [r.headers["idempotency-key"] for r in executes]
    assert keys[0] == keys[1]  # the lost attempt and its retry
    assert keys[2] not in keys[:2]  # a new call, a new key
    assert keys[3:] == ["order-42", "order-42"]
    assert not fresh.replayed and fresh.execution_id != accepted.execution_id
    assert again.replayed and again.execution_id == chosen.execution_id
    assert [n.reason for n in notices] == [WaitReason.RECONNECTING]
    assert notices[0].attempt == 2


async def test_insufficient_credits_invalid_requests_and_bad_keys(server: Server) -> None:
    key = server.create_key("client-errors", credits=1)
    errors: list[ApiError] = []
    async with PatchbayClient(server.base_url, key.secret) as client:
        stored = await client.create_workflow(paint_workflow())
        with pytest.raises(InsufficientCredits) as poor:
            await client.execute(stored.id)
        errors.append(poor.value)

        broken: dict[str, Any] = greeting_workflow()
        broken["nodes"][1]["type"] = "text.nope"
        broken["edges"][0]["targetHandle"] = "b"
        with pytest.raises(InvalidRequest) as invalid:
            await client.create_workflow(broken)
        errors.append(invalid.value)

        greeting = await client.create_workflow(greeting_workflow())
        with pytest.raises(InvalidRequest) as inputs:
            await client.execute(greeting.id, inputs={"whom": "x"})
        errors.append(inputs.value)

    assert (poor.value.status, poor.value.required, poor.value.available) == (402, 2.0, 1.0)
    lines = [(line.node_id, line.node_label, line.credits) for line in poor.value.breakdown]
    assert lines[:2] == [("brief", "Brief", 0.0), ("paint", "Painter", 2.0)]
    assert [node for node, _, _ in lines[2:]] == ["small", "out"]
    assert "2 credits" in str(poor.value)

    assert (invalid.value.status, invalid.value.code) == (422, "invalid_workflow")
    codes = {(v.code, v.node_id) for v in invalid.value.violations}
    assert (ViolationCode.UNKNOWN_NODE_TYPE, "greet") in codes
    assert inputs.value.code == "invalid_inputs" and inputs.value.problems

    async with PatchbayClient(server.base_url, "pb_not-a-real-key") as stranger:
        with pytest.raises(AuthenticationFailed) as rejected:
            await stranger.account()
    async with PatchbayClient(server.base_url) as anonymous:
        with pytest.raises(AuthenticationFailed) as missing:
            await anonymous.list_workflows()
    assert (rejected.value.status, rejected.value.code) == (401, "invalid_api_key")
    assert missing.value.code == "missing_api_key"
    assert_hidden(key.secret, client, *errors)
    assert_hidden("pb_not-a-real-key", stranger, rejected.value)


async def test_server_unreachable_after_backoff() -> None:
    sleep = FakeSleep()
    notices: list[WaitNotice] = []
    retry = ClientRetry(attempts=4, initial_backoff_s=0.5, max_backoff_s=1.5, jitter=0)
    secret = "pb_offline-secret"
    url = f"http://127.0.0.1:{free_port()}"
    async with PatchbayClient(
        url, secret, retry=retry, sleep=sleep, on_wait=notices.append
    ) as client:
        with pytest.raises(ServerUnreachable) as offline:
            await client.account()
    assert sleep.waits == [0.5, 1.0, 1.5]
    assert [(n.reason, n.attempt) for n in notices] == [
        (WaitReason.RECONNECTING, 2),
        (WaitReason.RECONNECTING, 3),
        (WaitReason.RECONNECTING, 4),
    ]
    assert notices[0].message.endswith("(attempt 2 of 4)")
    assert offline.value.url == url and url in str(offline.value)
    assert "after 4 attempts" in str(offline.value)
    assert_hidden(secret, client, offline.value)


async def test_publish_trigger_without_key_rotate_and_unpublish(server: Server) -> None:
    key = server.create_key("client-hooks")
    recorder = Recorder()
    async with PatchbayClient(server.base_url, key.secret, retry=FAST, transport=recorder) as c:
        stored = await c.create_workflow(greeting_workflow())
        first = await c.publish(stored.id)
        assert first.workflow_id == stored.id and not first.signed
        assert (await c.get_workflow(stored.id)).webhook_url == first.webhook_url

        accepted = await c.trigger(first.webhook_url, {"who": "hook"})
        trigger = recorder.requests[-1]
        assert trigger.url == first.webhook_url and "authorization" not in trigger.headers
        assert (await c.follow(accepted.execution_id)).outputs == {"greeting": "hello hook"}
        state = await c.webhook_state(first.webhook_url)
        assert (state.webhook_id, state.active) == (first.webhook_id, True)

        rotated = await c.publish(stored.id)
        assert rotated.webhook_url != first.webhook_url
        assert not (await c.webhook_state(first.webhook_url)).active
        signed = await c.publish(stored.id, signed=True)
        assert signed.signed and signed.signing_secret
        assert signed.signing_secret not in repr(signed)
        with pytest.raises(AuthenticationFailed) as unsigned:
            await c.trigger(signed.webhook_url, {"who": "anyone"})
        assert unsigned.value.code == "invalid_signature"
        accepted = await c.trigger(
            signed.webhook_url, {"who": "signed"}, signing_secret=signed.signing_secret
        )
        assert (await c.follow(accepted.execution_id)).outputs == {"greeting": "hello signed"}
        assert (await c.webhook_state(signed.webhook_url)).signed

        await c.unpublish(stored.id)
        assert not (await c.webhook_state(signed.webhook_url)).active
        with pytest.raises(NotFoundError) as gone:
            await c.trigger(signed.webhook_url, {"who": "late"})
        with pytest.raises(NotFoundError) as unknown:
            await c.webhook_state(f"{server.base_url}/workflow/wh_nope/trigger")
    assert (gone.value.status, gone.value.code) == (410, "webhook_inactive")
    assert (unknown.value.status, unknown.value.code) == (404, "webhook_not_found")


async def test_cancel_a_running_execution(server: Server) -> None:
    key = server.create_key("client-cancel", credits=5)
    async with PatchbayClient(server.base_url, key.secret, retry=FAST) as client:
        stored = await client.create_workflow(slow_workflow(seconds=30))
        accepted = await client.execute(stored.id)
        assert await client.cancel(accepted.execution_id) is ExecutionState.CANCELLED
        assert await client.cancel(accepted.execution_id) is ExecutionState.CANCELLED
        events: list[ExecutionEvent] = []
        record = await client.follow(accepted.execution_id, events.append)
    assert record.status is ExecutionState.CANCELLED
    assert record.node("wait").status is NodeState.CANCELLED
    assert states(events)[-1] == (None, "CANCELLED")


async def test_rate_limited_waits_for_retry_after_or_gives_up_when_too_long(
    start_server: StartServer,
) -> None:
    server = start_server(TINY_RATE_LIMIT)
    key = server.create_key("client-429", tier="free")
    waits: list[float] = []

    async def upgrade_instead_of_waiting(seconds: float) -> None:
        # Stands in for the minute passing: the server accepts the key's requests again.
        waits.append(seconds)
        set_tier(server, key.account_id, "pro")

    notices: list[WaitNotice] = []
    recorder = Recorder()
    left_in_minute = 60 - time.time() % 60
    if left_in_minute < 10:  # all three requests must fall in one window
        await asyncio.sleep(left_in_minute + 0.1)
    async with PatchbayClient(
        server.base_url,
        key.secret,
        transport=recorder,
        on_wait=notices.append,
        sleep=upgrade_instead_of_waiting,
    ) as client:
        accounts = [await client.account() for _ in range(3)]
    assert [a.requests_per_minute for a in accounts] == [2, 2, 1200]
    assert [r.status_code for r in recorder.responses] == [200, 200, 429, 200]
    retry_after = float(recorder.responses[2].headers["Retry-After"])
    assert 1 <= retry_after <= 60 and waits == [retry_after]
    assert [(n.reason, n.seconds, n.attempt) for n in notices] == [
        (WaitReason.RATE_LIMITED, retry_after, 2)
    ]
    assert notices[0].message.startswith("Rate limited by the server: waiting")

    set_tier(server, key.account_id, "free")  # 4 requests this minute: over the limit again
    sleep = FakeSleep()
    impatient = ClientRetry(max_wait_s=0.5)
    async with PatchbayClient(server.base_url, key.secret, retry=impatient, sleep=sleep) as c:
        with pytest.raises(RateLimited) as limited:
            await c.account()
    assert (limited.value.status, limited.value.code, limited.value.limit) == (
        429,
        "rate_limited",
        2,
    )
    assert limited.value.retry_after >= 1 and sleep.waits == []
    assert_hidden(key.secret, limited.value)
